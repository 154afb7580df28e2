package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// ErrNoSession means the token names no live session: unknown, malformed, signed out,
// or expired. The caller treats the request as not signed in.
var ErrNoSession = errors.New("no session")

// A session's record lives under "s:"+hash and never changes after sign-in; its last-seen
// time lives under "a:s:"+hash, so that touching a session can never bring back one that
// was deleted at sign-out. (One string holds both keys: the record key is a suffix.)
const lastSeenPrefix = "a:s:"

// sessionKeys returns the record and last-seen store keys of token.
func sessionKeys(token string) (record, seen string) {
	seen = storeKey(lastSeenPrefix, token)
	return seen[2:], seen
}

// Config holds a Manager's settings.
type Config struct {
	// Lifetime is the absolute session lifetime. Default: 24h.
	Lifetime time.Duration
	// Idle ends a session unused for this long. Default: 2h.
	Idle time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// CacheSize bounds the number of decoded sessions kept in memory. Default: 10000.
	CacheSize int
}

// Manager creates, finds and deletes sessions in a Store.
type Manager struct {
	store    store.Store
	lifetime time.Duration
	idle     time.Duration
	touch    time.Duration
	now      func() time.Time

	mu       sync.RWMutex
	decoded  map[string]*cached
	maxCache int
}

// cached is a decoded session record with the bytes it was decoded from: a Lookup whose
// store bytes are equal reuses it instead of decoding again.
type cached struct {
	raw  []byte
	sess *Session
	// seen is the newest last-seen time (unix ns) this instance read or wrote. Last-seen
	// only moves forward, so while it is within the touch interval the session cannot be
	// idle and the activity key need not be read again.
	seen atomic.Int64
}

// NewManager returns a Manager on st.
func NewManager(st store.Store, cfg Config) *Manager {
	m := &Manager{store: st, lifetime: cfg.Lifetime, idle: cfg.Idle, now: cfg.Now, maxCache: cfg.CacheSize}
	if m.lifetime <= 0 {
		m.lifetime = 24 * time.Hour
	}
	if m.idle <= 0 {
		m.idle = 2 * time.Hour
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.maxCache <= 0 {
		m.maxCache = 10000
	}
	// Last-seen is written at most once per touch interval: a tenth of the idle limit,
	// between one second and one minute.
	m.touch = min(max(m.idle/10, time.Second), time.Minute)
	m.decoded = make(map[string]*cached)
	return m
}

// Lifetime returns the absolute session lifetime.
func (m *Manager) Lifetime() time.Duration { return m.lifetime }

// Create starts a session for id and returns its new token (for the cookie). A new token
// is made at every sign-in, so a token planted before sign-in is worthless (no fixation).
// up, when not nil, records the provider's subject and session id so that a back-channel
// logout from the provider can end this session (see EndUpstream).
func (m *Manager) Create(ctx context.Context, id identity.Identity, device string, up *Upstream) (string, *Session, error) {
	now := m.now()
	s := &Session{Identity: id, Created: now, Expires: now.Add(m.lifetime), Device: truncate(device, 200), Upstream: up}
	raw, err := json.Marshal(s)
	if err != nil {
		return "", nil, fmt.Errorf("encoding session: %w", err)
	}
	token := NewToken()
	key, seenKey := sessionKeys(token)
	if err := m.store.Set(ctx, key, raw, m.lifetime); err != nil {
		return "", nil, fmt.Errorf("saving session: %w", err)
	}
	if err := m.setLastSeen(ctx, seenKey, now, s.Expires); err != nil {
		return "", nil, err
	}
	if up != nil {
		for _, ik := range upstreamIndexKeys(id.Provider, up.Subject, up.SID) {
			if err := m.addToIndex(ctx, ik, key); err != nil {
				return "", nil, err
			}
		}
	}
	return token, s, nil
}

// EndUpstream ends the sessions that signed in at provider with session id sid or, when sid
// is empty, every session of subject sub (OpenID Connect Back-Channel Logout). It returns
// how many sessions it deleted.
func (m *Manager) EndUpstream(ctx context.Context, provider, sub, sid string) (int, error) {
	var ik string
	switch {
	case sid != "":
		ik = upstreamIndexKey(provider, "sid", sid)
	case sub != "":
		ik = upstreamIndexKey(provider, "sub", sub)
	default:
		return 0, nil
	}
	keys, err := m.readIndex(ctx, ik)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		raw, err := m.store.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("reading session: %w", err)
		}
		var s Session
		if err := json.Unmarshal(raw, &s); err != nil || s.Upstream == nil || s.Provider != provider ||
			(sid != "" && s.Upstream.SID != sid) || (sid == "" && s.Upstream.Subject != sub) {
			continue // the index is only a hint: the record decides
		}
		m.forget(k)
		if err := m.deleteKeys(ctx, k, "a:"+k); err != nil {
			return n, err
		}
		n++
	}
	if err := m.store.Delete(ctx, ik); err != nil {
		return n, fmt.Errorf("deleting session index: %w", err)
	}
	return n, nil
}

func upstreamIndexKeys(provider, sub, sid string) []string {
	var keys []string
	if sub != "" {
		keys = append(keys, upstreamIndexKey(provider, "sub", sub))
	}
	if sid != "" {
		keys = append(keys, upstreamIndexKey(provider, "sid", sid))
	}
	return keys
}

