package gatehouse

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehousehq/gatehouse/policies"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("gatehouse", parseGlobalOption)
	httpcaddyfile.RegisterDirective("gatehouse", parseDirective)
	httpcaddyfile.RegisterDirectiveOrder("gatehouse", httpcaddyfile.Before, "basic_auth")
}

// parseGlobalOption parses the `gatehouse` global option into the gatehouse app:
//
//	gatehouse {
//		secret <secret>
//		store file [<path>] | memory
//		session {
//			cookie <name>
//			domain <domain>
//			lifetime <duration>
//			idle <duration>
//		}
//		users <file>
//		templates <folder>
//		allowed_redirects <host>...
//		role <name> {
//			inherits <role>...
//			grant user|group|email|provider <value>...
//		}
//		policy <name> {
//			<route sub-directives: allow, deny, public, header>
//		}
//	}
func parseGlobalOption(d *caddyfile.Dispenser, existing any) (any, error) {
	app := new(App)
	if existing != nil {
		prev, ok := existing.(httpcaddyfile.App)
		if !ok {
			return nil, d.Errf("unexpected existing gatehouse option of type %T", existing)
		}
		if err := json.Unmarshal(prev.Value, app); err != nil {
			return nil, d.Errf("merging gatehouse options: %v", err)
		}
	}
	if err := app.UnmarshalCaddyfile(d); err != nil {
		return nil, err
	}
	return httpcaddyfile.App{Name: "gatehouse", Value: caddyconfig.JSON(app, nil)}, nil
}

// UnmarshalCaddyfile sets up the app from Caddyfile tokens (syntax: see parseGlobalOption).
func (a *App) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // option name
	if d.NextArg() {
		return d.ArgErr()
	}
	inherits := map[string]map[string]caddyfile.Token{} // role -> inherited role -> its token
	type limitRef struct {
		policy, limit string
		tok           caddyfile.Token
	}
	var limitRefs []limitRef
	for d.NextBlock(0) {
		switch d.Val() {
		case "secret":
			if err := oneArg(d, &a.Secret); err != nil {
				return err
			}
		case "store":
			sc := new(StoreConfig)
			if !d.NextArg() {
				return d.ArgErr()
			}
			sc.Type = d.Val()
			switch sc.Type {
			case "file":
				if d.NextArg() {
					sc.Path = d.Val()
				}
			case "memory":
			default:
				return d.Errf("unknown store %q (want file or memory)", sc.Type)
			}
			if d.NextArg() {
				return d.ArgErr()
			}
			a.Store = sc
		case "session":
			if d.NextArg() {
				return d.ArgErr()
			}
			if err := a.parseSession(d); err != nil {
				return err
			}
		case "users":
			if err := oneArg(d, &a.Users); err != nil {
				return err
			}
		case "templates":
			if err := oneArg(d, &a.Templates); err != nil {
				return err
			}
		case "allowed_redirects":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			a.AllowedRedirects = append(a.AllowedRedirects, args...)
		case "provider":
			if err := a.parseProvider(d); err != nil {
				return err
			}
		case "mfa":
			if err := a.parseMFA(d); err != nil {
				return err
			}
		case "rate_limit":
			rl, err := parseRateLimitArgs(d, true)
			if err != nil {
				return err
			}
			if _, dup := a.RateLimits[rl.Name]; dup {
				return d.Errf("rate limit %q declared twice", rl.Name)
			}
			if a.RateLimits == nil {
				a.RateLimits = map[string]RateLimit{}
			}
			a.RateLimits[rl.Name] = rl
		case "portal_rate_limit":
			if err := a.parsePortalRateLimit(d); err != nil {
				return err
			}
		case "rate_limit_ipv6_prefix":
			var s string
			if err := oneArg(d, &s); err != nil {
				return err
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 128 {
				return d.Errf("rate_limit_ipv6_prefix %q: want a prefix length from 1 to 128", s)
			}
			a.RateLimitIPv6Prefix = n
		case "role":
			if err := a.parseRole(d, inherits); err != nil {
				return err
			}
		case "policy":
			var name string
			if err := oneArgThenBlock(d, &name); err != nil {
				return err
			}
			if _, dup := a.Policies[name]; dup {
				return d.Errf("policy %q declared twice", name)
			}
			var rr RouteRules
			for nesting := d.Nesting(); d.NextBlock(nesting); {
				if d.Val() == "policy" {
					return d.Err("a policy cannot use another policy")
				}
				tok, isLimit := d.Token(), d.Val() == "rate_limit"
				if err := rr.parseLine(d, nil); err != nil {
					return err
				}
				if last := len(rr.RateLimits) - 1; isLimit && rr.RateLimits[last].Rate == 0 {
					limitRefs = append(limitRefs, limitRef{policy: name, limit: rr.RateLimits[last].Name, tok: tok})
				}
			}
			if err := rr.validate(); err != nil {
				return d.Errf("policy %q: %v", name, err)
			}
			if a.Policies == nil {
				a.Policies = map[string]RouteRules{}
			}
			a.Policies[name] = rr
		default:
			return d.Errf("unrecognized gatehouse option %q", d.Val())
		}
	}
	// Named limits may be declared after the policies that use them: check at the end, but
	// report at the line that names the limit.
	for _, ref := range limitRefs {
		if _, ok := a.RateLimits[ref.limit]; !ok {
			td := caddyfile.NewDispenser([]caddyfile.Token{ref.tok})
			td.Next()
			return td.Errf("policy %q: unknown rate limit %q", ref.policy, ref.limit)
		}
	}
	return checkRoles(d, a.Roles, inherits)
}

