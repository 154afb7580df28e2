package gatehousecli

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gatehousehq/gatehouse/caddyauth/users"
)

func TestUserAddCreatesFile(t *testing.T) {
	path := usersPath(t)
	s, out, _ := testStreams("pw-from-stdin\n")
	err := runUserAdd(s, path, addRequest{Username: "Alice", Email: "alice@acme.com", Name: "Alice A",
		Groups: []string{"ops", "dev"}, Roles: []string{"admin"}, TOTPSecret: "jbswy3dpehpk3pxp"})
	if err != nil {
		t.Fatalf("runUserAdd: %v", err)
	}
	if !strings.Contains(out.String(), `added user "Alice"`) {
		t.Fatalf("output %q", out)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("new users file mode %v, want 0600", info.Mode().Perm())
	}
	f := readUsers(t, path)
	u := f.Users[0]
	if len(f.Users) != 1 || u.Username != "Alice" || u.Email != "alice@acme.com" || u.Name != "Alice A" ||
		!slices.Equal(u.Groups, []string{"ops", "dev"}) || !slices.Equal(u.Roles, []string{"admin"}) || u.TOTPSecret != "jbswy3dpehpk3pxp" {
		t.Fatalf("stored user = %+v", u)
	}
	mustVerify(t, u.Password, "pw-from-stdin")

	s, _, _ = testStreams("")
	if err := runUserAdd(s, path, addRequest{Username: "bob", Password: ptr("pw2")}); err != nil {
		t.Fatalf("adding a second user: %v", err)
	}
	if f := readUsers(t, path); len(f.Users) != 2 || f.Users[1].Username != "bob" {
		t.Fatalf("users after second add = %+v", f.Users)
	}
}

func TestUserAddErrors(t *testing.T) {
	tests := []struct {
		name    string
		req     addRequest
		wantErr string
		asks    bool // whether the password is asked before the error
	}{
		{"existing user", addRequest{Username: "ALICE"}, "user already exists", false},
		{"bad email", addRequest{Username: "bob", Email: "bob.acme.com"}, `email "bob.acme.com" must have exactly one '@'`, false},
		{"bad username", addRequest{Username: "bo b"}, "whitespace", false},
		{"bad totp", addRequest{Username: "bob", TOTPSecret: "123"}, "totp_secret", false},
		{"empty group", addRequest{Username: "bob", Groups: []string{""}}, "groups[0] is empty", false},
		{"empty password", addRequest{Username: "bob", Password: ptr("")}, "the password is empty", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := usersPath(t)
			s, _, _ := testStreams("")
			if err := runUserAdd(s, path, addRequest{Username: "alice", Password: ptr("pw")}); err != nil {
				t.Fatal(err)
			}
			before := fileBytes(t, path)
			s, out, _ := testStreams("")
			if !tt.asks {
				s.in = noReads{t}
			}
			err := runUserAdd(s, path, tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "user add: ") {
				t.Fatalf("err = %v; want one containing %q", err, tt.wantErr)
			}
			if !bytes.Equal(before, fileBytes(t, path)) || out.Len() != 0 {
				t.Fatalf("the file changed or output was printed (%q) despite the error", out)
			}
		})
	}
}

func TestEditRefusesBrokenFile(t *testing.T) {
	path := usersPath(t)
	broken := []byte(`{"users": [{"username": "alice", "password": "hunter2"}]}`)
	if err := os.WriteFile(path, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, _ := testStreams("")
	s.in = noReads{t}
	errs := []error{
		runUserAdd(s, path, addRequest{Username: "bob", Password: ptr("pw")}),
		runUserRemove(s, path, "alice"),
		runUserPasswd(s, path, "alice", ptr("pw")),
		runUserList(s, path),
	}
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `users[0] ("alice")`) {
			t.Errorf("command %d on a broken file: %v; want an error naming the file and entry", i, err)
		}
	}
	if !bytes.Equal(broken, fileBytes(t, path)) {
		t.Fatalf("a broken users file was rewritten")
	}
}

