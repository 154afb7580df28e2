package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// stores holds the open stores by key ("file:/abs/path", "memory"). A reload provisions the
// new config before the old one is cleaned up, so the reference count never drops to zero
// and the store (and every session in it) carries over.
var stores = caddy.NewUsagePool()

// reopenDelay is how long a store that failed to open is left alone before the next try.
const reopenDelay = time.Second

// errStoreUnavailable wraps every failure to open a store.
var errStoreUnavailable = errors.New("store unavailable")

// sharedStore is a store.Store opened on first use: Provision runs in `caddy validate`
// too, and must not lock a database that a running Caddy holds.
type sharedStore struct {
	opened atomic.Pointer[store.Store]

	mu       sync.Mutex
	openFn   func() (store.Store, error)
	lastTry  time.Time
	lastErr  error
	closed   bool
	describe string
}

func acquireStore(key string, open func() (store.Store, error), logger *zap.Logger) (*sharedStore, error) {
	v, loaded, err := stores.LoadOrNew(key, func() (caddy.Destructor, error) {
		return &sharedStore{openFn: open, describe: key}, nil
	})
	if err != nil {
		return nil, err
	}
	if loaded {
		logger.Debug("reusing store", zap.String("store", key))
	}
	return v.(*sharedStore), nil
}

func releaseStore(key string) error {
	_, err := stores.Delete(key)
	return err
}

// open returns the underlying store, opening it when needed (at most one try per
// reopenDelay while it keeps failing).
func (s *sharedStore) open() (store.Store, error) {
	if st := s.opened.Load(); st != nil {
		return *st, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.opened.Load(); st != nil {
		return *st, nil
	}
	if s.closed {
		return nil, store.ErrClosed
	}
	if s.lastErr != nil && time.Since(s.lastTry) < reopenDelay {
		return nil, s.lastErr
	}
	s.lastTry = time.Now()
	st, err := s.openFn()
	if err != nil {
		s.lastErr = fmt.Errorf("%w: %w", errStoreUnavailable, err)
		return nil, s.lastErr
	}
	s.lastErr = nil
	s.opened.Store(&st)
	return st, nil
}

// Destruct closes the store when the last config using it is gone.
func (s *sharedStore) Destruct() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if st := s.opened.Swap(nil); st != nil {
		return (*st).Close()
	}
	return nil
}

func (s *sharedStore) Get(ctx context.Context, key string) ([]byte, error) {
	st, err := s.open()
	if err != nil {
		return nil, err
	}
	return st.Get(ctx, key)
}

func (s *sharedStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	st, err := s.open()
	if err != nil {
		return err
	}
	return st.Set(ctx, key, value, ttl)
}

func (s *sharedStore) Delete(ctx context.Context, key string) error {
	st, err := s.open()
	if err != nil {
		return err
	}
	return st.Delete(ctx, key)
}

func (s *sharedStore) Take(ctx context.Context, key string) ([]byte, error) {
	st, err := s.open()
	if err != nil {
		return nil, err
	}
	return st.Take(ctx, key)
}

func (s *sharedStore) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	st, err := s.open()
	if err != nil {
		return 0, err
	}
	return st.Incr(ctx, key, window)
}

// Close is a no-op: the pool closes the store (Destruct) when no config uses it.
func (s *sharedStore) Close() error { return nil }

// Interface guards
var (
	_ store.Store      = (*sharedStore)(nil)
	_ caddy.Destructor = (*sharedStore)(nil)
)
