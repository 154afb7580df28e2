package mfa

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestUsed(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	st := newStore(t, clk)
	steps := []struct {
		name    string
		advance time.Duration
		user    string
		counter int64
		first   bool
	}{
		{"first use", 0, "alice", 100, true},
		{"replay refused", 0, "alice", 100, false},
		{"replay a period later refused", 30 * time.Second, "alice", 100, false},
		{"next code", 0, "alice", 101, true},
		{"other user, same counter", 0, "bob", 100, true},
		{"still refused near the window's end", 59 * time.Second, "alice", 100, false},
		{"forgotten after 3 periods (code long expired)", time.Second, "alice", 100, true},
	}
	for _, s := range steps {
		clk.t = clk.t.Add(s.advance)
		first, err := Used(ctx, st, s.user, s.counter, 30*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if first != s.first {
			t.Fatalf("%s: first = %v, want %v", s.name, first, s.first)
		}
	}
}

func TestUsedConcurrent(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil)
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			first, err := Used(ctx, st, "alice", 7, 0)
			if err != nil {
				t.Errorf("Used: %v", err)
			}
			if first {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if n := firsts.Load(); n != 1 {
		t.Fatalf("%d of 20 concurrent callers were first, want exactly 1", n)
	}
}

func TestUsedStoreError(t *testing.T) {
	st := newStore(t, nil)
	_ = st.Close()
	if first, err := Used(context.Background(), st, "alice", 1, 0); err == nil || first {
		t.Fatalf("Used on a closed store = %v, %v; want an error", first, err)
	}
}
