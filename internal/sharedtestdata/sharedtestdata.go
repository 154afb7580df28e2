// Package sharedtestdata finds the shared test vectors and attack payloads, which live in
// ../shared/testdata beside the repository (in CI: beside the fresh clone). Tests fail,
// never skip, when they are missing.
package sharedtestdata

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the folder holding go.mod, found by walking up from the test's folder.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// Path returns the path of the shared test file name.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	return filepath.Join(RepoRoot(tb), "..", "shared", "testdata", name)
}
