package gatehouse

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehousehq/gatehouse/web"
)

// portalPrefix is the reserved path prefix of Gatehouse's own endpoints.
const portalPrefix = "/.gatehouse"

// wantsHTML tells whether the client is a browser navigating (Accept names text/html).
func wantsHTML(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(v, "text/html") {
			return true
		}
	}
	return false
}

// challenge answers a request that needs a session and has none: browsers are sent to the
// sign-in page with the URL they asked for, other clients get 401.
func (a *App) challenge(w http.ResponseWriter, r *http.Request) error {
	if wantsHTML(r) {
		target := portalPrefix + "/login?rd=" + url.QueryEscape(originalURI(r))
		http.Redirect(w, r, target, http.StatusFound)
		return nil
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	return caddyhttp.Error(http.StatusUnauthorized, errNotSignedIn)
}

// originalURI is the path and query the client asked for, before any rewrite.
func originalURI(r *http.Request) string {
	if or, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && or.URL != nil {
		return or.URL.RequestURI()
	}
	return r.URL.RequestURI()
}

// fail answers with an error status. When the site has `handle_errors` routes, or the
// client is not a browser, the error goes to Caddy (so handle_errors can style it);
// otherwise Gatehouse renders its own page.
func (a *App) fail(w http.ResponseWriter, r *http.Request, status int, err error, st *requestState) error {
	if !wantsHTML(r) || hasErrorRoutes(r) {
		return caddyhttp.Error(status, err)
	}
	page := web.ErrorPage{Base: a.base(r, st), Status: status}
	switch status {
	case http.StatusForbidden:
		page.Heading = "You don't have access to this page"
		page.Message = "You are signed in as " + page.User + ", but this area is open to other accounts."
		page.SignOut = true
		page.CSRF = a.formToken(w, r)
		page.RD = originalURI(r)
	case http.StatusNotFound:
		page.Heading = "Page not found"
		page.Message = "There is nothing at this address."
	case http.StatusServiceUnavailable:
		page.Heading = "Sign-in is unavailable"
		page.Message = "Gatehouse cannot reach its session store right now. Please try again in a moment."
	default:
		page.Heading = http.StatusText(status)
		page.Message = "The request could not be completed."
	}
	if rerr := a.pages.Render(w, status, "error", page); rerr != nil {
		return caddyhttp.Error(http.StatusInternalServerError, fmt.Errorf("rendering error page: %w", rerr))
	}
	return nil
}

// hasErrorRoutes tells whether the server serving r has `handle_errors` routes.
func hasErrorRoutes(r *http.Request) bool {
	srv, ok := r.Context().Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	return ok && srv != nil && srv.Errors != nil && len(srv.Errors.Routes) > 0
}

func (a *App) base(r *http.Request, st *requestState) web.Base {
	b := web.Base{Prefix: portalPrefix}
	if st != nil && st.signedIn {
		b.User = st.active.Name
		if b.User == "" {
			b.User = st.active.User
		}
	}
	return b
}

// cookieSettings are the session cookie's name and domain.
type cookieSettings struct {
	name   string
	domain string
}

// secureCookies tells whether cookies set in answer to r get the Secure attribute: always,
// except over plain HTTP to a loopback host (local development and the demo).
func secureCookies(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip == nil || !ip.IsLoopback()
}

// setSessionCookie gives the browser its session token until expires.
func (a *App) setSessionCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: a.cookie.name, Value: token, Path: "/", Domain: a.cookie.domain,
		Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode,
	})
}

// clearSessionCookie removes the session cookie from the browser.
func (a *App) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: a.cookie.name, Value: "", Path: "/", Domain: a.cookie.domain, MaxAge: -1,
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode,
	})
}

// mfaFresh tells whether a second factor done at done satisfies a max age (0: any time in
// the session).
func mfaFresh(done time.Time, maxAge time.Duration) bool {
	if done.IsZero() {
		return false
	}
	return maxAge == 0 || now().Sub(done) <= maxAge
}

// stepUp answers a request that needs a (fresher) second factor: browsers go to the
// second-factor prompt with the URL they asked for; other clients get 401 with the RFC 9470
// challenge.
func (a *App) stepUp(w http.ResponseWriter, r *http.Request, maxAge time.Duration) error {
	if wantsHTML(r) {
		http.Redirect(w, r, portalPrefix+"/mfa?rd="+url.QueryEscape(originalURI(r)), http.StatusFound)
		return nil
	}
	challenge := `Bearer realm="gatehouse", error="insufficient_user_authentication", error_description="A second factor is required"`
	if maxAge > 0 {
		challenge += fmt.Sprintf(", max_age=%d", int64(maxAge.Seconds()))
	}
	w.Header().Set("WWW-Authenticate", challenge)
	return caddyhttp.Error(http.StatusUnauthorized, errors.New("a second factor is required"))
}
