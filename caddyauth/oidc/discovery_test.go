package oidc

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

func TestNewDoesNoNetworkIO(t *testing.T) {
	idp := rpNewIdP(t)
	rpProvider(t, rpConfig(idp, rpNewClock()))
	if d, j := idp.counts(); d != 0 || j != 0 {
		t.Errorf("New made %d discovery and %d JWKS requests, want none", d, j)
	}
}

func TestDiscoveryRetriesAfterDelay(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	idp.set(func(p *rpIdP) { p.discoveryDown = true })
	prov := rpProvider(t, rpConfig(idp, clock))
	ctx := context.Background()

	_, err := prov.AuthURL(ctx, rpRequest)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "503") {
		t.Errorf("err %q does not carry the cause", err)
	}
	idp.set(func(p *rpIdP) { p.discoveryDown = false })
	clock.Advance(4 * time.Second)
	if _, err := prov.AuthURL(ctx, rpRequest); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("within the retry delay: err = %v, want ErrUnavailable", err)
	}
	if _, err := prov.Exchange(ctx, rpCode, rpRequest); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Exchange within the retry delay: err = %v, want ErrUnavailable", err)
	}
	if d, _ := idp.counts(); d != 1 {
		t.Errorf("discovery requests within the retry delay = %d, want 1", d)
	}
	clock.Advance(time.Second)
	if _, err := prov.AuthURL(ctx, rpRequest); err != nil {
		t.Fatalf("after the retry delay: %v", err)
	}
	if _, err := prov.AuthURL(ctx, rpRequest); err != nil {
		t.Fatal(err)
	}
	if d, _ := idp.counts(); d != 2 {
		t.Errorf("discovery requests = %d, want 2 (one failure, one success, then cached)", d)
	}
}

func TestDiscoveryIssuerMismatch(t *testing.T) {
	idp := rpNewIdP(t)
	idp.set(func(p *rpIdP) { p.issuer = p.URL() + "/" })
	_, err := rpProvider(t, rpConfig(idp, rpNewClock())).AuthURL(context.Background(), rpRequest)
	var mismatch *gooidc.IssuerMismatchError
	if !errors.Is(err, ErrUnavailable) || !errors.As(err, &mismatch) {
		t.Errorf("err = %v, want ErrUnavailable with an IssuerMismatchError", err)
	}
}

func TestDiscoveryCanceledRequestIsNotRemembered(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	prov := rpProvider(t, rpConfig(idp, clock))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := prov.AuthURL(ctx, rpRequest); err == nil {
		t.Fatal("AuthURL succeeded with a canceled context")
	}
	if _, err := prov.AuthURL(context.Background(), rpRequest); err != nil {
		t.Errorf("a canceled request blocked discovery: %v", err)
	}
}

func TestConfiguredEndpointsOverrideDiscovery(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	cfg := rpConfig(idp, clock)
	cfg.AuthURL = "https://login.example.com/auth"
	cfg.EndSessionURL = "https://login.example.com/bye"
	prov := rpProvider(t, cfg)
	raw, err := prov.AuthURL(context.Background(), rpRequest)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, "https://login.example.com/auth?") {
		t.Errorf("AuthURL = %q, want the configured endpoint", raw)
	}
	if got := prov.EndSessionURL(context.Background(), "tok", ""); !strings.HasPrefix(got, "https://login.example.com/bye?") {
		t.Errorf("EndSessionURL = %q, want the configured endpoint", got)
	}
	if d, _ := idp.counts(); d != 1 {
		t.Errorf("discovery requests = %d, want 1 (token URL and JWKS still discovered)", d)
	}
}

func TestNoDiscoveryWhenEndpointsConfigured(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	cfg := rpConfig(idp, clock)
	cfg.Issuer = ""
	cfg.AuthURL = idp.URL() + "/authorize"
	cfg.TokenURL = idp.URL() + "/token"
	cfg.JWKSURL = idp.URL() + "/jwks"
	idp.set(func(p *rpIdP) {
		p.idToken = p.keys[0].sign(t, rpClaims("https://any-issuer.example.com", clock.Now()), nil)
	})
	prov := rpProvider(t, cfg)
	if _, err := prov.AuthURL(context.Background(), rpRequest); err != nil {
		t.Fatal(err)
	}
	res, err := prov.Exchange(context.Background(), rpCode, rpRequest)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if res.Subject != rpSub {
		t.Errorf("subject = %q", res.Subject)
	}
	if d, j := idp.counts(); d != 0 || j != 1 {
		t.Errorf("discovery, JWKS requests = %d, %d, want 0, 1", d, j)
	}
	if got := prov.EndSessionURL(context.Background(), "tok", ""); got != "" {
		t.Errorf("EndSessionURL = %q, want none", got)
	}
}

func TestDiscoveryDocumentMustHaveEndpoints(t *testing.T) {
	idp := rpNewIdP(t)
	cfg := rpConfig(idp, rpNewClock())
	cfg.JWKSURL = "ftp://keys.example.com/jwks"
	if _, err := New(cfg); err == nil {
		t.Error("New accepted a non-http JWKS URL")
	}
	d := &discoverer{name: "x", issuer: idp.URL(), cfg: rpConfig(idp, rpNewClock())}
	d.cfg.HTTPClient = idp.srv.Client()
	eps, err := d.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(eps.endSessionURL); u == nil || u.Query().Get("x") != "1" {
		t.Errorf("end session endpoint = %q", eps.endSessionURL)
	}
}
