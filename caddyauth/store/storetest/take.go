package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// takeCases check single-use values.
var takeCases = []testCase{
	{"TakeOnce", func(t *testing.T, s store.Store, _ *Clock) {
		ctx := context.Background()
		set(t, s, "state", []byte("nonce"), time.Minute)
		got, err := s.Take(ctx, "state")
		if err != nil || string(got) != "nonce" {
			t.Fatalf("first Take = %q, %v; want \"nonce\"", got, err)
		}
		if got, err := s.Take(ctx, "state"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second Take = %q, %v; want ErrNotFound", got, err)
		}
		wantNotFound(t, s, "state")
	}},
	{"TakeMissing", func(t *testing.T, s store.Store, _ *Clock) {
		if got, err := s.Take(context.Background(), "none"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Take = %q, %v; want ErrNotFound", got, err)
		}
	}},
	{"TakeConcurrent", func(t *testing.T, s store.Store, _ *Clock) {
		const rounds, callers = 10, 50
		for r := range rounds {
			key := fmt.Sprintf("state:%d", r)
			set(t, s, key, []byte("once"), time.Minute)
			var winners, failures atomic.Int32
			together(callers, func(int) {
				v, err := s.Take(context.Background(), key)
				switch {
				case err == nil && string(v) == "once":
					winners.Add(1)
				case !errors.Is(err, store.ErrNotFound):
					failures.Add(1)
				}
			})
			if winners.Load() != 1 || failures.Load() != 0 {
				t.Fatalf("round %d: %d callers got the value and %d failed; want exactly 1 and 0",
					r, winners.Load(), failures.Load())
			}
		}
	}},
}
