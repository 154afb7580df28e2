package oidc

import (
	"context"
	"errors"
	"net/url"
	"testing"
)

func TestGoogleDomains(t *testing.T) {
	clock := rpNewClock()
	tests := []struct {
		name    string
		domains []string
		claims  map[string]any // merged over valid claims; nil values delete
		refused bool
	}{
		{"no restriction", nil, map[string]any{"hd": nil, "email": "a@gmail.com"}, false},
		{"member", []string{"acme.com"}, map[string]any{"hd": "acme.com", "email": "a@acme.com"}, false},
		{"member, case", []string{"ACME.com"}, map[string]any{"hd": "acme.com", "email": "A@Acme.COM"}, false},
		{"one of several", []string{"other.org", "acme.com"}, map[string]any{"hd": "acme.com", "email": "a@acme.com"}, false},
		{"email_verified as string", []string{"acme.com"}, map[string]any{"hd": "acme.com", "email": "a@acme.com", "email_verified": "true"}, false},
		{"no hd (consumer account)", []string{"acme.com"}, map[string]any{"hd": nil, "email": "a@acme.com"}, true},
		{"other hd", []string{"acme.com"}, map[string]any{"hd": "evil.com", "email": "a@acme.com"}, true},
		{"hd not a string", []string{"acme.com"}, map[string]any{"hd": []string{"acme.com"}, "email": "a@acme.com"}, true},
		{"email not verified", []string{"acme.com"}, map[string]any{"hd": "acme.com", "email": "a@acme.com", "email_verified": false}, true},
		{"email_verified absent", []string{"acme.com"}, map[string]any{"hd": "acme.com", "email": "a@acme.com", "email_verified": nil}, true},
		{"email of another domain", []string{"acme.com"}, map[string]any{"hd": "acme.com", "email": "a@evil.com"}, true},
		{"email of a subdomain", []string{"acme.com"}, map[string]any{"hd": "acme.com", "email": "a@x.acme.com"}, true},
		{"no email", []string{"acme.com"}, map[string]any{"hd": "acme.com", "email": nil}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := rpNewIdP(t)
			c := rpClaims(idp.URL(), clock.Now())
			for k, v := range tt.claims {
				if v == nil {
					delete(c, k)
				} else {
					c[k] = v
				}
			}
			idp.set(func(p *rpIdP) {
				p.noUserInfo = true
				p.idToken = p.keys[0].sign(t, c, nil)
			})
			cfg := rpConfig(idp, clock)
			cfg.Type, cfg.Domains = TypeGoogle, tt.domains
			_, err := rpProvider(t, cfg).Exchange(context.Background(), rpCode, rpRequest)
			var refused *RefusedError
			if tt.refused {
				if !errors.As(err, &refused) {
					t.Fatalf("err = %v, want a *RefusedError", err)
				}
				if refused.Rule == "" || refused.User != "alice" {
					t.Errorf("refused = %+v", refused)
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
		})
	}
}

func TestGoogleDefaults(t *testing.T) {
	prov, err := New(Config{Name: "g", Type: TypeGoogle, ClientID: "id", ClientSecret: "s", Domains: []string{"acme.com"}})
	if err != nil {
		t.Fatal(err)
	}
	p := prov.(*oidcProvider)
	if p.cfg.Issuer != googleIssuer {
		t.Errorf("issuer = %q", p.cfg.Issuer)
	}
	if p.opts.authParams["hd"] != "acme.com" {
		t.Errorf("hd hint = %q", p.opts.authParams["hd"])
	}
	check := googleIssuerOK("id token", googleIssuer)
	for iss, ok := range map[string]bool{googleIssuer: true, "accounts.google.com": true, "https://evil.example.com": false} {
		if got := check(iss, nil) == nil; got != ok {
			t.Errorf("google iss %q accepted = %v, want %v", iss, got, ok)
		}
	}
	if googleIssuerOK("id token", "https://other.example.com")("accounts.google.com", nil) == nil {
		t.Error("the scheme-less form is accepted for a non-Google issuer")
	}
	if _, err := New(Config{Name: "g", Type: TypeGoogle, ClientID: "id", ClientSecret: "s", Domains: []string{"a@b.com"}}); err == nil {
		t.Error("invalid domain accepted")
	}
}

func TestGoogleAuthURLHint(t *testing.T) {
	idp := rpNewIdP(t)
	cfg := rpConfig(idp, rpNewClock())
	cfg.Type, cfg.Domains = TypeGoogle, []string{"acme.com"}
	raw, err := rpProvider(t, cfg).AuthURL(context.Background(), rpRequest)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	if u.Query().Get("hd") != "acme.com" {
		t.Errorf("hd = %q", u.Query().Get("hd"))
	}
}

func TestGitLabDefaults(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	c := rpClaims(idp.URL(), clock.Now())
	c["groups_direct"] = []string{"acme"}
	idp.set(func(p *rpIdP) {
		p.idToken = p.keys[0].sign(t, c, nil)
		p.userinfo = map[string]any{"groups": []string{"acme", "acme/ops"}}
	})
	cfg := rpConfig(idp, clock)
	cfg.Type = TypeGitLab
	prov := rpProvider(t, cfg)
	raw, err := prov.AuthURL(context.Background(), rpRequest)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(raw); u.Query().Get("scope") != "openid profile email" {
		t.Errorf("scope = %q", u.Query().Get("scope"))
	}
	res, err := prov.Exchange(context.Background(), rpCode, rpRequest)
	if err != nil {
		t.Fatal(err)
	}
	if g := res.Identity.Groups; len(g) != 2 || g[1] != "acme/ops" {
		t.Errorf("groups = %q", g)
	}
	p, err := New(Config{Name: "gl", Type: TypeGitLab, ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if iss := p.(*oidcProvider).cfg.Issuer; iss != gitlabIssuer {
		t.Errorf("issuer = %q", iss)
	}
}
