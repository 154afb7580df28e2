package gatehouse

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/caddyserver/caddy/v2"

	"github.com/gatehousehq/gatehouse/caddyauth/oidc"
	"github.com/gatehousehq/gatehouse/web"
)

// ProviderConfig configures one identity provider (`provider <name> <type> { ... }`).
type ProviderConfig struct {
	// Type is oidc, github, google, gitlab, discord or microsoft.
	Type string `json:"type"`
	// ClientID is the OAuth2 client id. Placeholders such as {env.X} are replaced.
	ClientID string `json:"client_id,omitempty"`
	// ClientSecret is the OAuth2 client secret. Placeholders such as {env.X} and {file.X}
	// are replaced.
	ClientSecret string `json:"client_secret,omitempty"`
	// Scopes replaces the type's default scopes.
	Scopes []string `json:"scopes,omitempty"`
	// Issuer is the OpenID Connect issuer (discovery at Issuer/.well-known/openid-configuration).
	Issuer string `json:"issuer,omitempty"`
	// AuthURL overrides the authorization endpoint.
	AuthURL string `json:"auth_url,omitempty"`
	// TokenURL overrides the token endpoint.
	TokenURL string `json:"token_url,omitempty"`
	// UserInfoURL overrides the userinfo endpoint.
	UserInfoURL string `json:"userinfo_url,omitempty"`
	// JWKSURL overrides the JWKS endpoint.
	JWKSURL string `json:"jwks_url,omitempty"`
	// APIURL overrides the REST API base (github, discord), e.g. GitHub Enterprise's
	// https://github.example.com/api/v3.
	APIURL string `json:"api_url,omitempty"`
	// EndSessionURL overrides the RP-initiated logout endpoint.
	EndSessionURL string `json:"end_session_url,omitempty"`
	// GroupsClaim is the claim path of the user's groups (e.g. "groups", "realm_access.groups").
	GroupsClaim string `json:"groups_claim,omitempty"`
	// RolesClaim is the claim path of the user's roles (e.g. "realm_access.roles").
	RolesClaim string `json:"roles_claim,omitempty"`
	// SigningAlgs lists the ID token algorithms accepted. Default: RS256 and ES256.
	SigningAlgs []string `json:"signing_algs,omitempty"`
	// Orgs restricts GitHub sign-in to members of these organizations (or of Teams).
	Orgs []string `json:"orgs,omitempty"`
	// Teams restricts GitHub sign-in to members of these teams ("org/team").
	Teams []string `json:"teams,omitempty"`
	// Domains restricts Google sign-in to these Workspace domains (the verified hd claim).
	Domains []string `json:"domains,omitempty"`
	// Guilds restricts Discord sign-in to members of these guild ids.
	Guilds []string `json:"guilds,omitempty"`
	// Tenant is the Microsoft Entra tenant id, or "organizations" / "common".
	Tenant string `json:"tenant,omitempty"`
	// DisplayName is the button text on the sign-in page ("Sign in with <DisplayName>").
	// Default: the type's brand name, or the provider's name for oidc.
	DisplayName string `json:"display_name,omitempty"`
	// Icon is the button's icon: a same-site path or a data: URL.
	Icon string `json:"icon,omitempty"`
}

// providerTypes are the accepted provider types.
var providerTypes = map[string]string{
	oidc.TypeOIDC: "", oidc.TypeGitHub: "GitHub", oidc.TypeGoogle: "Google",
	oidc.TypeGitLab: "GitLab", oidc.TypeDiscord: "Discord", oidc.TypeMicrosoft: "Microsoft",
}

// providers holds providers across reloads by their full configuration, so that discovery
// and JWKS caches carry over.
var providers = caddy.NewUsagePool()

// pooledProvider is a Provider in the pool.
type pooledProvider struct{ oidc.Provider }

func (pooledProvider) Destruct() error { return nil }

// loadedProvider is a provider ready for requests.
type loadedProvider struct {
	oidc.Provider
	button web.Provider
}

