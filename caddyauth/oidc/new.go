package oidc

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// defaultHTTPTimeout is the timeout of the default HTTP client of a provider.
const defaultHTTPTimeout = 10 * time.Second

// newProvider validates what every type needs (name, client credentials, options that
// belong to another type), applies the common defaults (HTTP client, clock) and builds
// the provider of cfg.Type, which applies its own defaults and checks.
func newProvider(cfg Config) (Provider, error) {
	if strings.TrimSpace(cfg.Name) == "" {
		return nil, errors.New("provider name is required")
	}
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("provider %q: client_id is required", cfg.Name)
	}
	if cfg.ClientSecret == "" {
		return nil, fmt.Errorf("provider %q: client_secret is required", cfg.Name)
	}
	if err := checkOptionTypes(cfg); err != nil {
		return nil, fmt.Errorf("provider %q: %w", cfg.Name, err)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch cfg.Type {
	case TypeOIDC:
		return newOIDC(cfg, oidcOptions{})
	case TypeGoogle:
		return newGoogle(cfg)
	case TypeGitLab:
		return newGitLab(cfg)
	case TypeMicrosoft:
		return newMicrosoft(cfg)
	case TypeGitHub:
		return newGitHub(cfg)
	case TypeDiscord:
		return newDiscord(cfg)
	default:
		return nil, fmt.Errorf("provider %q: unknown type %q (use oidc, github, google, gitlab, discord or microsoft)", cfg.Name, cfg.Type)
	}
}

// isOIDCType reports whether typ is verified with ID tokens.
func isOIDCType(typ string) bool {
	return typ == TypeOIDC || typ == TypeGoogle || typ == TypeGitLab || typ == TypeMicrosoft
}

// checkOptionTypes refuses options set on a type that would silently ignore them (a
// restriction that is not applied is a hole).
func checkOptionTypes(cfg Config) error {
	oidcType := isOIDCType(cfg.Type)
	social := cfg.Type == TypeGitHub || cfg.Type == TypeDiscord
	for _, o := range []struct {
		name  string
		set   bool
		valid bool
	}{
		{"orgs", len(cfg.Orgs) > 0, cfg.Type == TypeGitHub},
		{"teams", len(cfg.Teams) > 0, cfg.Type == TypeGitHub},
		{"domains", len(cfg.Domains) > 0, cfg.Type == TypeGoogle},
		{"guilds", len(cfg.Guilds) > 0, cfg.Type == TypeDiscord},
		{"tenant", cfg.Tenant != "", cfg.Type == TypeMicrosoft},
		{"api_url", cfg.APIURL != "", social},
		{"issuer", cfg.Issuer != "", oidcType},
		{"jwks_url", cfg.JWKSURL != "", oidcType},
		{"userinfo_url", cfg.UserInfoURL != "", oidcType},
		{"end_session_url", cfg.EndSessionURL != "", oidcType},
		{"groups_claim", cfg.GroupsClaim != "", oidcType},
		{"roles_claim", cfg.RolesClaim != "", oidcType},
		{"signing_algs", len(cfg.SigningAlgs) > 0, oidcType},
	} {
		if o.set && !o.valid && (oidcType || social) {
			return fmt.Errorf("%s does not apply to the %s type", o.name, cfg.Type)
		}
	}
	return nil
}
