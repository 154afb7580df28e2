package gatehouse

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/gatehousehq/gatehouse/policies"
)

// RouteRules are the conditions of one route handler or one named policy.
type RouteRules struct {
	// Allow lists who may pass; any one subject suffices. Empty: any signed-in user.
	Allow []policies.Subject `json:"allow,omitempty"`
	// Deny lists who is refused (403), checked before Allow.
	Deny []policies.Subject `json:"deny,omitempty"`
	// Public lets requests through without a session; identity headers are still set when
	// a session exists, and stripped otherwise. Cannot be combined with Allow or Deny.
	Public bool `json:"public,omitempty"`
	// Headers are extra headers sent upstream, by name; values may use placeholders such as
	// {http.auth.user.id}. Client-sent copies are always removed first.
	Headers map[string]string `json:"headers,omitempty"`
	// RateLimits are request rate limits that all apply (429 when one is exceeded). An entry
	// with only a Name uses the app's limit of that name.
	RateLimits []RateLimit `json:"rate_limits,omitempty"`
	// MFA requires a second factor, done within MaxAge when MaxAge is set. Browsers without
	// one are sent to /.gatehouse/mfa (or to enrollment); other clients get 401 with
	// `WWW-Authenticate: Bearer error="insufficient_user_authentication"` (RFC 9470).
	MFA *MFARule `json:"mfa,omitempty"`
}

// MFARule is a route's second-factor requirement.
type MFARule struct {
	// MaxAge is how long ago the last second factor may have been done. Default: any time
	// during the session.
	MaxAge caddy.Duration `json:"max_age,omitempty"`
}

func (rr *RouteRules) validate() error {
	if rr.Public && (len(rr.Allow) > 0 || len(rr.Deny) > 0) {
		return errors.New("public cannot be combined with allow or deny")
	}
	if rr.Public && rr.MFA != nil {
		return errors.New("public cannot be combined with mfa")
	}
	if rr.MFA != nil && rr.MFA.MaxAge < 0 {
		return errors.New("mfa max_age must be positive")
	}
	if err := (policies.Rules{Allow: rr.Allow, Deny: rr.Deny}).Validate(); err != nil {
		return err
	}
	for _, rl := range rr.RateLimits {
		if rl.Rate == 0 {
			if !validLimitName(rl.Name) {
				return fmt.Errorf("rate limit reference %q: not a valid name", rl.Name)
			}
			continue
		}
		if err := rl.validate(); err != nil {
			return err
		}
	}
	for name := range rr.Headers {
		if !validHeaderName(name) {
			return fmt.Errorf("invalid header name %q", name)
		}
		if isIdentityHeader(name) {
			return fmt.Errorf("header %q is set by Gatehouse itself", name)
		}
	}
	return nil
}

// extraHeader is one `header` line, compiled.
type extraHeader struct {
	name  string // canonical
	value string
}

// compiled is what a handler enforces: its own rules and those of its named policies.
type compiled struct {
	checks  []policies.Rules // each must allow
	public  bool             // no check needs a session
	headers []extraHeader
	limits  limitSet // all apply, references resolved
	// mfa: a second factor is needed, within mfaMaxAge when that is not 0.
	mfa       bool
	mfaMaxAge time.Duration
}

// compile merges a handler's rules with its named policies. Every part must pass: a policy
// adds conditions, it never widens the route's own.
func compile(own RouteRules, names []string, named map[string]RouteRules, limits map[string]RateLimit) (compiled, error) {
	parts := []RouteRules{own}
	for _, n := range names {
		p, ok := named[n]
		if !ok {
			return compiled{}, fmt.Errorf("unknown policy %q", n)
		}
		parts = append(parts, p)
	}
	c := compiled{public: true}
	headers := map[string]string{}
	for _, p := range parts {
		if !p.Public {
			c.public = false
			c.checks = append(c.checks, policies.Rules{Allow: p.Allow, Deny: p.Deny})
		}
		for k, v := range p.Headers {
			headers[http.CanonicalHeaderKey(k)] = v
		}
		if p.MFA != nil {
			// The strictest requirement wins: any max age beats none, a shorter one a longer.
			age := time.Duration(p.MFA.MaxAge)
			if !c.mfa || (age > 0 && (c.mfaMaxAge == 0 || age < c.mfaMaxAge)) {
				c.mfaMaxAge = age
			}
			c.mfa = true
		}
		for _, rl := range p.RateLimits {
			if rl.Rate == 0 {
				declared, ok := limits[rl.Name]
				if !ok {
					return compiled{}, fmt.Errorf("unknown rate limit %q", rl.Name)
				}
				rl = declared
			}
			if !slices.ContainsFunc(c.limits.limits, func(x RateLimit) bool { return x.Name == rl.Name }) {
				c.limits.limits = append(c.limits.limits, rl) // a limit named twice counts once
			}
		}
	}
	// The route's own headers win over a policy's of the same name.
	for k, v := range own.Headers {
		headers[http.CanonicalHeaderKey(k)] = v
	}
	for k, v := range headers {
		c.headers = append(c.headers, extraHeader{name: k, value: v})
	}
	sort.Slice(c.headers, func(i, j int) bool { return c.headers[i].name < c.headers[j].name })
	c.limits = newLimitSet(c.limits.limits)
	return c, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}
