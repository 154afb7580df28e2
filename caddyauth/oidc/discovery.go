package oidc

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// discoveryRetry is how long a failed discovery is remembered: within it every use of
// the provider fails at once with the same error, after it the next use tries again.
const discoveryRetry = 5 * time.Second

// endpoints are a provider's resolved endpoints and key set: discovered, with the
// configured overrides applied.
type endpoints struct {
	issuer        string // the issuer tokens are checked against; "" only for an oidc provider configured without one
	authURL       string
	tokenURL      string
	userInfoURL   string // "" when there is none (or the type does not use it)
	endSessionURL string // "" when the provider offers no RP-initiated logout
	authStyle     oauth2.AuthStyle
	keys          *keySet
}

// discoverer resolves a provider's endpoints lazily, on first use, with OpenID Connect
// Discovery 1.0 (through go-oidc, which requires the document's issuer to equal the
// configured one), and retries at most once per discoveryRetry while the provider is
// down. A provider whose authorization, token and JWKS endpoints are all configured is
// not discovered at all.
type discoverer struct {
	name         string
	issuer       string             // where the discovery document is (issuer + /.well-known/openid-configuration)
	docIssuerOK  func(string) error // nil: go-oidc's exact issuer check; else this check of the document's issuer
	keepUserInfo bool               // keep the discovered userinfo endpoint
	cfg          Config             // the overrides, HTTP client and clock

	mu      sync.Mutex // guards the fields below, held during discovery
	eps     *endpoints
	lastTry time.Time
	lastErr error
}

// needsDiscovery reports whether cfg leaves an endpoint that only discovery can give.
func needsDiscovery(cfg Config) bool {
	return cfg.AuthURL == "" || cfg.TokenURL == "" || cfg.JWKSURL == ""
}

// staticEndpoints are the endpoints of a provider that is not discovered.
func staticEndpoints(cfg Config) *endpoints {
	return &endpoints{
		issuer:        cfg.Issuer,
		authURL:       cfg.AuthURL,
		tokenURL:      cfg.TokenURL,
		userInfoURL:   cfg.UserInfoURL,
		endSessionURL: cfg.EndSessionURL,
		authStyle:     oauth2.AuthStyleAutoDetect,
		keys:          newKeySet(cfg.JWKSURL, cfg.HTTPClient, cfg.Now),
	}
}

// get returns the endpoints, discovering them if needed. A failure wraps ErrUnavailable
// and the cause; it is returned again, without network I/O, until discoveryRetry has
// passed. A failure caused by ctx ending is not remembered.
func (d *discoverer) get(ctx context.Context) (*endpoints, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.eps != nil {
		return d.eps, nil
	}
	if !d.lastTry.IsZero() && d.cfg.Now().Sub(d.lastTry) < discoveryRetry {
		return nil, d.lastErr
	}
	eps, err := d.discover(ctx)
	if err != nil {
		err = fmt.Errorf("provider %q: discovery at %s: %w: %w", d.name, d.issuer, ErrUnavailable, shortError{err})
		if ctx.Err() == nil {
			d.lastTry, d.lastErr = d.cfg.Now(), err
		}
		return nil, err
	}
	d.eps = eps
	return eps, nil
}

// current returns the endpoints if discovery has succeeded, else nil; it does no I/O.
func (d *discoverer) current() *endpoints {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.eps
}

// discoveryDoc are the members of the discovery document that go-oidc does not expose.
type discoveryDoc struct {
	Issuer           string   `json:"issuer"`
	JWKSURL          string   `json:"jwks_uri"`
	EndSessionURL    string   `json:"end_session_endpoint"`
	TokenAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
}

// discover fetches the discovery document and applies the overrides.
func (d *discoverer) discover(ctx context.Context) (*endpoints, error) {
	hctx := gooidc.ClientContext(ctx, d.cfg.HTTPClient)
	if d.docIssuerOK != nil {
		// Multi-tenant issuers (Microsoft's common endpoint) publish a template, not
		// the discovery URL: go-oidc's exact check is replaced by docIssuerOK below.
		hctx = gooidc.InsecureIssuerURLContext(hctx, d.issuer)
	}
	op, err := gooidc.NewProvider(hctx, d.issuer)
	if err != nil {
		return nil, err
	}
	var doc discoveryDoc
	if err := op.Claims(&doc); err != nil {
		return nil, fmt.Errorf("decoding discovery document: %w", err)
	}
	if d.docIssuerOK != nil {
		if err := d.docIssuerOK(doc.Issuer); err != nil {
			return nil, err
		}
	}
	eps := &endpoints{
		issuer:        d.issuer,
		authURL:       override(d.cfg.AuthURL, op.Endpoint().AuthURL),
		tokenURL:      override(d.cfg.TokenURL, op.Endpoint().TokenURL),
		endSessionURL: override(d.cfg.EndSessionURL, doc.EndSessionURL),
		authStyle:     authStyle(doc.TokenAuthMethods),
	}
	eps.userInfoURL = d.cfg.UserInfoURL
	if eps.userInfoURL == "" && d.keepUserInfo {
		eps.userInfoURL = op.UserInfoEndpoint()
	}
	jwksURL := override(d.cfg.JWKSURL, doc.JWKSURL)
	for _, e := range []struct{ name, url string }{
		{"authorization_endpoint", eps.authURL},
		{"token_endpoint", eps.tokenURL},
		{"jwks_uri", jwksURL},
	} {
		if e.url == "" {
			return nil, fmt.Errorf("discovery document has no %s", e.name)
		}
	}
	for _, u := range []string{eps.authURL, eps.tokenURL, jwksURL, eps.userInfoURL, eps.endSessionURL} {
		if u == "" {
			continue
		}
		if err := checkEndpointURL(u); err != nil {
			return nil, fmt.Errorf("discovery document: %w", err)
		}
	}
	eps.keys = newKeySet(jwksURL, d.cfg.HTTPClient, d.cfg.Now)
	return eps, nil
}

// override returns configured when set, else discovered.
func override(configured, discovered string) string {
	if configured != "" {
		return configured
	}
	return discovered
}

// authStyle picks how the client authenticates at the token endpoint from the
// discovered methods: client_secret_basic (the default of the spec when none are
// listed), else client_secret_post.
func authStyle(methods []string) oauth2.AuthStyle {
	if len(methods) > 0 && !slices.Contains(methods, "client_secret_basic") && slices.Contains(methods, "client_secret_post") {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// checkEndpointURL checks that raw is an absolute http(s) URL.
func checkEndpointURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("endpoint URL %q: %w", raw, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("endpoint URL %q must be an absolute http(s) URL", raw)
	}
	return nil
}

// maxCauseLen bounds the message of a wrapped cause (go-oidc quotes whole response
// bodies in its errors).
const maxCauseLen = 200

// shortError wraps an error, cutting its message to maxCauseLen bytes.
type shortError struct{ err error }

// Error returns the cause's message, cut to maxCauseLen bytes.
func (e shortError) Error() string {
	msg := e.err.Error()
	if len(msg) > maxCauseLen {
		return strings.ToValidUTF8(msg[:maxCauseLen], "") + "..."
	}
	return msg
}

// Unwrap returns the cause.
func (e shortError) Unwrap() error { return e.err }
