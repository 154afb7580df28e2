package gatehouse

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehousehq/gatehouse/caddyauth/loginflow"
	"github.com/gatehousehq/gatehouse/caddyauth/oidc"
	"github.com/gatehousehq/gatehouse/caddyauth/session"
	"github.com/gatehousehq/gatehouse/web"
)

// flowCookieSuffix names the cookie that binds a sign-in at a provider to the browser that
// started it: the session cookie's name plus this suffix, sent only to the portal.
const flowCookieSuffix = "_flow"

// providerFor returns the provider named by the last segment of p (after prefix).
func (a *App) providerFor(p, prefix string) (string, *loadedProvider) {
	name := strings.TrimPrefix(p, prefix)
	return name, a.providers[name]
}

// startSignIn sends the browser to the provider (GET /.gatehouse/start/<name>?rd=).
func (a *App) startSignIn(w http.ResponseWriter, r *http.Request, st *requestState, name string, prov *loadedProvider) error {
	if prov == nil {
		return a.fail(w, r, http.StatusNotFound, fmt.Errorf("no provider %q", name), st)
	}
	binding := session.NewToken()
	http.SetCookie(w, &http.Cookie{
		Name: a.cookie.name + flowCookieSuffix, Value: binding, Path: portalPrefix + "/",
		MaxAge: int(loginflow.Lifetime.Seconds()), HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode,
	})
	redirectURL := originOf(r) + portalPrefix + "/callback/" + name
	state, f, err := a.flows.Begin(r.Context(), name, a.returnURL(r), redirectURL, binding)
	if err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	target, err := prov.AuthURL(r.Context(), oidc.AuthRequest{State: state, Nonce: f.Nonce, Verifier: f.Verifier, RedirectURL: redirectURL})
	if err != nil {
		a.logger.Warn("provider unavailable", zap.String("provider", name), zap.Error(err))
		loginsTotal.WithLabelValues(name, "unavailable").Inc()
		return a.providerProblem(w, r, st, http.StatusServiceUnavailable, "Sign-in with "+prov.button.DisplayName+" is unavailable",
			prov.button.DisplayName+" cannot be reached right now. Please try again in a moment.")
	}
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}

