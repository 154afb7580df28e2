package oidctest_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehousehq/gatehouse/caddyauth/oidc/oidctest"
)

const (
	clientID    = "gatehouse"
	secret      = "s3cret&=" // needs form-encoding in client_secret_basic
	redirectURI = "https://app.example/.gatehouse/callback/corp"
	nonce       = "n-0S6_WzA2Mj"
)

// noFollow is a client that returns redirects instead of following them.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func newProvider(t *testing.T, opts ...oidctest.Option) *oidctest.Server {
	s := oidctest.New(t, opts...)
	s.AddClient(clientID, secret, redirectURI)
	return s
}

func pkcePair() (verifier, challenge string) {
	verifier = "verifier-" + strings.Repeat("x", 40)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func authParams() url.Values {
	_, challenge := pkcePair()
	return url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"scope": {"openid email profile"}, "state": {"st-123"}, "nonce": {nonce},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
}

// authorize calls /authorize and returns the status and the redirect's query.
func authorize(t *testing.T, s *oidctest.Server, params url.Values) (int, url.Values) {
	t.Helper()
	resp, err := noFollow.Get(s.URL() + "/authorize?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, loc.Query()
}

// code runs /authorize with the default parameters and returns the code.
func code(t *testing.T, s *oidctest.Server) string {
	t.Helper()
	status, q := authorize(t, s, authParams())
	if status != http.StatusFound || q.Get("code") == "" || q.Get("state") != "st-123" {
		t.Fatalf("authorize: status %d, query %v", status, q)
	}
	return q.Get("code")
}

// redeemForm is the /token form for c with the right verifier and redirect_uri.
func redeemForm(c string) url.Values {
	verifier, _ := pkcePair()
	return url.Values{"grant_type": {"authorization_code"}, "code": {c},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}}
}

// postToken posts form to /token with client_secret_basic (basic) or client_secret_post.
func postToken(t *testing.T, s *oidctest.Server, form url.Values, basic bool, sec string) (int, map[string]any) {
	t.Helper()
	if !basic {
		form.Set("client_id", clientID)
		form.Set("client_secret", sec)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(sec))
	}
	return doJSON(t, req)
}

func doJSON(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func getJSON(t *testing.T, u string) (int, map[string]any) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return doJSON(t, req)
}

// signIn runs the whole code flow and returns the token response.
func signIn(t *testing.T, s *oidctest.Server) map[string]any {
	t.Helper()
	status, body := postToken(t, s, redeemForm(code(t, s)), true, secret)
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, body)
	}
	return body
}

// decode returns the unverified header and claims of a compact JWS.
func decode(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts", token, len(parts))
	}
	for i, v := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func jwks(t *testing.T, s *oidctest.Server) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(s.URL() + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}

// verify checks token's signature against the provider's JWKS as a strict RP would:
// RS256/ES256 only, key by kid, no kid only with a single key.
func verify(t *testing.T, s *oidctest.Server, token string) error {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		return err
	}
	set := jwks(t, s)
	kid := jws.Signatures[0].Header.KeyID
	keys := set.Keys
	if kid != "" {
		keys = set.Key(kid)
	}
	if len(keys) != 1 {
		return fmt.Errorf("kid %q matches %d keys", kid, len(keys))
	}
	_, err = jws.Verify(keys[0])
	return err
}

