package users

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sampleFile() *File {
	return &File{Users: []User{
		{Username: "alice", Password: testHash(), Email: "alice@acme.com", Name: "Alice <A&B>",
			Groups: []string{"ops"}, Roles: []string{"admin"}, TOTPSecret: "JBSWY3DPEHPK3PXP"},
		{Username: "bob", Password: testHash()},
	}}
}

func TestWriteRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	f := sampleFile()
	if err := Write(path, f); err != nil {
		t.Fatalf("Write: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("{\n  \"users\": [\n    {\n      \"username\": \"alice\",")) || !bytes.HasSuffix(data, []byte("}\n")) {
		t.Fatalf("file is not 2-space indented JSON with a trailing newline:\n%s", data)
	}
	if !bytes.Contains(data, []byte(`"Alice <A&B>"`)) {
		t.Fatalf("HTML characters were escaped:\n%s", data)
	}
	if bytes.Contains(data, []byte(`"email": ""`)) {
		t.Fatalf("empty optional fields were written:\n%s", data)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("new file mode = %v, want 0600", info.Mode().Perm())
	}
	s, err := Load(path)
	if err != nil {
		t.Fatalf("Load after Write: %v", err)
	}
	if got := s.Users(); !reflect.DeepEqual(got, f.Users) {
		t.Fatalf("round trip changed users:\n got %+v\nwant %+v", got, f.Users)
	}
	parsed, err := Parse(data)
	if err != nil || !reflect.DeepEqual(parsed, f) {
		t.Fatalf("Parse(Write(f)) = %+v, %v", parsed, err)
	}
}

func TestWriteEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	if err := Write(path, &File{}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "{\n  \"users\": []\n}\n" {
		t.Fatalf("empty file written as %q", data)
	}
}

func TestWriteKeepsMode(t *testing.T) {
	path := writeTemp(t, `{"users": []}`)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, sampleFile()); err != nil {
		t.Fatalf("Write: %v", err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o640 {
		t.Fatalf("mode after Write = %v, want the existing 0640", info.Mode().Perm())
	}
}

func TestWriteFollowsSymlink(t *testing.T) {
	target := writeTemp(t, `{"users": []}`)
	link := filepath.Join(t.TempDir(), "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := Write(link, sampleFile()); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if info, _ := os.Lstat(link); info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("Write replaced the symlink with a file")
	}
	if s, err := Load(target); err != nil || s.Len() != 2 {
		t.Fatalf("target after Write through link = %v, %v", s, err)
	}
}

func TestWriteRefusesBrokenFile(t *testing.T) {
	path := writeTemp(t, "{\"users\": [] }  \n")
	before, _ := os.ReadFile(path)
	broken := sampleFile()
	broken.Users[1].Password = "hunter2"
	err := Write(path, broken)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `users[1] ("bob")`) {
		t.Fatalf("Write(broken) = %v; want an error naming the path and the entry", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatalf("Write(broken) changed the file:\n%s", after)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("Write(broken) left files behind: %v", entries)
	}
}

func TestWriteMissingFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "users.json")
	if err := Write(path, sampleFile()); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Write(into missing folder) = %v; want an error naming the path", err)
	}
}
