package gatehousecli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehousehq/gatehouse/caddyauth/password"
	"github.com/gatehousehq/gatehouse/caddyauth/users"
)

// testStreams returns streams reading stdin and writing to buffers it also returns.
func testStreams(stdin string) (streams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return streams{in: strings.NewReader(stdin), out: &out, errOut: &errOut}, &out, &errOut
}

// noReads is standard input that fails the test when read: the password must not be asked.
type noReads struct{ t *testing.T }

func (n noReads) Read([]byte) (int, error) {
	n.t.Errorf("standard input was read")
	return 0, io.EOF
}

func ptr(s string) *string { return &s }

// usersPath returns the path of a users file in a new temporary folder, not yet created.
func usersPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "users.json")
}

// readUsers loads the users file at path, failing the test if it is invalid.
func readUsers(t *testing.T, path string) *users.File {
	t.Helper()
	f, err := users.ReadFile(path)
	if err != nil {
		t.Fatalf("reading back %s: %v", path, err)
	}
	return f
}

// mustVerify fails the test unless hash is the hash of pw.
func mustVerify(t *testing.T, hash, pw string) {
	t.Helper()
	if ok, err := password.Verify(hash, pw); err != nil || !ok {
		t.Fatalf("hash does not verify %q: %v, %v", pw, ok, err)
	}
}

// fileBytes returns the content of path.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
