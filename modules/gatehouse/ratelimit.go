package gatehouse

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2"

	"github.com/gatehousehq/gatehouse/caddyauth/ratelimit"
)

// limiters holds the process's rate-limit counters, so that a reload keeps them. With the
// file and memory stores they live in memory (a restart starts every bucket full).
var limiters = caddy.NewUsagePool()

const limiterKey = "local"

// sweepInterval is how often full buckets are dropped from memory.
const sweepInterval = time.Minute

// sharedLimiter is the pooled Limiter and the goroutine that sweeps it.
type sharedLimiter struct {
	*ratelimit.Limiter
	stop context.CancelFunc
	done chan struct{}
}

func acquireLimiter() (*sharedLimiter, error) {
	v, _, err := limiters.LoadOrNew(limiterKey, func() (caddy.Destructor, error) {
		ctx, cancel := context.WithCancel(context.Background())
		sl := &sharedLimiter{Limiter: ratelimit.NewLimiter(ratelimit.LimiterOptions{}), stop: cancel, done: make(chan struct{})}
		go sl.sweep(ctx)
		return sl, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*sharedLimiter), nil
}

func releaseLimiter() error {
	_, err := limiters.Delete(limiterKey)
	return err
}

func (sl *sharedLimiter) sweep(ctx context.Context) {
	defer close(sl.done)
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			sl.Sweep()
		}
	}
}

// Destruct stops the sweeper when no config uses the counters any more.
func (sl *sharedLimiter) Destruct() error {
	sl.stop()
	<-sl.done
	return nil
}

// defaultPortalLimit limits sign-in and sign-out posts per client IP.
var defaultPortalLimit = RateLimit{Name: "gatehouse_portal", Rate: 60, Window: caddy.Duration(time.Minute), Burst: 20}

// limitOutcome is the result of a request's rate limits: the refusing one, or the one with
// the least room left.
type limitOutcome struct {
	rl  RateLimit
	res ratelimit.Result
}

// limitSet is a handler's (or the portal's) rate limits with their RateLimit-Policy field
// value, which does not change between requests.
type limitSet struct {
	limits []RateLimit
	policy []string
	names  []any // the limits' names, boxed once for the placeholders
}

func newLimitSet(limits []RateLimit) limitSet {
	if len(limits) == 0 {
		return limitSet{}
	}
	var b []byte
	for i, rl := range limits {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "%q;q=%d;w=%d", rl.Name, rl.Rate, ceilSeconds(time.Duration(rl.Window)))
	}
	names := make([]any, len(limits))
	for i, rl := range limits {
		names[i] = rl.Name
	}
	return limitSet{limits: limits, policy: []string{string(b)}, names: names}
}

// checkLimits counts the request against every limit of ls. It sets the RateLimit-Policy
// and RateLimit response fields (draft-ietf-httpapi-ratelimit-headers) and the
// {http.auth.rate_limit.*} placeholders, and returns the refusing limit, if any.
func (a *App) checkLimits(w http.ResponseWriter, r *http.Request, st *requestState, ls limitSet) (limitOutcome, bool, error) {
	var tightest, refused limitOutcome
	shownName, refusedName := -1, -1
	var buf [256]byte
	state := buf[:0]
	for i, rl := range ls.limits {
		if st != nil && slices.Contains(st.counted, rl.Name) {
			continue // another Gatehouse handler of this request counted it already
		}
		if st != nil {
			st.counted = append(st.counted, rl.Name)
		}
		key, err := a.limitKey(r, st, rl)
		if err != nil {
			return limitOutcome{}, false, err
		}
		o := limitOutcome{rl: rl, res: a.limiter.Allow(key, rl.limit())}
		if !o.res.Allowed && refusedName < 0 {
			refused, refusedName = o, i
		}
		if shownName < 0 || o.res.Remaining < tightest.res.Remaining {
			tightest, shownName = o, i
		}
		if len(state) > 0 {
			state = append(state, ", "...)
		}
		state = append(state, '"')
		state = append(state, rl.Name...)
		state = append(state, `";r=`...)
		state = strconv.AppendInt(state, o.res.Remaining, 10)
		state = append(state, ";t="...)
		state = strconv.AppendInt(state, ceilSeconds(o.res.Reset), 10)
	}
	if shownName < 0 {
		return limitOutcome{}, false, nil // every limit was counted already
	}
	h := w.Header()
	h["Ratelimit-Policy"] = ls.policy
	h["Ratelimit"] = []string{string(state)}
	shown := &tightest
	if refusedName >= 0 {
		shown, shownName = &refused, refusedName
		h.Set("Retry-After", strconv.FormatInt(max(ceilSeconds(refused.res.RetryAfter), 1), 10))
		rateLimitedTotal.WithLabelValues(refused.rl.Name).Inc()
		if c := a.logger.Check(zapcore.InfoLevel, "rate limited"); c != nil {
			c.Write(zap.String("limit", refused.rl.Name), zap.String("by", refused.rl.by()),
				zap.String("client_ip", clientIP(r)), zap.String("path", r.URL.Path))
		}
	}
	if repl := caddyRepl(r); repl != nil {
		repl.Set("http.auth.rate_limit.name", ls.names[shownName])
		repl.Set("http.auth.rate_limit.limit", shown.res.Limit)
		repl.Set("http.auth.rate_limit.remaining", shown.res.Remaining)
		repl.Set("http.auth.rate_limit.reset", ceilSeconds(shown.res.Reset))
		repl.Set("http.auth.rate_limit.retry_after", ceilSeconds(shown.res.RetryAfter))
		repl.Set("http.auth.rate_limit.exceeded", refusedName >= 0)
	}
	return refused, refusedName >= 0, nil
}

// limitKey is the counter key of r under rl: the limit's name and the client IP (IPv6 by
// prefix), the user, or the session. Without a session, user and session limits count by
// IP, so anonymous requests are limited too.
func (a *App) limitKey(r *http.Request, st *requestState, rl RateLimit) (string, error) {
	if st != nil && st.signedIn {
		switch rl.by() {
		case byUser:
			return rl.Name + "|u|" + st.active.User, nil
		case bySession:
			return rl.Name + "|s|" + st.active.Key, nil
		}
	}
	ip, ok := ratelimit.ClientKey(clientIP(r), a.RateLimitIPv6Prefix)
	if !ok {
		return "", fmt.Errorf("rate limit %q: no usable client IP", rl.Name)
	}
	return rl.Name + "|ip|" + ip, nil
}

func (rl RateLimit) by() string {
	if rl.By == "" {
		return byIP
	}
	return rl.By
}

// tooMany answers a request refused by a rate limit: 429 with Retry-After (already set).
func (a *App) tooMany(w http.ResponseWriter, r *http.Request, st *requestState, o limitOutcome) error {
	return a.fail(w, r, http.StatusTooManyRequests, fmt.Errorf("rate limit %q exceeded", o.rl.Name), st)
}

// ceilSeconds rounds d up to whole seconds.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(math.Ceil(d.Seconds()))
}
