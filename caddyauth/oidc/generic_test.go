package oidc

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

func TestAuthURLCarriesTheRequest(t *testing.T) {
	idp := rpNewIdP(t)
	prov := rpProvider(t, rpConfig(idp, rpNewClock()))
	raw, err := prov.AuthURL(context.Background(), rpRequest)
	if err != nil {
		t.Fatalf("AuthURL: %v", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != idp.URL()+"/authorize" {
		t.Errorf("endpoint = %q", got)
	}
	want := map[string]string{
		"response_type":         "code",
		"client_id":             rpClientID,
		"redirect_uri":          rpRedirect,
		"scope":                 "openid email profile",
		"state":                 rpState,
		"nonce":                 rpNonce,
		"code_challenge":        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		"code_challenge_method": "S256",
	}
	q := u.Query()
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("code_verifier") || strings.Contains(raw, rpSecret) {
		t.Errorf("the URL leaks the verifier or the secret: %s", raw)
	}
}

func TestAuthURLScopes(t *testing.T) {
	idp := rpNewIdP(t)
	cfg := rpConfig(idp, rpNewClock())
	cfg.Scopes = []string{"email", "groups"}
	raw, err := rpProvider(t, cfg).AuthURL(context.Background(), rpRequest)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	if got := u.Query().Get("scope"); got != "openid email groups" {
		t.Errorf("scope = %q, want openid added first", got)
	}
}

func TestAuthURLRefusesIncompleteRequests(t *testing.T) {
	idp := rpNewIdP(t)
	prov := rpProvider(t, rpConfig(idp, rpNewClock()))
	for name, mutate := range map[string]func(*AuthRequest){
		"no state":         func(r *AuthRequest) { r.State = "" },
		"no nonce":         func(r *AuthRequest) { r.Nonce = "" },
		"no redirect":      func(r *AuthRequest) { r.RedirectURL = "" },
		"short verifier":   func(r *AuthRequest) { r.Verifier = "abc" },
		"verifier charset": func(r *AuthRequest) { r.Verifier = strings.Repeat("a", 42) + "/" },
	} {
		t.Run(name, func(t *testing.T) {
			req := rpRequest
			mutate(&req)
			if _, err := prov.AuthURL(context.Background(), req); err == nil {
				t.Error("AuthURL accepted the request")
			}
		})
	}
}

func TestExchangeValidFlow(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	claims := rpClaims(idp.URL(), clock.Now())
	claims["amr"] = []any{"pwd", "otp"}
	claims["realm_access"] = map[string]any{"roles": []any{"admin", 7, "ops"}}
	raw := idp.keys[0].sign(t, claims, nil)
	idp.set(func(p *rpIdP) {
		p.idToken = raw
		p.userinfo = map[string]any{"groups": []any{"eng", "ops"}, "name": "Alice From Userinfo", "sid": "ignored", "amr": []any{"x"}}
	})
	cfg := rpConfig(idp, clock)
	cfg.GroupsClaim = "groups"
	cfg.RolesClaim = "realm_access.roles"
	res, err := rpProvider(t, cfg).Exchange(context.Background(), rpCode, rpRequest)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	want := &Result{
		Identity: identity.Identity{
			User: "alice", Email: "Alice@Example.com", EmailVerified: true, Name: "Alice From Userinfo",
			Groups: []string{"eng", "ops"}, Roles: []string{"admin", "ops"}, Provider: "corp", AMR: []string{"pwd", "otp"},
		},
		Subject: rpSub, SID: "sid-1", IDToken: raw,
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("result =\n%+v\nwant\n%+v", res, want)
	}
	idp.mu.Lock()
	defer idp.mu.Unlock()
	form := idp.tokenForms[0]
	if form.Get("code") != rpCode || form.Get("code_verifier") != rpVerifier || form.Get("redirect_uri") != rpRedirect || form.Get("grant_type") != "authorization_code" {
		t.Errorf("token request form = %v", form)
	}
	if !strings.HasPrefix(idp.tokenAuth[0], "Basic ") {
		t.Errorf("client authentication = %q, want client_secret_basic", idp.tokenAuth[0])
	}
}

func TestExchangeClientSecretPost(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	idp.set(func(p *rpIdP) {
		p.authMethods = []string{"client_secret_post"}
		p.idToken = p.keys[0].sign(t, rpClaims(p.URL(), clock.Now()), nil)
	})
	if _, err := rpProvider(t, rpConfig(idp, clock)).Exchange(context.Background(), rpCode, rpRequest); err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	idp.mu.Lock()
	defer idp.mu.Unlock()
	if idp.tokenForms[0].Get("client_secret") != rpSecret || idp.tokenAuth[0] != "" {
		t.Errorf("want client_secret_post, got form %v auth %q", idp.tokenForms[0], idp.tokenAuth[0])
	}
}

// TestIDTokenChecks makes each ID token check fail in turn.
func TestIDTokenChecks(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	now := clock.Now()
	k1 := idp.keys[0]
	es := rpECKey(t, "e1")
	idp.set(func(p *rpIdP) { p.keys = append(p.keys, es) })
	forged := rpRSAKey(t, 1, "k1") // same kid as the published key, other key

	claims := func(mutate func(c map[string]any)) map[string]any {
		c := rpClaims(idp.URL(), now)
		if mutate != nil {
			mutate(c)
		}
		return c
	}
	tests := []struct {
		name  string
		token string
		check string // "" for success
	}{
		{"valid RS256", k1.sign(t, claims(nil), nil), ""},
		{"valid ES256", es.sign(t, claims(nil), nil), ""},
		{"alg none", rpUnsigned(claims(nil)), "alg"},
		{"HS256 with the public key", rpHMACWithPublicKey(t, k1, claims(nil)), "alg"},
		{"alg not in the allow-list", (&rpKey{kid: "k1", alg: "RS384", priv: k1.priv}).sign(t, claims(nil), nil), "alg"},
		{"bad signature", forged.sign(t, claims(nil), nil), "signature"},
		{"not a JWS", "not.a.jwt", "format"},
		{"typ at+jwt", k1.sign(t, claims(nil), map[string]any{"typ": "at+jwt"}), "typ"},
		{"wrong iss", k1.sign(t, claims(func(c map[string]any) { c["iss"] = "https://evil.example.com" }), nil), "iss"},
		{"missing iss", k1.sign(t, claims(func(c map[string]any) { delete(c, "iss") }), nil), "iss"},
		{"iss not a string", k1.sign(t, claims(func(c map[string]any) { c["iss"] = []string{idp.URL()} }), nil), "iss"},
		{"wrong aud", k1.sign(t, claims(func(c map[string]any) { c["aud"] = "other" }), nil), "aud"},
		{"missing aud", k1.sign(t, claims(func(c map[string]any) { delete(c, "aud") }), nil), "aud"},
		{"aud with a number", k1.sign(t, claims(func(c map[string]any) { c["aud"] = []any{rpClientID, 1} }), nil), "aud"},
		{"several aud without azp", k1.sign(t, claims(func(c map[string]any) { c["aud"] = []string{rpClientID, "other"} }), nil), "azp"},
		{"several aud with azp", k1.sign(t, claims(func(c map[string]any) { c["aud"] = []string{"other", rpClientID}; c["azp"] = rpClientID }), nil), ""},
		{"wrong azp", k1.sign(t, claims(func(c map[string]any) { c["azp"] = "other" }), nil), "azp"},
		{"expired", k1.sign(t, claims(func(c map[string]any) { c["exp"] = now.Unix() }), nil), "exp"},
		{"missing exp", k1.sign(t, claims(func(c map[string]any) { delete(c, "exp") }), nil), "exp"},
		{"exp a string", k1.sign(t, claims(func(c map[string]any) { c["exp"] = "9999999999" }), nil), "exp"},
		{"missing iat", k1.sign(t, claims(func(c map[string]any) { delete(c, "iat") }), nil), "iat"},
		{"iat 10 minutes ahead", k1.sign(t, claims(func(c map[string]any) { c["iat"] = now.Add(10 * time.Minute).Unix() }), nil), "iat"},
		{"iat 4 minutes ahead", k1.sign(t, claims(func(c map[string]any) { c["iat"] = now.Add(4 * time.Minute).Unix() }), nil), ""},
		{"nbf ahead", k1.sign(t, claims(func(c map[string]any) { c["nbf"] = now.Add(10 * time.Minute).Unix() }), nil), "nbf"},
		{"missing nonce", k1.sign(t, claims(func(c map[string]any) { delete(c, "nonce") }), nil), "nonce"},
		{"wrong nonce", k1.sign(t, claims(func(c map[string]any) { c["nonce"] = "other" }), nil), "nonce"},
		{"missing sub", k1.sign(t, claims(func(c map[string]any) { delete(c, "sub") }), nil), "sub"},
		{"empty sub", k1.sign(t, claims(func(c map[string]any) { c["sub"] = "" }), nil), "sub"},
		{"sub a number", k1.sign(t, claims(func(c map[string]any) { c["sub"] = 42 }), nil), "sub"},
	}
	prov := rpProvider(t, rpConfig(idp, clock))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp.set(func(p *rpIdP) { p.idToken = tt.token })
			res, err := prov.Exchange(context.Background(), rpCode, rpRequest)
			if tt.check == "" {
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				if res.Subject != rpSub {
					t.Errorf("subject = %q", res.Subject)
				}
				return
			}
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a *TokenError", err)
			}
			if te.Check != tt.check || te.Kind != "id token" {
				t.Errorf("failed check = %s %q, want id token %q (err %v)", te.Kind, te.Check, tt.check, err)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("a bad token must not read as unavailable: %v", err)
			}
			for _, secret := range []string{tt.token, rpNonce, "other", "evil", rpSecret, rpCode} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q quotes %q", err, secret)
				}
			}
		})
	}
}

