package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
)

// Signing algorithms the server can use for ID and logout tokens.
const (
	AlgRS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit key (the default)
	AlgES256 = "ES256" // ECDSA P-256 with SHA-256
)

// signingKey is one key pair with its JWKS identity.
type signingKey struct {
	kid    string
	alg    string
	signer crypto.Signer // *rsa.PrivateKey or *ecdsa.PrivateKey
}

// keyPool is key material shared by the servers of one test binary, grown on demand:
// generating RSA keys takes up to half a second under -race. A server draws key i of an
// algorithm for its i-th key, so its own keys are always distinct; each gets a random kid.
var keyPool struct {
	mu   sync.Mutex
	keys map[string][]crypto.Signer
}

// pooledSigner returns key material number i for alg, generating it when needed.
func pooledSigner(alg string, i int) (crypto.Signer, error) {
	keyPool.mu.Lock()
	defer keyPool.mu.Unlock()
	if keyPool.keys == nil {
		keyPool.keys = map[string][]crypto.Signer{}
	}
	for len(keyPool.keys[alg]) <= i {
		var (
			k   crypto.Signer
			err error
		)
		switch alg {
		case AlgRS256:
			k, err = rsa.GenerateKey(rand.Reader, 2048)
		case AlgES256:
			k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		default:
			return nil, fmt.Errorf("unsupported signing algorithm %q (want RS256 or ES256)", alg)
		}
		if err != nil {
			return nil, fmt.Errorf("generating %s key: %w", alg, err)
		}
		keyPool.keys[alg] = append(keyPool.keys[alg], k)
	}
	return keyPool.keys[alg][i], nil
}

// newKeyLocked returns a key of alg that this server has never used, with a random kid.
// s.mu must be held.
func (s *Server) newKeyLocked(alg string) (*signingKey, error) {
	signer, err := pooledSigner(alg, s.keysUsed[alg])
	if err != nil {
		return nil, err
	}
	s.keysUsed[alg]++
	return &signingKey{kid: strings.ToLower(randomString()[:12]), alg: alg, signer: signer}, nil
}

// sign returns the JWS signature of input.
func (k *signingKey) sign(input []byte) ([]byte, error) {
	sum := sha256.Sum256(input)
	switch p := k.signer.(type) {
	case *rsa.PrivateKey:
		return rsa.SignPKCS1v15(rand.Reader, p, crypto.SHA256, sum[:])
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, p, sum[:])
		if err != nil {
			return nil, err
		}
		sig := make([]byte, 64) // JWS wants r || s, each 32 bytes
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	}
	return nil, fmt.Errorf("unsupported key type %T", k.signer)
}

// jwk returns the public key as a JSON Web Key; withKID false omits the kid.
func (k *signingKey) jwk(withKID bool) map[string]any {
	out := map[string]any{"use": "sig", "alg": k.alg}
	if withKID {
		out["kid"] = k.kid
	}
	switch p := k.signer.Public().(type) {
	case *rsa.PublicKey:
		out["kty"] = "RSA"
		out["n"] = b64(p.N.Bytes())
		out["e"] = b64(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		point, err := p.Bytes() // 0x04 || X || Y
		if err != nil || len(point) != 65 {
			return out
		}
		out["kty"] = "EC"
		out["crv"] = "P-256"
		out["x"] = b64(point[1:33])
		out["y"] = b64(point[33:])
	}
	return out
}

// publicPEM returns the public key as a PEM "PUBLIC KEY" block (PKIX): the bytes an
// attacker uses as the HMAC secret in the RS256/HS256 confusion.
func (k *signingKey) publicPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(k.signer.Public())
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// RotateKey replaces the signing key with a new one (new kid) of the same algorithm: the
// JWKS publishes only the new key from now on and the next tokens are signed with it.
func (s *Server) RotateKey() {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, err := s.newKeyLocked(s.alg)
	if err != nil {
		s.t.Errorf("oidctest: rotating key: %v", err)
		return
	}
	s.byAlg[key.alg] = key
	s.current = key
}

// SetAlg switches the signing algorithm to alg, AlgRS256 (the default) or AlgES256. The
// JWKS publishes the key of that algorithm only; switching back reuses the earlier key.
func (s *Server) SetAlg(alg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.byAlg[alg]
	if key == nil {
		var err error
		if key, err = s.newKeyLocked(alg); err != nil {
			s.t.Errorf("oidctest: SetAlg: %v", err)
			return
		}
		s.byAlg[alg] = key
	}
	s.alg = alg
	s.current = key
}

// strayKeyLocked returns a key of the current algorithm that the JWKS never publishes.
func (s *Server) strayKeyLocked() (*signingKey, error) {
	if s.stray == nil || s.stray.alg != s.alg {
		k, err := s.newKeyLocked(s.alg)
		if err != nil {
			return nil, err
		}
		s.stray = k
	}
	return s.stray, nil
}

// serveJWKS answers /jwks with the current public key; under FaultKIDAbsentMultiple it adds
// a second key of the same algorithm.
func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.jwksFetches++
	keys := []any{s.current.jwk(true)}
	if s.fault == FaultKIDAbsentMultiple {
		if s.extra == nil || s.extra.alg != s.alg {
			k, err := s.newKeyLocked(s.alg)
			if err != nil {
				s.mu.Unlock()
				http.Error(w, "generating key", http.StatusInternalServerError)
				return
			}
			s.extra = k
		}
		keys = append(keys, s.extra.jwk(true))
	}
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}
