package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// clockSkew is how far in the future iat (and nbf) may be, for providers whose clock
// runs ahead of ours.
const clockSkew = 5 * time.Minute

// maxTokenSize bounds the size of a token accepted for verification.
const maxTokenSize = 128 << 10

// Kinds of token, as named in a TokenError.
const (
	kindIDToken     = "id token"
	kindLogoutToken = "logout token"
	kindUserInfo    = "userinfo response"
)

// TokenError is a token (an ID token, a back-channel logout token, a signed userinfo
// response) refused by one check. The message names the token kind and the failed check,
// never the token nor the values of its claims.
type TokenError struct {
	// Kind is "id token", "logout token" or "userinfo response".
	Kind string
	// Check names the failed check: "format", "alg", "typ", "signature", "iss", "aud",
	// "azp", "exp", "iat", "nbf", "nonce", "sub", "jti", "events", "sid", or a
	// provider-specific one such as "tid".
	Check string
	// Reason says why the check failed, in words that quote no token content.
	Reason string
	// Err is the underlying error, if any (a signature failure, ...).
	Err error
}

// Error names the token kind, the failed check and the reason.
func (e *TokenError) Error() string {
	return fmt.Sprintf("%s refused by the %s check: %s", e.Kind, e.Check, e.Reason)
}

// Unwrap returns the underlying error.
func (e *TokenError) Unwrap() error { return e.Err }

// tokenError is a short constructor of *TokenError.
func tokenError(kind, check, reason string) *TokenError {
	return &TokenError{Kind: kind, Check: check, Reason: reason}
}

// asymmetricAlgs are the signature algorithms a provider may be configured to accept.
// none and the HMAC algorithms never are: an ID token is verified with the provider's
// public keys, and "HMAC with a public key" is the classic algorithm-confusion attack.
var asymmetricAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.EdDSA,
}

// defaultSigningAlgs are accepted when Config.SigningAlgs is empty.
var defaultSigningAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// isAsymmetricAlg reports whether alg is one of asymmetricAlgs.
func isAsymmetricAlg(alg string) bool {
	return slices.Contains(asymmetricAlgs, jose.SignatureAlgorithm(alg))
}

// signingAlgs validates configured algorithm names and returns the allow-list.
func signingAlgs(names []string) ([]jose.SignatureAlgorithm, error) {
	if len(names) == 0 {
		return slices.Clone(defaultSigningAlgs), nil
	}
	var algs []jose.SignatureAlgorithm
	for _, n := range names {
		if !isAsymmetricAlg(n) {
			return nil, fmt.Errorf("signing algorithm %q is not accepted (use RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512 or EdDSA)", n)
		}
		if !slices.Contains(algs, jose.SignatureAlgorithm(n)) {
			algs = append(algs, jose.SignatureAlgorithm(n))
		}
	}
	return algs, nil
}

// joseHeader is the part of a JWS protected header read before the signature check.
type joseHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
}

// verifySigned checks the compact JWS raw: its alg is in algs, typOK (when not nil)
// accepts its typ header, and its signature verifies with keys. It returns the payload
// as claims. Failures are *TokenError of kind, except an unreachable key set, which
// wraps ErrUnavailable.
func verifySigned(ctx context.Context, kind, raw string, algs []jose.SignatureAlgorithm, keys *keySet, typOK func(string) bool) (claims, error) {
	if raw == "" || len(raw) > maxTokenSize {
		return nil, tokenError(kind, "format", "empty or too large")
	}
	headerPart, _, ok := strings.Cut(raw, ".")
	if !ok || strings.Count(raw, ".") != 2 {
		return nil, tokenError(kind, "format", "not a compact JWS")
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(headerPart)
	if err != nil {
		return nil, tokenError(kind, "format", "header is not base64url")
	}
	var h joseHeader
	if err := json.Unmarshal(headerJSON, &h); err != nil {
		return nil, tokenError(kind, "format", "header is not a JSON object of string members")
	}
	if !slices.Contains(algs, jose.SignatureAlgorithm(h.Alg)) {
		return nil, tokenError(kind, "alg", "the algorithm is not in the allow-list")
	}
	if typOK != nil && !typOK(h.Typ) {
		return nil, tokenError(kind, "typ", "the typ header is not accepted")
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(h.Alg)})
	if err != nil {
		return nil, tokenError(kind, "format", "malformed JWS")
	}
	payload, err := keys.verify(ctx, jws)
	switch {
	case errors.Is(err, ErrUnavailable):
		return nil, err
	case errors.Is(err, errUnknownKey):
		return nil, &TokenError{Kind: kind, Check: "signature", Reason: "unknown key id", Err: err}
	case err != nil:
		return nil, &TokenError{Kind: kind, Check: "signature", Reason: "invalid signature", Err: err}
	}
	c, err := decodeClaims(payload)
	if err != nil {
		return nil, tokenError(kind, "format", "payload is not a JSON object")
	}
	return c, nil
}

