package password

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
)

// blockingHash is a hashFunc that reports when it starts and returns when told.
type blockingHash struct {
	started chan struct{}
	finish  chan struct{}
}

func (b *blockingHash) verify(string) (bool, error) {
	b.started <- struct{}{}
	<-b.finish
	return true, nil
}

func TestNewVerifierDefaults(t *testing.T) {
	v := NewVerifier(0, -1)
	if cap(v.slots) != runtime.NumCPU() || v.maxWaiting != defaultMaxWaiting {
		t.Fatalf("NewVerifier(0, -1) = %d slots, %d waiting; want %d, %d",
			cap(v.slots), v.maxWaiting, runtime.NumCPU(), defaultMaxWaiting)
	}
	v = NewVerifier(3, 5)
	if cap(v.slots) != 3 || v.maxWaiting != 5 {
		t.Fatalf("NewVerifier(3, 5) = %d slots, %d waiting", cap(v.slots), v.maxWaiting)
	}
}

func TestVerifierVerify(t *testing.T) {
	v := NewVerifier(2, 2)
	encoded, _ := Hash("pw")
	ctx := context.Background()
	if ok, err := v.Verify(ctx, encoded, "pw"); err != nil || !ok {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if ok, err := v.Verify(ctx, encoded, "nope"); err != nil || ok {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
	if ok, err := v.Verify(ctx, "$argon2id$garbage", "pw"); ok || !errors.Is(err, ErrMalformedHash) {
		t.Fatalf("Verify(malformed) = %v, %v; want ErrMalformedHash", ok, err)
	}
	if len(v.slots) != 0 {
		t.Fatalf("%d slots still taken after Verify returned", len(v.slots))
	}
}

func TestVerifierBoundsConcurrency(t *testing.T) {
	v := NewVerifier(1, 1)
	waiting := make(chan struct{}, 1)
	v.onWait = func() { waiting <- struct{}{} }
	slow := &blockingHash{started: make(chan struct{}), finish: make(chan struct{})}
	encoded, _ := Hash("pw")

	// First caller: takes the only slot and stays in the hash.
	first := make(chan error, 1)
	go func() {
		_, err := v.run(context.Background(), slow, "pw")
		first <- err
	}()
	<-slow.started

	// Second caller: waits for the slot until its context is cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := v.Verify(ctx, encoded, "pw")
		second <- err
	}()
	<-waiting

	// Third caller: one is already waiting, so it is turned away at once.
	if ok, err := v.Verify(context.Background(), encoded, "pw"); ok || !errors.Is(err, ErrBusy) {
		t.Fatalf("third Verify = %v, %v; want ErrBusy", ok, err)
	}
	if ok, err := v.VerifyUnknown(context.Background(), "pw"); ok || !errors.Is(err, ErrBusy) {
		t.Fatalf("third VerifyUnknown = %v, %v; want ErrBusy", ok, err)
	}

	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter got %v; want context.Canceled", err)
	}

	// A new waiter now fits, and gets the slot once the first caller is done.
	third := make(chan error, 1)
	go func() {
		ok, err := v.Verify(context.Background(), encoded, "pw")
		if err == nil && !ok {
			err = errors.New("right password rejected")
		}
		third <- err
	}()
	<-waiting
	close(slow.finish)
	if err := <-first; err != nil {
		t.Fatalf("first caller: %v", err)
	}
	if err := <-third; err != nil {
		t.Fatalf("waiter after release: %v", err)
	}
}

func TestVerifierContextAlreadyDone(t *testing.T) {
	v := NewVerifier(1, 1)
	encoded, _ := Hash("pw")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Verify(ctx, encoded, "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify(cancelled ctx) = %v; want context.Canceled", err)
	}
}

func TestVerifyUnknown(t *testing.T) {
	v := NewVerifier(2, 2)
	var wg sync.WaitGroup
	for _, pw := range []string{"", "pw", "hunter2"} {
		wg.Go(func() {
			if ok, err := v.VerifyUnknown(context.Background(), pw); ok || err != nil {
				t.Errorf("VerifyUnknown(%q) = %v, %v; want false, nil", pw, ok, err)
			}
		})
	}
	wg.Wait()
	fake := v.fake.(*argon2idHash)
	if fake.memory != defaultMemoryKiB || fake.time != defaultTime || len(fake.key) != defaultKeyLen {
		t.Fatalf("unknown-user hash has other parameters than Hash: %+v", fake)
	}
	_, _ = v.VerifyUnknown(context.Background(), "x")
	if v.fake.(*argon2idHash) != fake {
		t.Fatalf("unknown-user hash computed twice")
	}
}
