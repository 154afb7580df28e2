package users

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// newFileMode is the mode of a users file that Write creates: it holds password hashes.
const newFileMode fs.FileMode = 0o600

// Write validates f and writes it to path as JSON indented by two spaces with a trailing
// newline. An invalid f is refused and the file is left untouched. The write is atomic (a
// temporary file in the same folder, synced, then renamed over path); an existing file's
// mode is kept, a new file gets 0600. A symbolic link at path is followed.
func Write(path string, f *File) error {
	if err := Validate(f); err != nil {
		return fmt.Errorf("refusing to write users file %q: %w", path, err)
	}
	data, err := encode(f)
	if err != nil {
		return fmt.Errorf("writing users file %q: %w", path, err)
	}
	if err := writeAtomic(path, data); err != nil {
		return fmt.Errorf("writing users file %q: %w", path, err)
	}
	return nil
}

// encode renders f as Write stores it.
func encode(f *File) ([]byte, error) {
	out := *f
	if out.Users == nil {
		out.Users = []User{} // "users": [] rather than null
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&out); err != nil { // Encode ends with a newline
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeAtomic replaces path's content with data through a synced temporary file.
func writeAtomic(path string, data []byte) (err error) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	mode := newFileMode
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable where the system allows it; failure is not fatal,
// the rename itself has succeeded.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
