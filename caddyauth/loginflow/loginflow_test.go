package loginflow

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
	"github.com/gatehousehq/gatehouse/caddyauth/store/storetest"
)

func newFlows(t *testing.T) (*Flows, *storetest.Clock) {
	clock := storetest.NewClock(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	st := store.NewMemory(store.Options{Now: clock.Now})
	t.Cleanup(func() { st.Close() })
	return New(st), clock
}

func TestBeginFinish(t *testing.T) {
	fl, _ := newFlows(t)
	ctx := context.Background()
	state, f, err := fl.Begin(ctx, "corp", "/app", "https://gw/.gatehouse/callback/corp", "browser-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Verifier) < 43 || len(f.Verifier) > 128 || f.Nonce == "" || f.Nonce == state {
		t.Fatalf("weak flow values: %+v", f)
	}
	got, err := fl.Finish(ctx, state, "browser-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Provider != "corp" || got.RD != "/app" || got.Nonce != f.Nonce || got.Verifier != f.Verifier {
		t.Fatalf("Finish returned %+v, want %+v", got, f)
	}
	if _, err := fl.Finish(ctx, state, "browser-1"); !errors.Is(err, ErrUnknownState) {
		t.Fatalf("replayed state: %v, want ErrUnknownState", err)
	}
}

func TestFinishRefusals(t *testing.T) {
	fl, clock := newFlows(t)
	ctx := context.Background()
	s1, _, _ := fl.Begin(ctx, "corp", "/", "", "browser-1")
	if _, err := fl.Finish(ctx, s1, "browser-2"); !errors.Is(err, ErrOtherBrowser) {
		t.Fatalf("another browser: %v, want ErrOtherBrowser", err)
	}
	if _, err := fl.Finish(ctx, s1, "browser-1"); !errors.Is(err, ErrUnknownState) {
		t.Fatalf("a state tried by another browser must be gone too: %v", err)
	}
	s2, _, _ := fl.Begin(ctx, "corp", "/", "", "browser-1")
	clock.Advance(Lifetime + time.Second)
	if _, err := fl.Finish(ctx, s2, "browser-1"); !errors.Is(err, ErrUnknownState) {
		t.Fatalf("expired state: %v, want ErrUnknownState", err)
	}
	for _, bad := range []string{"", "short", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"} {
		if _, err := fl.Finish(ctx, bad, "browser-1"); !errors.Is(err, ErrUnknownState) {
			t.Errorf("state %q: %v, want ErrUnknownState", bad, err)
		}
	}
	s3, _, _ := fl.Begin(ctx, "corp", "/", "", "browser-1")
	if _, err := fl.Finish(ctx, s3, ""); !errors.Is(err, ErrOtherBrowser) {
		t.Fatalf("no flow cookie: %v, want ErrOtherBrowser", err)
	}
}

func TestFinishIsSingleUseUnderConcurrency(t *testing.T) {
	fl, _ := newFlows(t)
	ctx := context.Background()
	state, _, _ := fl.Begin(ctx, "corp", "/", "", "b")
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := fl.Finish(ctx, state, "b"); err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d callbacks finished the same flow, want 1", wins.Load())
	}
}