// provisionProviders builds every configured provider. It does no network I/O: discovery
// happens at the first sign-in and is retried while the provider is down.
func (a *App) provisionProviders() error {
	a.providers = map[string]*loadedProvider{}
	repl := caddy.NewReplacer()
	for _, name := range sortedKeys(a.Providers) {
		pc := a.Providers[name]
		brand, ok := providerTypes[pc.Type]
		if !ok {
			return fmt.Errorf("provider %q: unknown type %q (want oidc, github, google, gitlab, discord or microsoft)", name, pc.Type)
		}
		if !validLimitName(name) {
			return fmt.Errorf("provider name %q: use letters, digits, '_', '-' and '.'", name)
		}
		clientID, err := repl.ReplaceOrErr(pc.ClientID, true, true)
		if err != nil {
			return fmt.Errorf("provider %q: client_id: %w", name, err)
		}
		clientSecret, err := repl.ReplaceOrErr(pc.ClientSecret, true, true)
		if err != nil {
			return fmt.Errorf("provider %q: client_secret: %w", name, err)
		}
		cfg := oidc.Config{
			Name: name, Type: pc.Type,
			ClientID: clientID, ClientSecret: clientSecret,
			Scopes: pc.Scopes, Issuer: pc.Issuer, AuthURL: pc.AuthURL, TokenURL: pc.TokenURL,
			UserInfoURL: pc.UserInfoURL, JWKSURL: pc.JWKSURL, APIURL: pc.APIURL, EndSessionURL: pc.EndSessionURL,
			GroupsClaim: pc.GroupsClaim, RolesClaim: pc.RolesClaim, SigningAlgs: pc.SigningAlgs,
			Orgs: pc.Orgs, Teams: pc.Teams, Domains: pc.Domains, Guilds: pc.Guilds, Tenant: pc.Tenant,
			Now: now,
		}
		if cfg.ClientID == "" || cfg.ClientSecret == "" {
			return fmt.Errorf("provider %q: client_id and client_secret are required (is the environment variable set?)", name)
		}
		keyed := pc // the pool key: the whole configuration, secrets as replaced
		keyed.ClientID, keyed.ClientSecret = cfg.ClientID, cfg.ClientSecret
		raw, err := json.Marshal(struct {
			Name string
			ProviderConfig
		}{name, keyed})
		if err != nil {
			return fmt.Errorf("provider %q: %w", name, err)
		}
		sum := sha256.Sum256(raw)
		key := "provider:" + hex.EncodeToString(sum[:])
		v, _, err := providers.LoadOrNew(key, func() (caddy.Destructor, error) {
			p, err := oidc.New(cfg)
			if err != nil {
				return nil, err
			}
			return pooledProvider{p}, nil
		})
		if err != nil {
			return err // oidc.New's errors name the provider
		}
		a.providerKeys = append(a.providerKeys, key)
		display := pc.DisplayName
		if display == "" {
			display = brand
		}
		if display == "" {
			display = name
		}
		a.providers[name] = &loadedProvider{
			Provider: v.(pooledProvider).Provider,
			button: web.Provider{
				Name: name, DisplayName: display, Icon: pc.Icon,
				StartURL: portalPrefix + "/start/" + name,
			},
		}
	}
	return nil
}

// releaseProviders gives back the pool references Provision took.
func (a *App) releaseProviders() error {
	var err error
	for _, k := range a.providerKeys {
		if _, e := providers.Delete(k); e != nil && err == nil {
			err = e
		}
	}
	a.providerKeys = nil
	return err
}

// buttons returns the sign-in page's provider buttons, in name order, each carrying rd.
func (a *App) buttons(rd string) []web.Provider {
	out := make([]web.Provider, 0, len(a.providers))
	for _, name := range sortedKeys(a.providers) {
		b := a.providers[name].button
		if rd != "" && rd != "/" {
			b.StartURL += "?rd=" + url.QueryEscape(rd)
		}
		out = append(out, b)
	}
	return out
}
