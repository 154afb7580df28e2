package gatehouse

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

// minSecretLen is the shortest secret accepted from the config.
const minSecretLen = 32

// loadSecret returns the configured secret (placeholders such as {env.X} replaced), or the
// one kept at path, generating and saving it (0600) on first use.
func loadSecret(configured, path string) ([]byte, error) {
	if configured != "" {
		s := caddy.NewReplacer().ReplaceAll(configured, "")
		if len(s) < minSecretLen {
			return nil, fmt.Errorf("secret is %d characters long; it must be at least %d (for example `openssl rand -hex 32`)", len(s), minSecretLen)
		}
		return []byte(s), nil
	}
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < minSecretLen {
			return nil, fmt.Errorf("secret file %s is too short; delete it to generate a new one", path)
		}
		return []byte(s), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading secret file: %w", err)
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	s := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating secret folder: %w", err)
	}
	// O_EXCL: if another process wrote it first, use theirs.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadSecret("", path)
	}
	if err != nil {
		return nil, fmt.Errorf("creating secret file: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing secret file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing secret file: %w", err)
	}
	return []byte(s), nil
}