func TestUserRemove(t *testing.T) {
	path := usersPath(t)
	s, _, _ := testStreams("")
	for _, name := range []string{"alice", "bob"} {
		if err := runUserAdd(s, path, addRequest{Username: name, Password: ptr("pw")}); err != nil {
			t.Fatal(err)
		}
	}
	s, out, _ := testStreams("")
	if err := runUserRemove(s, path, "Alice"); err != nil {
		t.Fatalf("runUserRemove: %v", err)
	}
	if f := readUsers(t, path); len(f.Users) != 1 || f.Users[0].Username != "bob" {
		t.Fatalf("users after remove = %+v", f.Users)
	}
	if !strings.Contains(out.String(), `removed user "Alice"`) {
		t.Fatalf("output %q", out)
	}
	if err := runUserRemove(s, path, "alice"); !errors.Is(err, users.ErrNoSuchUser) {
		t.Fatalf("removing an absent user = %v; want ErrNoSuchUser", err)
	}
	missing := usersPath(t)
	if err := runUserRemove(s, missing, "bob"); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("remove from a missing file = %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("remove created the missing file")
	}
}

func TestUserPasswd(t *testing.T) {
	path := usersPath(t)
	s, _, _ := testStreams("")
	if err := runUserAdd(s, path, addRequest{Username: "alice", Email: "a@b.c", Password: ptr("old")}); err != nil {
		t.Fatal(err)
	}
	s, out, _ := testStreams("new-pw\n")
	if err := runUserPasswd(s, path, "ALICE", nil); err != nil {
		t.Fatalf("runUserPasswd: %v", err)
	}
	u := readUsers(t, path).Users[0]
	mustVerify(t, u.Password, "new-pw")
	if u.Email != "a@b.c" || !strings.Contains(out.String(), `changed the password of "ALICE"`) {
		t.Fatalf("user = %+v, output %q", u, out)
	}

	before := fileBytes(t, path)
	s, _, _ = testStreams("")
	s.in = noReads{t}
	if err := runUserPasswd(s, path, "bob", nil); !errors.Is(err, users.ErrNoSuchUser) {
		t.Fatalf("passwd of an absent user = %v; want ErrNoSuchUser without asking", err)
	}
	s, _, _ = testStreams("\n")
	if err := runUserPasswd(s, path, "alice", nil); err == nil || !strings.Contains(err.Error(), "the password is empty") {
		t.Fatalf("passwd with an empty password = %v", err)
	}
	if !bytes.Equal(before, fileBytes(t, path)) {
		t.Fatalf("a failed passwd changed the file")
	}
}

func TestUserList(t *testing.T) {
	path := usersPath(t)
	f := &users.File{Users: []users.User{
		{Username: "zed", Password: placeholderHash},
		{Username: "Alice", Password: placeholderHash, Email: "alice@acme.com", Name: "Alice\x1b[2J Evil",
			Groups: []string{"ops", "dev"}, Roles: []string{"admin"}, TOTPSecret: "JBSWY3DPEHPK3PXP"},
	}}
	if err := users.Write(path, f); err != nil {
		t.Fatal(err)
	}
	s, out, _ := testStreams("")
	if err := runUserList(s, path); err != nil {
		t.Fatalf("runUserList: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := [][]string{
		{"USERNAME", "EMAIL", "NAME", "GROUPS", "ROLES", "TOTP"},
		{"Alice", "alice@acme.com", "Alice\uFFFD[2J", "Evil", "ops,dev", "admin", "yes"},
		{"zed", "-", "-", "-", "-", "no"},
	}
	if len(lines) != len(want) {
		t.Fatalf("list output:\n%s", out)
	}
	for i, line := range lines {
		if got := strings.Fields(line); !slices.Equal(got, want[i]) {
			t.Errorf("line %d = %q; want fields %q", i, line, want[i])
		}
	}
	for _, secret := range []string{"$2a$", "JBSWY3DP", "\x1b"} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("list printed %q:\n%s", secret, out)
		}
	}
	if err := runUserList(s, usersPath(t)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("list of a missing file = %v", err)
	}
}

func TestFileRequired(t *testing.T) {
	s, _, _ := testStreams("")
	for name, err := range map[string]error{
		"add":    runUserAdd(s, "", addRequest{Username: "a", Password: ptr("pw")}),
		"remove": runUserRemove(s, "", "a"),
		"passwd": runUserPasswd(s, "", "a", ptr("pw")),
		"list":   runUserList(s, ""),
	} {
		if err == nil || !strings.Contains(err.Error(), "--file is required") {
			t.Errorf("user %s without --file: %v", name, err)
		}
	}
}
