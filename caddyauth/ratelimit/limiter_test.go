package ratelimit

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/gatehousehq/gatehouse/caddyauth/store/storetest"
)

// newTestLimiter returns a Limiter on a fake clock.
func newTestLimiter(maxKeys int) (*Limiter, *storetest.Clock) {
	clock := storetest.NewClock(time.Unix(0, t0))
	return NewLimiter(LimiterOptions{MaxKeys: maxKeys, Now: clock.Now}), clock
}

func TestLimiterAllow(t *testing.T) {
	l, clock := newTestLimiter(0)
	for i, want := range exhaust5 {
		if got := l.Allow("ip:203.0.113.7", fiveBySecond); got != want.want {
			t.Fatalf("event %d: got %+v, want %+v", i, got, want.want)
		}
	}
	if got, want := l.Allow("ip:203.0.113.7", fiveBySecond), refused(5, time.Second, 5*time.Second); got != want {
		t.Fatalf("sixth event: got %+v, want %+v", got, want)
	}
	// Another key has its own bucket.
	if got, want := l.Allow("ip:203.0.113.8", fiveBySecond), allowed(5, 4, time.Second); got != want {
		t.Fatalf("other key: got %+v, want %+v", got, want)
	}
	clock.Advance(time.Second)
	if got, want := l.Allow("ip:203.0.113.7", fiveBySecond), allowed(5, 0, 5*time.Second); got != want {
		t.Fatalf("after T: got %+v, want %+v", got, want)
	}
	if n := l.Len(); n != 2 {
		t.Fatalf("Len() = %d, want 2", n)
	}
}

func TestLimiterInvalidLimitStoresNothing(t *testing.T) {
	l, _ := newTestLimiter(0)
	if r := l.Allow("k", Limit{}); r.Allowed {
		t.Fatal("invalid limit allowed an event")
	}
	if n := l.Len(); n != 0 {
		t.Fatalf("Len() = %d after a refusal of an unknown key, want 0", n)
	}
}

func TestLimiterConcurrentOneKey(t *testing.T) {
	for _, limit := range []Limit{
		{Rate: 10, Window: time.Minute},
		{Rate: 1, Window: time.Second},
		{Rate: 100, Window: time.Second, Burst: 37},
	} {
		t.Run(fmt.Sprintf("%d/%v burst %d", limit.Rate, limit.Window, limit.Burst), func(t *testing.T) {
			l, clock := newTestLimiter(0)
			burst := func() int64 {
				var n atomic.Int64
				var wg sync.WaitGroup
				for range 50 {
					wg.Go(func() {
						for range 5 {
							if l.Allow("user:alice", limit).Allowed {
								n.Add(1)
							}
						}
					})
				}
				wg.Wait()
				return n.Load()
			}
			if got := burst(); got != limit.Capacity() {
				t.Fatalf("50 goroutines on a frozen clock: %d allowed, want %d", got, limit.Capacity())
			}
			clock.Advance(limit.Interval())
			if got := burst(); got != 1 {
				t.Fatalf("after one interval: %d allowed, want 1", got)
			}
		})
	}
}

func TestLimiterSweepRemovesOnlyFullBuckets(t *testing.T) {
	l, clock := newTestLimiter(0)
	for range 5 {
		l.Allow("exhausted", fiveBySecond) // TAT t0+5s
	}
	l.Allow("one", fiveBySecond)                            // TAT t0+1s
	l.Allow("hourly", Limit{Rate: 1, Window: time.Hour})    // TAT t0+1h
	l.Allow("fast", Limit{Rate: 1000, Window: time.Second}) // TAT t0+1ms

	tests := []struct {
		advance time.Duration
		want    int
	}{
		{0, 4},
		{time.Millisecond - 1, 4},
		{1, 3},                              // "fast" full at t0+1ms exactly
		{time.Second - time.Millisecond, 2}, // "one" full at t0+1s
		{4 * time.Second, 1},                // "exhausted" full at t0+5s
		{time.Hour, 0},
	}
	for _, tt := range tests {
		clock.Advance(tt.advance)
		l.Sweep()
		if n := l.Len(); n != tt.want {
			t.Fatalf("at t0+%v: Len() = %d, want %d", time.Duration(clock.Now().UnixNano()-t0), n, tt.want)
		}
	}
	// A swept key starts with a full bucket, as an absent one does.
	if got, want := l.Allow("exhausted", fiveBySecond), allowed(5, 4, time.Second); got != want {
		t.Fatalf("swept key: got %+v, want %+v", got, want)
	}
}

