package store_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
	"github.com/gatehousehq/gatehouse/caddyauth/store/storetest"
)

// TestMain fails the package's tests if any goroutine (a sweeper, a committer) outlives
// its store.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return store.NewMemory(store.Options{Now: now})
	})
}

func TestMemoryCloseStopsSweeper(t *testing.T) {
	m := store.NewMemory(store.Options{SweepInterval: time.Millisecond})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t)
}
