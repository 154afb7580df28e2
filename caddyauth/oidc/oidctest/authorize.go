package oidctest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// codeLifetime is how long an authorization code can be redeemed.
const codeLifetime = 60 * time.Second

// client is a registered relying party.
type client struct {
	secret       string
	redirectURIs []string
}

// grant is what an authorization code stands for.
type grant struct {
	clientID    string
	redirectURI string
	nonce       string
	challenge   string // PKCE S256 code_challenge
	scope       string
	user        User
	authTime    time.Time
	expires     time.Time
}

// AddClient registers (or replaces) a client with its secret and the redirect URIs
// /authorize accepts (compared exactly).
func (s *Server) AddClient(id, secret string, redirectURIs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[id] = client{secret: secret, redirectURIs: slices.Clone(redirectURIs)}
}

// serveAuthorize signs the current user in without any UI and redirects back with a
// single-use code. An unknown client or redirect_uri gets a 400 page (never a redirect);
// other errors redirect back with error= and state.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	q := r.Form
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[q.Get("client_id")]
	if !ok {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !slices.Contains(c.redirectURIs, redirectURI) {
		http.Error(w, "redirect_uri is not registered for this client", http.StatusBadRequest)
		return
	}
	state := q.Get("state")
	fail := func(code, description string) {
		s.redirect(w, r, redirectURI, url.Values{"error": {code}, "error_description": {description}}, state)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code is supported")
	case state == "":
		fail("invalid_request", "state is required")
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		fail("invalid_scope", "scope must include openid")
	case q.Get("code_challenge") == "":
		fail("invalid_request", "code_challenge is required")
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
	case s.denyAccess:
		fail("access_denied", "the user denied access")
	default:
		now := s.now()
		code := randomString()
		s.codes[code] = &grant{
			clientID:    q.Get("client_id"),
			redirectURI: redirectURI,
			nonce:       q.Get("nonce"),
			challenge:   q.Get("code_challenge"),
			scope:       q.Get("scope"),
			user:        s.user,
			authTime:    now,
			expires:     now.Add(codeLifetime),
		}
		s.redirect(w, r, redirectURI, url.Values{"code": {code}}, state)
	}
}

// redirect sends the browser back to the client's redirectURI with params, state (when
// set) and iss (RFC 9207) added to its query.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values, state string) {
	if state != "" {
		params.Set("state", state)
	}
	params.Set("iss", s.Issuer())
	target, err := withQuery(redirectURI, params)
	if err != nil {
		http.Error(w, "bad redirect target", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// withQuery returns target with params added to its query.
func withQuery(target string, params url.Values) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
