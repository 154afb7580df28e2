package oidc

import (
	"strings"
	"testing"
)

func TestNewValidates(t *testing.T) {
	valid := func() Config {
		return Config{Name: "corp", Type: TypeOIDC, ClientID: "id", ClientSecret: "s3cr3t", Issuer: "https://idp.example.com"}
	}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string // "" for success
	}{
		{"valid", func(*Config) {}, ""},
		{"endpoints without issuer", func(c *Config) {
			c.Issuer, c.AuthURL, c.TokenURL, c.JWKSURL = "", "https://i/a", "https://i/t", "https://i/k"
		}, ""},
		{"algs", func(c *Config) { c.SigningAlgs = []string{"ES384", "EdDSA"} }, ""},
		{"no name", func(c *Config) { c.Name = " " }, "name"},
		{"no client id", func(c *Config) { c.ClientID = "" }, "client_id"},
		{"no client secret", func(c *Config) { c.ClientSecret = "" }, "client_secret"},
		{"unknown type", func(c *Config) { c.Type = "saml" }, "unknown type"},
		{"no issuer", func(c *Config) { c.Issuer = "" }, "issuer is required"},
		{"no issuer, missing JWKS", func(c *Config) { c.Issuer, c.AuthURL, c.TokenURL = "", "https://i/a", "https://i/t" }, "issuer is required"},
		{"issuer not a URL", func(c *Config) { c.Issuer = "idp.example.com" }, "absolute"},
		{"alg none", func(c *Config) { c.SigningAlgs = []string{"none"} }, "none"},
		{"alg HS256", func(c *Config) { c.SigningAlgs = []string{"RS256", "HS256"} }, "HS256"},
		{"orgs on oidc", func(c *Config) { c.Orgs = []string{"acme"} }, "orgs"},
		{"domains on oidc", func(c *Config) { c.Domains = []string{"acme.com"} }, "domains"},
		{"guilds on oidc", func(c *Config) { c.Guilds = []string{"1"} }, "guilds"},
		{"tenant on oidc", func(c *Config) { c.Tenant = "common" }, "tenant"},
		{"api_url on oidc", func(c *Config) { c.APIURL = "https://api" }, "api_url"},
		{"issuer on github", func(c *Config) { c.Type = TypeGitHub }, "issuer"},
		{"groups claim on discord", func(c *Config) { c.Type, c.Issuer, c.GroupsClaim = TypeDiscord, "", "groups" }, "groups_claim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(&cfg)
			prov, err := New(cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if prov.Name() != "corp" {
					t.Errorf("Name() = %q", prov.Name())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("err %q quotes the client secret", err)
			}
		})
	}
}

func TestNewDispatchesSocialTypes(t *testing.T) {
	for _, typ := range []string{TypeGitHub, TypeDiscord} {
		prov, err := New(Config{Name: "s", Type: typ, ClientID: "id", ClientSecret: "secret"})
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if _, ok := prov.(*oidcProvider); ok {
			t.Errorf("%s built an OIDC provider", typ)
		}
	}
}
