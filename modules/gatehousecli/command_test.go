package gatehousecli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
)

// newRoot builds the `gatehouse` command as Caddy does from the registered one.
func newRoot(t *testing.T) *cobra.Command {
	t.Helper()
	reg, ok := caddycmd.Commands()["gatehouse"]
	if !ok || reg.CobraFunc == nil {
		t.Fatalf("the gatehouse command is not registered")
	}
	root := &cobra.Command{Use: reg.Name, Short: reg.Short, SilenceUsage: true, SilenceErrors: true}
	reg.CobraFunc(root)
	return root
}

// run executes the command tree with args and stdin, returning stdout and the error.
func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRoot(t)
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.Execute()
	return out.String(), err
}

func TestCommandTree(t *testing.T) {
	path := usersPath(t)
	steps := []struct {
		stdin   string
		args    []string
		wantOut string
		wantErr string
	}{
		{"", []string{"hash-password", "--password", "pw"}, "$argon2id$v=19$", ""},
		{"pw\n", []string{"hash-password"}, "$argon2id$v=19$", ""},
		{"", []string{"user", "add", "--file", path, "alice", "--password", "pw1", "--email", "alice@acme.com",
			"--name", "Alice", "--group", "ops", "--group", "dev,qa", "--role", "admin", "--totp-secret", "JBSWY3DPEHPK3PXP"}, `added user "alice"`, ""},
		{"pw2\n", []string{"user", "add", "--file=" + path, "bob"}, `added user "bob"`, ""},
		{"", []string{"user", "add", "--file", path, "ALICE", "--password", "x"}, "", "user already exists"},
		{"", []string{"user", "list", "--file", path}, "ops,dev,qa", ""},
		{"pw3\n", []string{"user", "passwd", "--file", path, "bob"}, `changed the password of "bob"`, ""},
		{"", []string{"user", "remove", "--file", path, "alice"}, `removed user "alice"`, ""},
		{"", []string{"user", "list"}, "", `required flag(s) "file" not set`},
		{"", []string{"user", "add", "--file", path}, "", "accepts 1 arg(s)"},
		{"", []string{"user", "remove", "--file", path, "a", "b"}, "", "accepts 1 arg(s)"},
		{"", []string{"user", "list", "--file", path, "--password", "x"}, "", "unknown flag: --password"},
	}
	for _, st := range steps {
		out, err := run(t, st.stdin, st.args...)
		if st.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), st.wantErr) {
				t.Errorf("%q: err = %v; want %q", st.args, err, st.wantErr)
			}
			continue
		}
		if err != nil || !strings.Contains(out, st.wantOut) {
			t.Errorf("%q: out %q, err %v; want output containing %q", st.args, out, err, st.wantOut)
		}
	}
	f := readUsers(t, path)
	if len(f.Users) != 1 || f.Users[0].Username != "bob" {
		t.Fatalf("users after the session = %+v", f.Users)
	}
	mustVerify(t, f.Users[0].Password, "pw3")
}
