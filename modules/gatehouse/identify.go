package gatehouse

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehousehq/gatehouse/caddyauth/session"
	"github.com/gatehousehq/gatehouse/policies"
)

// stateVar is the request variable under which the first Gatehouse handler of a request
// keeps what it found, so that later handlers see the same identity after the cookie has
// been removed from the request.
const stateVar = "gatehouse.request"

// requestState is what Gatehouse knows about the request's sender.
type requestState struct {
	// token is the session cookie's value as sent (valid or not); "" when absent.
	token string
	// active is the session, when signedIn.
	active   session.Active
	signedIn bool
	// err is a store failure: the request cannot be decided and gets 503.
	err error
	// counted names the rate limits this request was counted against, so that a limit
	// shared by several Gatehouse handlers of one request counts it once.
	counted []string
}

// identify strips client-sent identity headers and the session cookie from r and looks up
// the session, once per request.
func (a *App) identify(r *http.Request) *requestState {
	if st, ok := caddyhttp.GetVar(r.Context(), stateVar).(*requestState); ok {
		return st
	}
	stripHeaders(r.Header, identityHeaders)
	stripTrailers(r, identityHeaders)
	st := &requestState{token: a.takeCookie(r)}
	if st.token != "" {
		active, err := a.sessions.Lookup(r.Context(), st.token)
		switch {
		case err == nil:
			st.active, st.signedIn = active, true
		case !errors.Is(err, session.ErrNoSession):
			st.err = err
		}
	}
	caddyhttp.SetVar(r.Context(), stateVar, st)
	return st
}

// stripTrailers removes the named fields from the request's trailers: those already there,
// and those that arrive at the end of the body (Go fills r.Trailer then, and reverse_proxy
// forwards trailers), so identity headers cannot be smuggled in as trailers.
func stripTrailers(r *http.Request, names []string) {
	if r.Trailer == nil {
		return
	}
	stripHeaders(r.Trailer, names)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &trailerStripper{ReadCloser: r.Body, trailer: r.Trailer, names: names}
	}
}

// trailerStripper strips trailers once the body has been read to its end.
type trailerStripper struct {
	io.ReadCloser
	trailer http.Header
	names   []string
}

func (t *trailerStripper) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if err == io.EOF {
		stripHeaders(t.trailer, t.names)
	}
	return n, err
}

// takeCookie returns the session cookie's value and removes the cookie from the request, so
// the upstream never sees it.
func (a *App) takeCookie(r *http.Request) string {
	values, ok := r.Header["Cookie"]
	if !ok {
		return ""
	}
	var token string
	kept := 0
	for _, v := range values {
		// The request owns its header slices: filter in place.
		value, rest, found := session.TakeCookie(v, a.cookie.name)
		if found && token == "" {
			token = value
		}
		if rest != "" {
			values[kept] = rest
			kept++
		}
	}
	if kept == 0 {
		delete(r.Header, "Cookie")
	} else {
		r.Header["Cookie"] = values[:kept]
	}
	return token
}

// view is what a handler derives from a session: resolved roles and the values of the
// identity placeholders and headers. It is kept with the decoded session (Session.Memo), so
// a signed-in request does not recompute it.
type view struct {
	roleSet *policies.RoleSet // the role declarations it was resolved with
	roles   []string
	// values are the placeholder values in placeholderKeys order, boxed once.
	values [len(placeholderKeys)]any
	// header values: user, email, name, groups, roles.
	user, email, name, groups, rolesCSV string
}

// placeholderKeys are the placeholders every Gatehouse handler sets, in view.values order.
var placeholderKeys = [...]string{
	"http.auth.user.id",
	"http.auth.user.email",
	"http.auth.user.name",
	"http.auth.user.groups",
	"http.auth.user.roles",
	"http.auth.user.provider",
	"http.auth.user.mfa",
}

// emptyValue is the boxed "" for unset placeholders (boxing once avoids an allocation per
// request).
var emptyValue any = ""

func (a *App) viewOf(s *session.Session) *view {
	if v, ok := s.Memo().(*view); ok && v.roleSet == a.roles {
		return v
	}
	id := &s.Identity
	v := &view{roleSet: a.roles, roles: a.roles.Resolve(id)}
	v.user, v.email, v.name = id.User, id.Email, id.Name
	v.groups = strings.Join(id.Groups, ",")
	v.rolesCSV = strings.Join(v.roles, ",")
	for i, val := range [...]string{v.user, v.email, v.name, v.groups, v.rolesCSV, id.Provider, id.MFAString()} {
		v.values[i] = val
	}
	s.SetMemo(v)
	return v
}

// setPlaceholders sets every identity placeholder: from v, or empty when v is nil.
func setPlaceholders(r *http.Request, v *view) {
	repl := caddyRepl(r)
	if repl == nil {
		return
	}
	for i, k := range placeholderKeys {
		if v == nil {
			repl.Set(k, emptyValue)
			continue
		}
		repl.Set(k, v.values[i])
	}
}

// setIdentityHeaders sets the identity headers for the upstream from v; empty values are
// left out (the client's copies are already gone).
func setIdentityHeaders(h http.Header, v *view) {
	vals := [...]string{v.user, v.email, v.name, v.groups, v.rolesCSV}
	keys := [...]string{headerUser, headerEmail, headerName, headerGroups, headerRoles}
	n := 0
	for _, s := range vals {
		if s != "" {
			n++
		}
	}
	backing := make([]string, n)
	for i, s := range vals {
		if s == "" {
			continue
		}
		n--
		backing[n] = s
		h[keys[i]] = backing[n : n+1 : n+1]
	}
}
