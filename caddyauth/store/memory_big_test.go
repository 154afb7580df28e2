//go:build !race

package store_test

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// TestMemoryMillionSessions checks the memory budget of design goal "1,000,000 sessions in
// the embedded store ≤ 600 MB RSS": a million 250-byte values must fit in 500 MB of heap.
// It is left out of -race builds, where it would be slow.
func TestMemoryMillionSessions(t *testing.T) {
	const (
		n         = 1_000_000
		valueSize = 250
		budget    = 500 << 20
	)
	ctx := context.Background()
	before := heapInUse()
	m := store.NewMemory(store.Options{})
	defer m.Close()

	value := make([]byte, valueSize)
	key := make([]byte, 0, 64)
	for i := range n {
		// Shaped like a session key: a prefix and a 43-character hash.
		key = append(key[:0], "session:"...)
		key = strconv.AppendUint(key, uint64(i)*0x9e3779b97f4a7c15, 36)
		for len(key) < 8+43 {
			key = append(key, 'x')
		}
		value[0], value[1], value[2] = byte(i), byte(i>>8), byte(i>>16)
		if err := m.Set(ctx, string(key), value, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	after := heapInUse()
	runtime.KeepAlive(m)
	t.Logf("%d entries: heap in use %d MB (%d MB before), %d bytes per entry; process RSS %s",
		n, after>>20, before>>20, (after-before)/n, rss())
	if after > budget {
		t.Errorf("heap in use %d MB, want at most %d MB", after>>20, budget>>20)
	}
}

// heapInUse returns the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// rss returns the process's resident set size as the kernel reports it, or "unknown".
func rss() string {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range bytes.Lines(status) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			return string(bytes.TrimSpace(v))
		}
	}
	return "unknown"
}
