package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// TokenLen is the length of a session token: 32 random bytes, base64url without padding.
const TokenLen = 43

// NewToken returns a fresh random 256-bit session token, base64url-encoded.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidToken tells whether s has the shape of a token made by NewToken: exactly TokenLen
// characters of the base64url alphabet. Anything else is refused before it reaches the store.
func ValidToken(s string) bool {
	if len(s) != TokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	// The last character carries only 4 meaningful bits; a canonical encoding has the
	// other 2 at zero, so each token has exactly one spelling.
	return canonicalTail(s[TokenLen-1])
}

// canonicalTail reports whether the final base64url character of a 32-byte value has its
// two padding bits clear.
func canonicalTail(c byte) bool {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		if alphabet[i] == c {
			return i&3 == 0
		}
	}
	return false
}

// storeKey returns the store key of a session token: the token itself is never stored,
// only its SHA-256, so a copy of the store does not hold usable cookies.
func storeKey(prefix, token string) string {
	var in [TokenLen]byte // tokens are checked to be TokenLen long; hashing a copy on the stack avoids an allocation
	sum := sha256.Sum256(in[:copy(in[:], token)])
	var buf [64]byte
	n := copy(buf[:], prefix)
	base64.RawURLEncoding.Encode(buf[n:], sum[:])
	return string(buf[:n+43])
}
