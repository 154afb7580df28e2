package store

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// maxKeyLen is the longest key the stores accept, in bytes. It is far below bbolt's limit
// (32 KiB) and far above what Gatehouse uses (hashes of random ids, short prefixes).
const maxKeyLen = 4096

// errEmptyKey is returned for the empty key, which bbolt cannot store.
var errEmptyKey = errors.New("store: empty key")

// checkKey reports whether key is acceptable to every store.
func checkKey(key string) error {
	if key == "" {
		return errEmptyKey
	}
	if len(key) > maxKeyLen {
		return fmt.Errorf("store: key of %d bytes is longer than %d", len(key), maxKeyLen)
	}
	return nil
}

// checkTTL reports whether ttl is a usable time to live.
func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("store: time to live must be positive, got %v", ttl)
	}
	return nil
}

// deadline returns now + ttl in unix nanoseconds, saturating instead of overflowing.
func deadline(now int64, ttl time.Duration) int64 {
	if now > 0 && int64(ttl) > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + int64(ttl)
}
