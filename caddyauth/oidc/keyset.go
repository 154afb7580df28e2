package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// keyRefetchInterval bounds how often the JWKS is fetched again because a token names
// a key that is not in the cached set: at most once per interval, whatever the tokens.
const keyRefetchInterval = 10 * time.Second

// keyFetchTimeout bounds one JWKS fetch even when the configured client has no timeout.
const keyFetchTimeout = 30 * time.Second

// maxJWKSBody bounds the size of a JWKS document.
const maxJWKSBody = 1 << 20

// Errors of keySet.verify; verify wraps them in a *TokenError.
var (
	errUnknownKey   = errors.New("no key of the provider has the token's key id")
	errBadSignature = errors.New("the signature does not verify with the provider's keys")
)

// keySet is a provider's JSON Web Key Set, fetched from its jwks_uri and cached. It
// replaces go-oidc's RemoteKeySet, which fetches the set again after any failed
// verification: here a token whose kid is in the cached set but whose signature is
// wrong is refused without a fetch, and a token naming an unknown kid causes at most
// one fetch per keyRefetchInterval, so a stream of forged tokens cannot turn Gatehouse
// into a load generator against the provider. Fetches use a background context (the
// set outlives the requests that use it) and the provider's HTTP client.
type keySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	fetchMu sync.Mutex // held during a fetch: one fetch at a time

	mu      sync.RWMutex // guards the fields below
	keys    []jose.JSONWebKey
	fetched time.Time // when the last fetch was attempted; zero before the first
	gen     uint64    // incremented by every fetch attempt
}

// newKeySet returns the key set at url; nothing is fetched until the first token.
func newKeySet(url string, client *http.Client, now func() time.Time) *keySet {
	return &keySet{url: url, client: client, now: now}
}

// VerifySignature implements go-oidc's KeySet: it parses jwt with the algorithms a key
// set may ever accept (never none or HMAC) and verifies its signature. Callers that
// restrict algorithms further parse the token themselves and call verify.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(jwt, asymmetricAlgs)
	if err != nil {
		return nil, fmt.Errorf("parsing token: %w", err)
	}
	return k.verify(ctx, jws)
}

// verify checks the signature of jws, whose algorithm the caller has already allowed,
// and returns its payload. It fetches the set when it has none yet, or, rate-limited,
// when the token's kid is unknown (or, without a kid, no cached key verifies). It
// returns errUnknownKey, errBadSignature, or an error wrapping ErrUnavailable when the
// keys cannot be fetched.
func (k *keySet) verify(ctx context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
	if len(jws.Signatures) != 1 {
		return nil, errBadSignature
	}
	header := jws.Signatures[0].Header
	keys, gen := k.snapshot()
	payload, known, ok := verifyWith(jws, keys, header.KeyID, header.Algorithm)
	if ok {
		return payload, nil
	}
	if known && header.KeyID != "" {
		return nil, errBadSignature // the key is known: a new fetch would not help
	}
	if err := k.refresh(ctx, gen); err != nil {
		if len(keys) == 0 || !errors.Is(err, errRefetchLimited) {
			return nil, fmt.Errorf("fetching the provider's keys: %w: %w", ErrUnavailable, err)
		}
		return nil, errUnknownKey
	}
	keys, _ = k.snapshot()
	payload, known, ok = verifyWith(jws, keys, header.KeyID, header.Algorithm)
	switch {
	case ok:
		return payload, nil
	case known || header.KeyID == "":
		return nil, errBadSignature
	default:
		return nil, errUnknownKey
	}
}

// errRefetchLimited means the set was fetched less than keyRefetchInterval ago.
var errRefetchLimited = errors.New("keys fetched too recently to fetch again")

// snapshot returns the cached keys and the fetch generation they belong to.
func (k *keySet) snapshot() ([]jose.JSONWebKey, uint64) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys, k.gen
}

// refresh fetches the set unless another caller did since generation seen (then it
// returns nil at once) or the last fetch was less than keyRefetchInterval ago
// (errRefetchLimited). A failed fetch keeps the cached keys.
func (k *keySet) refresh(ctx context.Context, seen uint64) error {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	k.mu.RLock()
	gen, last := k.gen, k.fetched
	k.mu.RUnlock()
	if gen != seen {
		return nil
	}
	now := k.now()
	if !last.IsZero() && now.Sub(last) < keyRefetchInterval {
		return errRefetchLimited
	}
	keys, err := k.fetch()
	k.mu.Lock()
	k.fetched = now
	k.gen++
	if err == nil {
		k.keys = keys
	}
	k.mu.Unlock()
	return err
}

// fetch downloads and parses the set. It runs on a background context (with a
// timeout) so that a request that goes away does not poison the shared cache.
func (k *keySet) fetch() ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), keyFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fmt.Errorf("building JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getting JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("getting JWKS: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading JWKS: %w", err)
	}
	if len(body) > maxJWKSBody {
		return nil, errors.New("reading JWKS: document too large")
	}
	return parseJWKS(body)
}

// parseJWKS parses a JWKS document, skipping (as RFC 7517 §5 asks) keys it cannot use:
// unknown key types or algorithms, encryption keys, symmetric keys, malformed keys.
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decoding JWKS: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range doc.Keys {
		var meta struct {
			Use string `json:"use"`
			Alg string `json:"alg"`
		}
		if json.Unmarshal(raw, &meta) != nil {
			continue
		}
		if (meta.Use != "" && meta.Use != "sig") || (meta.Alg != "" && !isAsymmetricAlg(meta.Alg)) {
			continue
		}
		var key jose.JSONWebKey
		if json.Unmarshal(raw, &key) != nil {
			continue
		}
		pub := key.Public()
		if !pub.Valid() || !pub.IsPublic() {
			continue
		}
		keys = append(keys, pub)
	}
	return keys, nil
}

// verifyWith tries the keys that match kid (all keys when kid is empty) and alg. known
// tells whether some key has that kid.
func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, kid, alg string) (payload []byte, known, ok bool) {
	for i := range keys {
		key := &keys[i]
		if kid != "" && key.KeyID != kid {
			continue
		}
		known = true
		if key.Algorithm != "" && key.Algorithm != alg {
			continue
		}
		if p, err := jws.Verify(key); err == nil {
			return p, known, true
		}
	}
	return nil, known, false
}

// Interface guards
var _ gooidc.KeySet = (*keySet)(nil)
