// Package password hashes and verifies user passwords: argon2id (the format Gatehouse
// writes) and bcrypt (accepted for files migrated from elsewhere). A Verifier bounds how
// many hashes run at once, so that a flood of logins cannot exhaust memory.
package password

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash is returned (wrapped, with the reason) for an encoded hash that is not a
// well-formed argon2id or bcrypt hash, or whose parameters are out of bounds.
var ErrMalformedHash = errors.New("malformed password hash")

// Parameters of the hashes written by Hash (the OWASP argon2id minimum: 19 MiB, 2 passes).
const (
	defaultMemoryKiB = 19456
	defaultTime      = 2
	defaultThreads   = 1
	defaultSaltLen   = 16
	defaultKeyLen    = 32
)

// hashFunc is a parsed hash, ready to be compared with a password.
type hashFunc interface {
	// verify tells whether password matches the hash. An error means the hash is
	// malformed in a way only the hashing itself could notice.
	verify(password string) (bool, error)
}

// Hash returns the argon2id hash of password as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, with a 16-byte random salt and a 32-byte key,
// both in unpadded standard base64.
func Hash(password string) (string, error) {
	salt := make([]byte, defaultSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, defaultTime, defaultMemoryKiB, defaultThreads, defaultKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, defaultMemoryKiB, defaultTime, defaultThreads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify tells whether password matches encoded, an argon2id PHC string or a bcrypt hash
// ($2a$, $2b$, $2y$). A mismatch is (false, nil); a malformed hash or one whose cost is out of
// bounds is an error wrapping ErrMalformedHash. Verify runs the hash at once: request paths
// use a Verifier, which bounds how many run together.
func Verify(encoded, password string) (bool, error) {
	h, err := parse(encoded)
	if err != nil {
		return false, err
	}
	return h.verify(password)
}

// Check tells whether encoded is a well-formed hash that Verify accepts, without a
// password. It returns nil or an error wrapping ErrMalformedHash.
func Check(encoded string) error {
	_, err := parse(encoded)
	return err
}

// parse recognises the algorithm of encoded and parses it.
func parse(encoded string) (hashFunc, error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		return parseArgon2id(encoded)
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		return parseBcrypt(encoded)
	case encoded == "":
		return nil, malformed("empty")
	default:
		return nil, malformed("unknown algorithm (want argon2id or bcrypt)")
	}
}

// malformed returns an error wrapping ErrMalformedHash with the reason. The reason never
// quotes the hash itself.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, fmt.Sprintf(format, args...))
}
