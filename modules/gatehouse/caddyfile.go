package gatehouse

import (
	"encoding/json"
	"strings"

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
		case "role":
			if err := a.parseRole(d); err != nil {
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
				if err := rr.parseLine(d); err != nil {
					return err
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
	if _, err := policies.CompileRoles(a.Roles); err != nil {
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
		default:
			return d.Errf("unrecognized session option %q", d.Val())
		}
	}
	if sc.Lifetime > 0 && sc.Idle > sc.Lifetime {
		return d.Err("session idle is longer than its lifetime")
	}
	return nil
}

func (a *App) parseRole(d *caddyfile.Dispenser) error {
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
	handler := new(Handler)
	if err := handler.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	if err := checkPolicyNames(h, handler.Policies); err != nil {
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
			h.Policies = append(h.Policies, name)
			continue
		}
		if err := h.RouteRules.parseLine(d); err != nil {
			return err
		}
	}
	if err := h.RouteRules.validate(); err != nil {
		return d.Err(err.Error())
	}
	return nil
}

// parseLine parses one route sub-directive (allow, deny, public, header).
func (rr *RouteRules) parseLine(d *caddyfile.Dispenser) error {
	switch d.Val() {
	case "allow", "deny":
		which := d.Val()
		s, err := parseSubject(d)
		if err != nil {
			return err
		}
		if which == "allow" {
			rr.Allow = append(rr.Allow, s)
		} else {
			rr.Deny = append(rr.Deny, s)
		}
	case "public":
		if d.NextArg() {
			return d.ArgErr()
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
	args := d.RemainingArgs()
	if len(args) < 2 {
		return policies.Subject{}, d.Errf("%s needs a kind (role, group, user, email, provider) and at least one value", d.Val())
	}
	s := policies.Subject{Kind: policies.Kind(args[0]), Values: args[1:]}
	if err := (policies.Rules{Allow: []policies.Subject{s}}).Validate(); err != nil {
		return policies.Subject{}, d.Err(err.Error())
	}
	return s, nil
}

// checkPolicyNames reports, at adapt time, a policy the gatehouse global option does not
// declare.
func checkPolicyNames(h httpcaddyfile.Helper, names []string) error {
	if len(names) == 0 {
		return nil
	}
	var declared map[string]RouteRules
	if opt, ok := h.Option("gatehouse").(httpcaddyfile.App); ok {
		var app App
		if err := json.Unmarshal(opt.Value, &app); err != nil {
			return h.Errf("reading gatehouse options: %v", err)
		}
		declared = app.Policies
	}
	for _, n := range names {
		if _, ok := declared[n]; !ok {
			return h.Errf("unknown policy %q: declare it with `policy %s { ... }` in the gatehouse global option", n, n)
		}
	}
	return nil
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
