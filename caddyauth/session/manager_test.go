package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// clock is a fake time source the test advances.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestManager(t *testing.T, lifetime, idle time.Duration) (*Manager, *clock, store.Store) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	st := store.NewMemory(store.Options{Now: c.now})
	t.Cleanup(func() { st.Close() })
	return NewManager(st, Config{Lifetime: lifetime, Idle: idle, Now: c.now}), c, st
}

var alice = identity.Identity{User: "alice", Email: "alice@acme.com", Name: "Alice", Groups: []string{"ops"}, Provider: "local"}

func TestCreateLookupDelete(t *testing.T) {
	m, _, _ := newTestManager(t, 24*time.Hour, 2*time.Hour)
	ctx := context.Background()
	token, _, err := m.Create(ctx, alice, "test-agent", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ValidToken(token) {
		t.Fatalf("token %q is not valid", token)
	}
	a, err := m.Lookup(ctx, token)
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if a.User != "alice" || a.Email != "alice@acme.com" || a.Device != "test-agent" || len(a.Groups) != 1 {
		t.Fatalf("lookup returned %+v", a.Session)
	}
	if err := m.Delete(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lookup(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("lookup after delete: got %v, want ErrNoSession", err)
	}
}

func TestTokensAreFreshAndStoredHashed(t *testing.T) {
	m, _, st := newTestManager(t, time.Hour, time.Hour)
	ctx := context.Background()
	t1, _, _ := m.Create(ctx, alice, "", nil)
	t2, _, _ := m.Create(ctx, alice, "", nil)
	if t1 == t2 {
		t.Fatal("two sign-ins got the same token")
	}
	if _, err := st.Get(ctx, "s:"+t1); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("the raw token is usable as a store key")
	}
	rec, _ := sessionKeys(t1)
	if strings.Contains(rec, t1) {
		t.Fatal("store key contains the token")
	}
	if _, err := st.Get(ctx, rec); err != nil {
		t.Fatalf("record not under the hashed key: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		steps   []time.Duration // advance, then look up, for each step
		wantEnd bool            // whether the last lookup finds no session
	}{
		{"used within idle stays", []time.Duration{50 * time.Minute, 50 * time.Minute, 50 * time.Minute}, false},
		{"idle limit ends it", []time.Duration{61 * time.Minute}, true},
		{"activity then idle ends it", []time.Duration{30 * time.Minute, 61 * time.Minute}, true},
		{"absolute lifetime ends an active session", []time.Duration{55 * time.Minute, 55 * time.Minute, 55 * time.Minute, 55 * time.Minute}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, c, _ := newTestManager(t, 3*time.Hour, time.Hour)
			ctx := context.Background()
			token, _, err := m.Create(ctx, alice, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			var lerr error
			for i, d := range tc.steps {
				c.advance(d)
				_, lerr = m.Lookup(ctx, token)
				if i < len(tc.steps)-1 && lerr != nil {
					t.Fatalf("step %d: session ended early: %v", i, lerr)
				}
			}
			if got := errors.Is(lerr, ErrNoSession); got != tc.wantEnd {
				t.Fatalf("session ended = %v (err %v), want %v", got, lerr, tc.wantEnd)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	m, c, _ := newTestManager(t, 3*time.Hour, time.Hour)
	ctx := context.Background()
	token, s, _ := m.Create(ctx, alice, "", nil)
	c.advance(10 * time.Minute)
	a, err := m.Lookup(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if want := c.now().Add(time.Hour); !a.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want %v", a.Deadline, want)
	}
	for range 3 { // 2h40m in, used every 50 minutes
		c.advance(50 * time.Minute)
		if a, err = m.Lookup(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	if !a.Deadline.Equal(s.Expires) {
		t.Fatalf("deadline %v, want the absolute expiry %v", a.Deadline, s.Expires)
	}
}

func TestTouchDoesNotResurrect(t *testing.T) {
	m, c, st := newTestManager(t, 3*time.Hour, time.Hour)
	ctx := context.Background()
	token, _, _ := m.Create(ctx, alice, "", nil)
	if err := m.Delete(ctx, token); err != nil {
		t.Fatal(err)
	}
	// A request that had found the session before sign-out records its use afterwards.
	_, seen := sessionKeys(token)
	if err := m.setLastSeen(ctx, seen, c.now(), c.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lookup(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("a late touch brought the session back: %v", err)
	}
	_ = st
}

func TestMalformedTokens(t *testing.T) {
	m, _, _ := newTestManager(t, time.Hour, time.Hour)
	good, _, _ := m.Create(context.Background(), alice, "", nil)
	for _, tok := range []string{"", "x", good + "A", good[:42], strings.Repeat("A", 42) + "B", good[:42] + "=", strings.Repeat("é", 22)} {
		if _, err := m.Lookup(context.Background(), tok); !errors.Is(err, ErrNoSession) {
			t.Errorf("Lookup(%q) = %v, want ErrNoSession", tok, err)
		}
	}
}

// failingStore answers every call with an error, as an unreachable store would.
type failingStore struct{ store.Store }

var errDown = errors.New("store down")

func (failingStore) Get(context.Context, string) ([]byte, error) { return nil, errDown }
func (failingStore) Set(context.Context, string, []byte, time.Duration) error {
	return errDown
}

func TestStoreErrorsAreNotNoSession(t *testing.T) {
	m := NewManager(failingStore{}, Config{})
	_, err := m.Lookup(context.Background(), NewToken())
	if err == nil || errors.Is(err, ErrNoSession) {
		t.Fatalf("Lookup on a failing store = %v, want a store error (fail closed, not 'signed out')", err)
	}
	if _, _, err := m.Create(context.Background(), alice, "", nil); !errors.Is(err, errDown) {
		t.Fatalf("Create on a failing store = %v", err)
	}
}

func TestDecodedSessionIsReused(t *testing.T) {
	m, _, _ := newTestManager(t, time.Hour, time.Hour)
	ctx := context.Background()
	token, _, _ := m.Create(ctx, alice, "", nil)
	a1, _ := m.Lookup(ctx, token)
	a1.SetMemo("derived")
	a2, _ := m.Lookup(ctx, token)
	if a1.Session != a2.Session || a2.Memo() != "derived" {
		t.Fatal("a second lookup decoded the session again")
	}
}

func BenchmarkLookup(b *testing.B) {
	st := store.NewMemory(store.Options{})
	defer st.Close()
	m := NewManager(st, Config{})
	token, _, _ := m.Create(context.Background(), alice, "bench", nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Lookup(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEndUpstream(t *testing.T) {
	m, _, _ := newTestManager(t, time.Hour, time.Hour)
	ctx := context.Background()
	corp := identity.Identity{User: "alice", Provider: "corp"}
	t1, _, _ := m.Create(ctx, corp, "", &Upstream{Subject: "u1", SID: "sid-a"})
	t2, _, _ := m.Create(ctx, corp, "", &Upstream{Subject: "u1", SID: "sid-b"})
	other := identity.Identity{User: "alice", Provider: "other"}
	t3, _, _ := m.Create(ctx, other, "", &Upstream{Subject: "u1", SID: "sid-a"})

	n, err := m.EndUpstream(ctx, "corp", "u1", "sid-a")
	if err != nil || n != 1 {
		t.Fatalf("EndUpstream by sid: %d, %v; want 1 session", n, err)
	}
	if _, err := m.Lookup(ctx, t1); !errors.Is(err, ErrNoSession) {
		t.Fatal("the session of sid-a survived")
	}
	for _, tok := range []string{t2, t3} {
		if _, err := m.Lookup(ctx, tok); err != nil {
			t.Fatalf("another session ended too: %v", err)
		}
	}
	if n, _ := m.EndUpstream(ctx, "corp", "u1", ""); n != 1 {
		t.Fatalf("EndUpstream by sub ended %d sessions, want 1", n)
	}
	if _, err := m.Lookup(ctx, t2); !errors.Is(err, ErrNoSession) {
		t.Fatal("the subject's remaining session survived")
	}
	if _, err := m.Lookup(ctx, t3); err != nil {
		t.Fatal("a session of the same subject at another provider ended")
	}
}

// countingStore counts Get calls.
type countingStore struct {
	store.Store
	gets int
}

func (c *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	c.gets++
	return c.Store.Get(ctx, key)
}

// TestLookupReadsActivityOncePerTouch: within the touch interval a lookup needs only the
// session record (last-seen only moves forward, so a recent one proves the session is not
// idle), and idle expiry still works once the interval has passed.
func TestLookupReadsActivityOncePerTouch(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	mem := store.NewMemory(store.Options{Now: c.now})
	defer mem.Close()
	cs := &countingStore{Store: mem}
	m := NewManager(cs, Config{Lifetime: 3 * time.Hour, Idle: time.Hour, Now: c.now})
	ctx := context.Background()
	token, _, _ := m.Create(ctx, alice, "", nil)
	if _, err := m.Lookup(ctx, token); err != nil {
		t.Fatal(err)
	}
	cs.gets = 0
	c.advance(30 * time.Second) // the touch interval is a minute here
	if _, err := m.Lookup(ctx, token); err != nil {
		t.Fatal(err)
	}
	if cs.gets != 1 {
		t.Fatalf("a lookup within the touch interval made %d store reads, want 1", cs.gets)
	}
	c.advance(61 * time.Minute)
	if _, err := m.Lookup(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after the idle limit: %v, want ErrNoSession", err)
	}
}
