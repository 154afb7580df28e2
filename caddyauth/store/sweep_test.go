package store

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fakeNow is a clock for the package's internal tests.
type fakeNow struct{ ns atomic.Int64 }

func (c *fakeNow) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeNow) advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestMemorySweepRemovesExpired(t *testing.T) {
	ctx := context.Background()
	clock := &fakeNow{}
	clock.ns.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	m := NewMemory(Options{Now: clock.now})
	defer m.Close()

	for _, k := range []string{"a", "b", "c"} {
		if err := m.Set(ctx, k, []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Set(ctx, "long", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	m.sweep()
	if n := m.ix.count(); n != 4 {
		t.Fatalf("sweep before expiry left %d entries, want 4", n)
	}
	clock.advance(2 * time.Minute)
	m.sweep()
	if n := m.ix.count(); n != 1 {
		t.Fatalf("sweep after expiry left %d entries, want 1", n)
	}
}

func TestFileSweepRemovesExpiredFromDisk(t *testing.T) {
	ctx := context.Background()
	clock := &fakeNow{}
	clock.ns.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	f, err := OpenFile(filepath.Join(t.TempDir(), "store.db"), Options{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	for _, k := range []string{"a", "b", "renewed"} {
		if err := f.Set(ctx, k, []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Set(ctx, "long", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	clock.advance(2 * time.Minute)
	if err := f.Set(ctx, "renewed", []byte("w"), time.Minute); err != nil {
		t.Fatal(err)
	}
	f.sweep()
	if n := f.ix.count(); n != 2 {
		t.Errorf("sweep left %d entries in memory, want 2", n)
	}
	var onDisk []string
	err = f.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(entriesBucket).ForEach(func(k, _ []byte) error {
			onDisk = append(onDisk, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk) != 2 || onDisk[0] != "long" || onDisk[1] != "renewed" {
		t.Errorf("records on disk after sweep: %q, want [long renewed]", onDisk)
	}
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 0, false},
		{"", 0, false},
		{"-1", 0, false},
		{"1a", 0, false},
		{" 1", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseCount([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseCount(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDeadlineSaturates(t *testing.T) {
	if got := deadline(1<<62, 1<<62); got != 1<<63-1 {
		t.Errorf("deadline overflowed to %d", got)
	}
	if got := deadline(10, 5); got != 15 {
		t.Errorf("deadline(10, 5) = %d, want 15", got)
	}
}
