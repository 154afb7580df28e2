package gatehouse

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehousehq/gatehouse/policies"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler enforces Gatehouse on a route: it removes client-sent identity headers and the
// session cookie, serves the portal under /.gatehouse/, finds the session, checks the
// route's rules and named policies, and passes the request on with identity headers
// (Remote-User, Remote-Email, Remote-Name, Remote-Groups, Remote-Roles, and any `header`
// lines). Several handlers on one request all apply.
//
// Placeholders it sets (always; empty when unknown): {http.auth.user.id},
// {http.auth.user.email}, {http.auth.user.name}, {http.auth.user.groups},
// {http.auth.user.roles}, {http.auth.user.provider}, {http.auth.user.mfa}.
type Handler struct {
	RouteRules

	// Policies names policies declared in the gatehouse app; each must also pass.
	Policies []string `json:"policies,omitempty"`

	app    *App
	rules  compiled
	strip  []string // identity header names plus this handler's extra header names
	logger *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.gatehouse", New: func() caddy.Module { return new(Handler) }}
}

// Provision gets the gatehouse app and compiles the handler's rules with its policies.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if err := h.RouteRules.validate(); err != nil {
		return err
	}
	appIface, err := ctx.App("gatehouse")
	if err != nil {
		return fmt.Errorf("getting gatehouse app: %w", err)
	}
	h.app = appIface.(*App)
	if h.rules, err = compile(h.RouteRules, h.Policies, h.app.Policies, h.app.RateLimits); err != nil {
		return err
	}
	if h.rules.mfa && h.app.MFA == nil {
		return fmt.Errorf("this route requires mfa, but the gatehouse app has no mfa block (mfa { totp })")
	}
	h.strip = append([]string(nil), identityHeaders...)
	for _, eh := range h.rules.headers {
		h.strip = append(h.strip, eh.name)
	}
	return nil
}

// ServeHTTP enforces the route's rules.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if !unambiguousPath(r) {
		return caddyhttp.Error(http.StatusBadRequest, errAmbiguousPath)
	}
	st := h.app.identify(r)
	if len(h.rules.headers) > 0 {
		stripHeaders(r.Header, h.strip)
		stripTrailers(r, h.strip)
	}
	if isPortalPath(r.URL.Path) {
		return h.app.servePortal(w, r, st)
	}
	if st.err != nil {
		setPlaceholders(r, nil)
		return h.app.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("looking up session: %w", st.err), nil)
	}
	if !st.signedIn {
		setPlaceholders(r, nil)
		if !h.rules.public {
			return h.app.challenge(w, r)
		}
		if refused, err := h.limit(w, r, st); refused || err != nil {
			return err
		}
		return next.ServeHTTP(w, r)
	}
	v := h.app.viewOf(st.active.Session)
	for _, rules := range h.rules.checks {
		if d := rules.Decide(&st.active.Identity, v.roles); d != policies.Allow {
			return h.forbid(w, r, st, d)
		}
	}
	if h.rules.mfa && !mfaFresh(st.active.MFATime, h.rules.mfaMaxAge) {
		setPlaceholders(r, nil)
		return h.app.stepUp(w, r, h.rules.mfaMaxAge)
	}
	if refused, err := h.limit(w, r, st); refused || err != nil {
		return err
	}
	setPlaceholders(r, v)
	setIdentityHeaders(r.Header, v)
	if len(h.rules.headers) > 0 {
		h.setExtraHeaders(r)
	}
	return next.ServeHTTP(w, r)
}

// limit applies the route's rate limits; refused tells that the request was answered.
func (h *Handler) limit(w http.ResponseWriter, r *http.Request, st *requestState) (refused bool, err error) {
	if len(h.rules.limits.limits) == 0 {
		return false, nil
	}
	o, refused, err := h.app.checkLimits(w, r, st, h.rules.limits)
	if err != nil {
		return true, caddyhttp.Error(http.StatusBadRequest, err)
	}
	if refused {
		return true, h.app.tooMany(w, r, st, o)
	}
	return false, nil
}

func (h *Handler) setExtraHeaders(r *http.Request) {
	repl := caddyRepl(r)
	for _, eh := range h.rules.headers {
		val := eh.value
		if repl != nil {
			val = repl.ReplaceAll(val, "")
		}
		if val != "" {
			r.Header[eh.name] = []string{val}
		}
	}
}

func (h *Handler) forbid(w http.ResponseWriter, r *http.Request, st *requestState, d policies.Decision) error {
	authzTotal.WithLabelValues(d.String()).Inc()
	if c := h.logger.Check(zapcore.InfoLevel, "access refused"); c != nil {
		c.Write(zap.String("user", st.active.User), zap.String("client_ip", clientIP(r)),
			zap.String("decision", d.String()), zap.String("path", r.URL.Path))
	}
	err := fmt.Errorf("user %q is not allowed here (%s)", st.active.User, d)
	return h.app.fail(w, r, http.StatusForbidden, err, st)
}

func isPortalPath(p string) bool {
	return p == portalPrefix || strings.HasPrefix(p, portalPrefix+"/")
}

// caddyRepl returns the request's replacer, or nil outside Caddy.
func caddyRepl(r *http.Request) *caddy.Replacer {
	repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	return repl
}

// clientIP is Caddy's {client_ip}: the peer, or the forwarded client when the peer is a
// trusted proxy.
func clientIP(r *http.Request) string {
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok && ip != "" {
		return ip
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// errAmbiguousPath is the error behind 400 answers to paths that apps may read differently
// from Caddy's matchers.
var errAmbiguousPath = errors.New("request path holds a backslash, a control character or '#'")

// unambiguousPath refuses paths that Caddy's matchers and the app may read differently: a
// backslash (a separator on Windows stacks), a control character such as NUL (C strings end
// there), or a raw '#' in the request line. `/public/..\admin` must not pass as /public.
func unambiguousPath(r *http.Request) bool {
	p := r.URL.Path
	for i := 0; i < len(p); i++ {
		if c := p[i]; c == '\\' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	return strings.IndexByte(r.RequestURI, '#') < 0
}

// errNotSignedIn is the error behind 401 challenges.
var errNotSignedIn = errors.New("not signed in")

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
