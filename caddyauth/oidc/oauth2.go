package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// socialMaxBody bounds every response body read from a provider's token endpoint or API.
const socialMaxBody = 1 << 20

// socialUserAgent is the User-Agent of every API request (GitHub refuses requests without one).
const socialUserAgent = "gatehouse"

// socialOAuth2 is the plain OAuth2 authorization-code client shared by the providers
// that issue no ID token (GitHub, Discord): the authorization URL with PKCE S256, the
// code exchange, and bounded JSON reads from their REST APIs.
type socialOAuth2 struct {
	name        string        // the configured provider name, for error messages
	conf        oauth2.Config // client credentials, endpoints and scopes
	client      *http.Client  // API requests
	tokenClient *http.Client  // token endpoint requests
}

// newSocialOAuth2 validates the parts of cfg every plain OAuth2 provider needs and
// returns the client. authURL and tokenURL are the endpoints after defaults; style says
// how the token endpoint takes the client credentials; tokenAccept, when set, is sent as
// the Accept header to the token endpoint.
func newSocialOAuth2(cfg Config, authURL, tokenURL string, scopes []string, style oauth2.AuthStyle, tokenAccept string) (*socialOAuth2, error) {
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("provider %q: client_id is required", cfg.Name)
	}
	if cfg.ClientSecret == "" {
		return nil, fmt.Errorf("provider %q: client_secret is required", cfg.Name)
	}
	for _, u := range []string{authURL, tokenURL} {
		if _, err := socialParseURL(u); err != nil {
			return nil, fmt.Errorf("provider %q: %w", cfg.Name, err)
		}
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	tokenClient := client
	if tokenAccept != "" {
		c := *client
		c.Transport = socialAcceptTransport{base: client.Transport, accept: tokenAccept}
		tokenClient = &c
	}
	return &socialOAuth2{
		name: cfg.Name,
		conf: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: style},
			Scopes:       scopes,
		},
		client:      client,
		tokenClient: tokenClient,
	}, nil
}

// authURL returns the authorization URL for req: state, redirect_uri and the S256
// challenge of req.Verifier.
func (s *socialOAuth2) authURL(req AuthRequest) (string, error) {
	if req.State == "" || req.Verifier == "" || req.RedirectURL == "" {
		return "", fmt.Errorf("provider %q: authorization request needs state, verifier and redirect URL", s.name)
	}
	return s.conf.AuthCodeURL(req.State,
		oauth2.S256ChallengeOption(req.Verifier),
		oauth2.SetAuthURLParam("redirect_uri", req.RedirectURL),
	), nil
}

// exchange trades code for an access token, sending req's PKCE verifier and redirect
// URL. A token endpoint that cannot be reached or fails with 5xx gives ErrUnavailable;
// a refused code gives another error. Errors never carry the code or a token.
func (s *socialOAuth2) exchange(ctx context.Context, code string, req AuthRequest) (string, error) {
	if code == "" {
		return "", fmt.Errorf("provider %q: empty authorization code", s.name)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.tokenClient)
	tok, err := s.conf.Exchange(ctx, code,
		oauth2.VerifierOption(req.Verifier),
		oauth2.SetAuthURLParam("redirect_uri", req.RedirectURL),
	)
	if err != nil {
		return "", s.exchangeError(err)
	}
	return tok.AccessToken, nil
}

// exchangeError classifies a failed code exchange without quoting the response body.
func (s *socialOAuth2) exchangeError(err error) error {
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 500:
		return fmt.Errorf("provider %q: token endpoint status %d: %w", s.name, re.Response.StatusCode, ErrUnavailable)
	case errors.As(err, &re) && re.ErrorCode != "":
		return fmt.Errorf("provider %q: token endpoint refused the code: %s", s.name, re.ErrorCode)
	case errors.As(err, &re) && re.Response != nil:
		return fmt.Errorf("provider %q: token endpoint status %d", s.name, re.Response.StatusCode)
	case socialNetworkError(err):
		return fmt.Errorf("provider %q: reaching token endpoint: %w: %w", s.name, ErrUnavailable, err)
	default:
		return fmt.Errorf("provider %q: exchanging code: %w", s.name, err)
	}
}

// getJSON GETs rawURL with the bearer token and decodes the JSON body (at most
// socialMaxBody bytes) into dst. It returns the response headers (for pagination).
func (s *socialOAuth2) getJSON(ctx context.Context, token, rawURL, accept string, dst any) (http.Header, error) {
	return s.get(ctx, token, rawURL, accept, func(r io.Reader) error {
		return json.NewDecoder(r).Decode(dst)
	})
}

// get GETs rawURL with the bearer token and hands the body (at most socialMaxBody
// bytes) to decode. It returns the response headers (for pagination). Network failures,
// 429 and 5xx give ErrUnavailable; other non-2xx statuses (401, 403, 404, ...) give
// another error.
func (s *socialOAuth2) get(ctx context.Context, token, rawURL, accept string, decode func(io.Reader) error) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("provider %q: building API request: %w", s.name, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", socialUserAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("provider %q: API %s: %w: %w", s.name, req.URL.Path, ErrUnavailable, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
	}()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, fmt.Errorf("provider %q: API %s: status %d: %w", s.name, req.URL.Path, resp.StatusCode, ErrUnavailable)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, fmt.Errorf("provider %q: API %s: status %d", s.name, req.URL.Path, resp.StatusCode)
	}
	if err := decode(io.LimitReader(resp.Body, socialMaxBody)); err != nil {
		return nil, fmt.Errorf("provider %q: API %s: decoding response: %w", s.name, req.URL.Path, err)
	}
	return resp.Header, nil
}

// socialNetworkError reports whether err is a transport failure (connection refused,
// DNS, timeout) rather than an answer from the server.
func socialNetworkError(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne)
}

// socialParseURL parses an absolute http(s) endpoint URL.
func socialParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing endpoint URL %q: %w", raw, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("endpoint URL %q must be an absolute http(s) URL", raw)
	}
	return u, nil
}

// socialScopes returns the configured scopes, or the defaults when none are
// configured, with each of required appended when missing.
func socialScopes(configured, defaults []string, required ...string) []string {
	scopes := slices.Clone(configured)
	if len(scopes) == 0 {
		scopes = slices.Clone(defaults)
	}
	for _, r := range required {
		if !slices.Contains(scopes, r) {
			scopes = append(scopes, r)
		}
	}
	return scopes
}

// socialValidName reports whether name can be a user name: 1 to 100 bytes of valid
// UTF-8 with no space or control character.
func socialValidName(name string) bool {
	if name == "" || len(name) > 100 || !utf8.ValidString(name) {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

// socialLower returns the trimmed, lower-case forms of list.
func socialLower(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, strings.ToLower(strings.TrimSpace(s)))
	}
	return out
}

// socialAcceptTransport sets the Accept header on every request (GitHub's token
// endpoint answers form-encoded unless asked for JSON).
type socialAcceptTransport struct {
	base   http.RoundTripper
	accept string
}

// RoundTrip sends a copy of r with the Accept header set.
func (t socialAcceptTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept", t.accept)
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}
