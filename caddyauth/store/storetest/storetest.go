// Package storetest is the contract suite that every store.Store implementation passes.
//
// A store's test calls Run with a function that opens a fresh, empty store:
//
//	func TestMemory(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
//			return store.NewMemory(store.Options{Now: now})
//		})
//	}
//
// The suite judges expiry with a fake Clock that it advances; open must make the store read
// time through now. A store that cannot take an injected clock (a real Redis server) would
// need real, short time to live values and real waiting; the suite does not support that
// yet, and such a store should extend Run rather than skip the expiry cases.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// epoch is where every subtest's clock starts.
var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// testCase is one behaviour of the contract.
type testCase struct {
	name string
	run  func(t *testing.T, s store.Store, clock *Clock)
}

// Run runs the contract suite as subtests. Each subtest opens its own store with open,
// passing the Now method of a fresh fake Clock, and closes it when done (a Close that returns
// store.ErrClosed, because the subtest closed it already, is fine).
func Run(t *testing.T, open func(t *testing.T, now func() time.Time) store.Store) {
	t.Helper()
	var cases []testCase
	cases = append(cases, valueCases...)
	cases = append(cases, expiryCases...)
	cases = append(cases, takeCases...)
	cases = append(cases, incrCases...)
	cases = append(cases, lifecycleCases...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock(epoch)
			s := open(t, clock.Now)
			t.Cleanup(func() {
				if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
					t.Errorf("Close: %v", err)
				}
			})
			tc.run(t, s, clock)
		})
	}
}

// set stores value under key for ttl and fails the test on error.
func set(t *testing.T, s store.Store, key string, value []byte, ttl time.Duration) {
	t.Helper()
	if err := s.Set(context.Background(), key, value, ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// wantValue fails the test unless key holds want.
func wantValue(t *testing.T, s store.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v, want %q", key, err, want)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %q, want %q", key, got, want)
	}
}

// wantNotFound fails the test unless key is absent.
func wantNotFound(t *testing.T, s store.Store, key string) {
	t.Helper()
	got, err := s.Get(context.Background(), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, got, err)
	}
}

// incr increments key's counter and fails the test unless it reaches want.
func incr(t *testing.T, s store.Store, key string, window time.Duration, want int64) {
	t.Helper()
	got, err := s.Incr(context.Background(), key, window)
	if err != nil {
		t.Fatalf("Incr(%q): %v", key, err)
	}
	if got != want {
		t.Fatalf("Incr(%q) = %d, want %d", key, got, want)
	}
}

// together runs fn on n goroutines released at the same moment and waits for them.
func together(n int, fn func(i int)) {
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
}
