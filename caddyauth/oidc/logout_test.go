package oidc

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// rpLogoutClaims are valid logout token claims for issuer at now.
func rpLogoutClaims(issuer string, now time.Time) map[string]any {
	return map[string]any{
		"iss":    issuer,
		"aud":    rpClientID,
		"iat":    now.Unix(),
		"jti":    "jti-1",
		"sub":    rpSub,
		"sid":    "sid-1",
		"events": map[string]any{backChannelLogoutEvent: map[string]any{}},
	}
}

func TestVerifyLogoutToken(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	now := clock.Now()
	k1 := idp.keys[0]
	forged := rpRSAKey(t, 1, "k1")
	lt := func(mutate func(c map[string]any)) map[string]any {
		c := rpLogoutClaims(idp.URL(), now)
		if mutate != nil {
			mutate(c)
		}
		return c
	}
	logoutTyp := map[string]any{"typ": "logout+jwt"}
	tests := []struct {
		name     string
		token    string
		check    string // "" for success
		sub, sid string
	}{
		{"valid", k1.sign(t, lt(nil), logoutTyp), "", rpSub, "sid-1"},
		{"valid typ JWT", k1.sign(t, lt(nil), nil), "", rpSub, "sid-1"},
		{"valid sid only", k1.sign(t, lt(func(c map[string]any) { delete(c, "sub") }), logoutTyp), "", "", "sid-1"},
		{"valid sub only", k1.sign(t, lt(func(c map[string]any) { delete(c, "sid") }), logoutTyp), "", rpSub, ""},
		{"valid with future exp", k1.sign(t, lt(func(c map[string]any) { c["exp"] = now.Add(time.Minute).Unix() }), logoutTyp), "", rpSub, "sid-1"},
		{"alg none", rpUnsigned(lt(nil)), "alg", "", ""},
		{"HS256 with the public key", rpHMACWithPublicKey(t, k1, lt(nil)), "alg", "", ""},
		{"bad signature", forged.sign(t, lt(nil), logoutTyp), "signature", "", ""},
		{"wrong typ", k1.sign(t, lt(nil), map[string]any{"typ": "at+jwt"}), "typ", "", ""},
		{"wrong iss", k1.sign(t, lt(func(c map[string]any) { c["iss"] = "https://evil.example.com" }), logoutTyp), "iss", "", ""},
		{"wrong aud", k1.sign(t, lt(func(c map[string]any) { c["aud"] = "other" }), logoutTyp), "aud", "", ""},
		{"missing iat", k1.sign(t, lt(func(c map[string]any) { delete(c, "iat") }), logoutTyp), "iat", "", ""},
		{"expired", k1.sign(t, lt(func(c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() }), logoutTyp), "exp", "", ""},
		{"missing jti", k1.sign(t, lt(func(c map[string]any) { delete(c, "jti") }), logoutTyp), "jti", "", ""},
		{"missing events", k1.sign(t, lt(func(c map[string]any) { delete(c, "events") }), logoutTyp), "events", "", ""},
		{"events not an object", k1.sign(t, lt(func(c map[string]any) { c["events"] = []string{backChannelLogoutEvent} }), logoutTyp), "events", "", ""},
		{"events without the member", k1.sign(t, lt(func(c map[string]any) { c["events"] = map[string]any{"http://other": map[string]any{}} }), logoutTyp), "events", "", ""},
		{"event member not an object", k1.sign(t, lt(func(c map[string]any) { c["events"] = map[string]any{backChannelLogoutEvent: "yes"} }), logoutTyp), "events", "", ""},
		{"with nonce", k1.sign(t, lt(func(c map[string]any) { c["nonce"] = "n" }), logoutTyp), "nonce", "", ""},
		{"neither sub nor sid", k1.sign(t, lt(func(c map[string]any) { delete(c, "sub"); delete(c, "sid") }), logoutTyp), "sid", "", ""},
		{"sid not a string", k1.sign(t, lt(func(c map[string]any) { c["sid"] = 5 }), logoutTyp), "sid", "", ""},
		{"garbage", "garbage", "format", "", ""},
	}
	prov := rpProvider(t, rpConfig(idp, clock))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, sid, err := prov.VerifyLogoutToken(context.Background(), tt.token)
			if tt.check == "" {
				if err != nil {
					t.Fatalf("VerifyLogoutToken: %v", err)
				}
				if sub != tt.sub || sid != tt.sid {
					t.Errorf("sub, sid = %q, %q, want %q, %q", sub, sid, tt.sub, tt.sid)
				}
				return
			}
			var te *TokenError
			if !errors.As(err, &te) || te.Check != tt.check || te.Kind != "logout token" {
				t.Fatalf("err = %v, want logout token check %q", err, tt.check)
			}
			if sub != "" || sid != "" {
				t.Errorf("refused token returned sub %q sid %q", sub, sid)
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Errorf("error quotes the token")
			}
		})
	}
}

