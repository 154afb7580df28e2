package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/oidc/oidctest"
)

// rpTestIdP starts an oidctest server with the fixtures' client registered and returns
// it with a provider configured for it.
func rpTestIdP(t *testing.T, clock *rpClock, opts ...oidctest.Option) (*oidctest.Server, Provider) {
	t.Helper()
	srv := oidctest.New(t, append([]oidctest.Option{oidctest.WithClock(clock.Now)}, opts...)...)
	srv.AddClient(rpClientID, rpSecret, rpRedirect)
	prov := rpProvider(t, Config{
		Name: "corp", Type: TypeOIDC, ClientID: rpClientID, ClientSecret: rpSecret,
		Issuer: srv.URL(), Now: clock.Now, GroupsClaim: "groups",
	})
	return srv, prov
}

// rpAuthorize sends the browser's request to the authorization URL of req and returns
// the code the IdP redirects back with.
func rpAuthorize(t *testing.T, prov Provider, req AuthRequest) string {
	t.Helper()
	raw, err := prov.AuthURL(context.Background(), req)
	if err != nil {
		t.Fatalf("AuthURL: %v", err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(raw)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if loc.Query().Get("state") != req.State {
		t.Fatalf("state = %q", loc.Query().Get("state"))
	}
	return loc.Query().Get("code")
}

// rpFlow runs a whole sign-in through srv.
func rpFlow(t *testing.T, prov Provider) (*Result, error) {
	t.Helper()
	code := rpAuthorize(t, prov, rpRequest)
	return prov.Exchange(context.Background(), code, rpRequest)
}

// TestConformanceIDToken runs the ID token rows of the RP conformance list against the
// test identity provider: each fault must refuse the sign-in, valid variants succeed.
func TestConformanceIDToken(t *testing.T) {
	tests := []struct {
		fault oidctest.Fault
		check string // "" for success
	}{
		{oidctest.FaultNone, ""},
		{oidctest.FaultKIDAbsentSingle, ""},
		{oidctest.FaultKIDAbsentMultiple, ""}, // every key is tried
		{oidctest.FaultEmailUnverified, ""},
		{oidctest.FaultWrongIssuer, "iss"},
		{oidctest.FaultWrongAudience, "aud"},
		{oidctest.FaultMissingAudience, "aud"},
		{oidctest.FaultBadSignature, "signature"},
		{oidctest.FaultAlgNone, "alg"},
		{oidctest.FaultHS256PublicKey, "alg"},
		{oidctest.FaultExpired, "exp"},
		{oidctest.FaultIssuedInFuture, "iat"},
		{oidctest.FaultMissingIAT, "iat"},
		{oidctest.FaultMissingNonce, "nonce"},
		{oidctest.FaultWrongNonce, "nonce"},
		{oidctest.FaultMissingSub, "sub"},
		{oidctest.FaultWrongAZP, "azp"},
		{oidctest.FaultUnknownKID, "signature"},
	}
	for _, tt := range tests {
		t.Run(rpFaultName(tt.fault), func(t *testing.T) {
			clock := rpNewClock()
			srv, prov := rpTestIdP(t, clock)
			srv.SetFault(tt.fault)
			res, err := rpFlow(t, prov)
			if tt.check == "" {
				if err != nil {
					t.Fatalf("sign-in refused: %v", err)
				}
				want := tt.fault != oidctest.FaultEmailUnverified
				if res.Identity.User != "alice" || res.Identity.EmailVerified != want || res.SID == "" {
					t.Errorf("identity = %+v, sid %q", res.Identity, res.SID)
				}
				return
			}
			var te *TokenError
			if !errors.As(err, &te) || te.Check != tt.check {
				t.Fatalf("err = %v, want the %q check to fail", err, tt.check)
			}
		})
	}
}

func TestConformanceFlow(t *testing.T) {
	t.Run("PKCE verifier tampered", func(t *testing.T) {
		srv, prov := rpTestIdP(t, rpNewClock())
		code := rpAuthorize(t, prov, rpRequest)
		req := rpRequest
		req.Verifier = NewVerifier()
		if _, err := prov.Exchange(context.Background(), code, req); err == nil || errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want a refused code", err)
		}
		if srv.PKCEFailures() != 1 {
			t.Errorf("PKCE failures = %d", srv.PKCEFailures())
		}
	})
	t.Run("code replay", func(t *testing.T) {
		_, prov := rpTestIdP(t, rpNewClock())
		code := rpAuthorize(t, prov, rpRequest)
		if _, err := prov.Exchange(context.Background(), code, rpRequest); err != nil {
			t.Fatal(err)
		}
		if _, err := prov.Exchange(context.Background(), code, rpRequest); err == nil {
			t.Fatal("a replayed code was accepted")
		}
	})
	t.Run("key rotation", func(t *testing.T) {
		clock := rpNewClock()
		srv, prov := rpTestIdP(t, clock)
		if _, err := rpFlow(t, prov); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		srv.RotateKey()
		if _, err := rpFlow(t, prov); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
		if srv.JWKSFetches() != 2 {
			t.Errorf("JWKS fetches = %d, want 2", srv.JWKSFetches())
		}
	})
	t.Run("ES256", func(t *testing.T) {
		srv, prov := rpTestIdP(t, rpNewClock())
		srv.SetAlg(oidctest.AlgES256)
		if _, err := rpFlow(t, prov); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("issuer mismatch", func(t *testing.T) {
		clock := rpNewClock()
		srv := oidctest.New(t, oidctest.WithClock(clock.Now), oidctest.WithIssuer("https://other.example.com"))
		srv.AddClient(rpClientID, rpSecret, rpRedirect)
		prov := rpProvider(t, Config{Name: "corp", Type: TypeOIDC, ClientID: rpClientID, ClientSecret: rpSecret, Issuer: srv.URL(), Now: clock.Now})
		if _, err := prov.AuthURL(context.Background(), rpRequest); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	})
	t.Run("down then back", func(t *testing.T) {
		clock := rpNewClock()
		srv, prov := rpTestIdP(t, clock)
		srv.SetDown(true)
		if _, err := prov.AuthURL(context.Background(), rpRequest); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		srv.SetDown(false)
		clock.Advance(discoveryRetry)
		if _, err := rpFlow(t, prov); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
	})
	t.Run("end session", func(t *testing.T) {
		_, prov := rpTestIdP(t, rpNewClock())
		res, err := rpFlow(t, prov)
		if err != nil {
			t.Fatal(err)
		}
		if got := prov.EndSessionURL(context.Background(), res.IDToken, "https://app.example.com/"); got == "" {
			t.Error("no end session URL")
		}
	})
}

func TestConformanceLogoutToken(t *testing.T) {
	tests := []struct {
		fault oidctest.Fault
		check string
	}{
		{oidctest.FaultNone, ""},
		{oidctest.FaultAlgNone, "alg"},
		{oidctest.FaultHS256PublicKey, "alg"},
		{oidctest.FaultWrongIssuer, "iss"},
		{oidctest.FaultWrongAudience, "aud"},
		{oidctest.FaultBadSignature, "signature"},
		{oidctest.FaultLogoutNoEvent, "events"},
		{oidctest.FaultLogoutWrongEvent, "events"},
		{oidctest.FaultLogoutWithNonce, "nonce"},
		{oidctest.FaultExpired, "exp"},
		{oidctest.FaultMissingIAT, "iat"},
	}
	for _, tt := range tests {
		t.Run(rpFaultName(tt.fault), func(t *testing.T) {
			srv, prov := rpTestIdP(t, rpNewClock())
			sid := srv.SID("alice-0001")
			token := srv.LogoutToken(rpClientID, "alice-0001", sid, tt.fault)
			sub, gotSID, err := prov.VerifyLogoutToken(context.Background(), token)
			if tt.check == "" {
				if err != nil || sub != "alice-0001" || gotSID != sid {
					t.Fatalf("sub %q sid %q err %v", sub, gotSID, err)
				}
				return
			}
			var te *TokenError
			if !errors.As(err, &te) || te.Check != tt.check {
				t.Fatalf("err = %v, want the %q check to fail", err, tt.check)
			}
		})
	}
	t.Run("neither sub nor sid", func(t *testing.T) {
		srv, prov := rpTestIdP(t, rpNewClock())
		if _, _, err := prov.VerifyLogoutToken(context.Background(), srv.LogoutToken(rpClientID, "", "", oidctest.FaultNone)); err == nil {
			t.Fatal("accepted")
		}
	})
}

// rpFaultName names a subtest after a fault.
func rpFaultName(f oidctest.Fault) string {
	if f == oidctest.FaultNone {
		return "valid"
	}
	return string(f)
}