// checkRoles reports an inherited role that is not declared and an inheritance cycle, at
// the `inherits` line that names the role (when it is in this block).
func checkRoles(d *caddyfile.Dispenser, roles map[string]policies.Role, inherits map[string]map[string]caddyfile.Token) error {
	errAt := func(role, parent string, err error) error {
		if tok, ok := inherits[role][parent]; ok {
			td := caddyfile.NewDispenser([]caddyfile.Token{tok})
			td.Next()
			return td.Errf("roles: %v", err)
		}
		return d.Errf("roles: %v", err)
	}
	for _, name := range sortedKeys(roles) {
		for _, parent := range roles[name].Inherits {
			if _, ok := roles[parent]; !ok {
				return errAt(name, parent, fmt.Errorf("role %q inherits %q: %w", name, parent, policies.ErrUnknownRole))
			}
		}
	}
	if _, err := policies.CompileRoles(roles); err != nil {
		var cycle *policies.CycleError
		if errors.As(err, &cycle) && len(cycle.Cycle) >= 2 {
			return errAt(cycle.Cycle[len(cycle.Cycle)-2], cycle.Cycle[len(cycle.Cycle)-1], err)
		}
		return d.Errf("roles: %v", err)
	}
	return nil
}

func (a *App) parseSession(d *caddyfile.Dispenser) error {
	if a.Session == nil {
		a.Session = new(SessionConfig)
	}
	sc := a.Session
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "cookie":
			if err := oneArg(d, &sc.Cookie); err != nil {
				return err
			}
			if !validCookieName(sc.Cookie) {
				return d.Errf("invalid cookie name %q", sc.Cookie)
			}
		case "domain":
			if err := oneArg(d, &sc.Domain); err != nil {
				return err
			}
		case "lifetime", "idle":
			field := d.Val()
			var s string
			if err := oneArg(d, &s); err != nil {
				return err
			}
			dur, err := caddy.ParseDuration(s)
			if err != nil || dur <= 0 {
				return d.Errf("invalid session %s %q: want a positive duration such as 2h", field, s)
			}
			if field == "lifetime" {
				sc.Lifetime = caddy.Duration(dur)
			} else {
				sc.Idle = caddy.Duration(dur)
			}
			lifetime := sc.Lifetime
			if lifetime == 0 {
				lifetime = defaultLifetime
			}
			if sc.Idle > lifetime {
				return d.Errf("session idle (%s) is longer than its lifetime (%s)", time.Duration(sc.Idle), time.Duration(lifetime))
			}
		default:
			return d.Errf("unrecognized session option %q", d.Val())
		}
	}
	return nil
}

