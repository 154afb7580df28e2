package users

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatehousehq/gatehouse/caddyauth/password"
)

// testHash returns one argon2id hash of "pw", computed once for all tests.
var testHash = sync.OnceValue(func() string {
	h, err := password.Hash("pw")
	if err != nil {
		panic(err)
	}
	return h
})

// writeTemp writes content to users.json in a new temporary folder and returns its path.
func writeTemp(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	path := writeTemp(t, `{"users": [
  {"username": "Bob", "password": "`+testHash()+`"},
  {"username": "alice", "password": "`+testHash()+`", "email": "alice@acme.com",
   "name": "Alice", "groups": ["ops"], "roles": ["admin"], "totp_secret": "JBSWY3DPEHPK3PXP"}
]}`)
	s, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2", s.Len())
	}
	for _, name := range []string{"alice", "ALICE", " Alice\t"} {
		u, ok := s.Lookup(name)
		if !ok || u.Username != "alice" || u.Email != "alice@acme.com" || u.TOTPSecret != "JBSWY3DPEHPK3PXP" ||
			!slices.Equal(u.Groups, []string{"ops"}) || !slices.Equal(u.Roles, []string{"admin"}) {
			t.Fatalf("Lookup(%q) = %+v, %v", name, u, ok)
		}
	}
	if u, ok := s.Lookup("bob"); !ok || u.Username != "Bob" {
		t.Fatalf("Lookup(bob) = %+v, %v; want the user written as Bob", u, ok)
	}
	if _, ok := s.Lookup("carol"); ok {
		t.Fatalf("Lookup(carol) found a user")
	}
	got := s.Users()
	if len(got) != 2 || got[0].Username != "alice" || got[1].Username != "Bob" {
		t.Fatalf("Users() = %+v; want alice then Bob", got)
	}
	// Callers cannot change the set through the slices they get.
	got[0].Groups[0] = "changed"
	if u, _ := s.Lookup("alice"); u.Groups[0] != "ops" {
		t.Fatalf("changing a returned user changed the set")
	}
}

