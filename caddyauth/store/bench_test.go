package store_test

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

func BenchmarkMemoryGet(b *testing.B) {
	m := store.NewMemory(store.Options{})
	defer m.Close()
	benchmarkGet(b, m)
}

func BenchmarkMemorySet(b *testing.B) {
	m := store.NewMemory(store.Options{})
	defer m.Close()
	benchmarkSet(b, m)
}

// benchKeys is the number of distinct keys the benchmarks use.
const benchKeys = 1 << 14

// benchKey returns the i-th benchmark key, shaped like a session key.
func benchKey(i int) string {
	return "session:" + strconv.FormatUint(uint64(i)*0x9e3779b97f4a7c15, 16)
}

// benchmarkGet measures parallel Get hits on s.
func benchmarkGet(b *testing.B, s store.Store) {
	ctx := context.Background()
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	// Fill concurrently: the file store then shares fsyncs between the writers.
	const fillers = 64
	value := make([]byte, 300)
	var wg sync.WaitGroup
	for w := range fillers {
		wg.Go(func() {
			for i := w; i < benchKeys; i += fillers {
				if err := s.Set(ctx, keys[i], value, time.Hour); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Get(ctx, keys[i&(benchKeys-1)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// benchmarkSet measures Set of 300-byte values, serial and from parallel goroutines.
func benchmarkSet(b *testing.B, s store.Store) {
	ctx := context.Background()
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	value := make([]byte, 300)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := s.Set(ctx, keys[i&(benchKeys-1)], value, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var worker atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(8) // writers to a file wait on fsync, not on the CPU
		b.RunParallel(func(pb *testing.PB) {
			i := int(worker.Add(1)) * 1000
			for pb.Next() {
				if err := s.Set(ctx, keys[i&(benchKeys-1)], value, time.Hour); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

func BenchmarkFileGet(b *testing.B) {
	f, err := store.OpenFile(filepath.Join(b.TempDir(), "store.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	benchmarkGet(b, f)
}

func BenchmarkFileSet(b *testing.B) {
	f, err := store.OpenFile(filepath.Join(b.TempDir(), "store.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	benchmarkSet(b, f)
}