// finishSignIn completes a sign-in at the provider (GET /.gatehouse/callback/<name>).
func (a *App) finishSignIn(w http.ResponseWriter, r *http.Request, st *requestState, name string, prov *loadedProvider) error {
	if prov == nil {
		return a.fail(w, r, http.StatusNotFound, fmt.Errorf("no provider %q", name), st)
	}
	q := r.URL.Query()
	binding := ""
	for _, v := range r.Header.Values("Cookie") {
		if b, ok := session.CookieValue(v, a.cookie.name+flowCookieSuffix); ok {
			binding = b
			break
		}
	}
	// The state is taken (single use) even when the provider reports an error.
	f, err := a.flows.Finish(r.Context(), q.Get("state"), binding)
	logger := a.logger.With(zap.String("provider", name), zap.String("client_ip", clientIP(r)))
	switch {
	case errors.Is(err, loginflow.ErrUnknownState), errors.Is(err, loginflow.ErrOtherBrowser):
		loginsTotal.WithLabelValues(name, "failure").Inc()
		logger.Warn("sign-in callback refused", zap.String("reason", err.Error()))
		return a.providerProblem(w, r, st, http.StatusBadRequest, "This sign-in link has expired",
			"The sign-in was started in another browser, took too long, or was already used. Please sign in again.")
	case err != nil:
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	if f.Provider != name {
		loginsTotal.WithLabelValues(name, "failure").Inc()
		logger.Warn("sign-in callback refused", zap.String("reason", "state of another provider"))
		return a.providerProblem(w, r, st, http.StatusBadRequest, "This sign-in link has expired", "Please sign in again.")
	}
	if e := q.Get("error"); e != "" {
		loginsTotal.WithLabelValues(name, "failure").Inc()
		logger.Info("provider returned an error", zap.String("error", truncate(e, 64)))
		return a.providerProblem(w, r, st, http.StatusUnauthorized, "Sign-in did not complete",
			prov.button.DisplayName+" did not sign you in ("+truncate(e, 64)+").")
	}
	res, err := prov.Exchange(r.Context(), q.Get("code"), oidc.AuthRequest{
		State: q.Get("state"), Nonce: f.Nonce, Verifier: f.Verifier, RedirectURL: f.RedirectURL,
	})
	var refused *oidc.RefusedError
	switch {
	case errors.As(err, &refused):
		loginsTotal.WithLabelValues(name, "refused").Inc()
		logger.Warn("sign-in refused by a provider rule", zap.String("user", refused.User), zap.String("rule", refused.Rule))
		return a.providerProblem(w, r, st, http.StatusForbidden, "Your account is not allowed here",
			"You signed in at "+prov.button.DisplayName+" as "+refused.User+", but this site only accepts accounts matching the rule \u201c"+refused.Rule+"\u201d.")
	case errors.Is(err, oidc.ErrUnavailable):
		loginsTotal.WithLabelValues(name, "unavailable").Inc()
		logger.Warn("provider unavailable", zap.Error(err))
		return a.providerProblem(w, r, st, http.StatusServiceUnavailable, "Sign-in with "+prov.button.DisplayName+" is unavailable",
			prov.button.DisplayName+" cannot be reached right now. Please try again in a moment.")
	case err != nil:
		loginsTotal.WithLabelValues(name, "failure").Inc()
		logger.Warn("sign-in failed", zap.Error(err))
		return a.providerProblem(w, r, st, http.StatusUnauthorized, "Sign-in failed",
			"The answer from "+prov.button.DisplayName+" could not be verified. Please try again.")
	}
	if st.token != "" {
		if err := a.sessions.Delete(r.Context(), st.token); err != nil {
			return a.fail(w, r, http.StatusServiceUnavailable, err, st)
		}
	}
	res.Identity.Provider = name
	token, sess, err := a.sessions.Create(r.Context(), res.Identity, r.UserAgent(),
		&session.Upstream{Subject: res.Subject, SID: res.SID, IDToken: res.IDToken})
	if err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	a.setSessionCookie(w, r, token, sess.Expires)
	http.SetCookie(w, &http.Cookie{Name: a.cookie.name + flowCookieSuffix, Value: "", Path: portalPrefix + "/", MaxAge: -1,
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
	loginsTotal.WithLabelValues(name, "success").Inc()
	logger.Info("signed in", zap.String("user", res.Identity.User))
	target := f.RD
	if target == "" {
		target = "/"
	}
	http.Redirect(w, r, a.redirects.Safe(target, r.Host), http.StatusSeeOther)
	return nil
}

// backchannelLogout ends the sessions a provider's logout token names
// (POST /.gatehouse/backchannel-logout/<name>, OpenID Connect Back-Channel Logout 1.0).
func (a *App) backchannelLogout(w http.ResponseWriter, r *http.Request, name string, prov *loadedProvider) error {
	w.Header().Set("Cache-Control", "no-store")
	if prov == nil {
		return caddyhttp.Error(http.StatusNotFound, fmt.Errorf("no provider %q", name))
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return caddyhttp.Error(http.StatusBadRequest, fmt.Errorf("reading logout request: %w", err))
	}
	token := r.PostFormValue("logout_token")
	sub, sid, err := prov.VerifyLogoutToken(r.Context(), token)
	if err == nil {
		// Each logout token is accepted once: a replayed one must not end sessions begun
		// after it (tokens live minutes; the mark outlives them).
		// Hash the signed part only: a signature has more than one encoding (spare bits in
		// its last base64url character, ECDSA's s and n-s), the signed content has one.
		sum := sha256.Sum256([]byte(token[:max(strings.LastIndexByte(token, '.'), 0)]))
		n, ierr := a.store.Incr(r.Context(), "bcl:"+base64.RawURLEncoding.EncodeToString(sum[:]), logoutTokenMemory)
		if ierr != nil {
			return caddyhttp.Error(http.StatusServiceUnavailable, ierr)
		}
		if n > 1 {
			err = errors.New("logout token already used")
		}
	}
	if err != nil {
		a.logger.Warn("back-channel logout refused", zap.String("provider", name), zap.String("client_ip", clientIP(r)), zap.Error(err))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, werr := w.Write([]byte(`{"error":"invalid_request"}` + "\n"))
		return werr
	}
	n, err := a.sessions.EndUpstream(r.Context(), name, sub, sid)
	if err != nil {
		return caddyhttp.Error(http.StatusServiceUnavailable, err)
	}
	a.logger.Info("back-channel logout", zap.String("provider", name), zap.Int("sessions", n))
	w.WriteHeader(http.StatusOK)
	return nil
}

// logoutTokenMemory is how long a used logout token is remembered.
const logoutTokenMemory = 30 * time.Minute

// providerProblem renders a sign-in problem for the browser (or returns the error).
func (a *App) providerProblem(w http.ResponseWriter, r *http.Request, st *requestState, status int, heading, msg string) error {
	if hasErrorRoutes(r) {
		return caddyhttp.Error(status, errors.New(heading))
	}
	page := web.ErrorPage{Base: a.base(r, st), Status: status, Heading: heading, Message: msg}
	return a.render(w, status, "error", page)
}

// endSessionURL is where the browser goes after a local sign-out to end the session at
// the provider too (RP-initiated logout), or "" when the provider has none.
func (a *App) endSessionURL(r *http.Request, s *session.Session, after string) string {
	if s == nil || s.Upstream == nil || s.Upstream.IDToken == "" {
		return ""
	}
	prov := a.providers[s.Provider]
	if prov == nil {
		return ""
	}
	if !strings.HasPrefix(after, "http://") && !strings.HasPrefix(after, "https://") {
		after = originOf(r) + after
	}
	return prov.EndSessionURL(r.Context(), s.Upstream.IDToken, after)
}

// originOf is the scheme and host the browser used for r.
func originOf(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
