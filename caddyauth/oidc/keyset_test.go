package oidc

import (
	"context"
	"errors"
	"testing"
	"time"
)

// rpSignIn runs one sign-in whose ID token is signed by k and returns the error.
func rpSignIn(t *testing.T, prov Provider, idp *rpIdP, clock *rpClock, k *rpKey) error {
	t.Helper()
	idp.set(func(p *rpIdP) { p.idToken = k.sign(t, rpClaims(p.URL(), clock.Now()), nil) })
	_, err := prov.Exchange(context.Background(), rpCode, rpRequest)
	return err
}

func TestKeyRotation(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	prov := rpProvider(t, rpConfig(idp, clock))
	k1, k2 := idp.keys[0], rpRSAKey(t, 1, "k2")
	if err := rpSignIn(t, prov, idp, clock, k1); err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	if err := rpSignIn(t, prov, idp, clock, k1); err != nil {
		t.Fatalf("second sign-in: %v", err)
	}
	if _, j := idp.counts(); j != 1 {
		t.Fatalf("JWKS fetches = %d, want 1 (cached)", j)
	}
	clock.Advance(time.Hour)
	idp.set(func(p *rpIdP) { p.keys = []*rpKey{k2} })
	if err := rpSignIn(t, prov, idp, clock, k2); err != nil {
		t.Fatalf("sign-in with the rotated-in key: %v", err)
	}
	if _, j := idp.counts(); j != 2 {
		t.Errorf("JWKS fetches = %d, want 2 (one refetch for the unknown kid)", j)
	}
}

func TestKeyRefetchIsRateLimited(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	prov := rpProvider(t, rpConfig(idp, clock))
	if err := rpSignIn(t, prov, idp, clock, idp.keys[0]); err != nil {
		t.Fatal(err)
	}
	stranger := rpRSAKey(t, 2, "unknown")
	for i := range 5 {
		clock.Advance(time.Second)
		err := rpSignIn(t, prov, idp, clock, stranger)
		var te *TokenError
		if !errors.As(err, &te) || te.Check != "signature" {
			t.Fatalf("attempt %d: err = %v, want a signature TokenError", i, err)
		}
	}
	if _, j := idp.counts(); j != 1 {
		t.Errorf("JWKS fetches within 10 s = %d, want 1", j)
	}
	clock.Advance(5 * time.Second)
	_ = rpSignIn(t, prov, idp, clock, stranger)
	_ = rpSignIn(t, prov, idp, clock, stranger)
	if _, j := idp.counts(); j != 2 {
		t.Errorf("JWKS fetches after 10 s = %d, want 2", j)
	}
	// A known kid with a bad signature never causes a fetch.
	clock.Advance(time.Minute)
	forged := rpRSAKey(t, 2, "k1")
	if err := rpSignIn(t, prov, idp, clock, forged); err == nil {
		t.Fatal("forged token accepted")
	}
	if _, j := idp.counts(); j != 2 {
		t.Errorf("JWKS fetches after a bad signature with a known kid = %d, want 2", j)
	}
}

func TestKeySetUnavailable(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	cfg := rpConfig(idp, clock)
	cfg.JWKSURL = idp.URL() + "/missing-jwks"
	prov := rpProvider(t, cfg)
	err := rpSignIn(t, prov, idp, clock, idp.keys[0])
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	err = rpSignIn(t, prov, idp, clock, idp.keys[0])
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("within the refetch interval: err = %v, want ErrUnavailable", err)
	}
}

func TestKidAbsent(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	noKid := &rpKey{alg: idp.keys[0].alg, priv: idp.keys[0].priv}
	prov := rpProvider(t, rpConfig(idp, clock))
	if err := rpSignIn(t, prov, idp, clock, noKid); err != nil {
		t.Fatalf("single key, no kid: %v", err)
	}
	idp.set(func(p *rpIdP) { p.keys = append([]*rpKey{rpECKey(t, "e1"), rpRSAKey(t, 1, "k9")}, p.keys...) })
	clock.Advance(time.Minute)
	prov = rpProvider(t, rpConfig(idp, clock))
	if err := rpSignIn(t, prov, idp, clock, noKid); err != nil {
		t.Fatalf("several keys, no kid: %v", err)
	}
}

func TestParseJWKSSkipsUnusableKeys(t *testing.T) {
	body := []byte(`{"keys":[
		{"kty":"oct","k":"c2VjcmV0","kid":"h","alg":"HS256"},
		{"kty":"oct","k":"c2VjcmV0","kid":"h2"},
		{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},
		{"kty":"EC","kid":"k256","alg":"ES256K","crv":"secp256k1","x":"AA","y":"AA"},
		{"kty":"weird","kid":"w"},
		"not an object"
	]}`)
	keys, err := parseJWKS(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("kept %d unusable keys: %+v", len(keys), keys)
	}
	if _, err := parseJWKS([]byte(`[`)); err == nil {
		t.Error("malformed JWKS accepted")
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	idp.set(func(p *rpIdP) { p.idToken = p.keys[0].sign(t, rpClaims(p.URL(), clock.Now()), nil) })
	prov := rpProvider(t, rpConfig(idp, clock))
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := prov.Exchange(context.Background(), rpCode, rpRequest)
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("Exchange: %v", err)
		}
	}
	if d, j := idp.counts(); d != 1 || j != 1 {
		t.Errorf("discovery, JWKS requests = %d, %d, want 1, 1", d, j)
	}
}
