package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// expiryCases check that values disappear when their time to live has passed.
var expiryCases = []testCase{
	{"TTLExpiry", func(t *testing.T, s store.Store, clock *Clock) {
		set(t, s, "k", []byte("v"), 10*time.Second)
		clock.Advance(9 * time.Second)
		wantValue(t, s, "k", []byte("v"))
		clock.Advance(2 * time.Second)
		wantNotFound(t, s, "k")
		if v, err := s.Take(context.Background(), "k"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Take of an expired key = %q, %v; want ErrNotFound", v, err)
		}
		if err := s.Delete(context.Background(), "k"); err != nil {
			t.Fatalf("Delete of an expired key: %v", err)
		}
	}},
	{"SetRenewsTTL", func(t *testing.T, s store.Store, clock *Clock) {
		set(t, s, "k", []byte("one"), 10*time.Second)
		clock.Advance(8 * time.Second)
		set(t, s, "k", []byte("two"), 10*time.Second)
		clock.Advance(8 * time.Second)
		wantValue(t, s, "k", []byte("two"))
		clock.Advance(3 * time.Second)
		wantNotFound(t, s, "k")
	}},
	{"SetAfterExpiry", func(t *testing.T, s store.Store, clock *Clock) {
		set(t, s, "k", []byte("old"), time.Second)
		clock.Advance(time.Minute)
		set(t, s, "k", []byte("new"), time.Minute)
		wantValue(t, s, "k", []byte("new"))
	}},
	{"TTLPerKey", func(t *testing.T, s store.Store, clock *Clock) {
		set(t, s, "short", []byte("s"), time.Minute)
		set(t, s, "long", []byte("l"), time.Hour)
		clock.Advance(2 * time.Minute)
		wantNotFound(t, s, "short")
		wantValue(t, s, "long", []byte("l"))
	}},
}
