package ratelimit

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDecide measures the algorithm alone: one allowed event at a steady rate.
func BenchmarkDecide(b *testing.B) {
	limit := Limit{Rate: 100, Window: time.Second, Burst: 20}
	interval := int64(limit.Interval())
	var tat int64
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now += interval
		tat, _ = Decide(tat, now, limit)
	}
}

// BenchmarkLimiterAllow measures the per-request cost of a check on known keys from all
// CPUs, on the real clock: one key shared by every goroutine (one shard lock), and 4096
// keys spread over the shards. It must not allocate.
func BenchmarkLimiterAllow(b *testing.B) {
	limit := Limit{Rate: 1_000_000, Window: time.Second}
	b.Run("one key", func(b *testing.B) {
		l := NewLimiter(LimiterOptions{})
		l.Allow("ip:203.0.113.7", limit)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Allow("ip:203.0.113.7", limit)
			}
		})
	})
	b.Run("4096 keys", func(b *testing.B) {
		l := NewLimiter(LimiterOptions{})
		keys := benchKeys(4096)
		for _, k := range keys {
			l.Allow(k, limit)
		}
		var worker atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(worker.Add(1)) * 997
			for pb.Next() {
				l.Allow(keys[i%len(keys)], limit)
				i++
			}
		})
	})
}

// BenchmarkLimiterAllowNewKeys measures a flood of distinct client IPs into a Limiter at
// its bound, so that every check inserts a key and the shards evict to make room.
func BenchmarkLimiterAllowNewKeys(b *testing.B) {
	limit := Limit{Rate: 10, Window: time.Minute}
	keys := benchKeys(1 << 20)
	l := NewLimiter(LimiterOptions{MaxKeys: 100_000})
	var worker atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(worker.Add(1)) << 16
		for pb.Next() {
			l.Allow(keys[i%len(keys)], limit)
			i++
		}
	})
	b.ReportMetric(float64(l.Len()), "keys")
}

// benchKeys returns n distinct IPv4 client keys, built before the timer starts.
func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = ipKey(i)
	}
	return keys
}

// ipKey returns the key of the i-th IPv4 address of 10.0.0.0/8.
func ipKey(i int) string {
	ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
	key, ok := ClientKey(ip.String(), 0)
	if !ok {
		panic(fmt.Sprintf("no key for %v", ip))
	}
	return key
}
