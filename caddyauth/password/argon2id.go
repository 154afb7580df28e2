package password

import (
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Bounds on the argon2id parameters that Verify accepts, so that a hostile users file
// cannot make a login allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 262144 // 256 MiB
	maxTime      = 16
	maxThreads   = 16
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 128
)

// argon2idHash is a parsed argon2id PHC string.
type argon2idHash struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// parseArgon2id parses $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>.
func parseArgon2id(encoded string) (*argon2idHash, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, malformed("argon2id: want 5 '$'-separated fields")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, malformed("argon2id: unsupported version (want v=%d)", argon2.Version)
	}
	h := &argon2idHash{}
	if err := h.parseParams(parts[3]); err != nil {
		return nil, err
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil {
		return nil, malformed("argon2id: salt is not unpadded base64")
	}
	if len(h.salt) < minSaltLen || len(h.salt) > maxSaltLen {
		return nil, malformed("argon2id: salt is %d bytes (want %d to %d)", len(h.salt), minSaltLen, maxSaltLen)
	}
	if h.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil {
		return nil, malformed("argon2id: key is not unpadded base64")
	}
	if len(h.key) < minKeyLen || len(h.key) > maxKeyLen {
		return nil, malformed("argon2id: key is %d bytes (want %d to %d)", len(h.key), minKeyLen, maxKeyLen)
	}
	return h, nil
}

// parseParams parses "m=<KiB>,t=<passes>,p=<lanes>" (in that order) and checks the bounds.
func (h *argon2idHash) parseParams(s string) error {
	fields := strings.Split(s, ",")
	names := [3]string{"m", "t", "p"}
	limits := [3]uint64{maxMemoryKiB, maxTime, maxThreads}
	var values [3]uint64
	if len(fields) != len(names) {
		return malformed("argon2id: want parameters m=<KiB>,t=<passes>,p=<lanes>")
	}
	for i, f := range fields {
		name, value, ok := strings.Cut(f, "=")
		if !ok || name != names[i] {
			return malformed("argon2id: want parameters m=<KiB>,t=<passes>,p=<lanes>")
		}
		n, err := strconv.ParseUint(value, 10, 32)
		if err != nil || n == 0 || (len(value) > 1 && value[0] == '0') {
			return malformed("argon2id: parameter %s is not a positive integer", name)
		}
		if n > limits[i] {
			return malformed("argon2id: parameter %s=%d exceeds the limit %d", name, n, limits[i])
		}
		values[i] = n
	}
	if values[0] < 8*values[2] {
		return malformed("argon2id: memory m=%d is below 8 KiB per lane", values[0])
	}
	h.memory, h.time, h.threads = uint32(values[0]), uint32(values[1]), uint8(values[2])
	return nil
}

// verify hashes password with the same parameters and compares in constant time.
func (h *argon2idHash) verify(password string) (bool, error) {
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// cost returns memory × passes, a rough measure of how long verify takes.
func (h *argon2idHash) cost() uint64 {
	return uint64(h.memory) * uint64(h.time)
}