func TestLimiterMaxKeys(t *testing.T) {
	tests := []struct {
		maxKeys, keys, wantMax int
	}{
		{1024, 20_000, 1024},
		{100, 5000, 64}, // 100/64 = 1 per shard
		{1, 1000, 64},   // raised to one per shard
		{6400, 6400, 6400},
	}
	hourly := Limit{Rate: 1, Window: time.Hour}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.maxKeys), func(t *testing.T) {
			l, _ := newTestLimiter(tt.maxKeys)
			for i := range tt.keys {
				key := fmt.Sprint("k", i)
				if !l.Allow(key, hourly).Allowed {
					t.Fatalf("new key %d refused", i)
				}
				if n := l.Len(); n > tt.wantMax {
					t.Fatalf("after %d keys: Len() = %d, above %d", i+1, n, tt.wantMax)
				}
				// The key just added is kept.
				if l.Allow(key, hourly).Allowed {
					t.Fatalf("key %d forgotten right after it was added", i)
				}
			}
		})
	}
}

func TestLimiterFullShardDropsFullBucketsBeforeLiveOnes(t *testing.T) {
	l, clock := newTestLimiter(4 * numShards) // 4 keys per shard
	keys := sameShardKeys(l, 5)
	second := Limit{Rate: 1, Window: time.Second}
	hourly := Limit{Rate: 1, Window: time.Hour}
	l.Allow(keys[0], second)
	l.Allow(keys[1], second)
	l.Allow(keys[2], hourly)
	l.Allow(keys[3], hourly)
	clock.Advance(time.Second) // keys[0] and keys[1] are full buckets now
	l.Allow(keys[4], hourly)

	s := l.shardOf(keys[4])
	for i, wantKept := range []bool{false, false, true, true, true} {
		if _, kept := s.index[keys[i]]; kept != wantKept {
			t.Errorf("key %d kept = %v, want %v", i, kept, wantKept)
		}
	}
	// The live keys are still limited.
	for _, k := range keys[2:] {
		if l.Allow(k, hourly).Allowed {
			t.Errorf("live key %q lost its count", k)
		}
	}
}

func TestLimiterKeepsItsOwnKeyCopy(t *testing.T) {
	l, _ := newTestLimiter(0)
	header := "session=" + strings.Repeat("x", 4096)
	key := header[:16]
	for range 3 { // insert, then update twice
		l.Allow(key, fiveBySecond)
	}
	for k := range l.shardOf(key).index {
		if unsafe.StringData(k) == unsafe.StringData(key) {
			t.Fatal("the limiter keeps the caller's string, pinning the whole header")
		}
	}
}

func TestLimiterAllowDoesNotAllocateForKnownKeys(t *testing.T) {
	l, _ := newTestLimiter(0)
	key := "ip:203.0.113.7"
	l.Allow(key, fiveBySecond)
	if n := testing.AllocsPerRun(1000, func() { l.Allow(key, fiveBySecond) }); n != 0 {
		t.Fatalf("Allow on a known key: %v allocations, want 0", n)
	}
}

func TestLimiterSweepGivesMemoryBack(t *testing.T) {
	l, clock := newTestLimiter(0)
	second := Limit{Rate: 1, Window: time.Second}
	for i := range 200_000 {
		l.Allow(fmt.Sprint("k", i), second)
	}
	l.Allow("live", Limit{Rate: 1, Window: time.Hour})
	clock.Advance(time.Second)
	l.Sweep()
	if n := l.Len(); n != 1 {
		t.Fatalf("Len() = %d after Sweep, want 1", n)
	}
	for i := range l.shards {
		s := &l.shards[i]
		if cap(s.tats) > 1 || s.peak > 1 {
			t.Fatalf("shard %d not rebuilt: %d TAT slots, peak %d", i, cap(s.tats), s.peak)
		}
	}
	if l.Allow("live", Limit{Rate: 1, Window: time.Hour}).Allowed {
		t.Fatal("the live key lost its count in the rebuild")
	}
}

func TestShardSize(t *testing.T) {
	if size := unsafe.Sizeof(shard{}); size%64 != 0 {
		t.Fatalf("shard is %d bytes, not a multiple of a cache line", size)
	}
}

// sameShardKeys returns n distinct keys that fall in the same shard of l.
func sameShardKeys(l *Limiter, n int) []string {
	var keys []string
	want := l.shardOf("k0")
	for i := 0; len(keys) < n; i++ {
		if k := fmt.Sprint("k", i); l.shardOf(k) == want {
			keys = append(keys, k)
		}
	}
	return keys
}
