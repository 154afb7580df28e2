package mfa

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// HKDF info strings: one key per purpose, all from the gateway secret.
const (
	sealInfo   = "gatehouse factors v1"
	backupInfo = "gatehouse backup codes v1"
)

// minSealSecret is the shortest gateway secret NewSealer accepts, in bytes.
const minSealSecret = 16

// nonceSize is the size of the random nonce that prefixes sealed data (GCM's standard).
const nonceSize = 12

// ErrUnseal is returned by Open when sealed data cannot be opened: it was altered, sealed
// under another secret, or for another owner (aad).
var ErrUnseal = errors.New("sealed data cannot be opened (altered, other secret or other owner)")

// Sealer encrypts and authenticates data at rest (AES-256-GCM) with a key derived from the
// gateway secret. It is safe for concurrent use.
type Sealer struct {
	aead      cipher.AEAD
	backupKey []byte
}

// NewSealer derives the sealing key (HKDF-SHA256 of secret, info "gatehouse factors v1") and
// the backup-code key (info "gatehouse backup codes v1") from the gateway secret, which must
// be at least 16 bytes.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < minSealSecret {
		return nil, fmt.Errorf("sealer secret is %d bytes, need at least %d", len(secret), minSealSecret)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving sealing key: %w", err)
	}
	backupKey, err := hkdf.Key(sha256.New, secret, nil, backupInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving backup code key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("creating cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("creating gcm: %w", err)
	}
	return &Sealer{aead: aead, backupKey: backupKey}, nil
}

// Seal encrypts plaintext bound to aad (the owner, e.g. the user name): the result is a
// random 12-byte nonce followed by the ciphertext and its tag.
func (s *Sealer) Seal(plaintext []byte, aad string) ([]byte, error) {
	nonce := make([]byte, nonceSize, nonceSize+len(plaintext)+s.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(aad)), nil
}

// Open decrypts what Seal returned for the same aad. It returns ErrUnseal when the data was
// altered, sealed under another secret or for another aad.
func (s *Sealer) Open(ciphertext []byte, aad string) ([]byte, error) {
	if len(ciphertext) < nonceSize+s.aead.Overhead() {
		return nil, ErrUnseal
	}
	plain, err := s.aead.Open(nil, ciphertext[:nonceSize], ciphertext[nonceSize:], []byte(aad))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}

// BackupKey returns the HMAC key for backup codes (NewBackupCodes, UseBackupCode). The
// caller gets its own copy.
func (s *Sealer) BackupKey() []byte {
	return append([]byte(nil), s.backupKey...)
}
