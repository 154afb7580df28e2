package ratelimit

import (
	"hash/maphash"
	"math"
	"strings"
	"sync"
	"time"
)

// DefaultMaxKeys is the number of keys a Limiter keeps when LimiterOptions.MaxKeys is zero.
const DefaultMaxKeys = 1_000_000

// numShards is the number of independently locked parts of a Limiter.
const numShards = 64

// shrinkBelow is the fewest keys a shard must once have held before Sweep rebuilds it
// smaller; smaller shards are not worth the copy.
const shrinkBelow = 1024

// LimiterOptions configures a Limiter.
type LimiterOptions struct {
	// MaxKeys is the upper bound on keys kept. Default DefaultMaxKeys. It is rounded down
	// to a multiple of 64 (the shards share it evenly); values below 64 are raised to 64.
	MaxKeys int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Limiter applies Limits to keys (client IPs, users, sessions), keeping one GCRA theoretical
// arrival time per key in memory. It is safe for concurrent use: the keys are spread over
// 64 shards, each with its own lock, and each check is atomic per key.
//
// Memory is bounded by MaxKeys, split evenly between the shards. When a new key arrives at
// a full shard, the shard first drops its keys whose bucket is full again (they are the same
// as absent); if that frees less than a sixteenth of the shard, it evicts arbitrary keys
// until a sixteenth is free (the batch keeps the cost per new key constant under a flood of
// distinct keys). An evicted key's client gets a fresh, full bucket: the price of the bound.
// Call Sweep now and then to drop idle keys and give memory back after a flood.
//
// A Limiter keeps its own copy of each key, so keys sliced from larger strings (a header)
// do not pin them in memory.
type Limiter struct {
	seed     maphash.Seed
	perShard int
	now      func() time.Time
	shards   [numShards]shard
}

// shard is one independently locked part of a Limiter. The map holds the index of each
// key's TAT in tats rather than the TAT itself, so that updating a known key reads the map
// but never writes it: a map write would replace the stored key with the caller's string.
type shard struct {
	mu    sync.Mutex
	index map[string]int32 // key → position in tats
	tats  []int64          // theoretical arrival times, unix ns
	free  []int32          // positions in tats no key uses
	peak  int              // most keys held since the shard was last rebuilt
	_     [128 - 72]byte   // keep shards on separate cache lines
}

// NewLimiter returns an empty Limiter. It starts no goroutine.
func NewLimiter(opts LimiterOptions) *Limiter {
	maxKeys := opts.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	perShard := max(maxKeys/numShards, 1)
	perShard = min(perShard, math.MaxInt32)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	l := &Limiter{seed: maphash.MakeSeed(), perShard: perShard, now: now}
	for i := range l.shards {
		l.shards[i].index = make(map[string]int32)
	}
	return l
}

// Allow counts one event for key under limit and tells whether it may happen. An invalid
// limit refuses every event (see Decide). It does not allocate when key is already known.
func (l *Limiter) Allow(key string, limit Limit) Result {
	s := l.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Read the clock under the lock, so that the checks of one key see time in order.
	now := l.now().UnixNano()
	i, known := s.index[key]
	var tat int64
	if known {
		tat = s.tats[i]
	}
	newTAT, r := Decide(tat, now, limit)
	switch {
	case known:
		s.tats[i] = newTAT
	case newTAT > now:
		s.insert(key, newTAT, now, l.perShard)
	}
	return r
}

// Sweep drops the keys whose bucket is full again (TAT at or before now), which is the same
// as not having them, and gives memory back when a shard holds far fewer keys than it once
// did. It locks one shard at a time.
func (l *Limiter) Sweep() {
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		s.dropFull(l.now().UnixNano())
		if s.peak >= shrinkBelow && len(s.index) <= s.peak/4 {
			s.rebuild()
		}
		s.mu.Unlock()
	}
}

// Len returns the number of keys kept.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.index)
		s.mu.Unlock()
	}
	return n
}

// shardOf returns the shard that holds key.
func (l *Limiter) shardOf(key string) *shard {
	return &l.shards[maphash.String(l.seed, key)%numShards]
}

// insert adds a key the shard does not hold, making room first when the shard is full.
func (s *shard) insert(key string, tat, now int64, maxKeys int) {
	if len(s.index) >= maxKeys {
		s.makeRoom(now, maxKeys)
	}
	var i int32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
		s.tats[i] = tat
	} else {
		i = int32(len(s.tats))
		s.tats = append(s.tats, tat)
	}
	s.index[strings.Clone(key)] = i
	s.peak = max(s.peak, len(s.index))
}

// makeRoom drops full buckets, then evicts arbitrary keys until a sixteenth of maxKeys
// (at least one place) is free.
func (s *shard) makeRoom(now int64, maxKeys int) {
	s.dropFull(now)
	target := maxKeys - max(maxKeys/16, 1)
	if len(s.index) <= target {
		return
	}
	for key, i := range s.index { // map iteration starts at a random place
		s.remove(key, i)
		if len(s.index) <= target {
			return
		}
	}
}

// dropFull removes the keys whose TAT is at or before now.
func (s *shard) dropFull(now int64) {
	for key, i := range s.index {
		if s.tats[i] <= now {
			s.remove(key, i)
		}
	}
}

// remove deletes key, stored at position i.
func (s *shard) remove(key string, i int32) {
	delete(s.index, key)
	s.free = append(s.free, i)
}

// rebuild copies the shard into right-sized storage: Go maps never shrink on their own.
func (s *shard) rebuild() {
	index := make(map[string]int32, len(s.index))
	tats := make([]int64, 0, len(s.index))
	for key, i := range s.index {
		index[key] = int32(len(tats))
		tats = append(tats, s.tats[i])
	}
	s.index, s.tats, s.free, s.peak = index, tats, nil, len(index)
}
