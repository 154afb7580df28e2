package store

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"time"
)

// Counters are stored as their decimal text ("1", "2", ...), as Redis stores INCR counters,
// so that Get returns the same bytes from every store.

var (
	// errNotCounter is returned by Incr when the key holds a value that is not a counter.
	errNotCounter = errors.New("store: value is not a counter")
	// errCounterOverflow is returned by Incr when the count would pass math.MaxInt64.
	errCounterOverflow = errors.New("store: counter overflow")
)

// nextCount returns the counter entry that follows cur and its count. A counter that is not
// found starts at 1 and expires window after now; a found one keeps its expiry.
func nextCount(cur entry, found bool, now int64, window time.Duration) (entry, int64, error) {
	if !found {
		return entry{value: []byte("1"), expires: deadline(now, window)}, 1, nil
	}
	n, ok := parseCount(cur.value)
	if !ok {
		return entry{}, 0, errNotCounter
	}
	if n == math.MaxInt64 {
		return entry{}, 0, errCounterOverflow
	}
	n++
	var buf [20]byte
	return entry{value: bytes.Clone(strconv.AppendInt(buf[:0], n, 10)), expires: cur.expires}, n, nil
}

// parseCount decodes a counter written by nextCount (a non-negative decimal integer).
func parseCount(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
