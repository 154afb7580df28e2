package store

import (
	"hash/maphash"
	"sync"
	"time"
	"unsafe"
)

// shardCount is the number of independently locked parts of an index. A power of two.
const shardCount = 32

// cacheLine is the size the shards are padded to, so that locking one shard does not slow
// readers of its neighbour (false sharing).
const cacheLine = 64

// entry is one stored value. Kept small: with a string key it is the whole per-entry
// overhead of a map slot (16 + 24 + 8 bytes).
type entry struct {
	value   []byte // owned by the store, never modified once stored
	expires int64  // unix nanoseconds; the entry is invisible from this instant on
}

// live reports whether e is still visible at now (unix nanoseconds).
func (e entry) live(now int64) bool { return now < e.expires }

// action says what a change does to a key.
type action uint8

const (
	keepAsIs  action = iota // nothing to write
	putEntry                // store the new entry
	dropEntry               // delete the key
)

// change computes a key's next state. cur is the key's entry and found is false when the
// key is absent or expired. It runs with the shard's writer lock held, so it may record
// results (a taken value, a count) in variables it captures.
type change func(cur entry, found bool, now int64) (next entry, act action, err error)

// persister makes a change durable before it becomes visible; nil for the memory store.
// A failed persist leaves the index unchanged.
type persister func(key string, next entry, act action) error

// shardState is a shard without its padding.
type shardState struct {
	writer sync.Mutex       // serializes the changes to this shard, across their persistence
	mu     sync.RWMutex     // guards m; held only briefly, never across I/O
	m      map[string]entry // nil once the index is closed
}

// shard is one lock domain of an index.
type shard struct {
	shardState
	_ [cacheLine - unsafe.Sizeof(shardState{})%cacheLine]byte
}

// index is the sharded in-memory map behind both Memory and File: reads take one shard's
// read lock and never allocate; changes are serialized per shard by its writer lock, which
// the file store holds across the disk write so that disk order equals memory order.
type index struct {
	now     func() time.Time
	persist persister
	seed    maphash.Seed
	shards  [shardCount]shard
}

// init prepares ix for use. persist may be nil.
func (ix *index) init(now func() time.Time, persist persister) {
	ix.now = now
	ix.persist = persist
	ix.seed = maphash.MakeSeed()
	for i := range ix.shards {
		ix.shards[i].m = make(map[string]entry)
	}
}

// shardFor returns key's shard. The hash is seeded per index, so that no one can choose
// keys that all land in one shard.
func (ix *index) shardFor(key string) *shard {
	return &ix.shards[maphash.String(ix.seed, key)%shardCount]
}

// nowNanos returns the current time in unix nanoseconds.
func (ix *index) nowNanos() int64 { return ix.now().UnixNano() }

// get returns the live value under key without copying it.
func (ix *index) get(key string) ([]byte, error) {
	now := ix.nowNanos()
	s := ix.shardFor(key)
	s.mu.RLock()
	e, ok := s.m[key]
	closed := s.m == nil
	s.mu.RUnlock()
	switch {
	case closed:
		return nil, ErrClosed
	case !ok || !e.live(now):
		return nil, ErrNotFound
	}
	return e.value, nil
}

// mutate applies ch to key: it reads the key's entry, computes the change, persists it when
// the index has a persister, then makes it visible. Readers see either the old or the new
// state, never a state that is not yet durable.
func (ix *index) mutate(key string, ch change) error {
	now := ix.nowNanos()
	s := ix.shardFor(key)
	s.writer.Lock()
	defer s.writer.Unlock()

	s.mu.RLock()
	cur, ok := s.m[key]
	closed := s.m == nil
	s.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	next, act, err := ch(cur, ok && cur.live(now), now)
	if err != nil || act == keepAsIs {
		return err
	}
	if ix.persist != nil {
		if err := ix.persist(key, next, act); err != nil {
			return err
		}
	}
	s.mu.Lock()
	if act == putEntry {
		s.m[key] = next
	} else {
		delete(s.m, key)
	}
	s.mu.Unlock()
	return nil
}

// load puts e under key without persisting it; for filling the index from disk.
func (ix *index) load(key string, e entry) {
	s := ix.shardFor(key)
	s.mu.Lock()
	s.m[key] = e
	s.mu.Unlock()
}

// sweep deletes every entry expired at now, one shard at a time, and calls expired (when
// not nil) with each deleted key while that shard is locked.
func (ix *index) sweep(now int64, expired func(key string)) {
	for i := range ix.shards {
		s := &ix.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if !e.live(now) {
				delete(s.m, k)
				if expired != nil {
					expired(k)
				}
			}
		}
		s.mu.Unlock()
	}
}

// close waits for the changes in progress, then drops every entry; every later call returns
// ErrClosed.
func (ix *index) close() {
	for i := range ix.shards {
		s := &ix.shards[i]
		s.writer.Lock()
		s.mu.Lock()
		s.m = nil
		s.mu.Unlock()
		s.writer.Unlock()
	}
}

// count returns the number of entries, expired or not; for tests.
func (ix *index) count() int {
	n := 0
	for i := range ix.shards {
		s := &ix.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
