package gatehouse

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/gatehousehq/gatehouse/caddyauth/ratelimit"
)

// Rate limit keys.
const (
	byIP      = "ip"
	byUser    = "user"
	bySession = "session"
)

// RateLimit is one request rate limit: Rate requests per Window for each client IP, user or
// session, smoothed, with at most Burst at once.
type RateLimit struct {
	// Name identifies the limit's counters, and names it in the RateLimit-Policy header and
	// the {http.auth.rate_limit.name} placeholder. A route's limit that only names a limit of
	// the app (Rate 0) uses that one.
	Name string `json:"name,omitempty"`
	// Rate is the number of requests allowed per Window.
	Rate int64 `json:"rate,omitempty"`
	// Window is the period Rate applies to.
	Window caddy.Duration `json:"window,omitempty"`
	// By is what requests are counted by: "ip" (Caddy's client IP, IPv6 by prefix), "user"
	// or "session". Without a session, "user" and "session" count by IP. Default: "ip".
	By string `json:"by,omitempty"`
	// Burst is how many requests may come at once. Default: Rate (a whole window's worth).
	Burst int64 `json:"burst,omitempty"`
}

// limit returns the algorithm's view of rl.
func (rl RateLimit) limit() ratelimit.Limit {
	return ratelimit.Limit{Rate: rl.Rate, Window: time.Duration(rl.Window), Burst: rl.Burst}
}

// validate checks a complete limit (not a reference to a named one).
func (rl RateLimit) validate() error {
	switch rl.By {
	case "", byIP, byUser, bySession:
	default:
		return fmt.Errorf("rate limit %q: unknown key %q (want ip, user or session)", rl.Name, rl.By)
	}
	if !validLimitName(rl.Name) {
		return fmt.Errorf("rate limit name %q: use letters, digits, '_', '-' and '.'", rl.Name)
	}
	if err := rl.limit().Validate(); err != nil {
		return fmt.Errorf("rate limit %q: %w", rl.Name, err)
	}
	return nil
}

// parseRateSpec parses "<n>/<window>", for example "300/1m".
func parseRateSpec(s string) (int64, caddy.Duration, error) {
	n, w, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("rate %q: want <requests>/<window>, for example 300/1m", s)
	}
	rate, err := strconv.ParseInt(n, 10, 64)
	if err != nil || rate <= 0 {
		return 0, 0, fmt.Errorf("rate %q: the number of requests must be a positive integer", s)
	}
	if w != "" && (w[0] < '0' || w[0] > '9') {
		w = "1" + w // "10/m" reads as "10/1m"
	}
	window, err := caddy.ParseDuration(w)
	if err != nil || window <= 0 {
		return 0, 0, fmt.Errorf("rate %q: the window must be a positive duration such as 1s, 1m or 1h", s)
	}
	return rate, caddy.Duration(window), nil
}

// parseRateLimitArgs parses what follows `rate_limit` on a route or in a policy
// (`<n>/<window> [by ip|user|session] [burst <m>]`, or the name of an app limit) and in
// the app (`<name> <n>/<window> ...`, named is true). An inline route limit is named after
// where it is written, so its counters carry over reloads while the line stays put.
func parseRateLimitArgs(d *caddyfile.Dispenser, named bool) (RateLimit, error) {
	args := d.RemainingArgs()
	var rl RateLimit
	if named {
		if len(args) < 2 {
			return rl, d.Err("rate_limit needs a name and a rate: rate_limit <name> <n>/<window> [by ip|user|session] [burst <m>]")
		}
		rl.Name, args = args[0], args[1:]
		if !validLimitName(rl.Name) {
			return rl, d.Errf("rate limit name %q: use letters, digits, '_', '-' and '.'", rl.Name)
		}
	} else {
		if len(args) == 0 {
			return rl, d.Err("rate_limit needs a rate (<n>/<window>) or the name of a limit declared in the gatehouse app")
		}
		if !strings.Contains(args[0], "/") {
			if _, err := strconv.ParseInt(args[0], 10, 64); err == nil {
				return rl, d.Errf("rate_limit %s: want <requests>/<window>, for example %s/1m", args[0], args[0])
			}
			if len(args) != 1 {
				return rl, d.Errf("rate_limit %s: a named limit takes no other arguments", args[0])
			}
			return RateLimit{Name: args[0]}, nil
		}
		sum := sha256.Sum256(fmt.Appendf(nil, "%s:%d:%s", d.File(), d.Line(), strings.Join(args, " ")))
		rl.Name = "limit_" + hex.EncodeToString(sum[:4])
	}
	var err error
	if rl.Rate, rl.Window, err = parseRateSpec(args[0]); err != nil {
		return rl, d.Err(err.Error())
	}
	for rest := args[1:]; len(rest) > 0; rest = rest[2:] {
		if len(rest) < 2 {
			return rl, d.Errf("rate_limit: %q needs a value", rest[0])
		}
		switch rest[0] {
		case "by":
			if rl.By != "" {
				return rl, d.Err("rate_limit: by given twice")
			}
			rl.By = rest[1]
			if rl.By != byIP && rl.By != byUser && rl.By != bySession {
				return rl, d.Errf("rate_limit: unknown key %q (want ip, user or session)", rl.By)
			}
		case "burst":
			b, err := strconv.ParseInt(rest[1], 10, 64)
			if err != nil || b <= 0 {
				return rl, d.Errf("rate_limit: burst %q must be a positive integer", rest[1])
			}
			rl.Burst = b
		default:
			return rl, d.Errf("rate_limit: unknown option %q (want by or burst)", rest[0])
		}
	}
	if err := rl.validate(); err != nil {
		return rl, d.Err(err.Error())
	}
	return rl, nil
}

// validLimitName accepts names that need no quoting in the RateLimit header fields.
func validLimitName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// parsePortalRateLimit parses `portal_rate_limit <n>/<window> [burst <m>]` or
// `portal_rate_limit off`.
func (a *App) parsePortalRateLimit(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	if len(args) == 1 && args[0] == "off" {
		a.DisablePortalRateLimit, a.PortalRateLimit = true, nil
		return nil
	}
	if len(args) != 1 && !(len(args) == 3 && args[1] == "burst") {
		return d.Err("portal_rate_limit takes <n>/<window> [burst <m>], or off")
	}
	rl := RateLimit{Name: defaultPortalLimit.Name}
	var err error
	if rl.Rate, rl.Window, err = parseRateSpec(args[0]); err != nil {
		return d.Err(err.Error())
	}
	if len(args) == 3 {
		if rl.Burst, err = strconv.ParseInt(args[2], 10, 64); err != nil || rl.Burst <= 0 {
			return d.Errf("portal_rate_limit: burst %q must be a positive integer", args[2])
		}
	}
	if err := rl.validate(); err != nil {
		return d.Err(err.Error())
	}
	a.PortalRateLimit, a.DisablePortalRateLimit = &rl, false
	return nil
}