func TestExchangeTokenEndpointFailures(t *testing.T) {
	clock := rpNewClock()
	tests := []struct {
		name        string
		status      int
		code        string
		noIDToken   bool
		unavailable bool
		mention     string
	}{
		{"code refused", 400, "invalid_grant", false, false, "invalid_grant"},
		{"server error", 502, "", false, true, "502"},
		{"no id_token", 0, "", true, false, "id_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := rpNewIdP(t)
			idp.set(func(p *rpIdP) {
				p.tokenStatus, p.tokenError = tt.status, tt.code
				if !tt.noIDToken {
					p.idToken = p.keys[0].sign(t, rpClaims(p.URL(), clock.Now()), nil)
				}
			})
			_, err := rpProvider(t, rpConfig(idp, clock)).Exchange(context.Background(), rpCode, rpRequest)
			if err == nil {
				t.Fatal("Exchange succeeded")
			}
			if errors.Is(err, ErrUnavailable) != tt.unavailable {
				t.Errorf("errors.Is(err, ErrUnavailable) = %v, want %v (err %v)", !tt.unavailable, tt.unavailable, err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("err %q does not mention %q", err, tt.mention)
			}
			if strings.Contains(err.Error(), rpCode) || strings.Contains(err.Error(), rpSecret) {
				t.Errorf("err %q quotes the code or the secret", err)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		idp := rpNewIdP(t)
		cfg := rpConfig(idp, clock)
		prov := rpProvider(t, cfg)
		if _, err := prov.AuthURL(context.Background(), rpRequest); err != nil {
			t.Fatal(err)
		}
		idp.srv.Close()
		if _, err := prov.Exchange(context.Background(), rpCode, rpRequest); !errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v, want ErrUnavailable", err)
		}
	})
}

func TestUserInfo(t *testing.T) {
	clock := rpNewClock()
	tests := []struct {
		name        string
		setup       func(p *rpIdP)
		wantName    string
		wantErr     bool
		unavailable bool
	}{
		{"merged", func(p *rpIdP) { p.userinfo = map[string]any{"name": "From Userinfo"} }, "From Userinfo", false, false},
		{"no endpoint", func(p *rpIdP) { p.noUserInfo = true; p.userinfo = map[string]any{"name": "From Userinfo"} }, "Alice Example", false, false},
		{"signed response", func(p *rpIdP) { p.userinfoJWT = p.keys[0]; p.userinfo = map[string]any{"name": "Signed"} }, "Signed", false, false},
		{"other sub", func(p *rpIdP) { p.userinfo = map[string]any{"sub": "mallory"} }, "", true, false},
		{"sub missing", func(p *rpIdP) { p.userinfo = map[string]any{"sub": nil} }, "", true, false},
		{"server error", func(p *rpIdP) { p.userinfoCode = 503 }, "", true, true},
		{"refused", func(p *rpIdP) { p.userinfoCode = 403 }, "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := rpNewIdP(t)
			idp.set(func(p *rpIdP) {
				p.idToken = p.keys[0].sign(t, rpClaims(p.URL(), clock.Now()), nil)
				tt.setup(p)
			})
			res, err := rpProvider(t, rpConfig(idp, clock)).Exchange(context.Background(), rpCode, rpRequest)
			if tt.wantErr {
				if err == nil {
					t.Fatal("Exchange succeeded")
				}
				if errors.Is(err, ErrUnavailable) != tt.unavailable {
					t.Errorf("unavailable = %v, want %v (%v)", !tt.unavailable, tt.unavailable, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if res.Identity.Name != tt.wantName || res.Subject != rpSub {
				t.Errorf("name %q subject %q, want %q %q", res.Identity.Name, res.Subject, tt.wantName, rpSub)
			}
		})
	}
}

func TestExchangeRefusesEmptyCode(t *testing.T) {
	idp := rpNewIdP(t)
	if _, err := rpProvider(t, rpConfig(idp, rpNewClock())).Exchange(context.Background(), "", rpRequest); err == nil {
		t.Error("empty code accepted")
	}
}
