package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// MaxBurst is the largest Burst a Limit may have.
const MaxBurst = 1_000_000_000

// MaxRefill is the longest a Limit's bucket may take to refill from empty (Capacity times
// Interval). It keeps every theoretical arrival time far below the int64 range, so that
// Decide never saturates for a valid Limit.
const MaxRefill = 100 * 365 * 24 * time.Hour

// ErrInvalidLimit is wrapped by every error Limit.Validate returns.
var ErrInvalidLimit = errors.New("invalid rate limit")

// Limit is a rate: Rate events per Window, smoothed (GCRA), with at most Burst events at once.
type Limit struct {
	// Rate is the number of events allowed per Window; it must be positive.
	Rate int64
	// Window is the period Rate is counted over; it must be positive.
	Window time.Duration
	// Burst is the bucket capacity: how many events may happen at once after a quiet
	// period. Zero means Rate (a full window's worth may be spent at once).
	Burst int64
}

// Validate reports whether l can be used: Rate and Window positive, Burst not negative and
// at most MaxBurst, an emission interval (Window/Rate) of at least one nanosecond, and a
// bucket that refills within MaxRefill. The error wraps ErrInvalidLimit.
func (l Limit) Validate() error {
	switch {
	case l.Rate <= 0:
		return fmt.Errorf("%w: rate %d is not positive", ErrInvalidLimit, l.Rate)
	case l.Window <= 0:
		return fmt.Errorf("%w: window %v is not positive", ErrInvalidLimit, l.Window)
	case l.Burst < 0:
		return fmt.Errorf("%w: burst %d is negative", ErrInvalidLimit, l.Burst)
	case l.Burst > MaxBurst:
		return fmt.Errorf("%w: burst %d is above %d", ErrInvalidLimit, l.Burst, MaxBurst)
	case l.Interval() <= 0:
		return fmt.Errorf("%w: %d events per %v is more than one per nanosecond", ErrInvalidLimit, l.Rate, l.Window)
	case satMul(int64(l.Interval()), l.Capacity()) > int64(MaxRefill):
		return fmt.Errorf("%w: a bucket of %d events at %d per %v takes more than %v to refill",
			ErrInvalidLimit, l.Capacity(), l.Rate, l.Window, MaxRefill)
	}
	return nil
}

// Capacity returns the burst capacity in force: Burst, or Rate when Burst is zero.
func (l Limit) Capacity() int64 {
	if l.Burst > 0 {
		return l.Burst
	}
	return l.Rate
}

// Interval returns the emission interval Window/Rate, the steady spacing between events,
// rounded down to the nanosecond. It is zero when Rate is not positive.
func (l Limit) Interval() time.Duration {
	if l.Rate <= 0 {
		return 0
	}
	return l.Window / time.Duration(l.Rate)
}

// Result is the outcome of one check.
type Result struct {
	// Allowed tells whether the event may happen.
	Allowed bool
	// Limit is the burst capacity in force (Burst, or Rate when Burst is zero).
	Limit int64
	// Remaining is how many more events are allowed right now, after this one; 0 when refused.
	Remaining int64
	// RetryAfter is, when refused, how long until one event is allowed; 0 when allowed.
	RetryAfter time.Duration
	// Reset is how long until the bucket is full again (all Limit events available).
	Reset time.Duration
}

// Decide is the GCRA algorithm, pure: given the stored theoretical arrival time tat (unix
// nanoseconds, 0 when the key has none), the current time now (unix nanoseconds) and the
// limit, it returns the TAT to store and the Result. A TAT at or before now is the same as
// none: the bucket is full.
//
// With interval T = Window/Rate and tolerance tau = T*(Capacity-1), an event is allowed when
// the TAT lies at most tau ahead of now; the new TAT is then max(tat, now) + T. When refused,
// the returned TAT is the stored one, with one exception: a TAT more than tau+T ahead of now
// cannot come from allowed events at this limit, so the clock went backwards (or the limit
// was tightened); Decide then pulls the TAT back to now+tau+T (an empty bucket) and returns
// that. A backward clock jump therefore never lets extra events through and locks a key for
// at most T, instead of for the length of the jump. A forward jump simply refills the bucket.
// Callers store the returned TAT whenever it differs from the one they passed.
//
// Arithmetic saturates instead of overflowing. An invalid limit (see Validate) refuses every
// event, with RetryAfter set to its Window (or one minute when that is not positive).
func Decide(tat, now int64, l Limit) (newTAT int64, r Result) {
	interval := int64(l.Interval())
	if l.Window <= 0 || l.Burst < 0 || interval <= 0 {
		retry := l.Window
		if retry <= 0 {
			retry = time.Minute
		}
		return tat, Result{RetryAfter: retry, Reset: retry}
	}
	capacity := l.Capacity()
	tau := satMul(interval, capacity-1)
	maxAhead := satAdd(tau, interval)

	// ahead is how far the bucket is from full: how long until the TAT is reached.
	var ahead int64
	if tat > now {
		ahead = satSub(tat, now)
	}
	if ahead > maxAhead {
		ahead = maxAhead
		tat = satAdd(now, maxAhead)
	}
	if ahead > tau {
		return tat, Result{
			Limit:      capacity,
			RetryAfter: time.Duration(ahead - tau),
			Reset:      time.Duration(ahead),
		}
	}
	newAhead := satAdd(ahead, interval)
	remaining := (tau - ahead) / interval
	if remaining > capacity-1 {
		remaining = capacity - 1
	}
	return satAdd(now, newAhead), Result{
		Allowed:   true,
		Limit:     capacity,
		Remaining: remaining,
		Reset:     time.Duration(newAhead),
	}
}

// satAdd returns a+b, clamped to the int64 range.
func satAdd(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}

// satSub returns a-b, clamped to the int64 range.
func satSub(a, b int64) int64 {
	if b == math.MinInt64 {
		if a >= 0 {
			return math.MaxInt64
		}
		return a - b
	}
	return satAdd(a, -b)
}

// satMul returns a*b for a, b >= 0, clamped to math.MaxInt64.
func satMul(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}
