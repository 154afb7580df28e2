// Package oidc signs people in with OpenID Connect and OAuth2 providers (generic OIDC,
// GitHub, Google, GitLab, Discord, Microsoft): the authorization request (state, nonce,
// PKCE S256), the callback (code exchange, ID token checks, userinfo, restrictions), and
// OpenID Connect Back-Channel Logout tokens. It imports nothing from Caddy.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// Provider types.
const (
	TypeOIDC      = "oidc"
	TypeGitHub    = "github"
	TypeGoogle    = "google"
	TypeGitLab    = "gitlab"
	TypeDiscord   = "discord"
	TypeMicrosoft = "microsoft"
)

// Config configures one provider. Endpoint URLs override discovery or the built-in
// defaults of a type (so tests, self-hosted GitLab and GitHub Enterprise work).
type Config struct {
	Name         string   // the provider's name in the gatehouse app, e.g. "corp"
	Type         string   // one of the Type constants
	ClientID     string   // required
	ClientSecret string   // required for every type here (confidential clients)
	Scopes       []string // default per type (oidc: openid email profile)

	Issuer        string // oidc, gitlab (default https://gitlab.com), google (https://accounts.google.com), microsoft (from Tenant)
	AuthURL       string // authorization endpoint (override)
	TokenURL      string // token endpoint (override)
	UserInfoURL   string // userinfo endpoint (override)
	JWKSURL       string // JWKS (override)
	APIURL        string // REST API base for github (https://api.github.com) and discord (https://discord.com/api)
	EndSessionURL string // RP-initiated logout endpoint (override)

	GroupsClaim string   // oidc/gitlab/microsoft: claim path of the groups, e.g. "groups" or "realm_access.groups"
	RolesClaim  string   // oidc: claim path of roles, e.g. "realm_access.roles" or "resource_access.app.roles"
	SigningAlgs []string // ID token algorithms accepted; default RS256, ES256 (never none, never HS* with a public key)

	Orgs    []string // github: the user must be in one of these orgs (or Teams)
	Teams   []string // github: "org/team" entries; the user must be in one (teams become groups "org/team")
	Domains []string // google: the verified hd claim (and the email's domain) must be one of these
	Guilds  []string // discord: the user must be in one of these guild IDs
	Tenant  string   // microsoft: tenant ID (or "organizations", "common"); default "common"

	HTTPClient *http.Client     // default: a client with a 10 s timeout
	Now        func() time.Time // default: time.Now
}

// AuthRequest is what an authorization request needs; Flow makes it, the provider's
// AuthURL turns it into the URL the browser is sent to.
type AuthRequest struct {
	State       string // random, single use
	Nonce       string // random, checked in the ID token (OIDC types)
	Verifier    string // PKCE code verifier; the URL carries its S256 challenge
	RedirectURL string // this gateway's /.gatehouse/callback/<name> as the browser sees it
}

// Result is a completed sign-in.
type Result struct {
	Identity identity.Identity // User, Email, EmailVerified, Name, Groups, Roles, Provider set
	Subject  string            // the provider's stable user id (sub, GitHub id, ...)
	SID      string            // OIDC session id (sid claim), for back-channel logout; may be empty
	IDToken  string            // the raw ID token, for id_token_hint at RP-initiated logout; may be empty
}

// Provider is one configured identity provider.
type Provider interface {
	// Name returns the configured name.
	Name() string
	// AuthURL returns the authorization URL for req. It may need discovery (network); a
	// provider that cannot be reached returns an error wrapping ErrUnavailable.
	AuthURL(ctx context.Context, req AuthRequest) (string, error)
	// Exchange finishes the flow: it trades code for tokens, checks the ID token (signature
	// by JWKS, iss, aud, azp, exp, iat, nonce, algorithm), reads userinfo / the API, applies
	// the restrictions and returns the identity. A user refused by a restriction gets a
	// *RefusedError; a provider that cannot be reached, ErrUnavailable; any other failure
	// (bad token, wrong nonce, ...) another error.
	Exchange(ctx context.Context, code string, req AuthRequest) (*Result, error)
	// EndSessionURL returns the provider's RP-initiated logout URL for a session that signed
	// in with idToken, returning to postLogout; "" when the provider has none.
	EndSessionURL(ctx context.Context, idToken, postLogout string) string
	// VerifyLogoutToken checks an OpenID Connect Back-Channel Logout 1.0 logout token and
	// returns its sub and sid (at least one is set). Non-OIDC providers return
	// ErrNotSupported.
	VerifyLogoutToken(ctx context.Context, token string) (sub, sid string, err error)
}

// ErrUnavailable means the provider could not be reached (discovery, token endpoint, API).
var ErrUnavailable = errors.New("identity provider unavailable")

// ErrNotSupported means the provider does not offer the operation.
var ErrNotSupported = errors.New("not supported by this provider")

// RefusedError is a user that signed in at the provider but is refused by a restriction.
type RefusedError struct {
	User string // who, as the provider names them
	Rule string // which rule, e.g. `orgs acme`, `domains acme.com`
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("user %q is refused by the rule %s", e.User, e.Rule)
}

// New returns the Provider for cfg, validating it. It does no network I/O: discovery
// happens on first use and is retried while the provider is down.
func New(cfg Config) (Provider, error) {
	return newProvider(cfg)
}
