package gatehouse

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
	"github.com/gatehousehq/gatehouse/caddyauth/password"
	"github.com/gatehousehq/gatehouse/caddyauth/ratelimit"
	"github.com/gatehousehq/gatehouse/web"
)

// Built-in limits on failed sign-ins.
var (
	userFailureLimit = ratelimit.FailureLimit{Name: "user", Max: 10, Window: 15 * time.Minute}
	ipFailureLimit   = ratelimit.FailureLimit{Name: "ip", Max: 50, Window: 15 * time.Minute}
)

// maxFormBytes bounds a portal form body.
const maxFormBytes = 16 << 10

// hasher verifies passwords for every config, with a bound on concurrent hashing.
var hasher = password.NewVerifier(0, 0)

// servePortal answers the reserved endpoints under /.gatehouse/. Unknown paths get 404:
// they are never passed to the app.
func (a *App) servePortal(w http.ResponseWriter, r *http.Request, st *requestState) error {
	p := strings.TrimPrefix(r.URL.Path, portalPrefix)
	if strings.HasPrefix(p, "/static/") {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return caddyhttp.Error(http.StatusMethodNotAllowed, nil)
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(p, "/static")
		a.pages.Static().ServeHTTP(w, r2)
		return nil
	}
	if st.err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("looking up session: %w", st.err), nil)
	}
	// The portal's limit covers what costs work or store space: posts, and starting or
	// finishing a sign-in at a provider.
	limited := r.Method == http.MethodPost || strings.HasPrefix(p, "/start/") || strings.HasPrefix(p, "/callback/")
	if limited && len(a.portal.limits) > 0 {
		o, refused, err := a.checkLimits(w, r, st, a.portal)
		if err != nil {
			return caddyhttp.Error(http.StatusBadRequest, err)
		}
		if refused {
			return a.tooMany(w, r, st, o)
		}
	}
	switch p {
	case "/login":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return a.loginPage(w, r, st, http.StatusOK, "", "")
		case http.MethodPost:
			return a.login(w, r, st)
		}
	case "/logout":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return a.render(w, http.StatusOK, "logout", web.LogoutPage{Base: a.base(r, st), RD: a.optionalReturnURL(r), CSRF: a.formToken(w, r)})
		case http.MethodPost:
			return a.logout(w, r, st)
		}
	case "/me":
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return a.me(w, r, st)
		}
	default:
		switch {
		case p == "/mfa" || strings.HasPrefix(p, "/mfa/"):
			return a.serveMFA(w, r, st, p)
		case strings.HasPrefix(p, "/start/") && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			name, prov := a.providerFor(p, "/start/")
			return a.startSignIn(w, r, st, name, prov)
		case strings.HasPrefix(p, "/callback/") && r.Method == http.MethodGet:
			name, prov := a.providerFor(p, "/callback/")
			return a.finishSignIn(w, r, st, name, prov)
		case strings.HasPrefix(p, "/backchannel-logout/") && r.Method == http.MethodPost:
			name, prov := a.providerFor(p, "/backchannel-logout/")
			return a.backchannelLogout(w, r, name, prov)
		}
		return a.fail(w, r, http.StatusNotFound, fmt.Errorf("no portal endpoint %q", r.URL.Path), st)
	}
	w.Header().Set("Allow", "GET, HEAD, POST")
	return caddyhttp.Error(http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed on %s", r.Method, r.URL.Path))
}

// returnURL is the validated `rd` of r: a safe target, or "/".
func (a *App) returnURL(r *http.Request) string {
	rd := r.FormValue("rd")
	if rd == "" {
		return "/"
	}
	return a.redirects.Safe(rd, r.Host)
}

// optionalReturnURL is returnURL when r has an `rd`, else "" (the page then uses its own
// default).
func (a *App) optionalReturnURL(r *http.Request) string {
	if r.FormValue("rd") == "" {
		return ""
	}
	return a.returnURL(r)
}

func (a *App) render(w http.ResponseWriter, status int, page string, data any) error {
	if err := a.pages.Render(w, status, page, data); err != nil {
		return caddyhttp.Error(http.StatusInternalServerError, fmt.Errorf("rendering %s page: %w", page, err))
	}
	return nil
}

func (a *App) loginPage(w http.ResponseWriter, r *http.Request, st *requestState, status int, username, msg string) error {
	rd := a.returnURL(r)
	if st.signedIn && r.Method != http.MethodPost && r.URL.Query().Has("rd") {
		http.Redirect(w, r, rd, http.StatusFound)
		return nil
	}
	page := web.LoginPage{
		Base: a.base(r, st), RD: rd, CSRF: a.formToken(w, r), Username: username,
		Error: msg, LocalLogin: a.users != nil, Providers: a.buttons(rd),
	}
	if r.URL.Query().Has("signed_out") {
		page.Notice = "You have signed out."
	}
	if a.users == nil && len(a.providers) == 0 {
		page.Notice = "No sign-in method is configured. Add a users file or a provider to the gatehouse app."
	}
	return a.render(w, status, "login", page)
}

