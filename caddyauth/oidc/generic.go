package oidc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// defaultOIDCScopes are requested when Config.Scopes is empty.
var defaultOIDCScopes = []string{"openid", "email", "profile"}

// maxUserInfoBody bounds the size of a userinfo response.
const maxUserInfoBody = 1 << 20

// oidcOptions are what a provider type (google, gitlab, microsoft) adds to the generic
// OpenID Connect provider; the zero value is the plain oidc type.
type oidcOptions struct {
	issuer      string   // default issuer
	scopes      []string // default scopes (defaultOIDCScopes when nil)
	groupsClaim string   // default groups claim path
	// skipDiscoveredUserInfo ignores a discovered userinfo endpoint (a configured
	// UserInfoURL is still used).
	skipDiscoveredUserInfo bool
	// docIssuerOK replaces the exact check of the discovery document's issuer.
	docIssuerOK func(docIssuer string) error
	// issuerOK builds the iss check of tokens for the resolved issuer; nil: exactIssuer.
	issuerOK func(kind, issuer string) func(iss string, c claims) error
	// restrict refuses a verified user (returning a *RefusedError); nil: nobody.
	restrict func(c claims, id identity.Identity) error
	// authParams are added to the authorization request.
	authParams map[string]string
}

// oidcProvider is an OpenID Connect relying party: the oidc type, and google, gitlab
// and microsoft through their oidcOptions.
type oidcProvider struct {
	cfg    Config
	opts   oidcOptions
	scopes []string
	algs   []jose.SignatureAlgorithm
	disc   *discoverer
}

// newOIDC validates the OpenID Connect parts of cfg (common fields and defaults are
// done by newProvider) and returns the provider. It does no network I/O.
func newOIDC(cfg Config, o oidcOptions) (*oidcProvider, error) {
	if cfg.Issuer == "" {
		cfg.Issuer = o.issuer
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = o.groupsClaim
	}
	if cfg.Issuer == "" && needsDiscovery(cfg) {
		return nil, fmt.Errorf("provider %q: issuer is required unless the authorization, token and JWKS URLs are all set", cfg.Name)
	}
	for _, u := range []string{cfg.Issuer, cfg.AuthURL, cfg.TokenURL, cfg.UserInfoURL, cfg.JWKSURL, cfg.EndSessionURL} {
		if u == "" {
			continue
		}
		if err := checkEndpointURL(u); err != nil {
			return nil, fmt.Errorf("provider %q: %w", cfg.Name, err)
		}
	}
	algs, err := signingAlgs(cfg.SigningAlgs)
	if err != nil {
		return nil, fmt.Errorf("provider %q: %w", cfg.Name, err)
	}
	scopes := slices.Clone(cfg.Scopes)
	if len(scopes) == 0 {
		scopes = slices.Clone(o.scopes)
	}
	if len(scopes) == 0 {
		scopes = slices.Clone(defaultOIDCScopes)
	}
	if !slices.Contains(scopes, gooidc.ScopeOpenID) {
		scopes = append([]string{gooidc.ScopeOpenID}, scopes...)
	}
	p := &oidcProvider{
		cfg:    cfg,
		opts:   o,
		scopes: scopes,
		algs:   algs,
		disc: &discoverer{
			name:         cfg.Name,
			issuer:       cfg.Issuer,
			docIssuerOK:  o.docIssuerOK,
			keepUserInfo: !o.skipDiscoveredUserInfo,
			cfg:          cfg,
		},
	}
	if !needsDiscovery(cfg) {
		p.disc.eps = staticEndpoints(cfg)
	}
	return p, nil
}

// Name returns the configured name.
func (p *oidcProvider) Name() string { return p.cfg.Name }

// oauth2Config is the OAuth2 client for eps, returning to redirectURL.
func (p *oidcProvider) oauth2Config(eps *endpoints, redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: eps.authURL, TokenURL: eps.tokenURL, AuthStyle: eps.authStyle},
		RedirectURL:  redirectURL,
		Scopes:       p.scopes,
	}
}

// checkRequest checks the parts of req that every step needs.
func (p *oidcProvider) checkRequest(req AuthRequest) error {
	if req.State == "" || req.Nonce == "" || req.RedirectURL == "" {
		return fmt.Errorf("provider %q: authorization request needs state, nonce and redirect URL", p.cfg.Name)
	}
	if !validVerifier(req.Verifier) {
		return fmt.Errorf("provider %q: malformed PKCE code verifier", p.cfg.Name)
	}
	return nil
}

// AuthURL returns the authorization URL: response_type=code, client_id, redirect_uri,
// scope, state, nonce, and the S256 challenge of req.Verifier. It discovers the
// provider on first use.
func (p *oidcProvider) AuthURL(ctx context.Context, req AuthRequest) (string, error) {
	if err := p.checkRequest(req); err != nil {
		return "", err
	}
	eps, err := p.disc.get(ctx)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("nonce", req.Nonce),
		oauth2.SetAuthURLParam("code_challenge", S256Challenge(req.Verifier)),
		oauth2.SetAuthURLParam("code_challenge_method", "S256"),
	}
	for k, v := range p.opts.authParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return p.oauth2Config(eps, req.RedirectURL).AuthCodeURL(req.State, opts...), nil
}

