// Package oidctest is a test OpenID provider on an httptest.Server: discovery, JWKS,
// authorization (auto-approved, no UI), token, userinfo, RP-initiated logout and
// back-channel logout tokens. It speaks real OpenID Connect (signed ID tokens, PKCE S256,
// single-use codes) and misbehaves on demand (see Fault), so a relying party's checks can
// be tested one by one. It imports nothing from the relying party.
//
// Generating RSA keys is slow under -race, so the servers of one test binary draw key
// material from a shared pool: every key one server uses (current, rotated, stray, extra)
// is distinct and every key has its own random kid, but two servers may hold the same
// key material under different kids.
package oidctest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Server is a test OpenID provider on an httptest.Server. Its methods are safe for
// concurrent use with the requests it serves.
type Server struct {
	t      testing.TB
	srv    *httptest.Server
	issuer string           // issuer override; "" means the server's URL
	now    func() time.Time // the clock for codes, tokens and claims

	mu            sync.Mutex
	user          User
	clients       map[string]client
	fault         Fault
	alg           string                 // the algorithm of the current key
	current       *signingKey            // signs ID and logout tokens, published in the JWKS
	byAlg         map[string]*signingKey // the current key of each algorithm used so far
	extra         *signingKey            // second JWKS key served under FaultKIDAbsentMultiple
	stray         *signingKey            // never published; signs under FaultUnknownKID
	keysUsed      map[string]int         // keys drawn from keyPool, per algorithm
	down          bool
	denyAccess    bool
	codes         map[string]*grant
	accessTokens  map[string]*session
	refreshTokens map[string]*session
	sids          map[string]string
	endSessions   []EndSession
	tokenCalls    int
	refreshCalls  int
	pkceFailures  int
	jwksFetches   int
}

// User is the person /authorize signs in.
type User struct {
	Subject           string   // the sub claim
	Email             string   // the email claim, omitted when empty
	EmailVerified     bool     // the email_verified claim
	Name              string   // the name claim, omitted when empty
	PreferredUsername string   // the preferred_username claim, omitted when empty
	Groups            []string // the groups claim, omitted when empty
	// Extra holds claims merged into the ID token and the userinfo response, e.g.
	// "realm_access": map[string]any{"roles": []string{"admin"}} or "hd": "acme.com". They
	// are merged last, so they can also replace a standard claim (e.g. email_verified as
	// the string "true", as some providers send it).
	Extra map[string]any
}

// DefaultUser is the user a new Server signs in until SetUser is called.
var DefaultUser = User{
	Subject:           "alice-0001",
	Email:             "alice@example.com",
	EmailVerified:     true,
	Name:              "Alice Example",
	PreferredUsername: "alice",
}

// Option configures a Server at New.
type Option func(*Server)

// WithIssuer makes the server claim issuer in discovery and in every token while it still
// listens on its own URL (for "issuer does not match the configuration" tests).
func WithIssuer(issuer string) Option {
	return func(s *Server) { s.issuer = issuer }
}

// WithClock sets the clock used for code and token lifetimes and for iat, exp and
// auth_time; now must be safe for concurrent use. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Server) {
		if now != nil {
			s.now = now
		}
	}
}

// New starts a Server signing RS256 tokens for DefaultUser with no clients registered;
// t.Cleanup closes it.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:             t,
		now:           time.Now,
		user:          DefaultUser,
		clients:       map[string]client{},
		alg:           AlgRS256,
		byAlg:         map[string]*signingKey{},
		keysUsed:      map[string]int{},
		codes:         map[string]*grant{},
		accessTokens:  map[string]*session{},
		refreshTokens: map[string]*session{},
		sids:          map[string]string{},
	}
	for _, opt := range opts {
		opt(s)
	}
	key, err := s.newKeyLocked(AlgRS256) // s is not shared yet
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	s.current = key
	s.byAlg[AlgRS256] = key
	s.srv = httptest.NewServer(s.routes())
	t.Cleanup(s.srv.Close)
	return s
}

// Issuer returns the issuer the server claims: its base URL (http://127.0.0.1:port), or
// the WithIssuer override. Discovery is at Issuer()+"/.well-known/openid-configuration"
// when there is no override.
func (s *Server) Issuer() string {
	if s.issuer != "" {
		return s.issuer
	}
	return s.srv.URL
}

// URL returns the server's base URL; it equals Issuer unless WithIssuer was used.
func (s *Server) URL() string { return s.srv.URL }

// SetUser sets who the next /authorize signs in.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = u
}

// SetDown makes every endpoint answer 503 Service Unavailable while down is true.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetDenyAccess makes /authorize redirect back with error=access_denied (the user
// refused consent) while deny is true.
func (s *Server) SetDenyAccess(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyAccess = deny
}

// SID returns the stable session id (sid claim) of the user with subject sub.
func (s *Server) SID(sub string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sidLocked(sub)
}

// TokenCalls returns how many requests /token answered (any grant, any outcome) while up.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// RefreshCalls returns how many of the TokenCalls used grant_type=refresh_token.
func (s *Server) RefreshCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshCalls
}

// PKCEFailures returns how many /token calls had a code_verifier (or none) that did not
// match the code's S256 challenge; each got invalid_grant.
func (s *Server) PKCEFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pkceFailures
}

// JWKSFetches returns how many times /jwks was served while up.
func (s *Server) JWKSFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jwksFetches
}

func (s *Server) sidLocked(sub string) string {
	sid, ok := s.sids[sub]
	if !ok {
		sid = randomString()
		s.sids[sub] = sid
	}
	return sid
}

// routes returns the provider's handler: every endpoint behind the "down" switch.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.serveDiscovery)
	mux.HandleFunc("/authorize", s.serveAuthorize)
	mux.HandleFunc("POST /token", s.serveToken)
	mux.HandleFunc("/userinfo", s.serveUserinfo)
	mux.HandleFunc("GET /jwks", s.serveJWKS)
	mux.HandleFunc("/end-session", s.serveEndSession)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down := s.down
		s.mu.Unlock()
		if down {
			http.Error(w, "identity provider down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