// hmacWithPublicPEM reports whether token is HS256 keyed with the PEM of the JWKS key.
func hmacWithPublicPEM(t *testing.T, s *oidctest.Server, token string) bool {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(jwks(t, s).Keys[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return false
	}
	_, err = jws.Verify(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return err == nil
}

func TestDiscovery(t *testing.T) {
	s := newProvider(t)
	status, d := getJSON(t, s.Issuer()+"/.well-known/openid-configuration")
	if status != http.StatusOK {
		t.Fatalf("discovery: %d", status)
	}
	want := map[string]any{
		"issuer":                                s.Issuer(),
		"authorization_endpoint":                s.URL() + "/authorize",
		"token_endpoint":                        s.URL() + "/token",
		"userinfo_endpoint":                     s.URL() + "/userinfo",
		"jwks_uri":                              s.URL() + "/jwks",
		"end_session_endpoint":                  s.URL() + "/end-session",
		"backchannel_logout_supported":          true,
		"code_challenge_methods_supported":      []any{"S256"},
		"id_token_signing_alg_values_supported": []any{"RS256", "ES256"},
	}
	for k, v := range want {
		if fmt.Sprint(d[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v", k, d[k], v)
		}
	}
}

func TestIssuerOverride(t *testing.T) {
	s := newProvider(t, oidctest.WithIssuer("https://idp.example"))
	_, d := getJSON(t, s.URL()+"/.well-known/openid-configuration")
	if d["issuer"] != "https://idp.example" || d["token_endpoint"] != s.URL()+"/token" {
		t.Errorf("discovery issuer %v, token_endpoint %v", d["issuer"], d["token_endpoint"])
	}
	if _, c := decode(t, signIn(t, s)["id_token"].(string)); c["iss"] != "https://idp.example" {
		t.Errorf("iss = %v", c["iss"])
	}
}

func TestCodeFlow(t *testing.T) {
	for _, basic := range []bool{true, false} {
		t.Run(fmt.Sprintf("basic=%v", basic), func(t *testing.T) {
			s := newProvider(t)
			s.SetUser(oidctest.User{Subject: "u1", Email: "bob@acme.com", EmailVerified: true, Name: "Bob",
				PreferredUsername: "bob", Groups: []string{"ops"},
				Extra: map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}}})
			status, tok := postToken(t, s, redeemForm(code(t, s)), basic, secret)
			if status != http.StatusOK || tok["token_type"] != "Bearer" || tok["expires_in"] != float64(3600) ||
				tok["access_token"] == "" || tok["refresh_token"] == "" {
				t.Fatalf("token response %d %v", status, tok)
			}
			idToken := tok["id_token"].(string)
			if err := verify(t, s, idToken); err != nil {
				t.Fatalf("ID token does not verify: %v", err)
			}
			h, c := decode(t, idToken)
			checks := map[string]any{"alg": h["alg"], "iss": c["iss"], "aud": c["aud"], "sub": c["sub"],
				"nonce": c["nonce"], "sid": c["sid"], "email": c["email"], "email_verified": c["email_verified"],
				"groups": fmt.Sprint(c["groups"]), "realm_access": fmt.Sprint(c["realm_access"])}
			want := map[string]any{"alg": "RS256", "iss": s.Issuer(), "aud": clientID, "sub": "u1",
				"nonce": nonce, "sid": s.SID("u1"), "email": "bob@acme.com", "email_verified": true,
				"groups": "[ops]", "realm_access": "map[roles:[admin]]"}
			for k := range want {
				if checks[k] != want[k] {
					t.Errorf("%s = %v, want %v", k, checks[k], want[k])
				}
			}
			for _, claim := range []string{"exp", "iat", "auth_time"} {
				if _, ok := c[claim].(float64); !ok {
					t.Errorf("claim %s missing", claim)
				}
			}
			req, _ := http.NewRequest(http.MethodGet, s.URL()+"/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
			if status, ui := doJSON(t, req); status != http.StatusOK || ui["sub"] != "u1" || ui["email"] != "bob@acme.com" {
				t.Errorf("userinfo %d %v", status, ui)
			}
			req.Header.Set("Authorization", "Bearer nope")
			if status, _ := doJSON(t, req); status != http.StatusUnauthorized {
				t.Errorf("userinfo with a bad token: %d, want 401", status)
			}
			if s.TokenCalls() != 1 || s.JWKSFetches() != 1 {
				t.Errorf("TokenCalls %d, JWKSFetches %d, want 1 and 1", s.TokenCalls(), s.JWKSFetches())
			}
		})
	}
}

func TestAuthorizeRefuses(t *testing.T) {
	tests := []struct {
		name      string
		change    func(url.Values)
		deny      bool
		wantError string // "" means a 400 page and no redirect
	}{
		{"no code_challenge", func(q url.Values) { q.Del("code_challenge") }, false, "invalid_request"},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, false, "invalid_request"},
		{"no state", func(q url.Values) { q.Del("state") }, false, "invalid_request"},
		{"implicit flow", func(q url.Values) { q.Set("response_type", "id_token") }, false, "unsupported_response_type"},
		{"no openid scope", func(q url.Values) { q.Set("scope", "email") }, false, "invalid_scope"},
		{"user denies", func(url.Values) {}, true, "access_denied"},
		{"unregistered redirect_uri", func(q url.Values) { q.Set("redirect_uri", redirectURI+"/x") }, false, ""},
		{"unknown client", func(q url.Values) { q.Set("client_id", "nobody") }, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newProvider(t)
			s.SetDenyAccess(tt.deny)
			q := authParams()
			tt.change(q)
			status, got := authorize(t, s, q)
			if tt.wantError == "" {
				if status != http.StatusBadRequest {
					t.Errorf("status %d, want 400 without redirect", status)
				}
				return
			}
			if status != http.StatusFound || got.Get("error") != tt.wantError || got.Get("code") != "" {
				t.Errorf("status %d, query %v; want a redirect with error=%s", status, got, tt.wantError)
			}
		})
	}
}