func (a *App) parseRole(d *caddyfile.Dispenser, inherits map[string]map[string]caddyfile.Token) error {
	var name string
	if err := oneArgThenBlock(d, &name); err != nil {
		return err
	}
	if _, dup := a.Roles[name]; dup {
		return d.Errf("role %q declared twice", name)
	}
	var role policies.Role
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "inherits":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			role.Inherits = append(role.Inherits, args...)
			if inherits[name] == nil {
				inherits[name] = map[string]caddyfile.Token{}
			}
			for _, parent := range args {
				inherits[name][parent] = d.Token() // same line as every argument
			}
		case "grant":
			s, err := parseSubject(d)
			if err != nil {
				return err
			}
			if s.Kind == policies.KindRole {
				return d.Err("grant role: use inherits to include a role in another")
			}
			role.Grants = append(role.Grants, s)
		default:
			return d.Errf("unrecognized role option %q", d.Val())
		}
	}
	if a.Roles == nil {
		a.Roles = map[string]policies.Role{}
	}
	a.Roles[name] = role
	if _, err := policies.CompileRoles(map[string]policies.Role{name: {Grants: role.Grants}}); err != nil {
		return d.Errf("role %q: %v", name, err)
	}
	return nil
}

// parseDirective sets up the `gatehouse` route directive:
//
//	gatehouse [<matcher>] {
//		allow role|group|user|email|provider <value>...
//		deny  role|group|user|email|provider <value>...
//		public
//		header <name> <value>
//		policy <name>
//	}
//
// With a matcher, the route also matches /.gatehouse/*, so that the portal (sign-in,
// sign-out) is served on a site whose only Gatehouse route guards part of it.
func parseDirective(h httpcaddyfile.Helper) ([]httpcaddyfile.ConfigValue, error) {
	if !h.Next() {
		return nil, h.ArgErr()
	}
	matcherSet, err := h.ExtractMatcherSet()
	if err != nil {
		return nil, err
	}
	declared, err := declaredInApp(h)
	if err != nil {
		return nil, err
	}
	handler := new(Handler)
	if err := handler.unmarshal(h.Dispenser, declared); err != nil {
		return nil, err
	}
	route := caddyhttp.Route{
		HandlersRaw: []json.RawMessage{caddyconfig.JSONModuleObject(handler, "handler", "gatehouse", nil)},
	}
	if matcherSet != nil {
		portal := caddy.ModuleMap{"path": caddyconfig.JSON(caddyhttp.MatchPath{portalPrefix + "/*"}, nil)}
		route.MatcherSetsRaw = []caddy.ModuleMap{matcherSet, portal}
	}
	return []httpcaddyfile.ConfigValue{{Class: "route", Value: route}}, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens (syntax: see parseDirective).
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	return h.unmarshal(d, nil)
}

// unmarshal parses the directive; with declared non-nil, a policy or rate limit it does not
// hold is an error at the line that names it.
func (h *Handler) unmarshal(d *caddyfile.Dispenser, declared *declaredNames) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if d.Val() == "policy" {
			var name string
			if err := oneArg(d, &name); err != nil {
				return err
			}
			if _, ok := declared.policyNamed(name); declared != nil && !ok {
				return d.Errf("unknown policy %q: declare it with `policy %s { ... }` in the gatehouse global option", name, name)
			}
			h.Policies = append(h.Policies, name)
			continue
		}
		if err := h.RouteRules.parseLine(d, declared); err != nil {
			return err
		}
	}
	if err := h.RouteRules.validate(); err != nil {
		return d.Err(err.Error())
	}
	return nil
}

func (dn *declaredNames) policyNamed(name string) (RouteRules, bool) {
	if dn == nil {
		return RouteRules{}, false
	}
	p, ok := dn.policies[name]
	return p, ok
}

