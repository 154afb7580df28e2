package password

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerifyRoundTrip(t *testing.T) {
	for _, pw := range []string{"correct horse battery staple", "", "pässwörd ✓", strings.Repeat("x", 200)} {
		encoded, err := Hash(pw)
		if err != nil {
			t.Fatalf("Hash: %v", err)
		}
		if !phcPattern.MatchString(encoded) {
			t.Fatalf("Hash(%q) = %q, not the argon2id PHC format", pw, encoded)
		}
		if err := Check(encoded); err != nil {
			t.Fatalf("Check(Hash(%q)): %v", pw, err)
		}
		ok, err := Verify(encoded, pw)
		if err != nil || !ok {
			t.Fatalf("Verify(Hash(%q), same) = %v, %v; want true, nil", pw, ok, err)
		}
		ok, err = Verify(encoded, pw+"!")
		if err != nil || ok {
			t.Fatalf("Verify(Hash(%q), wrong) = %v, %v; want false, nil", pw, ok, err)
		}
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	a, _ := Hash("same")
	b, _ := Hash("same")
	if a == b {
		t.Fatalf("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyForeignArgon2id(t *testing.T) {
	// Hashes from other tools with other parameters (here p=4, t=3, a 24-byte key).
	h := &argon2idHash{memory: 4096, time: 3, threads: 4, salt: []byte("0123456789abcdef")}
	key, _ := h.verifyKey("s3cret", 24)
	encoded := fmt.Sprintf("$argon2id$v=19$m=4096,t=3,p=4$%s$%s", b64(h.salt), b64(key))
	if ok, err := Verify(encoded, "s3cret"); err != nil || !ok {
		t.Fatalf("Verify(foreign, right) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := Verify(encoded, "S3cret"); err != nil || ok {
		t.Fatalf("Verify(foreign, wrong) = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyBcrypt(t *testing.T) {
	generated, err := bcrypt.GenerateFromPassword([]byte("hunter2"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	rest := string(generated[3:]) // "04$..." after "$2a"
	tests := []struct {
		name, encoded, password string
		want                    bool
	}{
		{"2a right", "$2a" + rest, "hunter2", true},
		{"2a wrong", "$2a" + rest, "hunter3", false},
		{"2b right", "$2b" + rest, "hunter2", true},
		{"2y right", "$2y" + rest, "hunter2", true},
		{"2y wrong", "$2y" + rest, "", false},
		// From the OpenBSD bcrypt test vectors.
		{"openbsd vector", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", true},
		{"openbsd vector wrong", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*V", false},
		{"password over 72 bytes", "$2a" + rest, strings.Repeat("a", 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Check(tt.encoded); err != nil {
				t.Fatalf("Check: %v", err)
			}
			got, err := Verify(tt.encoded, tt.password)
			if err != nil || got != tt.want {
				t.Fatalf("Verify = %v, %v; want %v, nil", got, err, tt.want)
			}
		})
	}
}

func TestMalformedHashes(t *testing.T) {
	good, _ := Hash("pw")
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	argon := func(params string) string { return "$argon2id$v=19$" + params + "$" + salt + "$" + key }
	bc, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"unknown algorithm", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"scrypt", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"},
		{"sha512crypt", "$6$saltsalt$abc"},
		{"truncated after algorithm", "$argon2id$"},
		{"truncated after version", "$argon2id$v=19$"},
		{"truncated key", strings.TrimSuffix(good, "$"+key)},
		{"extra field", good + "$x"},
		{"wrong version", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"huge m", argon("m=4194304,t=2,p=1")},
		{"m just above bound", argon("m=262145,t=1,p=1")},
		{"huge t", argon("m=19456,t=100,p=1")},
		{"huge p", argon("m=19456,t=2,p=255")},
		{"zero t", argon("m=19456,t=0,p=1")},
		{"zero p", argon("m=19456,t=2,p=0")},
		{"m below 8 per lane", argon("m=8,t=2,p=4")},
		{"negative m", argon("m=-1,t=2,p=1")},
		{"m overflows uint32", argon("m=99999999999,t=2,p=1")},
		{"leading zero", argon("m=019456,t=2,p=1")},
		{"params out of order", argon("t=2,m=19456,p=1")},
		{"missing param", argon("m=19456,t=2")},
		{"unknown param", argon("m=19456,t=2,p=1,x=3")},
		{"bad base64 salt", "$argon2id$v=19$m=19456,t=2,p=1$!!!!$" + key},
		{"padded base64 salt", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key},
		{"bad base64 key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key[:40] + "*"},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$YWJj$" + key},
		{"short key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$YWJj"},
		{"bcrypt truncated", string(bc[:40])},
		{"bcrypt cost too high", "$2a$31" + string(bc[6:])},
		{"bcrypt cost not a number", "$2a$xx" + string(bc[6:])},
		{"bcrypt bad alphabet", string(bc[:59]) + "+"},
		{"bcrypt unknown minor", "$2x" + string(bc[3:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Check(tt.encoded); !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Check = %v; want ErrMalformedHash", err)
			}
			ok, err := Verify(tt.encoded, "pw")
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Verify = %v, %v; want false, ErrMalformedHash", ok, err)
			}
			if strings.Contains(err.Error(), key) {
				t.Fatalf("error %q quotes the hash", err)
			}
		})
	}
}

func TestBoundsAccepted(t *testing.T) {
	// The largest parameters still accepted parse (they are not run: that takes seconds).
	h, _ := Hash("pw")
	parts := strings.Split(h, "$")
	encoded := "$argon2id$v=19$m=262144,t=16,p=16$" + parts[4] + "$" + parts[5]
	if err := Check(encoded); err != nil {
		t.Fatalf("Check(at the bounds) = %v; want nil", err)
	}
}