func TestLoadEmptyList(t *testing.T) {
	for _, content := range []string{`{"users": []}`, `{}`, `{"users": null}`} {
		s, err := Load(writeTemp(t, content))
		if err != nil || s.Len() != 0 {
			t.Fatalf("Load(%s) = %v, %v; want an empty set", content, s, err)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	h := testHash()
	user := func(fields string) string { return `{"users": [` + fields + `]}` }
	alice := `{"username": "alice", "password": "` + h + `"}`
	tests := []struct {
		name    string
		content string
		want    []string // substrings of the error, besides the path
	}{
		{"empty file", "", []string{"the file is empty"}},
		{"not JSON", "users:\n  - alice\n", []string{"invalid JSON at line 1"}},
		{"syntax error on line 3", "{\"users\": [\n" + alice + ",\n  {\"username\": }\n]}", []string{"invalid JSON at line 3"}},
		{"wrong type", `{"users": {"alice": 1}}`, []string{"invalid JSON at line 1", "cannot unmarshal"}},
		{"unknown field", user(`{"username": "alice", "password": "` + h + `", "totp_secert": "x"}`), []string{`unknown field "totp_secert"`}},
		{"trailing data", user(alice) + `{}`, []string{"unexpected data after the users object"}},
		{"empty username", user(alice + `, {"username": "", "password": "` + h + `"}`), []string{`users[1] ("")`, "username is empty"}},
		{"username with space", user(`{"username": "al ice", "password": "` + h + `"}`), []string{`users[0] ("al ice")`, "whitespace or control"}},
		{"username with tab", user(`{"username": "alice\t", "password": "` + h + `"}`), []string{`users[0] ("alice\t")`, "whitespace or control"}},
		{"username with control", user(`{"username": "al\u0000ice", "password": "` + h + `"}`), []string{`users[0] ("al\x00ice")`, "whitespace or control"}},
		{"username too long", user(`{"username": "` + strings.Repeat("a", 129) + `", "password": "` + h + `"}`), []string{`users[0]`, "longer than 128"}},
		{"duplicate username", user(alice + `, {"username": "bob", "password": "` + h + `"}, {"username": "ALICE", "password": "` + h + `"}`),
			[]string{`users[2] ("ALICE")`, `duplicate username: users[0] ("alice")`}},
		{"missing password", user(`{"username": "alice"}`), []string{`users[0] ("alice")`, "password hash is missing"}},
		{"plain-text password", user(`{"username": "alice", "password": "hunter2"}`), []string{`users[0] ("alice")`, "malformed password hash"}},
		{"huge argon2 memory", user(`{"username": "alice", "password": "` + strings.Replace(h, "m=19456", "m=4194304", 1) + `"}`),
			[]string{`users[0] ("alice")`, "exceeds the limit"}},
		{"totp not base32", user(`{"username": "alice", "password": "` + h + `", "totp_secret": "JBSWY3DPEHPK3PX!"}`), []string{`users[0] ("alice")`, "totp_secret: not valid base32"}},
		{"totp with spaces", user(`{"username": "alice", "password": "` + h + `", "totp_secret": "JBSW Y3DP EHPK 3PXP"}`), []string{"totp_secret: base32 secret contains spaces"}},
		{"totp too short", user(`{"username": "alice", "password": "` + h + `", "totp_secret": "JBSWY3DP"}`), []string{"totp_secret: secret is 5 bytes, want at least 10"}},
		{"totp bad padding", user(`{"username": "alice", "password": "` + h + `", "totp_secret": "JBSWY3DPEHPK3PXP="}`), []string{"totp_secret: not valid base32"}},
		{"email without @", user(`{"username": "alice", "password": "` + h + `", "email": "alice.acme.com"}`), []string{`users[0] ("alice")`, `email "alice.acme.com" must have exactly one '@'`}},
		{"email with two @", user(`{"username": "alice", "password": "` + h + `", "email": "alice@evil.com@acme.com"}`), []string{`users[0] ("alice")`, `must have exactly one '@'`}},
		{"empty group", user(`{"username": "alice", "password": "` + h + `", "groups": ["ops", ""]}`), []string{"groups[1] is empty"}},
		{"two problems in two users", user(`{"username": "a b", "password": "` + h + `"}, {"username": "bob", "password": "x"}`),
			[]string{`users[0] ("a b")`, `users[1] ("bob")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, tt.content)
			s, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded with %d users; want an error", s.Len())
			}
			msg := err.Error()
			for _, want := range append([]string{path}, tt.want...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if strings.Contains(msg, "JBSWY3DP") || (strings.Contains(tt.content, h) && strings.Contains(msg, h)) {
				t.Errorf("error %q quotes a secret or hash", msg)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.json")
	_, err := Load(path)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load(missing) = %v; want a not-exist error naming the path", err)
	}
}

func TestTOTPSecretForms(t *testing.T) {
	tests := []struct {
		secret string
		ok     bool
	}{
		{"JBSWY3DPEHPK3PXP", true},
		{"jbswy3dpehpk3pxp", true},
		{"JbSwY3dPeHpK3pXp", true},
		{"JBSWY3DPEHPK3PXPJBSWY3DPEH", true},       // 16 bytes, unpadded
		{"JBSWY3DPEHPK3PXPJBSWY3DPEH======", true}, // 16 bytes, padded
		{"jbswy3dpehpk3pxpjbswy3dpeh======", true}, // lower case, padded
		{"JBSWY3DPEHPK3PXPJBSWY3DPEH==", false},    // wrong padding
		{"JBSWY3DPEHPK3PX", false},                 // impossible length
		{"JBSWY3DPEHPK3PX1", false},                // 1 is not base32
		{" JBSWY3DPEHPK3PXP", false},               // space
		{"JBSWY3DPEHPK3PXP\n", false},              // newline
		{"JBSWY3DPEHPK3P==", false},                // 8 bytes, too short
	}
	for _, tt := range tests {
		_, err := decodeTOTPSecret(tt.secret)
		if (err == nil) != tt.ok {
			t.Errorf("decodeTOTPSecret(%q) = %v; want ok=%v", tt.secret, err, tt.ok)
		}
	}
}

func TestReadFile(t *testing.T) {
	f, err := ReadFile(writeTemp(t, `{"users": [{"username": "Bob", "password": "`+testHash()+`"}]}`))
	if err != nil || len(f.Users) != 1 || f.Users[0].Username != "Bob" {
		t.Fatalf("ReadFile = %+v, %v", f, err)
	}
	path := writeTemp(t, `{"users": [{"username": "Bob", "password": "plain"}]}`)
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("ReadFile(invalid) = %v; want an error naming the path", err)
	}
}