// tokenChecks are the claim checks shared by ID tokens and logout tokens.
type tokenChecks struct {
	kind     string
	clientID string
	issuerOK func(iss string, c claims) error // checks the iss claim (present, a string)
	now      time.Time
}

// common checks iss, aud, iat (present, not in the future beyond the skew), nbf when
// present, and exp (required when expRequired, else only checked when present).
func (t tokenChecks) common(c claims, expRequired bool) error {
	iss, ok := c.str("iss")
	if !ok || iss == "" {
		return tokenError(t.kind, "iss", "missing")
	}
	if err := t.issuerOK(iss, c); err != nil {
		return err
	}
	aud, ok := c.audience()
	if !ok {
		return tokenError(t.kind, "aud", "missing or not a string or list of strings")
	}
	if !slices.Contains(aud, t.clientID) {
		return tokenError(t.kind, "aud", "does not contain the client id")
	}
	if exp, ok := c.numericDate("exp"); ok {
		if !t.now.Before(exp) {
			return tokenError(t.kind, "exp", "expired")
		}
	} else if expRequired || c.has("exp") {
		return tokenError(t.kind, "exp", "missing or not a number")
	}
	iat, ok := c.numericDate("iat")
	if !ok {
		return tokenError(t.kind, "iat", "missing or not a number")
	}
	if iat.After(t.now.Add(clockSkew)) {
		return tokenError(t.kind, "iat", "issued in the future")
	}
	if c.has("nbf") {
		nbf, ok := c.numericDate("nbf")
		if !ok {
			return tokenError(t.kind, "nbf", "not a number")
		}
		if nbf.After(t.now.Add(clockSkew)) {
			return tokenError(t.kind, "nbf", "not valid yet")
		}
	}
	return nil
}

// exactIssuer returns an issuer check requiring iss to equal want. An empty want (an
// oidc provider configured with endpoints and no issuer) accepts any issuer: the
// token is then only as trustworthy as the configured key set, which signs it.
func exactIssuer(kind, want string) func(string, claims) error {
	return func(iss string, _ claims) error {
		if want != "" && iss != want {
			return tokenError(kind, "iss", "does not match the provider's issuer")
		}
		return nil
	}
}

// checkIDToken runs the claim checks of OpenID Connect Core §3.1.3.7 on verified ID
// token claims: iss, aud contains the client id, azp (equal to the client id when
// present, required with several audiences), exp, iat, nbf, nonce equal to the one sent,
// sub present.
func (t tokenChecks) checkIDToken(c claims, nonce string) error {
	if err := t.common(c, true); err != nil {
		return err
	}
	aud, _ := c.audience()
	if c.has("azp") {
		azp, ok := c.str("azp")
		if !ok || azp != t.clientID {
			return tokenError(t.kind, "azp", "is not the client id")
		}
	} else if len(aud) > 1 {
		return tokenError(t.kind, "azp", "missing with several audiences")
	}
	got, ok := c.str("nonce")
	if !ok || nonce == "" || subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		return tokenError(t.kind, "nonce", "missing or not the nonce of this sign-in")
	}
	if sub, ok := c.str("sub"); !ok || sub == "" {
		return tokenError(t.kind, "sub", "missing")
	}
	return nil
}