// Exchange trades code (with the PKCE verifier) for tokens, verifies the ID token,
// merges userinfo, applies the type's restriction and returns the identity.
func (p *oidcProvider) Exchange(ctx context.Context, code string, req AuthRequest) (*Result, error) {
	if code == "" {
		return nil, fmt.Errorf("provider %q: empty authorization code", p.cfg.Name)
	}
	if err := p.checkRequest(req); err != nil {
		return nil, err
	}
	eps, err := p.disc.get(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := p.oauth2Config(eps, req.RedirectURL).Exchange(gooidc.ClientContext(ctx, p.cfg.HTTPClient), code, oauth2.VerifierOption(req.Verifier))
	if err != nil {
		return nil, tokenEndpointError(p.cfg.Name, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fmt.Errorf("provider %q: token response has no id_token", p.cfg.Name)
	}
	c, err := verifySigned(ctx, kindIDToken, raw, p.algs, eps.keys, idTokenTyp)
	if err != nil {
		return nil, fmt.Errorf("provider %q: %w", p.cfg.Name, err)
	}
	if err := p.checks(eps, kindIDToken).checkIDToken(c, req.Nonce); err != nil {
		return nil, fmt.Errorf("provider %q: %w", p.cfg.Name, err)
	}
	sub, _ := c.str("sub")
	if eps.userInfoURL != "" {
		ui, err := p.userInfo(ctx, eps, tok.AccessToken, sub)
		if err != nil {
			return nil, err
		}
		c = c.merge(ui)
	}
	id := identityOf(p.cfg.Name, c, p.cfg.GroupsClaim, p.cfg.RolesClaim)
	if p.opts.restrict != nil {
		if err := p.opts.restrict(c, id); err != nil {
			return nil, err
		}
	}
	sid, _ := c.str("sid")
	return &Result{Identity: id, Subject: sub, SID: sid, IDToken: raw}, nil
}

// idTokenTyp refuses tokens typed as another kind of JWT (access tokens, logout tokens)
// presented as an ID token.
func idTokenTyp(typ string) bool {
	switch strings.TrimPrefix(strings.ToLower(typ), "application/") {
	case "at+jwt", "logout+jwt":
		return false
	}
	return true
}

// checks returns the claim checks of kind for eps, at the current time.
func (p *oidcProvider) checks(eps *endpoints, kind string) tokenChecks {
	issuerOK := exactIssuer(kind, eps.issuer)
	if p.opts.issuerOK != nil {
		issuerOK = p.opts.issuerOK(kind, eps.issuer)
	}
	return tokenChecks{kind: kind, clientID: p.cfg.ClientID, issuerOK: issuerOK, now: p.cfg.Now()}
}

// userInfo reads the userinfo endpoint with the access token. The response (JSON, or a
// JWT signed by the provider's keys) must name the same sub as the ID token.
func (p *oidcProvider) userInfo(ctx context.Context, eps *endpoints, accessToken, sub string) (claims, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, eps.userInfoURL, nil)
	if err != nil {
		return nil, fmt.Errorf("provider %q: building userinfo request: %w", p.cfg.Name, err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json, application/jwt")
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("provider %q: reaching userinfo endpoint: %w: %w", p.cfg.Name, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, fmt.Errorf("provider %q: userinfo status %d: %w", p.cfg.Name, resp.StatusCode, ErrUnavailable)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("provider %q: userinfo status %d", p.cfg.Name, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfoBody+1))
	if err != nil {
		return nil, fmt.Errorf("provider %q: reading userinfo: %w: %w", p.cfg.Name, ErrUnavailable, err)
	}
	if len(body) > maxUserInfoBody {
		return nil, fmt.Errorf("provider %q: userinfo response too large", p.cfg.Name)
	}
	var ui claims
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/jwt" {
		ui, err = verifySigned(ctx, kindUserInfo, strings.TrimSpace(string(body)), p.algs, eps.keys, nil)
	} else {
		ui, err = decodeClaims(body)
	}
	if err != nil {
		return nil, fmt.Errorf("provider %q: userinfo: %w", p.cfg.Name, err)
	}
	if got, ok := ui.str("sub"); !ok || got != sub {
		return nil, fmt.Errorf("provider %q: %w", p.cfg.Name, tokenError(kindUserInfo, "sub", "is not the sub of the ID token"))
	}
	return ui, nil
}

// tokenEndpointError classifies a failed code exchange without quoting the response
// body, the code or a token: unreachable or 5xx is ErrUnavailable, a refusal names the
// OAuth2 error code.
func tokenEndpointError(name string, err error) error {
	var re *oauth2.RetrieveError
	var ue *url.Error
	switch {
	case errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests):
		return fmt.Errorf("provider %q: token endpoint status %d: %w", name, re.Response.StatusCode, ErrUnavailable)
	case errors.As(err, &re) && re.ErrorCode != "":
		return fmt.Errorf("provider %q: token endpoint refused the code: %s", name, oauthErrorCode(re.ErrorCode))
	case errors.As(err, &re) && re.Response != nil:
		return fmt.Errorf("provider %q: token endpoint status %d", name, re.Response.StatusCode)
	case errors.As(err, &re):
		return fmt.Errorf("provider %q: token endpoint refused the code", name)
	case errors.As(err, &ue):
		return fmt.Errorf("provider %q: reaching token endpoint: %w: %w", name, ErrUnavailable, ue.Err)
	default:
		return fmt.Errorf("provider %q: exchanging code: %w", name, shortError{err})
	}
}

// oauthErrorCode returns code when it is a plausible OAuth2 error code (RFC 6749
// §5.2: printable ASCII), else a placeholder, so that a hostile server cannot write
// arbitrary text into logs.
func oauthErrorCode(code string) string {
	if len(code) > 64 {
		return "(invalid error code)"
	}
	for _, r := range code {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return "(invalid error code)"
		}
	}
	return code
}

// Interface guards
var _ Provider = (*oidcProvider)(nil)