func upstreamIndexKey(provider, kind, value string) string {
	sum := sha256.Sum256([]byte(provider + "\x00" + kind + "\x00" + value))
	return "up:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// maxIndexed bounds the sessions remembered under one subject or sid.
const maxIndexed = 100

// addToIndex appends a session's record key to an upstream index (a read-modify-write: two
// sign-ins of one subject at the same instant may keep only one; the index is a hint).
func (m *Manager) addToIndex(ctx context.Context, ik, record string) error {
	keys, err := m.readIndex(ctx, ik)
	if err != nil {
		return err
	}
	keys = append(keys, record)
	if len(keys) > maxIndexed {
		keys = keys[len(keys)-maxIndexed:]
	}
	raw, err := json.Marshal(keys)
	if err != nil {
		return fmt.Errorf("encoding session index: %w", err)
	}
	if err := m.store.Set(ctx, ik, raw, m.lifetime); err != nil {
		return fmt.Errorf("saving session index: %w", err)
	}
	return nil
}

func (m *Manager) readIndex(ctx context.Context, ik string) ([]string, error) {
	raw, err := m.store.Get(ctx, ik)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading session index: %w", err)
	}
	var keys []string
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, nil // a damaged hint is no hint
	}
	return keys, nil
}

// Lookup finds the live session of token. It returns ErrNoSession when there is none and
// another error when the store could not answer (the caller fails closed). A session used
// after its idle limit is deleted. Lookup records the use (at most once per touch
// interval).
func (m *Manager) Lookup(ctx context.Context, token string) (Active, error) {
	if !ValidToken(token) {
		return Active{}, ErrNoSession
	}
	key, seenKey := sessionKeys(token)
	raw, err := m.store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return Active{}, ErrNoSession
	}
	if err != nil {
		return Active{}, fmt.Errorf("reading session: %w", err)
	}
	c, err := m.decode(key, raw)
	if err != nil {
		return Active{}, err
	}
	s := c.sess
	now := m.now()
	if !now.Before(s.Expires) {
		return Active{}, ErrNoSession
	}
	lastSeen := s.Created
	if seen := c.seen.Load(); seen != 0 && now.Sub(time.Unix(0, seen)) < m.touch {
		lastSeen = time.Unix(0, seen)
	} else {
		switch b, err := m.store.Get(ctx, seenKey); {
		case err == nil && len(b) == 8:
			lastSeen = time.Unix(0, int64(binary.BigEndian.Uint64(b)))
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return Active{}, fmt.Errorf("reading session activity: %w", err)
		}
		c.seen.Store(lastSeen.UnixNano())
	}
	if now.Sub(lastSeen) >= m.idle {
		m.forget(key)
		if err := m.deleteKeys(ctx, key, seenKey); err != nil {
			return Active{}, err
		}
		return Active{}, ErrNoSession
	}
	if now.Sub(lastSeen) >= m.touch {
		if err := m.setLastSeen(ctx, seenKey, now, s.Expires); err != nil {
			return Active{}, err
		}
		lastSeen = now
		c.seen.Store(now.UnixNano())
	}
	return Active{Session: s, Key: key, LastSeen: lastSeen, Deadline: minTime(lastSeen.Add(m.idle), s.Expires)}, nil
}

// Delete ends the session of token in the store: a copy of its cookie replayed later finds
// nothing. Deleting an unknown token is not an error.
func (m *Manager) Delete(ctx context.Context, token string) error {
	if !ValidToken(token) {
		return nil
	}
	key, seenKey := sessionKeys(token)
	m.forget(key)
	return m.deleteKeys(ctx, key, seenKey)
}

func (m *Manager) deleteKeys(ctx context.Context, record, seen string) error {
	if err := m.store.Delete(ctx, record); err != nil {
		return fmt.Errorf("deleting session: %w", err)
	}
	if err := m.store.Delete(ctx, seen); err != nil {
		return fmt.Errorf("deleting session activity: %w", err)
	}
	return nil
}

// setLastSeen records a use at now; the record lives no longer than the idle limit (so an
// unused session's activity key disappears on its own) nor past the absolute expiry.
func (m *Manager) setLastSeen(ctx context.Context, key string, now, expires time.Time) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(now.UnixNano()))
	ttl := minTime(now.Add(m.idle), expires).Sub(now)
	if ttl <= 0 {
		return nil
	}
	if err := m.store.Set(ctx, key, b[:], ttl); err != nil {
		return fmt.Errorf("saving session activity: %w", err)
	}
	return nil
}

// decode returns the Session for raw, reusing the last decoding of the same bytes.
func (m *Manager) decode(key string, raw []byte) (*cached, error) {
	m.mu.RLock()
	c, ok := m.decoded[key]
	m.mu.RUnlock()
	if ok && bytes.Equal(c.raw, raw) {
		return c, nil
	}
	s := new(Session)
	if err := json.Unmarshal(raw, s); err != nil {
		return nil, fmt.Errorf("decoding session: %w", err)
	}
	m.mu.Lock()
	if len(m.decoded) >= m.maxCache {
		for k := range m.decoded { // evict an arbitrary entry
			delete(m.decoded, k)
			break
		}
	}
	c = &cached{raw: bytes.Clone(raw), sess: s}
	m.decoded[key] = c
	m.mu.Unlock()
	return c, nil
}

func (m *Manager) forget(key string) {
	m.mu.Lock()
	delete(m.decoded, key)
	m.mu.Unlock()
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
