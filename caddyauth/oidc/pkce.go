package oidc

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Bounds of a PKCE code verifier (RFC 7636 §4.1).
const (
	minVerifierLen = 43
	maxVerifierLen = 128
)

// NewVerifier returns a fresh PKCE code verifier: 32 random octets, base64url-encoded
// without padding (43 characters), as RFC 7636 §4.1 recommends.
func NewVerifier() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it aborts the program instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// S256Challenge returns the S256 code challenge of verifier:
// BASE64URL(SHA256(ASCII(verifier))) without padding (RFC 7636 §4.2).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validVerifier reports whether v is a well-formed code verifier: 43 to 128 characters
// from the unreserved set [A-Z] [a-z] [0-9] "-" "." "_" "~".
func validVerifier(v string) bool {
	if len(v) < minVerifierLen || len(v) > maxVerifierLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}
