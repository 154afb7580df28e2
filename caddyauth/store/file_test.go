package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
	"github.com/gatehousehq/gatehouse/caddyauth/store/storetest"
)

func TestFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return openFile(t, filepath.Join(t.TempDir(), "store.db"), now)
	})
}

// openFile opens the store file at path with clock now and fails the test on error.
func openFile(t *testing.T, path string, now func() time.Time) *store.File {
	t.Helper()
	f, err := store.OpenFile(path, store.Options{Now: now})
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	return f
}

// closeFile closes f and fails the test on error.
func closeFile(t *testing.T, f *store.File) {
	t.Helper()
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestFileSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "store.db")

	f := openFile(t, path, clock.Now)
	steps := []error{
		f.Set(ctx, "session:a", []byte("alice"), time.Hour),
		f.Set(ctx, "session:b", []byte{0, 1, 2}, time.Hour),
		f.Set(ctx, "session:gone", []byte("x"), time.Hour),
		f.Delete(ctx, "session:gone"),
		f.Set(ctx, "state:once", []byte("nonce"), time.Hour),
		incrErr(f.Incr(ctx, "fails:alice", time.Minute)),
		incrErr(f.Incr(ctx, "fails:alice", time.Minute)),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Take(ctx, "state:once"); err != nil {
		t.Fatal(err)
	}
	closeFile(t, f)

	f = openFile(t, path, clock.Now)
	defer closeFile(t, f)
	tests := []struct {
		key  string
		want string // "" means ErrNotFound
	}{
		{"session:a", "alice"},
		{"session:b", "\x00\x01\x02"},
		{"session:gone", ""},
		{"state:once", ""},
		{"fails:alice", "2"},
	}
	for _, tt := range tests {
		got, err := f.Get(ctx, tt.key)
		switch {
		case tt.want == "" && !errors.Is(err, store.ErrNotFound):
			t.Errorf("after reopen, Get(%q) = %q, %v; want ErrNotFound", tt.key, got, err)
		case tt.want != "" && (err != nil || string(got) != tt.want):
			t.Errorf("after reopen, Get(%q) = %q, %v; want %q", tt.key, got, err, tt.want)
		}
	}
	// The counter keeps its window across the restart.
	if n, err := f.Incr(ctx, "fails:alice", time.Minute); err != nil || n != 3 {
		t.Errorf("Incr after reopen = %d, %v; want 3", n, err)
	}
	clock.Advance(2 * time.Minute)
	if n, err := f.Incr(ctx, "fails:alice", time.Minute); err != nil || n != 1 {
		t.Errorf("Incr after the window = %d, %v; want 1", n, err)
	}
}

func TestFileDoesNotLoadExpired(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "store.db")

	f := openFile(t, path, clock.Now)
	if err := errors.Join(
		f.Set(ctx, "short", []byte("s"), time.Minute),
		f.Set(ctx, "long", []byte("l"), time.Hour),
	); err != nil {
		t.Fatal(err)
	}
	closeFile(t, f)

	clock.Advance(2 * time.Minute)
	f = openFile(t, path, clock.Now)
	if got, err := f.Get(ctx, "short"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired key after reopen: Get = %q, %v; want ErrNotFound", got, err)
	}
	if got, err := f.Get(ctx, "long"); err != nil || string(got) != "l" {
		t.Errorf("live key after reopen: Get = %q, %v; want \"l\"", got, err)
	}
	closeFile(t, f)

	// Even with the clock turned back, the expired record is gone: opening deleted it.
	f = openFile(t, path, storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)).Now)
	defer closeFile(t, f)
	if got, err := f.Get(ctx, "short"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired record was kept on disk: Get = %q, %v", got, err)
	}
}

func TestFileCreatesParentDirs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "caddy", "gatehouse")
	path := filepath.Join(dir, "store.db")
	f := openFile(t, path, nil)
	closeFile(t, f)
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700}, {path, 0o600}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.want {
			t.Errorf("%s: mode %v, want %v", c.path, got, c.want)
		}
	}
}

func TestFileOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	junk := []byte(strings.Repeat("this is not a bbolt file\n", 1000))
	if err := os.WriteFile(garbage, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.db")
	if err := os.WriteFile(short, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked.db")
	holder := openFile(t, locked, nil)
	defer closeFile(t, holder)
	notDir := filepath.Join(garbage, "store.db") // parent is a file

	tests := []struct {
		name, path, want string
	}{
		{"not a bbolt file", garbage, "not a bbolt database"},
		{"shorter than a page", short, "not a bbolt database"},
		{"held by another opener", locked, "in use"},
		{"parent is a file", notDir, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			f, err := store.OpenFile(tt.path, store.Options{})
			if err == nil {
				f.Close()
				t.Fatal("OpenFile succeeded, want an error")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name the path %q and say %q", err, tt.path, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("OpenFile took %v, want it to give up after about a second", d)
			}
		})
	}
}

// incrErr drops Incr's count.
func incrErr(_ int64, err error) error { return err }
