package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// incrCases check the fixed-window counters.
var incrCases = []testCase{
	{"IncrCounts", func(t *testing.T, s store.Store, _ *Clock) {
		for want := int64(1); want <= 3; want++ {
			incr(t, s, "fails:alice", time.Minute, want)
		}
		incr(t, s, "fails:bob", time.Minute, 1)
		wantValue(t, s, "fails:alice", []byte("3"))
	}},
	{"IncrConcurrent", func(t *testing.T, s store.Store, _ *Clock) {
		const callers = 50
		counts := make([]int64, callers)
		errs := make([]error, callers)
		together(callers, func(i int) {
			counts[i], errs[i] = s.Incr(context.Background(), "hits", time.Minute)
		})
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("Incr: %v", err)
		}
		// Every caller saw a different count: together, 1 to 50.
		slices.Sort(counts)
		for i, n := range counts {
			if n != int64(i+1) {
				t.Fatalf("sorted counts seen by the callers = %v, want 1 to %d", counts, callers)
			}
		}
		wantValue(t, s, "hits", []byte("50"))
	}},
	{"IncrFixedWindow", func(t *testing.T, s store.Store, clock *Clock) {
		incr(t, s, "c", time.Minute, 1) // window [0s, 60s)
		clock.Advance(30 * time.Second)
		incr(t, s, "c", time.Minute, 2)
		clock.Advance(29 * time.Second) // 59s
		incr(t, s, "c", time.Minute, 3)
		clock.Advance(2 * time.Second) // 61s: not extended by the later increments
		wantNotFound(t, s, "c")
		incr(t, s, "c", time.Minute, 1) // new window [61s, 121s)
		clock.Advance(50 * time.Second)
		incr(t, s, "c", time.Minute, 2)
		clock.Advance(11 * time.Second) // 122s
		incr(t, s, "c", time.Minute, 1)
	}},
	{"IncrNotCounter", func(t *testing.T, s store.Store, _ *Clock) {
		set(t, s, "k", []byte("not a number"), time.Minute)
		if n, err := s.Incr(context.Background(), "k", time.Minute); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Incr of a non-counter value = %d, %v; want an error", n, err)
		}
		wantValue(t, s, "k", []byte("not a number"))
	}},
}