func TestTokenRefuses(t *testing.T) {
	tests := []struct {
		name       string
		change     func(*testing.T, *oidctest.Server, *fakeClock, url.Values)
		secret     string
		wantStatus int
		wantError  string
		wantPKCE   int
	}{
		{"code reused", func(t *testing.T, s *oidctest.Server, _ *fakeClock, f url.Values) {
			if status, _ := postToken(t, s, redeemForm(f.Get("code")), true, secret); status != http.StatusOK {
				t.Fatalf("first use: %d", status)
			}
		}, secret, 400, "invalid_grant", 0},
		{"wrong verifier", func(_ *testing.T, _ *oidctest.Server, _ *fakeClock, f url.Values) {
			f.Set("code_verifier", strings.Repeat("y", 43))
		}, secret, 400, "invalid_grant", 1},
		{"no verifier", func(_ *testing.T, _ *oidctest.Server, _ *fakeClock, f url.Values) { f.Del("code_verifier") },
			secret, 400, "invalid_grant", 1},
		{"other redirect_uri", func(_ *testing.T, _ *oidctest.Server, _ *fakeClock, f url.Values) {
			f.Set("redirect_uri", "https://evil.example/cb")
		}, secret, 400, "invalid_grant", 0},
		{"code expired", func(_ *testing.T, _ *oidctest.Server, c *fakeClock, _ url.Values) { c.Add(61 * time.Second) },
			secret, 400, "invalid_grant", 0},
		{"wrong secret", func(*testing.T, *oidctest.Server, *fakeClock, url.Values) {}, "guess", 401, "invalid_client", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
			s := newProvider(t, oidctest.WithClock(clock.Now))
			form := redeemForm(code(t, s))
			tt.change(t, s, clock, form)
			status, body := postToken(t, s, form, true, tt.secret)
			if status != tt.wantStatus || body["error"] != tt.wantError || body["id_token"] != nil {
				t.Errorf("got %d %v, want %d %s", status, body, tt.wantStatus, tt.wantError)
			}
			if s.PKCEFailures() != tt.wantPKCE {
				t.Errorf("PKCEFailures = %d, want %d", s.PKCEFailures(), tt.wantPKCE)
			}
		})
	}
}

func TestRefreshAndAccessTokenExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	s := newProvider(t, oidctest.WithClock(clock.Now))
	first := signIn(t, s)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first["refresh_token"].(string)}}
	status, second := postToken(t, s, form, false, secret)
	if status != http.StatusOK || second["access_token"] == first["access_token"] {
		t.Fatalf("refresh: %d %v", status, second)
	}
	if status, body := postToken(t, s, form, false, secret); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("spent refresh token: %d %v, want invalid_grant", status, body)
	}
	if s.RefreshCalls() != 2 || s.TokenCalls() != 3 {
		t.Errorf("RefreshCalls %d TokenCalls %d, want 2 and 3", s.RefreshCalls(), s.TokenCalls())
	}
	clock.Add(time.Hour)
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+second["access_token"].(string))
	if status, _ := doJSON(t, req); status != http.StatusUnauthorized {
		t.Errorf("userinfo with an expired access token: %d, want 401", status)
	}
}

