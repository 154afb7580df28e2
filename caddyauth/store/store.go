// Package store defines the Store that keeps Gatehouse's state (sessions, login flow state,
// counters) and its implementations: memory, file (bbolt, durable, reads from memory) and,
// later, redis. All of them pass the contract suite in package storetest.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Get and Take when the key is absent or expired.
var ErrNotFound = errors.New("store: not found")

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("store: closed")

// Store keeps values under string keys with a time to live. Implementations are safe for
// concurrent use. Values passed to Set are copied by the store; a value returned by Get must
// be treated as read-only by the caller (the memory stores return their own copy without
// cloning, which keeps the per-request path free of allocations).
//
// Keys are non-empty and at most 4096 bytes; ttl and window must be positive. Other
// arguments are rejected with an error (not ErrNotFound).
//
// Any error other than ErrNotFound means the store could not answer: callers fail closed.
type Store interface {
	// Get returns the value under key, or ErrNotFound when it is absent or expired.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key for ttl (ttl > 0), replacing any previous value.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key. Deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Take atomically returns and deletes the value under key: of many concurrent callers
	// at most one gets the value, the others get ErrNotFound. For single-use state.
	Take(ctx context.Context, key string) ([]byte, error)
	// Incr adds 1 to the counter under key and returns the new count. A counter that does
	// not exist (or has expired) starts at 0 and expires window after that first Incr; later
	// increments do not extend it (a fixed window). The counter's value, as Get returns it,
	// is its decimal text ("3"), as in Redis; Incr of a key holding anything else fails.
	Incr(ctx context.Context, key string, window time.Duration) (int64, error)
	// Close releases the store's resources. Later calls return ErrClosed.
	Close() error
}
