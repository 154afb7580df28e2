package password

import (
	"errors"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// FuzzVerify checks that no encoded string makes Check or Verify panic, and that both agree.
func FuzzVerify(f *testing.F) {
	good, _ := Hash("pw")
	bc, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	for _, seed := range []string{
		good, string(bc), "", "$", "$$$$$", "$argon2id$", "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=4294967295,t=1,p=255$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$2a$04$" + string(bc[7:]), "$2y$99$" + string(bc[7:]), "$2b$",
	} {
		f.Add(seed, "pw")
	}
	f.Fuzz(func(t *testing.T, encoded, password string) {
		checkErr := Check(encoded)
		if checkErr != nil && !errors.Is(checkErr, ErrMalformedHash) {
			t.Fatalf("Check error %v does not wrap ErrMalformedHash", checkErr)
		}
		h, err := parse(encoded)
		if (err == nil) != (checkErr == nil) {
			t.Fatalf("Check and parse disagree: %v vs %v", checkErr, err)
		}
		if err == nil && tooSlowToFuzz(h) {
			return // well-formed but costly: hashing it proves nothing more about parsing
		}
		ok, err := Verify(encoded, password)
		if (err == nil) != (checkErr == nil) {
			t.Fatalf("Check = %v but Verify = %v", checkErr, err)
		}
		if err != nil && ok {
			t.Fatalf("Verify returned true with error %v", err)
		}
	})
}

// tooSlowToFuzz tells whether verifying h would take more than a few milliseconds.
func tooSlowToFuzz(h hashFunc) bool {
	switch h := h.(type) {
	case *argon2idHash:
		return h.cost() > 4096
	case *bcryptHash:
		return h.cost > bcrypt.MinCost+1
	}
	return false
}
