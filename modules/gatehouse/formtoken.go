package gatehouse

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehousehq/gatehouse/caddyauth/session"
)

// formCookieSuffix names the cookie that binds a browser to its portal form tokens: the
// session cookie's name plus this suffix. It is sent only to the portal.
const formCookieSuffix = "_form"

// formToken returns the anti-forgery token for the portal forms on the page being
// rendered, giving the browser a binding cookie first when it has none.
func (a *App) formToken(w http.ResponseWriter, r *http.Request) string {
	binding, ok := a.formBinding(r)
	if !ok {
		binding = session.NewToken()
		http.SetCookie(w, &http.Cookie{
			Name: a.cookie.name + formCookieSuffix, Value: binding, Path: portalPrefix + "/",
			HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode,
		})
	}
	return session.FormToken(a.secret, binding)
}

func (a *App) formBinding(r *http.Request) (string, bool) {
	for _, v := range r.Header.Values("Cookie") {
		if b, ok := session.CookieValue(v, a.cookie.name+formCookieSuffix); ok && session.ValidToken(b) {
			return b, true
		}
	}
	return "", false
}

// checkForm tells whether a portal POST comes from our own page: the browser says the
// request is same-origin (Sec-Fetch-Site and Origin, when sent, must agree), and the form
// carries the token bound to the browser's binding cookie.
func (a *App) checkForm(r *http.Request) bool {
	if !sameOrigin(r) {
		return false
	}
	binding, ok := a.formBinding(r)
	return ok && session.CheckFormToken(a.secret, binding, r.PostFormValue("csrf"))
}

// sameOrigin checks the Fetch metadata and Origin headers of a state-changing request.
// Clients that send neither (curl, scripts) pass this check and rely on the form token.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}
