package password

import (
	"encoding/base64"

	"golang.org/x/crypto/argon2"
)

func b64(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

// verifyKey computes the argon2id key of password with h's parameters.
func (h *argon2idHash) verifyKey(password string, keyLen uint32) ([]byte, error) {
	return argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, keyLen), nil
}
