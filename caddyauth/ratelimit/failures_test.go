package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
	"github.com/gatehousehq/gatehouse/caddyauth/store/storetest"
)

func TestFailuresLockAfterMaxAndExpire(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	st := store.NewMemory(store.Options{Now: clock.Now})
	defer st.Close()
	f := NewFailures(st)
	ctx := context.Background()
	limit := FailureLimit{Name: "user", Max: 3, Window: 15 * time.Minute}

	for i := 1; i <= 3; i++ {
		if locked, _ := f.Locked(ctx, limit, "alice"); locked {
			t.Fatalf("locked before failure %d", i)
		}
		locked, err := f.Fail(ctx, limit, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 3; locked != want {
			t.Fatalf("failure %d: locked = %v, want %v", i, locked, want)
		}
	}
	if locked, _ := f.Locked(ctx, limit, "alice"); !locked {
		t.Fatal("not locked after Max failures")
	}
	if locked, _ := f.Locked(ctx, limit, "bob"); locked {
		t.Fatal("another key is locked too")
	}
	if locked, _ := f.Locked(ctx, FailureLimit{Name: "ip", Max: 3, Window: time.Minute}, "alice"); locked {
		t.Fatal("a limit of another name shares the lock")
	}
	clock.Advance(15*time.Minute + time.Second)
	if locked, _ := f.Locked(ctx, limit, "alice"); locked {
		t.Fatal("still locked after the window")
	}
	// The count started again: one more failure does not lock.
	if locked, _ := f.Fail(ctx, limit, "alice"); locked {
		t.Fatal("a single failure after the window locks again")
	}
}

// brokenStore fails every call, as an unreachable store would.
type brokenStore struct{ store.Store }

var errBroken = errors.New("broken")

func (brokenStore) Get(context.Context, string) ([]byte, error) { return nil, errBroken }
func (brokenStore) Incr(context.Context, string, time.Duration) (int64, error) {
	return 0, errBroken
}

func TestFailuresReportStoreErrors(t *testing.T) {
	f := NewFailures(brokenStore{})
	limit := FailureLimit{Name: "user", Max: 3, Window: time.Minute}
	if _, err := f.Locked(context.Background(), limit, "alice"); !errors.Is(err, errBroken) {
		t.Fatalf("Locked on a broken store: %v, want the store error (fail closed)", err)
	}
	if _, err := f.Fail(context.Background(), limit, "alice"); !errors.Is(err, errBroken) {
		t.Fatalf("Fail on a broken store: %v, want the store error", err)
	}
}
