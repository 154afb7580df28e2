package password

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// ErrBusy is returned by a Verifier when too many callers are already waiting for a slot.
// The login handler answers it with "try again later" rather than queueing without bound.
var ErrBusy = errors.New("password verifier busy: too many logins waiting")

// defaultMaxWaiting is the number of callers a Verifier lets wait when none is given.
const defaultMaxWaiting = 64

// Verifier verifies passwords with a bound on how many hashes run at once (argon2id at
// m=19456 takes 19 MiB each) and on how many callers wait for a turn. It is safe for
// concurrent use.
type Verifier struct {
	slots      chan struct{} // one token per running hash
	waiting    atomic.Int64  // callers blocked in acquire
	maxWaiting int64

	fakeOnce sync.Once
	fake     hashFunc // argon2id hash of a random password, for unknown users
	fakeErr  error

	// onWait, when set (by tests), is called once a caller has been counted as waiting.
	onWait func()
}

// NewVerifier returns a Verifier that runs at most maxConcurrent hashes at once and lets at
// most maxWaiting more callers wait for a turn. maxConcurrent ≤ 0 means runtime.NumCPU();
// maxWaiting ≤ 0 means 64.
func NewVerifier(maxConcurrent, maxWaiting int) *Verifier {
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	if maxWaiting <= 0 {
		maxWaiting = defaultMaxWaiting
	}
	return &Verifier{
		slots:      make(chan struct{}, maxConcurrent),
		maxWaiting: int64(maxWaiting),
	}
}

// Verify is the package's Verify run in a slot: it waits for a turn (returning the
// context's error if ctx ends first), or returns ErrBusy at once when maxWaiting callers are
// already waiting. A malformed hash is an error wrapping ErrMalformedHash and takes no slot.
func (v *Verifier) Verify(ctx context.Context, encoded, password string) (bool, error) {
	h, err := parse(encoded)
	if err != nil {
		return false, err
	}
	return v.run(ctx, h, password)
}

// VerifyUnknown does the same work as Verify against a fixed argon2id hash of a random
// password, so that a login for an unknown user takes as long as one for a known user. It
// always reports false; its error is ErrBusy or the context's error.
func (v *Verifier) VerifyUnknown(ctx context.Context, password string) (bool, error) {
	v.fakeOnce.Do(v.makeFake)
	if v.fakeErr != nil {
		return false, v.fakeErr
	}
	if _, err := v.run(ctx, v.fake, password); err != nil {
		return false, err
	}
	return false, nil
}

// makeFake computes the hash VerifyUnknown checks against: that of a random password no
// one knows, so VerifyUnknown can never succeed.
func (v *Verifier) makeFake() {
	encoded, err := Hash(rand.Text())
	if err != nil {
		v.fakeErr = fmt.Errorf("making the unknown-user hash: %w", err)
		return
	}
	v.fake, v.fakeErr = parseArgon2id(encoded)
}

// run verifies password against h once a slot is free.
func (v *Verifier) run(ctx context.Context, h hashFunc, password string) (bool, error) {
	release, err := v.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return h.verify(password)
}

// acquire takes a slot, waiting if none is free and fewer than maxWaiting callers wait.
func (v *Verifier) acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case v.slots <- struct{}{}:
		return v.release, nil
	default:
	}
	if v.waiting.Add(1) > v.maxWaiting {
		v.waiting.Add(-1)
		return nil, ErrBusy
	}
	defer v.waiting.Add(-1)
	if v.onWait != nil {
		v.onWait()
	}
	select {
	case v.slots <- struct{}{}:
		return v.release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release gives back a slot taken by acquire.
func (v *Verifier) release() { <-v.slots }