func TestVerifyLogoutTokenProviderDown(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	idp.set(func(p *rpIdP) { p.discoveryDown = true })
	_, _, err := rpProvider(t, rpConfig(idp, clock)).VerifyLogoutToken(context.Background(), "x.y.z")
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}

func TestEndSessionURL(t *testing.T) {
	ctx := context.Background()
	idp := rpNewIdP(t)
	prov := rpProvider(t, rpConfig(idp, rpNewClock()))
	if got := prov.EndSessionURL(ctx, "id-token", "https://app.example.com/"); got != "" {
		t.Errorf("before discovery: %q, want none", got)
	}
	if d, _ := idp.counts(); d != 0 {
		t.Errorf("EndSessionURL made %d discovery requests", d)
	}
	if _, err := prov.AuthURL(ctx, rpRequest); err != nil {
		t.Fatal(err)
	}
	raw := prov.EndSessionURL(ctx, "id-token", "https://app.example.com/bye")
	u, err := url.Parse(raw)
	if err != nil || u.Path != "/logout" {
		t.Fatalf("EndSessionURL = %q", raw)
	}
	q := u.Query()
	for k, v := range map[string]string{"x": "1", "id_token_hint": "id-token", "post_logout_redirect_uri": "https://app.example.com/bye", "client_id": rpClientID} {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}

	idp2 := rpNewIdP(t)
	idp2.set(func(p *rpIdP) { p.noEndSession = true })
	prov2 := rpProvider(t, rpConfig(idp2, rpNewClock()))
	if _, err := prov2.AuthURL(ctx, rpRequest); err != nil {
		t.Fatal(err)
	}
	if got := prov2.EndSessionURL(ctx, "id-token", ""); got != "" {
		t.Errorf("without end_session_endpoint: %q, want none", got)
	}
}

func FuzzVerifyLogoutToken(f *testing.F) {
	clock := rpNewClock()
	k1 := rpRSAKey(f, 0, "k1")
	issuer := "https://idp.example.com"
	f.Add(k1.sign(f, rpLogoutClaims(issuer, clock.Now()), map[string]any{"typ": "logout+jwt"}))
	f.Add(rpUnsigned(rpLogoutClaims(issuer, clock.Now())))
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.")
	f.Add("")
	f.Add("....")
	prov, err := New(Config{
		Name: "fuzz", Type: TypeOIDC, ClientID: rpClientID, ClientSecret: rpSecret,
		Issuer: issuer, AuthURL: issuer + "/a", TokenURL: issuer + "/t", JWKSURL: "http://127.0.0.1:1/jwks",
		Now: clock.Now,
	})
	if err != nil {
		f.Fatal(err)
	}
	// Load the keys without network I/O; the frozen clock forbids refetches.
	keys := prov.(*oidcProvider).disc.eps.keys
	keys.keys, keys.fetched, keys.gen = []jose.JSONWebKey{k1.jwk()}, clock.Now(), 1
	f.Fuzz(func(t *testing.T, token string) {
		sub, sid, err := prov.VerifyLogoutToken(context.Background(), token)
		if err == nil && sub == "" && sid == "" {
			t.Fatal("accepted a logout token with neither sub nor sid")
		}
	})
}
