package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// lifecycleCases check the store after Close.
var lifecycleCases = []testCase{
	{"UseAfterClose", func(t *testing.T, s store.Store, _ *Clock) {
		ctx := context.Background()
		set(t, s, "k", []byte("v"), time.Hour)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		_, getErr := s.Get(ctx, "k")
		_, takeErr := s.Take(ctx, "k")
		_, incrErr := s.Incr(ctx, "c", time.Minute)
		calls := []struct {
			name string
			err  error
		}{
			{"Get", getErr},
			{"Set", s.Set(ctx, "k", []byte("v"), time.Hour)},
			{"Delete", s.Delete(ctx, "k")},
			{"Take", takeErr},
			{"Incr", incrErr},
			{"Close", s.Close()},
		}
		for _, c := range calls {
			if !errors.Is(c.err, store.ErrClosed) {
				t.Errorf("%s after Close: %v, want ErrClosed", c.name, c.err)
			}
		}
	}},
}
