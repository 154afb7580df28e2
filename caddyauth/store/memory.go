package store

import (
	"context"
	"sync/atomic"
	"time"
)

// Memory is a Store that keeps everything in process memory: nothing survives a restart.
// Reads take one shard's read lock and return the stored slice without copying or
// allocating. Expired entries are invisible at once and removed by a background sweeper
// that Close stops.
type Memory struct {
	ix      index
	sweeper *sweeper
	closed  atomic.Bool
}

// NewMemory returns an empty Memory store and starts its sweeper. Call Close to stop it.
func NewMemory(opts Options) *Memory {
	opts = opts.withDefaults()
	m := &Memory{}
	m.ix.init(opts.Now, nil)
	m.sweeper = startSweeper(opts.SweepInterval, m.sweep)
	return m
}

// Get returns the value under key, or ErrNotFound. The slice is the store's own: do not
// modify it.
func (m *Memory) Get(_ context.Context, key string) ([]byte, error) { return m.ix.get(key) }

// Set stores a copy of value under key for ttl.
func (m *Memory) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	return m.ix.set(key, value, ttl)
}

// Delete removes key; removing an absent key is not an error.
func (m *Memory) Delete(_ context.Context, key string) error { return m.ix.del(key) }

// Take removes key and returns its value; of concurrent callers only one gets it.
func (m *Memory) Take(_ context.Context, key string) ([]byte, error) { return m.ix.take(key) }

// Incr adds 1 to the counter under key and returns it; a new counter expires after window.
func (m *Memory) Incr(_ context.Context, key string, window time.Duration) (int64, error) {
	return m.ix.incr(key, window)
}

// Close stops the sweeper and drops every entry. Later calls return ErrClosed.
func (m *Memory) Close() error {
	if !m.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	m.sweeper.halt()
	m.ix.close()
	return nil
}

// sweep removes the entries that have expired.
func (m *Memory) sweep() { m.ix.sweep(m.ix.nowNanos(), nil) }

// Interface guards
var _ Store = (*Memory)(nil)