func TestIDTokenFaults(t *testing.T) {
	type claims = map[string]any
	tests := []struct {
		fault    oidctest.Fault
		verifies bool // signature check with the JWKS (RS256/ES256 only, key by kid)
		check    func(t *testing.T, s *oidctest.Server, h, c claims, token string) bool
	}{
		{oidctest.FaultNone, true, func(_ *testing.T, s *oidctest.Server, h, c claims, _ string) bool {
			return c["iss"] == s.Issuer() && c["aud"] == clientID && c["nonce"] == nonce && h["kid"] != nil
		}},
		{oidctest.FaultWrongIssuer, true, func(_ *testing.T, s *oidctest.Server, _, c claims, _ string) bool {
			return c["iss"] != s.Issuer() && c["iss"] != nil
		}},
		{oidctest.FaultWrongAudience, true, func(_ *testing.T, _ *oidctest.Server, _, c claims, _ string) bool {
			return c["aud"] == oidctest.OtherClient
		}},
		{oidctest.FaultMissingAudience, true, func(_ *testing.T, _ *oidctest.Server, _, c claims, _ string) bool { return c["aud"] == nil }},
		{oidctest.FaultBadSignature, false, func(_ *testing.T, _ *oidctest.Server, h, _ claims, _ string) bool { return h["alg"] == "RS256" }},
		{oidctest.FaultAlgNone, false, func(_ *testing.T, _ *oidctest.Server, h, _ claims, token string) bool {
			return h["alg"] == "none" && strings.HasSuffix(token, ".")
		}},
		{oidctest.FaultHS256PublicKey, false, func(t *testing.T, s *oidctest.Server, h, _ claims, token string) bool {
			return h["alg"] == "HS256" && hmacWithPublicPEM(t, s, token)
		}},
		{oidctest.FaultExpired, true, func(_ *testing.T, _ *oidctest.Server, _, c claims, _ string) bool {
			return int64(c["exp"].(float64)) < time.Now().Unix()
		}},
		{oidctest.FaultIssuedInFuture, true, func(_ *testing.T, _ *oidctest.Server, _, c claims, _ string) bool {
			return int64(c["iat"].(float64)) > time.Now().Add(30*time.Minute).Unix()
		}},
		{oidctest.FaultMissingIAT, true, func(_ *testing.T, _ *oidctest.Server, _, c claims, _ string) bool { return c["iat"] == nil }},
		{oidctest.FaultMissingNonce, true, func(_ *testing.T, _ *oidctest.Server, _, c claims, _ string) bool { return c["nonce"] == nil }},
		{oidctest.FaultWrongNonce, true, func(_ *testing.T, _ *oidctest.Server, _, c claims, _ string) bool {
			return c["nonce"] != nonce && c["nonce"] != nil
		}},
		{oidctest.FaultMissingSub, true, func(_ *testing.T, _ *oidctest.Server, _, c claims, _ string) bool { return c["sub"] == nil }},
		{oidctest.FaultWrongAZP, true, func(_ *testing.T, _ *oidctest.Server, _, c claims, _ string) bool {
			return fmt.Sprint(c["aud"]) == "["+clientID+" "+oidctest.OtherClient+"]" && c["azp"] == oidctest.OtherClient
		}},
		{oidctest.FaultUnknownKID, false, func(t *testing.T, s *oidctest.Server, h, _ claims, _ string) bool {
			set := jwks(t, s)
			return h["kid"] != nil && len(set.Key(h["kid"].(string))) == 0
		}},
		{oidctest.FaultKIDAbsentMultiple, false, func(t *testing.T, s *oidctest.Server, h, _ claims, _ string) bool {
			return h["kid"] == nil && len(jwks(t, s).Keys) == 2
		}},
		{oidctest.FaultKIDAbsentSingle, true, func(t *testing.T, s *oidctest.Server, h, _ claims, _ string) bool {
			return h["kid"] == nil && len(jwks(t, s).Keys) == 1
		}},
		{oidctest.FaultEmailUnverified, true, func(_ *testing.T, _ *oidctest.Server, _, c claims, _ string) bool {
			return c["email_verified"] == false
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault)+"_", func(t *testing.T) {
			s := newProvider(t)
			s.SetFault(tt.fault)
			token := signIn(t, s)["id_token"].(string)
			h, c := decode(t, token)
			if !tt.check(t, s, h, c, token) {
				t.Errorf("fault %q not visible: header %v claims %v", tt.fault, h, c)
			}
			if err := verify(t, s, token); (err == nil) != tt.verifies {
				t.Errorf("verify error %v, want verifies=%v", err, tt.verifies)
			}
			s.SetFault(oidctest.FaultNone)
			if err := verify(t, s, signIn(t, s)["id_token"].(string)); err != nil {
				t.Errorf("after reset the token does not verify: %v", err)
			}
		})
	}
}

func TestEmailUnverifiedReachesUserinfo(t *testing.T) {
	s := newProvider(t)
	s.SetFault(oidctest.FaultEmailUnverified)
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+signIn(t, s)["access_token"].(string))
	if _, ui := doJSON(t, req); ui["email_verified"] != false {
		t.Errorf("userinfo email_verified = %v, want false", ui["email_verified"])
	}
}

