package oidctest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
)

// mintLocked signs claims as a compact JWS with header typ, using the current key and
// applying the signature part of f (alg, kid, signature bytes). s.mu must be held.
func (s *Server) mintLocked(typ string, claims map[string]any, f Fault) (string, error) {
	key := s.current
	if f == FaultUnknownKID {
		var err error
		if key, err = s.strayKeyLocked(); err != nil {
			return "", err
		}
	}
	header := map[string]any{"alg": key.alg, "typ": typ, "kid": key.kid}
	switch f {
	case FaultAlgNone:
		header = map[string]any{"alg": "none", "typ": typ}
	case FaultHS256PublicKey:
		header["alg"] = "HS256"
	case FaultKIDAbsentMultiple, FaultKIDAbsentSingle:
		delete(header, "kid")
	}
	h, err := segment(header)
	if err != nil {
		return "", err
	}
	p, err := segment(claims)
	if err != nil {
		return "", err
	}
	input := h + "." + p
	var sig []byte
	switch f {
	case FaultAlgNone:
		return input + ".", nil
	case FaultHS256PublicKey:
		mac := hmac.New(sha256.New, key.publicPEM())
		mac.Write([]byte(input))
		sig = mac.Sum(nil)
	default:
		if sig, err = key.sign([]byte(input)); err != nil {
			return "", fmt.Errorf("signing token: %w", err)
		}
	}
	if f == FaultBadSignature {
		sig[len(sig)/2] ^= 0x5a
	}
	return input + "." + b64(sig), nil
}

// segment returns v as a base64url JSON segment of a compact JWS.
func segment(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding token segment: %w", err)
	}
	return b64(raw), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// randomString returns 26 random base32 characters (130 bits).
func randomString() string { return rand.Text() }

// writeJSON writes v as a JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
