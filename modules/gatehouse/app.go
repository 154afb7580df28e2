// Package gatehouse holds Gatehouse's Caddy modules: the `gatehouse` app (identity sources,
// store, sessions, roles, named policies) and the `http.handlers.gatehouse` handler that
// enforces them per route and serves the portal under /.gatehouse/.
package gatehouse

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"

	"github.com/gatehousehq/gatehouse/caddyauth/loginflow"
	"github.com/gatehousehq/gatehouse/caddyauth/ratelimit"
	"github.com/gatehousehq/gatehouse/caddyauth/redirect"
	"github.com/gatehousehq/gatehouse/caddyauth/session"
	"github.com/gatehousehq/gatehouse/caddyauth/users"
	"github.com/gatehousehq/gatehouse/policies"
	"github.com/gatehousehq/gatehouse/web"
)

func init() {
	caddy.RegisterModule(App{})
}

// App is the `gatehouse` app: what every Gatehouse handler in a config shares. It keeps the
// store open across reloads (so sessions survive them), loads local accounts, compiles role
// declarations and named policies, and renders the portal pages.
type App struct {
	// Secret keys Gatehouse's own tokens (form tokens now; factor encryption and signed
	// assertions later). Placeholders such as {env.GATEHOUSE_SECRET} are replaced at
	// provision; it must be at least 32 characters. Default: a random secret generated on
	// first start and kept in Caddy's data directory (gatehouse/secret). Instances sharing
	// a store need the same secret.
	Secret string `json:"secret,omitempty"`

	// Store says where state (sessions, counters) lives. Default: the file store in Caddy's
	// data directory.
	Store *StoreConfig `json:"store,omitempty"`

	// Session sets the session cookie and expiry. Defaults: see SessionConfig.
	Session *SessionConfig `json:"session,omitempty"`

	// Users is the path of the local users file (JSON). Default: no local accounts.
	Users string `json:"users,omitempty"`

	// Providers declares identity providers by name (`provider <name> <type> { ... }`).
	Providers map[string]ProviderConfig `json:"providers,omitempty"`

	// MFA enables second factors (TOTP, security keys, backup codes) that routes demand
	// with `mfa [<max_age>]`.
	MFA *MFAConfig `json:"mfa,omitempty"`

	// Roles declares roles: who holds each and which roles each includes.
	Roles map[string]policies.Role `json:"roles,omitempty"`

	// Policies declares named rule sets that routes use with `policy <name>`.
	Policies map[string]RouteRules `json:"policies,omitempty"`

	// Templates is a folder whose *.html files replace the built-in portal templates of
	// the same name. Default: the built-in templates.
	Templates string `json:"templates,omitempty"`

	// RateLimits declares named rate limits, by name, that routes and policies use with
	// `rate_limit <name>`; routes using the same name share its counters.
	RateLimits map[string]RateLimit `json:"rate_limits,omitempty"`

	// PortalRateLimit limits sign-in and sign-out posts per client IP (By is ignored).
	// Default: 60 per minute with bursts of 20, on top of the lockout after failed sign-ins.
	PortalRateLimit *RateLimit `json:"portal_rate_limit,omitempty"`

	// DisablePortalRateLimit turns PortalRateLimit off.
	DisablePortalRateLimit bool `json:"disable_portal_rate_limit,omitempty"`

	// RateLimitIPv6Prefix is the prefix length IPv6 clients are counted by, so that one host
	// cannot escape a limit by rotating addresses. Default: 64.
	RateLimitIPv6Prefix int `json:"rate_limit_ipv6_prefix,omitempty"`

	// AllowedRedirects lists hosts (or "*.example.com") that return URLs may point to,
	// besides the current host and the session cookie domain.
	AllowedRedirects []string `json:"allowed_redirects,omitempty"`

	secret       []byte
	store        *sharedStore
	storeKey     string
	sessions     *session.Manager
	users        *users.Set
	roles        *policies.RoleSet
	pages        *web.Renderer
	redirects    redirect.Policy
	failures     *ratelimit.Failures
	cookie       cookieSettings
	limiter      *sharedLimiter
	providers    map[string]*loadedProvider
	providerKeys []string
	flows        *loginflow.Flows
	mfa          *mfaRuntime
	portal       limitSet // the portal's limits (empty when disabled)
	logger       *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "gatehouse", New: func() caddy.Module { return new(App) }}
}