// parseLine parses one route sub-directive (allow, deny, public, header, rate_limit). With
// declared non-nil, a rate limit named but not declared is an error here.
func (rr *RouteRules) parseLine(d *caddyfile.Dispenser, declared *declaredNames) error {
	switch d.Val() {
	case "rate_limit":
		rl, err := parseRateLimitArgs(d, false)
		if err != nil {
			return err
		}
		if _, ok := declared.limitNamed(rl.Name); rl.Rate == 0 && declared != nil && !ok {
			return d.Errf("unknown rate limit %q: declare it with `rate_limit %s <n>/<window>` in the gatehouse global option", rl.Name, rl.Name)
		}
		rr.RateLimits = append(rr.RateLimits, rl)
	case "allow", "deny":
		which := d.Val()
		if rr.Public {
			return d.Errf("%s: public cannot be combined with allow or deny", which)
		}
		s, err := parseSubject(d)
		if err != nil {
			return err
		}
		if which == "allow" {
			rr.Allow = append(rr.Allow, s)
		} else {
			rr.Deny = append(rr.Deny, s)
		}
	case "mfa":
		rule := new(MFARule)
		if d.NextArg() {
			age, err := caddy.ParseDuration(d.Val())
			if err != nil || age <= 0 {
				return d.Errf("mfa max age %q: want a positive duration such as 15m", d.Val())
			}
			rule.MaxAge = caddy.Duration(age)
		}
		if d.NextArg() {
			return d.ArgErr()
		}
		if rr.Public {
			return d.Err("public cannot be combined with mfa")
		}
		rr.MFA = rule
	case "public":
		if d.NextArg() {
			return d.ArgErr()
		}
		if rr.MFA != nil {
			return d.Err("public cannot be combined with mfa")
		}
		if len(rr.Allow) > 0 || len(rr.Deny) > 0 {
			return d.Err("public cannot be combined with allow or deny")
		}
		rr.Public = true
	case "header":
		args := d.RemainingArgs()
		if len(args) != 2 {
			return d.Err("header needs a name and a value: header <name> <value>")
		}
		if !validHeaderName(args[0]) {
			return d.Errf("invalid header name %q", args[0])
		}
		if isIdentityHeader(args[0]) {
			return d.Errf("header %q is set by Gatehouse itself", args[0])
		}
		if rr.Headers == nil {
			rr.Headers = map[string]string{}
		}
		rr.Headers[args[0]] = args[1]
	default:
		return d.Errf("unrecognized gatehouse sub-directive %q", d.Val())
	}
	return nil
}

// parseSubject parses `<kind> <value>...` after allow, deny or grant.
func parseSubject(d *caddyfile.Dispenser) (policies.Subject, error) {
	which := d.Val()
	args := d.RemainingArgs()
	if len(args) < 2 {
		return policies.Subject{}, d.Errf("%s needs a kind (role, group, user, email, provider) and at least one value", which)
	}
	s := policies.Subject{Kind: policies.Kind(args[0]), Values: args[1:]}
	if err := s.Validate(); err != nil {
		return policies.Subject{}, d.Errf("%s: %v", which, err)
	}
	return s, nil
}

// declaredNames are the policies and rate limits the gatehouse global option declares.
type declaredNames struct {
	policies map[string]RouteRules
	limits   map[string]RateLimit
}

// declaredInApp reads the names the gatehouse global option declares.
func declaredInApp(h httpcaddyfile.Helper) (*declaredNames, error) {
	var app App
	if opt, ok := h.Option("gatehouse").(httpcaddyfile.App); ok {
		if err := json.Unmarshal(opt.Value, &app); err != nil {
			return nil, h.Errf("reading gatehouse options: %v", err)
		}
	}
	return &declaredNames{policies: app.Policies, limits: app.RateLimits}, nil
}

func (dn *declaredNames) limitNamed(name string) (RateLimit, bool) {
	if dn == nil {
		return RateLimit{}, false
	}
	rl, ok := dn.limits[name]
	return rl, ok
}

func oneArg(d *caddyfile.Dispenser, dst *string) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	*dst = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	if strings.TrimSpace(*dst) == "" {
		return d.Errf("empty value")
	}
	return nil
}

// oneArgThenBlock reads the one argument of a line that opens a block (role, policy).
func oneArgThenBlock(d *caddyfile.Dispenser, dst *string) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	*dst = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*App)(nil)
	_ caddyfile.Unmarshaler = (*Handler)(nil)
)
