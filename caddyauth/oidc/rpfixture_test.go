package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Values of the test fixtures.
const (
	rpClientID = "client-1"
	rpSecret   = "secret-1"
	rpState    = "state-1"
	rpNonce    = "nonce-1"
	rpCode     = "code-1"
	rpRedirect = "https://app.example.com/.gatehouse/callback/corp"
	rpSub      = "user-1"
)

// rpVerifier is the PKCE verifier of the fixtures (RFC 7636 Appendix B).
const rpVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

// rpRequest is the authorization request of the fixtures.
var rpRequest = AuthRequest{State: rpState, Nonce: rpNonce, Verifier: rpVerifier, RedirectURL: rpRedirect}

// rpClock is an injectable clock.
type rpClock struct {
	mu sync.Mutex
	t  time.Time
}

func rpNewClock() *rpClock { return &rpClock{t: time.Unix(1_800_000_000, 0)} }

func (c *rpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *rpClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rpKey is a signing key of the fixture IdP.
type rpKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

var (
	rpRSAOnce sync.Once
	rpRSAKeys []*rsa.PrivateKey
)

// rpRSA returns the i-th of a few RSA keys generated once per test binary.
func rpRSA(t testing.TB, i int) *rsa.PrivateKey {
	rpRSAOnce.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rpRSAKeys = append(rpRSAKeys, k)
		}
	})
	return rpRSAKeys[i]
}

func rpRSAKey(t testing.TB, i int, kid string) *rpKey {
	return &rpKey{kid: kid, alg: jose.RS256, priv: rpRSA(t, i)}
}

func rpECKey(t testing.TB, kid string) *rpKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &rpKey{kid: kid, alg: jose.ES256, priv: k}
}

// jwk is the public JWK of k.
func (k *rpKey) jwk() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// sign signs claims with k; header members in extra are added (typ defaults to JWT).
func (k *rpKey) sign(t testing.TB, claims map[string]any, extra map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for name, v := range extra {
		opts = opts.WithHeader(jose.HeaderKey(name), v)
	}
	var key any = jose.JSONWebKey{Key: k.priv, KeyID: k.kid}
	if k.kid == "" {
		key = k.priv
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rpUnsigned returns an alg "none" token.
func rpUnsigned(claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT"})
	p, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// rpHMACWithPublicKey returns an HS256 token whose secret is k's public key in DER,
// the algorithm-confusion attack.
func rpHMACWithPublicKey(t testing.TB, k *rpKey, claims map[string]any) string {
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	h, _ := json.Marshal(map[string]any{"alg": "HS256", "typ": "JWT", "kid": k.kid})
	p, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	mac := hmac.New(sha256.New, der)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// rpIdP is a minimal OpenID provider: discovery (at any path ending in
// /.well-known/openid-configuration), JWKS, token and userinfo endpoints. The test sets
// the ID token the token endpoint returns.
type rpIdP struct {
	t   *testing.T
	srv *httptest.Server

	mu            sync.Mutex
	issuer        string // advertised in discovery; default the server URL
	discoveryDown bool
	noUserInfo    bool
	noEndSession  bool
	authMethods   []string
	keys          []*rpKey // published in the JWKS
	idToken       string
	tokenStatus   int            // 0: 200
	tokenError    string         // OAuth2 error code with tokenStatus
	userinfo      map[string]any // nil: the ID token's sub only
	userinfoJWT   *rpKey         // sign the userinfo response with this key
	userinfoCode  int
	discoveryHits int
	jwksHits      int
	tokenForms    []url.Values
	tokenAuth     []string
}

func rpNewIdP(t *testing.T) *rpIdP {
	p := &rpIdP{t: t, keys: []*rpKey{rpRSAKey(t, 0, "k1")}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL
	return p
}

func (p *rpIdP) URL() string { return p.srv.URL }

func (p *rpIdP) set(f func(p *rpIdP)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *rpIdP) counts() (discovery, jwks int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.discoveryHits, p.jwksHits
}

func (p *rpIdP) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		p.discoveryHits++
		if p.discoveryDown {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		doc := map[string]any{
			"issuer":                                p.issuer,
			"authorization_endpoint":                p.srv.URL + "/authorize",
			"token_endpoint":                        p.srv.URL + "/token",
			"jwks_uri":                              p.srv.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		}
		if !p.noUserInfo {
			doc["userinfo_endpoint"] = p.srv.URL + "/userinfo"
		}
		if !p.noEndSession {
			doc["end_session_endpoint"] = p.srv.URL + "/logout?x=1"
		}
		if p.authMethods != nil {
			doc["token_endpoint_auth_methods_supported"] = p.authMethods
		}
		rpJSON(w, doc)
	case r.URL.Path == "/jwks":
		p.jwksHits++
		var set jose.JSONWebKeySet
		for _, k := range p.keys {
			set.Keys = append(set.Keys, k.jwk())
		}
		rpJSON(w, set)
	case r.URL.Path == "/token":
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		p.tokenForms = append(p.tokenForms, r.PostForm)
		p.tokenAuth = append(p.tokenAuth, r.Header.Get("Authorization"))
		if p.tokenStatus != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(p.tokenStatus)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": p.tokenError, "error_description": "the code " + r.PostForm.Get("code") + " is bad"})
			return
		}
		body := map[string]any{"access_token": "access-1", "token_type": "Bearer", "expires_in": 300}
		if p.idToken != "" {
			body["id_token"] = p.idToken
		}
		rpJSON(w, body)
	case r.URL.Path == "/userinfo":
		if r.Header.Get("Authorization") != "Bearer access-1" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		if p.userinfoCode != 0 {
			http.Error(w, "userinfo failure", p.userinfoCode)
			return
		}
		ui := map[string]any{"sub": rpSub}
		for k, v := range p.userinfo {
			ui[k] = v
		}
		if p.userinfoJWT != nil {
			w.Header().Set("Content-Type", "application/jwt")
			_, _ = w.Write([]byte(p.userinfoJWT.sign(p.t, ui, nil)))
			return
		}
		rpJSON(w, ui)
	default:
		http.NotFound(w, r)
	}
}

func rpJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// rpClaims are valid ID token claims for p at now.
func rpClaims(issuer string, now time.Time) map[string]any {
	return map[string]any{
		"iss":                issuer,
		"aud":                rpClientID,
		"sub":                rpSub,
		"nonce":              rpNonce,
		"iat":                now.Unix(),
		"exp":                now.Add(5 * time.Minute).Unix(),
		"email":              "Alice@Example.com",
		"email_verified":     true,
		"name":               "Alice Example",
		"preferred_username": "Alice",
		"sid":                "sid-1",
	}
}

// rpConfig is a valid oidc Config for p with clock c.
func rpConfig(p *rpIdP, c *rpClock) Config {
	return Config{
		Name:         "corp",
		Type:         TypeOIDC,
		ClientID:     rpClientID,
		ClientSecret: rpSecret,
		Issuer:       p.URL(),
		Now:          c.Now,
		HTTPClient:   p.srv.Client(),
	}
}

// rpProvider builds the provider of cfg, failing the test on error.
func rpProvider(t *testing.T, cfg Config) Provider {
	t.Helper()
	prov, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return prov
}