// Provision loads the users file, compiles roles and policies, and takes the shared store
// (opened on first use, so `caddy validate` does not lock it).
func (a *App) Provision(ctx caddy.Context) error {
	a.logger = ctx.Logger()
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	if a.Store == nil {
		a.Store = &StoreConfig{Type: "file"}
	}
	if a.Session == nil {
		a.Session = new(SessionConfig)
	}
	if err := a.Session.provision(); err != nil {
		return err
	}
	secret, err := loadSecret(a.Secret, filepath.Join(caddy.AppDataDir(), "gatehouse", "secret"))
	if err != nil {
		return err
	}
	a.secret = secret

	if a.Users != "" {
		set, err := users.Load(a.Users)
		if err != nil {
			return fmt.Errorf("loading users: %w", err)
		}
		a.users = set
	}
	if a.roles, err = policies.CompileRoles(a.Roles); err != nil {
		return fmt.Errorf("compiling roles: %w", err)
	}
	for _, name := range sortedKeys(a.Policies) {
		p := a.Policies[name]
		if err := p.validate(); err != nil {
			return fmt.Errorf("policy %q: %w", name, err)
		}
	}
	if a.MFA != nil {
		if err := a.MFA.provision(); err != nil {
			return fmt.Errorf("mfa: %w", err)
		}
	}
	if err := a.provisionRateLimits(); err != nil {
		return err
	}
	if a.pages, err = web.New(a.Templates); err != nil {
		return fmt.Errorf("loading templates: %w", err)
	}
	a.redirects = redirect.Policy{CookieDomain: a.Session.Domain, Allowed: a.AllowedRedirects}
	a.cookie = cookieSettings{name: a.Session.Cookie, domain: a.Session.Domain}

	key, open, err := a.Store.opener()
	if err != nil {
		return err
	}
	a.store, err = acquireStore(key, open, a.logger)
	if err != nil {
		return err
	}
	a.storeKey = key
	a.sessions = session.NewManager(a.store, session.Config{
		Lifetime: time.Duration(a.Session.Lifetime),
		Idle:     time.Duration(a.Session.Idle),
		Now:      now,
	})
	a.failures = ratelimit.NewFailures(a.store)
	a.flows = loginflow.New(a.store)
	if err := a.provisionMFA(); err != nil {
		return err
	}
	if a.limiter, err = acquireLimiter(); err != nil {
		return err
	}
	return a.provisionProviders()
}

// provisionRateLimits checks the named limits and sets the defaults.
func (a *App) provisionRateLimits() error {
	for _, name := range sortedKeys(a.RateLimits) {
		rl := a.RateLimits[name]
		if rl.Name == "" {
			rl.Name = name
			a.RateLimits[name] = rl
		}
		if rl.Name != name {
			return fmt.Errorf("rate limit %q is declared under the name %q", rl.Name, name)
		}
		if err := rl.validate(); err != nil {
			return err
		}
	}
	if a.RateLimitIPv6Prefix == 0 {
		a.RateLimitIPv6Prefix = 64
	}
	if a.RateLimitIPv6Prefix < 1 || a.RateLimitIPv6Prefix > 128 {
		return fmt.Errorf("rate_limit_ipv6_prefix %d: want 1 to 128", a.RateLimitIPv6Prefix)
	}
	if a.DisablePortalRateLimit {
		return nil
	}
	portal := defaultPortalLimit
	if a.PortalRateLimit != nil {
		portal = *a.PortalRateLimit
		portal.By = byIP
		if portal.Name == "" {
			portal.Name = defaultPortalLimit.Name
		}
	}
	if err := portal.validate(); err != nil {
		return fmt.Errorf("portal rate limit: %w", err)
	}
	a.portal = newLimitSet([]RateLimit{portal})
	return nil
}

// Start opens the store if no request has yet, so that a store that cannot be opened is
// reported at start. Caddy still starts: requests that need the store get 503 until it
// can be opened.
func (a *App) Start() error {
	if _, err := a.store.open(); err != nil {
		a.logger.Error("store unavailable; guarded routes answer 503 until it opens", zap.Error(err))
	}
	return nil
}

// Stop does nothing: the store stays open for the next config (Cleanup releases it).
func (a *App) Stop() error { return nil }

// Cleanup releases the store taken by Provision; the last config to release it closes it.
func (a *App) Cleanup() error {
	var err error
	if a.limiter != nil {
		err = releaseLimiter()
	}
	if a.store != nil {
		err = errors.Join(err, releaseStore(a.storeKey))
	}
	return errors.Join(err, a.releaseProviders())
}

// clockSkew is added to the wall clock that session expiry reads. It is always zero in
// production; tests move it forward to expire sessions without waiting.
var clockSkew atomic.Int64

func now() time.Time { return time.Now().Add(time.Duration(clockSkew.Load())) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Interface guards
var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
