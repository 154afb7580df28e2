//go:build !race

package ratelimit

import (
	"runtime"
	"testing"
	"time"
)

// TestLimiterMillionKeysMemory floods Limiters with a million distinct client IPs, all
// live (one event per hour each, frozen clock), and checks that the key count and the heap
// stay bounded. It is too slow under the race detector.
func TestLimiterMillionKeysMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a million keys")
	}
	const million = 1_000_000
	hourly := Limit{Rate: 1, Window: time.Hour}
	tests := []struct {
		maxKeys  int
		heapMax  uint64 // bytes
		checkLen int    // Len is checked every checkLen keys
	}{
		{100_000, 100 << 20, 1},
		{1_000_000, 300 << 20, 1000},
	}
	for _, tt := range tests {
		base := heapInUse()
		l, clock := newTestLimiter(tt.maxKeys)
		for i := range million {
			if !l.Allow(ipKey(i), hourly).Allowed {
				t.Fatalf("MaxKeys %d: key %d refused on its first event", tt.maxKeys, i)
			}
			if i%tt.checkLen == 0 {
				if n := l.Len(); n > tt.maxKeys {
					t.Fatalf("MaxKeys %d: Len() = %d after %d keys", tt.maxKeys, n, i+1)
				}
			}
		}
		n := l.Len()
		if n > tt.maxKeys {
			t.Fatalf("MaxKeys %d: Len() = %d after a million keys", tt.maxKeys, n)
		}
		heap := heapGrowth(base)
		t.Logf("MaxKeys %d, a million distinct keys: %d kept, heap %.1f MB (%.0f bytes per key)",
			tt.maxKeys, n, float64(heap)/(1<<20), float64(heap)/float64(n))
		if heap > tt.heapMax {
			t.Errorf("MaxKeys %d: heap %.1f MB, above %d MB", tt.maxKeys, float64(heap)/(1<<20), tt.heapMax>>20)
		}

		clock.Advance(time.Hour)
		l.Sweep()
		if n := l.Len(); n != 0 {
			t.Errorf("MaxKeys %d: Len() = %d after every bucket refilled and Sweep, want 0", tt.maxKeys, n)
		}
		t.Logf("MaxKeys %d: heap after every bucket refilled and Sweep %.1f MB", tt.maxKeys, float64(heapGrowth(base))/(1<<20))
		runtime.KeepAlive(l)
	}
}

// heapInUse returns the bytes in in-use heap spans after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// heapGrowth returns how much heapInUse grew since base, 0 if it shrank.
func heapGrowth(base uint64) uint64 {
	now := heapInUse()
	return now - min(base, now)
}
