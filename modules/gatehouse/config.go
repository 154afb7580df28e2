package gatehouse

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// StoreConfig selects the store.
type StoreConfig struct {
	// Type is "file" (embedded, durable, reads from memory) or "memory" (kept across
	// reloads, lost at restart). Default: "file".
	Type string `json:"type,omitempty"`
	// Path is the file store's database file. Default: gatehouse/gatehouse.db in Caddy's
	// data directory.
	Path string `json:"path,omitempty"`
}

// opener returns the key that identifies this store across configs and a function that
// opens it.
func (sc *StoreConfig) opener() (string, func() (store.Store, error), error) {
	switch sc.Type {
	case "", "file":
		path := sc.Path
		if path == "" {
			path = filepath.Join(caddy.AppDataDir(), "gatehouse", "gatehouse.db")
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return "", nil, fmt.Errorf("store path %q: %w", path, err)
		}
		return "file:" + abs, func() (store.Store, error) { return store.OpenFile(abs, store.Options{}) }, nil
	case "memory":
		if sc.Path != "" {
			return "", nil, fmt.Errorf("the memory store takes no path")
		}
		return "memory", func() (store.Store, error) { return store.NewMemory(store.Options{}), nil }, nil
	default:
		return "", nil, fmt.Errorf("unknown store type %q (want file or memory)", sc.Type)
	}
}

// SessionConfig sets the session cookie and expiry.
type SessionConfig struct {
	// Cookie is the session cookie's name. Default: "gatehouse".
	Cookie string `json:"cookie,omitempty"`
	// Domain shares the session across subdomains of this domain. Default: the cookie is
	// sent only to the host that set it.
	Domain string `json:"domain,omitempty"`
	// Lifetime is the absolute lifetime of a session. Default: 24h.
	Lifetime caddy.Duration `json:"lifetime,omitempty"`
	// Idle ends a session unused for this long. Default: 2h.
	Idle caddy.Duration `json:"idle,omitempty"`
}

func (sc *SessionConfig) provision() error {
	if sc.Cookie == "" {
		sc.Cookie = "gatehouse"
	}
	if !validCookieName(sc.Cookie) {
		return fmt.Errorf("invalid session cookie name %q", sc.Cookie)
	}
	sc.Domain = strings.TrimPrefix(strings.ToLower(sc.Domain), ".")
	if sc.Lifetime == 0 {
		sc.Lifetime = defaultLifetime
	}
	if sc.Idle == 0 {
		sc.Idle = caddy.Duration(2 * time.Hour)
	}
	if sc.Lifetime < 0 || sc.Idle < 0 {
		return fmt.Errorf("session lifetime and idle must be positive")
	}
	if sc.Idle > sc.Lifetime {
		return fmt.Errorf("session idle (%s) is longer than its lifetime (%s)", time.Duration(sc.Idle), time.Duration(sc.Lifetime))
	}
	return nil
}

// validCookieName accepts an RFC 6265 token.
func validCookieName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// defaultLifetime is a session's absolute lifetime when none is configured.
const defaultLifetime = caddy.Duration(24 * time.Hour)
