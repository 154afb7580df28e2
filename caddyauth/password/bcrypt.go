package password

import (
	"errors"
	"strconv"

	"golang.org/x/crypto/bcrypt"
)

// maxBcryptCost bounds the bcrypt cost Verify accepts: cost 16 already takes seconds, and
// bcrypt allows up to 31 (days), which a hostile users file could use to stall logins.
const maxBcryptCost = 16

// bcryptLen is the length of a bcrypt hash: "$2b$" + 2-digit cost + "$" + 22 salt + 31 hash.
const bcryptLen = 60

// bcryptHash is a checked bcrypt hash.
type bcryptHash struct {
	encoded []byte
	cost    int
}

// parseBcrypt checks $2a$, $2b$ or $2y$ hashes: length, cost and alphabet, so that
// bcrypt.CompareHashAndPassword cannot fail on them for any reason but a mismatch.
func parseBcrypt(encoded string) (*bcryptHash, error) {
	if len(encoded) != bcryptLen {
		return nil, malformed("bcrypt: %d characters (want %d)", len(encoded), bcryptLen)
	}
	if encoded[6] != '$' || !isDigit(encoded[4]) || !isDigit(encoded[5]) {
		return nil, malformed("bcrypt: want $2b$<cost>$<salt and hash>")
	}
	cost, _ := strconv.Atoi(encoded[4:6])
	if cost < bcrypt.MinCost || cost > maxBcryptCost {
		return nil, malformed("bcrypt: cost %d is outside %d to %d", cost, bcrypt.MinCost, maxBcryptCost)
	}
	for i := 7; i < len(encoded); i++ {
		if !isBcryptBase64(encoded[i]) {
			return nil, malformed("bcrypt: salt and hash are not bcrypt base64")
		}
	}
	return &bcryptHash{encoded: []byte(encoded), cost: cost}, nil
}

// verify compares password with the hash; bcrypt compares in constant time (crypto/subtle).
func (h *bcryptHash) verify(password string) (bool, error) {
	err := bcrypt.CompareHashAndPassword(h.encoded, []byte(password))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
		return false, nil
	default:
		return false, malformed("bcrypt: %v", err)
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isBcryptBase64 tells whether c is in bcrypt's base64 alphabet "./A-Za-z0-9".
func isBcryptBase64(c byte) bool {
	return c == '.' || c == '/' || isDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}
