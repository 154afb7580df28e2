package ratelimit

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// t0 is the start of every scripted sequence, a realistic unix time.
var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC).UnixNano()

// step advances the clock by advance (negative: backwards), checks one event and expects want.
type step struct {
	advance time.Duration
	want    Result
}

// allowed and refused build expected Results.
func allowed(limit, remaining int64, reset time.Duration) Result {
	return Result{Allowed: true, Limit: limit, Remaining: remaining, Reset: reset}
}

func refused(limit int64, retryAfter, reset time.Duration) Result {
	return Result{Limit: limit, RetryAfter: retryAfter, Reset: reset}
}

// repeat returns n copies of s.
func repeat(n int, s step) []step {
	steps := make([]step, n)
	for i := range steps {
		steps[i] = s
	}
	return steps
}

// concat joins step lists.
func concat(lists ...[]step) []step {
	var all []step
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// fiveBySecond is 5 events per 5s: one per second, bursts of 5.
var fiveBySecond = Limit{Rate: 5, Window: 5 * time.Second}

// exhaust5 spends the five events of a fresh fiveBySecond bucket at once.
var exhaust5 = []step{
	{0, allowed(5, 4, 1*time.Second)},
	{0, allowed(5, 3, 2*time.Second)},
	{0, allowed(5, 2, 3*time.Second)},
	{0, allowed(5, 1, 4*time.Second)},
	{0, allowed(5, 0, 5*time.Second)},
}

func TestDecideSequences(t *testing.T) {
	const year = 8760 * time.Hour
	tests := []struct {
		name  string
		limit Limit
		steps []step
	}{
		{"burst then refusal with exact RetryAfter", fiveBySecond, concat(exhaust5, []step{
			{0, refused(5, time.Second, 5*time.Second)},
			{0, refused(5, time.Second, 5*time.Second)},
			{time.Second, allowed(5, 0, 5*time.Second)},
			{0, refused(5, time.Second, 5*time.Second)},
		})},
		{"steady rate every T is always allowed", fiveBySecond, concat(
			[]step{{0, allowed(5, 4, time.Second)}},
			repeat(10_000, step{time.Second, allowed(5, 4, time.Second)}),
		)},
		{"steady rate at capacity after a burst", fiveBySecond, concat(exhaust5,
			repeat(1000, step{time.Second, allowed(5, 0, 5*time.Second)}),
		)},
		{"smooth: one event per T after exhausting, none in between", fiveBySecond, concat(exhaust5,
			repeat(3, step{0, refused(5, time.Second, 5*time.Second)}),
			[]step{
				{500 * time.Millisecond, refused(5, 500*time.Millisecond, 4500*time.Millisecond)},
				{500 * time.Millisecond, allowed(5, 0, 5*time.Second)},
				{500 * time.Millisecond, refused(5, 500*time.Millisecond, 4500*time.Millisecond)},
				{500 * time.Millisecond, allowed(5, 0, 5*time.Second)},
			},
		)},
		{"window edge: 1ns before T refused, at T allowed", fiveBySecond, concat(exhaust5, []step{
			{time.Second - 1, refused(5, 1, 4*time.Second+1)},
			{1, allowed(5, 0, 5*time.Second)},
			{time.Second - 1, refused(5, 1, 4*time.Second+1)},
			{1, allowed(5, 0, 5*time.Second)},
		})},
		{"partial refill", fiveBySecond, concat(exhaust5, []step{
			{2 * time.Second, allowed(5, 1, 4*time.Second)},
			{0, allowed(5, 0, 5*time.Second)},
			{0, refused(5, time.Second, 5*time.Second)},
		})},
		{"full refill after capacity*T, never more than capacity", fiveBySecond, concat(exhaust5,
			[]step{{5 * time.Second, allowed(5, 4, time.Second)}},
			exhaust5[1:],
			[]step{{0, refused(5, time.Second, 5*time.Second)}},
		)},
		{"burst smaller than rate", Limit{Rate: 10, Window: 10 * time.Second, Burst: 2}, []step{
			{0, allowed(2, 1, time.Second)},
			{0, allowed(2, 0, 2*time.Second)},
			{0, refused(2, time.Second, 2*time.Second)},
			{time.Second, allowed(2, 0, 2*time.Second)},
			{10 * time.Second, allowed(2, 1, time.Second)},
		}},
		{"burst larger than rate", Limit{Rate: 2, Window: 2 * time.Second, Burst: 4}, []step{
			{0, allowed(4, 3, 1*time.Second)},
			{0, allowed(4, 2, 2*time.Second)},
			{0, allowed(4, 1, 3*time.Second)},
			{0, allowed(4, 0, 4*time.Second)},
			{0, refused(4, time.Second, 4*time.Second)},
			{time.Second, allowed(4, 0, 4*time.Second)},
		}},
		{"rate 1 per hour", Limit{Rate: 1, Window: time.Hour}, []step{
			{0, allowed(1, 0, time.Hour)},
			{0, refused(1, time.Hour, time.Hour)},
			{59 * time.Minute, refused(1, time.Minute, time.Minute)},
			{time.Minute - 1, refused(1, 1, 1)},
			{1, allowed(1, 0, time.Hour)},
		}},
		{"clock jumps forward: bucket refills to capacity, no more", fiveBySecond, concat(exhaust5,
			[]step{{24 * time.Hour, allowed(5, 4, time.Second)}},
			exhaust5[1:],
			[]step{{0, refused(5, time.Second, 5*time.Second)}},
		)},
		{"clock jumps back an hour: locked for T, not an hour", fiveBySecond, concat(exhaust5, []step{
			{-time.Hour, refused(5, time.Second, 5*time.Second)},
			{500 * time.Millisecond, refused(5, 500*time.Millisecond, 4500*time.Millisecond)},
			{500 * time.Millisecond, allowed(5, 0, 5*time.Second)},
			{0, refused(5, time.Second, 5*time.Second)},
		})},
		{"clock jumps back a little: no extra events", fiveBySecond, []step{
			{0, allowed(5, 4, 1*time.Second)},
			{0, allowed(5, 3, 2*time.Second)},
			{-2 * time.Second, allowed(5, 0, 5*time.Second)},
			{0, refused(5, time.Second, 5*time.Second)},
		}},
		{"huge window: 1 per year", Limit{Rate: 1, Window: year}, []step{
			{0, allowed(1, 0, year)},
			{0, refused(1, year, year)},
			{year - 1, refused(1, 1, 1)},
			{1, allowed(1, 0, year)},
		}},
		{"huge window with burst: 100 per year at once", Limit{Rate: 1, Window: year, Burst: 100}, concat(
			repeat(99, step{0, Result{Allowed: true, Limit: 100}}), // checked below
			[]step{
				{0, allowed(100, 0, 100*year)},
				{0, refused(100, year, 100*year)},
				{year, allowed(100, 0, 100*year)},
			},
		)},
		{"one event per nanosecond", Limit{Rate: 1_000_000_000, Window: time.Second, Burst: 3}, []step{
			{0, allowed(3, 2, 1)},
			{0, allowed(3, 1, 2)},
			{0, allowed(3, 0, 3)},
			{0, refused(3, 1, 3)},
			{1, allowed(3, 0, 3)},
		}},
		{"interval rounds down to the nanosecond", Limit{Rate: 3, Window: time.Second, Burst: 1}, []step{
			{0, allowed(1, 0, 333333333)},
			{333333332, refused(1, 1, 1)},
			{1, allowed(1, 0, 333333333)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.limit.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			var tat int64
			now := t0
			for i, s := range tt.steps {
				now += int64(s.advance)
				newTAT, got := Decide(tat, now, tt.limit)
				want := s.want
				if want.Allowed && want.Reset == 0 { // only Allowed and Limit given: derive the rest
					want.Remaining = tt.limit.Capacity() - int64(i) - 1
					want.Reset = time.Duration(i+1) * tt.limit.Interval()
				}
				if got != want {
					t.Fatalf("step %d (+%v): got %+v, want %+v", i, s.advance, got, want)
				}
				if !got.Allowed && newTAT != tat && newTAT != now+int64(got.Reset) {
					t.Fatalf("step %d: refusal changed TAT from %d to %d", i, tat, newTAT)
				}
				tat = newTAT
			}
		})
	}
}

func TestDecideAbsentEqualsFullBucket(t *testing.T) {
	// A stored TAT at or before now is the same as none.
	for _, tat := range []int64{0, t0 - int64(time.Hour), t0} {
		newTAT, r := Decide(tat, t0, fiveBySecond)
		if want := allowed(5, 4, time.Second); r != want || newTAT != t0+int64(time.Second) {
			t.Errorf("Decide(%d): %d %+v, want %d %+v", tat, newTAT, r, t0+int64(time.Second), want)
		}
	}
}

func TestDecideRefusalKeepsTAT(t *testing.T) {
	tat := t0 + int64(5*time.Second) // exhausted at t0
	for _, now := range []int64{t0, t0 + int64(time.Second) - 1} {
		if newTAT, r := Decide(tat, now, fiveBySecond); r.Allowed || newTAT != tat {
			t.Errorf("now %d: allowed %v, TAT %d, want refused with TAT %d", now, r.Allowed, newTAT, tat)
		}
	}
	// Pulled back only when further ahead than any allowed event can put it.
	if newTAT, _ := Decide(tat, t0-1, fiveBySecond); newTAT != t0-1+int64(5*time.Second) {
		t.Errorf("TAT after a 1ns backward jump = %d, want %d", newTAT, t0-1+int64(5*time.Second))
	}
}

func TestDecideNoOverflow(t *testing.T) {
	tests := []struct {
		name     string
		tat, now int64
		limit    Limit
	}{
		{"longest window, largest burst", 0, t0, Limit{Rate: 1, Window: math.MaxInt64, Burst: MaxBurst}},
		{"longest window, rate 1", 0, t0, Limit{Rate: 1, Window: math.MaxInt64}},
		{"stored TAT at the end of time", math.MaxInt64, t0, Limit{Rate: 1, Window: time.Hour}},
		{"now at the end of time", t0, math.MaxInt64, Limit{Rate: 1, Window: math.MaxInt64}},
		{"now before 1970", math.MaxInt64, -t0, Limit{Rate: 1, Window: math.MaxInt64, Burst: MaxBurst}},
		{"now at the start of time", math.MaxInt64, math.MinInt64, Limit{Rate: 2, Window: math.MaxInt64}},
		{"huge rate, no burst", 0, t0, Limit{Rate: math.MaxInt64, Window: math.MaxInt64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tat := tt.tat
			for i := range 3 {
				newTAT, r := Decide(tat, tt.now, tt.limit)
				if r.Reset < 0 || r.RetryAfter < 0 || r.Remaining < 0 || r.Remaining >= max(r.Limit, 1) {
					t.Fatalf("call %d: impossible result %+v", i, r)
				}
				if r.Allowed && newTAT <= tt.now && tt.now != math.MaxInt64 {
					t.Fatalf("call %d: allowed but TAT %d not after now %d", i, newTAT, tt.now)
				}
				tat = newTAT
			}
		})
	}
}

func TestDecideInvalidLimitRefuses(t *testing.T) {
	for _, l := range []Limit{
		{},
		{Rate: 0, Window: time.Second},
		{Rate: 1, Window: 0},
		{Rate: 1, Window: -time.Second},
		{Rate: 2, Window: 1},
		{Rate: 1, Window: time.Second, Burst: -1},
	} {
		newTAT, r := Decide(0, t0, l)
		if r.Allowed || newTAT != 0 || r.RetryAfter <= 0 {
			t.Errorf("%+v: got %d %+v, want refused with a RetryAfter and nothing stored", l, newTAT, r)
		}
	}
}

func TestLimitValidate(t *testing.T) {
	tests := []struct {
		limit Limit
		ok    bool
	}{
		{Limit{Rate: 5, Window: time.Second}, true},
		{Limit{Rate: 1, Window: 8760 * time.Hour}, true},
		{Limit{Rate: 1, Window: 8760 * time.Hour, Burst: 100}, true},
		{Limit{Rate: 1_000_000_000, Window: time.Second}, true},
		{Limit{Rate: 10, Window: time.Second, Burst: MaxBurst}, true},
		{Limit{Rate: 0, Window: time.Second}, false},
		{Limit{Rate: -1, Window: time.Second}, false},
		{Limit{Rate: 1, Window: 0}, false},
		{Limit{Rate: 1, Window: -time.Second}, false},
		{Limit{Rate: 1, Window: time.Second, Burst: -1}, false},
		{Limit{Rate: 1, Window: time.Second, Burst: MaxBurst + 1}, false},
		{Limit{Rate: 1_000_000_001, Window: time.Second}, false},           // interval below 1ns
		{Limit{Rate: 1, Window: 8760 * time.Hour, Burst: 101}, false},      // refills in 101 years
		{Limit{Rate: 1, Window: time.Duration(math.MaxInt64)}, false},      // refills in 292 years
		{Limit{Rate: 1, Window: 8760 * time.Hour, Burst: MaxBurst}, false}, // would overflow
	}
	for _, tt := range tests {
		err := tt.limit.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%+v: Validate() = %v, want ok %v", tt.limit, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("%+v: error %v does not wrap ErrInvalidLimit", tt.limit, err)
		}
	}
}

func TestLimitCapacityAndInterval(t *testing.T) {
	tests := []struct {
		limit    Limit
		capacity int64
		interval time.Duration
	}{
		{Limit{Rate: 60, Window: time.Minute}, 60, time.Second},
		{Limit{Rate: 60, Window: time.Minute, Burst: 5}, 5, time.Second},
		{Limit{Rate: 3, Window: time.Second}, 3, 333333333 * time.Nanosecond},
		{Limit{Rate: 0, Window: time.Second}, 0, 0},
	}
	for _, tt := range tests {
		if got := tt.limit.Capacity(); got != tt.capacity {
			t.Errorf("%+v: Capacity() = %d, want %d", tt.limit, got, tt.capacity)
		}
		if got := tt.limit.Interval(); got != tt.interval {
			t.Errorf("%+v: Interval() = %v, want %v", tt.limit, got, tt.interval)
		}
	}
}

// TestDecideProperties drives random limits through random traffic, with a clock that
// sometimes jumps backwards, and checks what a user relies on: never more events than
// capacity + elapsed/T in real time, RetryAfter and Remaining and Reset exact, and no lock
// longer than T after a backward jump.
func TestDecideProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		limit := Limit{
			Rate:   1 + rng.Int64N(20),
			Window: time.Duration(1+rng.Int64N(10_000)) * time.Millisecond,
			Burst:  rng.Int64N(30),
		}
		if limit.Validate() != nil {
			continue
		}
		interval := int64(limit.Interval())
		capacity := limit.Capacity()
		tau := interval * (capacity - 1)
		var (
			tat           int64
			elapsed, skew int64 // real elapsed time; how far the clock is behind it
			allowedSeen   int64
		)
		for i := range 2000 {
			elapsed += rng.Int64N(2 * interval)
			if rng.IntN(100) == 0 {
				skew += rng.Int64N(10 * (tau + interval))
			}
			now := t0 + elapsed - skew
			newTAT, r := Decide(tat, now, limit)
			if r.Allowed {
				allowedSeen++
				if bound := capacity + elapsed/interval; allowedSeen > bound {
					t.Fatalf("round %d %+v step %d: %d events in %v, bound %d", round, limit, i, allowedSeen, time.Duration(elapsed), bound)
				}
				checkRemaining(t, newTAT, now, limit, r)
				if r.Reset < time.Duration(interval) || r.Reset > time.Duration(tau+interval) {
					t.Fatalf("round %d %+v step %d: Reset %v outside [T, tau+T]", round, limit, i, r.Reset)
				}
			} else {
				if r.RetryAfter <= 0 || r.RetryAfter > time.Duration(interval) {
					t.Fatalf("round %d %+v step %d: RetryAfter %v outside (0, T]", round, limit, i, r.RetryAfter)
				}
				if _, again := Decide(newTAT, now+int64(r.RetryAfter)-1, limit); again.Allowed {
					t.Fatalf("round %d %+v step %d: allowed before RetryAfter", round, limit, i)
				}
				if _, again := Decide(newTAT, now+int64(r.RetryAfter), limit); !again.Allowed {
					t.Fatalf("round %d %+v step %d: refused at RetryAfter", round, limit, i)
				}
			}
			// After Reset, the bucket is full again.
			if _, full := Decide(newTAT, now+int64(r.Reset), limit); full.Remaining != capacity-1 {
				t.Fatalf("round %d %+v step %d: bucket not full after Reset: %+v", round, limit, i, full)
			}
			tat = newTAT
		}
	}
}

// checkRemaining spends r.Remaining more events at now and expects the next one refused.
func checkRemaining(t *testing.T, tat, now int64, limit Limit, r Result) {
	t.Helper()
	for k := range r.Remaining {
		var next Result
		tat, next = Decide(tat, now, limit)
		if !next.Allowed || next.Remaining != r.Remaining-k-1 {
			t.Fatalf("%+v: event %d of %d remaining: %+v", limit, k+1, r.Remaining, next)
		}
	}
	if _, next := Decide(tat, now, limit); next.Allowed {
		t.Fatalf("%+v: more than Remaining %d allowed", limit, r.Remaining)
	}
}
