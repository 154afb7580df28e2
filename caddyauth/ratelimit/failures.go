// Package ratelimit limits how often things may happen: request rates (GCRA, with bounded
// in-memory counters) and failed sign-ins (locks kept in the store). It imports nothing from
// Caddy.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// FailureLimit locks a key (a user name, a client IP) after Max failures within Window;
// the lock lasts Window from the failure that set it.
type FailureLimit struct {
	// Name distinguishes the keys of different limits in the store ("user", "ip").
	Name string
	// Max is the number of failures that locks the key.
	Max int64
	// Window is how long failures are counted, and how long a lock lasts.
	Window time.Duration
}

// Failures applies FailureLimits to keys, with counters and locks kept in a Store so that
// every instance sharing the store sees the same counts.
type Failures struct {
	store store.Store
}

// NewFailures returns Failures on st.
func NewFailures(st store.Store) *Failures { return &Failures{store: st} }

// Locked tells whether key is locked under limit. A store error is returned as is; the
// caller fails closed.
func (f *Failures) Locked(ctx context.Context, limit FailureLimit, key string) (bool, error) {
	_, err := f.store.Get(ctx, lockKey(limit, key))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("reading %s lock: %w", limit.Name, err)
	}
}

// Fail counts one failure for key and locks it when the count reaches limit.Max. It
// returns whether the key is now locked.
func (f *Failures) Fail(ctx context.Context, limit FailureLimit, key string) (bool, error) {
	n, err := f.store.Incr(ctx, "fail:"+limit.Name+":"+key, limit.Window)
	if err != nil {
		return false, fmt.Errorf("counting %s failure: %w", limit.Name, err)
	}
	if n < limit.Max {
		return false, nil
	}
	if err := f.store.Set(ctx, lockKey(limit, key), []byte{1}, limit.Window); err != nil {
		return false, fmt.Errorf("locking %s: %w", limit.Name, err)
	}
	return true, nil
}

func lockKey(limit FailureLimit, key string) string { return "lock:" + limit.Name + ":" + key }