func TestRotateKeyAndAlg(t *testing.T) {
	s := newProvider(t)
	old := signIn(t, s)["id_token"].(string)
	oldHeader, _ := decode(t, old)
	s.RotateKey()
	fresh := signIn(t, s)["id_token"].(string)
	h, _ := decode(t, fresh)
	set := jwks(t, s)
	if h["kid"] == oldHeader["kid"] || len(set.Keys) != 1 || set.Keys[0].KeyID != h["kid"] {
		t.Errorf("after rotation: token kid %v (old %v), JWKS %d keys", h["kid"], oldHeader["kid"], len(set.Keys))
	}
	if verify(t, s, fresh) != nil || verify(t, s, old) == nil {
		t.Error("want the new token to verify and the old one not")
	}
	s.SetAlg(oidctest.AlgES256)
	es := signIn(t, s)["id_token"].(string)
	if h, _ := decode(t, es); h["alg"] != "ES256" {
		t.Errorf("alg = %v, want ES256", h["alg"])
	}
	if err := verify(t, s, es); err != nil {
		t.Errorf("ES256 token does not verify: %v", err)
	}
}

func TestDown(t *testing.T) {
	s := newProvider(t)
	s.SetDown(true)
	for _, path := range []string{"/.well-known/openid-configuration", "/authorize", "/token", "/userinfo", "/jwks", "/end-session"} {
		resp, err := http.Post(s.URL()+path, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: %d, want 503", path, resp.StatusCode)
		}
	}
	s.SetDown(false)
	if status, _ := getJSON(t, s.URL()+"/.well-known/openid-configuration"); status != http.StatusOK {
		t.Errorf("back up: discovery %d", status)
	}
}

func TestLogoutToken(t *testing.T) {
	const event = oidctest.BackChannelLogoutEvent
	tests := []struct {
		fault    oidctest.Fault
		verifies bool
		check    func(s *oidctest.Server, h, c map[string]any) bool
	}{
		{oidctest.FaultNone, true, func(s *oidctest.Server, h, c map[string]any) bool {
			ev, _ := c["events"].(map[string]any)
			_, hasEvent := ev[event]
			return h["typ"] == "logout+jwt" && hasEvent && c["nonce"] == nil && c["iss"] == s.Issuer() &&
				c["aud"] == clientID && c["sub"] == "u1" && c["sid"] == "sid-1" && c["jti"] != nil && c["iat"] != nil
		}},
		{oidctest.FaultWrongIssuer, true, func(s *oidctest.Server, _, c map[string]any) bool { return c["iss"] != s.Issuer() }},
		{oidctest.FaultWrongAudience, true, func(_ *oidctest.Server, _, c map[string]any) bool { return c["aud"] == oidctest.OtherClient }},
		{oidctest.FaultAlgNone, false, func(_ *oidctest.Server, h, _ map[string]any) bool { return h["alg"] == "none" }},
		{oidctest.FaultBadSignature, false, func(_ *oidctest.Server, h, _ map[string]any) bool { return h["typ"] == "logout+jwt" }},
		{oidctest.FaultLogoutNoEvent, true, func(_ *oidctest.Server, _, c map[string]any) bool { return c["events"] == nil }},
		{oidctest.FaultLogoutWithNonce, true, func(_ *oidctest.Server, _, c map[string]any) bool { return c["nonce"] != nil }},
		{oidctest.FaultLogoutWrongEvent, true, func(_ *oidctest.Server, _, c map[string]any) bool {
			ev, _ := c["events"].(map[string]any)
			_, hasEvent := ev[event]
			return ev != nil && !hasEvent
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault)+"_", func(t *testing.T) {
			s := newProvider(t)
			token := s.LogoutToken(clientID, "u1", "sid-1", tt.fault)
			h, c := decode(t, token)
			if !tt.check(s, h, c) {
				t.Errorf("fault %q not visible: header %v claims %v", tt.fault, h, c)
			}
			if err := verify(t, s, token); (err == nil) != tt.verifies {
				t.Errorf("verify error %v, want verifies=%v", err, tt.verifies)
			}
		})
	}
}

func TestEndSession(t *testing.T) {
	s := newProvider(t)
	hint := signIn(t, s)["id_token"].(string)
	q := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"s1"}}
	resp, err := noFollow.Get(s.URL() + "/end-session?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://app.example/bye?state=s1" {
		t.Errorf("end-session: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = noFollow.Get(s.URL() + "/end-session")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("end-session without a return URL: %d, want 200", resp.StatusCode)
	}
	got := s.EndSessions()
	want := []oidctest.EndSession{{IDTokenHint: hint, PostLogoutRedirectURI: "https://app.example/bye", ClientID: clientID}, {}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("EndSessions = %+v, want %+v", got, want)
	}
}