// login checks a username and password posted from the sign-in form.
func (a *App) login(w http.ResponseWriter, r *http.Request, st *requestState) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return caddyhttp.Error(http.StatusBadRequest, fmt.Errorf("reading sign-in form: %w", err))
	}
	if !a.checkForm(r) {
		return a.loginPage(w, r, st, http.StatusForbidden, "", "Your sign-in form expired. Please try again.")
	}
	if a.users == nil {
		return a.loginPage(w, r, st, http.StatusForbidden, "", "")
	}
	username := identity.CanonicalUser(r.PostFormValue("username"))
	pass := r.PostFormValue("password")
	ip := clientIP(r)
	ctx := r.Context()
	// An unknown name is not logged: people type their password into the wrong field.
	u, known := a.users.Lookup(username)
	logName := username
	if !known {
		logName = "(unknown)"
	}
	logger := a.logger.With(zap.String("user", logName), zap.String("client_ip", ip))

	// Failures count per canonical user name and per client IP.
	type failureKey struct {
		limit ratelimit.FailureLimit
		key   string
	}
	failureKeys := [...]failureKey{{userFailureLimit, username}, {ipFailureLimit, ip}}

	// A locked user or address is refused before the password is looked at, so the answer
	// is the same whether it was right or not.
	for _, lk := range failureKeys {
		locked, err := a.failures.Locked(ctx, lk.limit, lk.key)
		if err != nil {
			return a.fail(w, r, http.StatusServiceUnavailable, err, st)
		}
		if locked {
			loginsTotal.WithLabelValues("local", "throttled").Inc()
			logger.Warn("sign-in refused: too many failures", zap.String("limit", lk.limit.Name))
			w.Header().Set("Retry-After", fmt.Sprint(int(lk.limit.Window.Seconds())))
			return a.loginPage(w, r, st, http.StatusTooManyRequests, username,
				"Too many failed sign-ins. Please wait a few minutes and try again.")
		}
	}

	var ok bool
	var err error
	if known && username != "" && pass != "" {
		ok, err = hasher.Verify(ctx, u.Password, pass)
	} else {
		ok, err = hasher.VerifyUnknown(ctx, pass)
	}
	if errors.Is(err, password.ErrBusy) {
		w.Header().Set("Retry-After", "1")
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	if err != nil && !errors.Is(err, password.ErrMalformedHash) {
		return a.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("verifying password: %w", err), st)
	}
	if !ok {
		for _, lk := range failureKeys {
			if _, err := a.failures.Fail(ctx, lk.limit, lk.key); err != nil {
				return a.fail(w, r, http.StatusServiceUnavailable, err, st)
			}
		}
		loginsTotal.WithLabelValues("local", "failure").Inc()
		logger.Warn("sign-in failed")
		return a.loginPage(w, r, st, http.StatusUnauthorized, username, "Wrong username or password.")
	}

	// A new session (and token) at every sign-in; the old one, if any, is ended.
	if st.token != "" {
		if err := a.sessions.Delete(ctx, st.token); err != nil {
			return a.fail(w, r, http.StatusServiceUnavailable, err, st)
		}
	}
	id := identity.Identity{
		User: username, Email: u.Email, EmailVerified: u.Email != "", Name: u.Name,
		Groups: u.Groups, Roles: u.Roles, Provider: identity.ProviderLocal, AMR: []string{"pwd"},
	}
	token, sess, err := a.sessions.Create(ctx, id, r.UserAgent(), nil)
	if err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	a.setSessionCookie(w, r, token, sess.Expires)
	loginsTotal.WithLabelValues("local", "success").Inc()
	logger.Info("signed in")
	http.Redirect(w, r, a.returnURL(r), http.StatusSeeOther)
	return nil
}

// logout ends the session in the store and in the browser.
func (a *App) logout(w http.ResponseWriter, r *http.Request, st *requestState) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return caddyhttp.Error(http.StatusBadRequest, fmt.Errorf("reading sign-out form: %w", err))
	}
	if !a.checkForm(r) {
		return a.render(w, http.StatusForbidden, "logout", web.LogoutPage{Base: a.base(r, st), RD: a.optionalReturnURL(r), CSRF: a.formToken(w, r)})
	}
	if st.token != "" {
		if err := a.sessions.Delete(r.Context(), st.token); err != nil {
			return a.fail(w, r, http.StatusServiceUnavailable, err, st)
		}
	}
	target := portalPrefix + "/login?signed_out=1"
	if r.PostFormValue("rd") != "" {
		target = a.returnURL(r)
	}
	if st.signedIn {
		a.logger.Info("signed out", zap.String("user", st.active.User), zap.String("client_ip", clientIP(r)))
		// End the session at the provider too, when it offers RP-initiated logout.
		if end := a.endSessionURL(r, st.active.Session, target); end != "" {
			target = end
		}
	}
	a.clearSessionCookie(w, r)
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// meResponse is the JSON of GET /.gatehouse/me.
type meResponse struct {
	User     string    `json:"user"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Groups   []string  `json:"groups"`
	Roles    []string  `json:"roles"`
	Provider string    `json:"provider"`
	MFA      string    `json:"mfa"`
	Expires  time.Time `json:"expires"`
}

// me answers who the session belongs to, as JSON; 401 without a session.
func (a *App) me(w http.ResponseWriter, r *http.Request, st *requestState) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	if !st.signedIn {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
		w.WriteHeader(http.StatusUnauthorized)
		_, err := w.Write([]byte(`{"error":"not signed in"}` + "\n"))
		return err
	}
	v := a.viewOf(st.active.Session)
	id := &st.active.Identity
	resp := meResponse{
		User: id.User, Email: id.Email, Name: id.Name, Groups: nonNil(id.Groups), Roles: nonNil(v.roles),
		Provider: id.Provider, MFA: id.MFAString(), Expires: st.active.Deadline.UTC(),
	}
	return json.NewEncoder(w).Encode(resp)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
