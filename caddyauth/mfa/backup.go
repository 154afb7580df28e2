package mfa

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// backupAlphabet is Crockford's base32 alphabet in lower case: digits and letters without
// i, l, o and u, which are easily confused (32 symbols, 5 bits each).
const backupAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// backupLen is the number of symbols in a backup code: 10 × 5 = 50 bits.
const backupLen = 10

// backupUseWindow is how long UsedBackupCode remembers a code: longer than any request that
// loads a record, uses a code and saves the record.
const backupUseWindow = 10 * time.Minute

// NewBackupCodes returns n fresh, distinct backup codes, formatted "xxxx-xxxx-xx" in a lower
// case base32 alphabet without confusable characters (50 bits each), and their hashes
// (base64 HMAC-SHA256 with key) to store. Show the codes once; keep only the hashes.
func NewBackupCodes(key []byte, n int) (codes, hashes []string) {
	if n <= 0 {
		return nil, nil
	}
	seen := make(map[string]bool, n)
	for len(codes) < n {
		raw := newBackupCode()
		if seen[raw] {
			continue
		}
		seen[raw] = true
		codes = append(codes, raw[:4]+"-"+raw[4:8]+"-"+raw[8:])
		hashes = append(hashes, hashBackupCode(key, raw))
	}
	return codes, hashes
}

// newBackupCode returns backupLen random symbols of backupAlphabet, unformatted.
func newBackupCode() string {
	var b [backupLen]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = backupAlphabet[b[i]&31] // 256 is a multiple of 32: uniform
	}
	return string(b[:])
}

// UseBackupCode looks for code among hashes. When one matches, it returns a new slice of
// hashes without it and true (save it: the code is then used up); otherwise hashes unchanged
// and false. Case, spaces and dashes in code are ignored, and the look-alikes i, l (for 1)
// and o (for 0) are accepted. Every hash is compared, in constant time.
func UseBackupCode(key []byte, hashes []string, code string) ([]string, bool) {
	raw, ok := normalizeBackupCode(code)
	if !ok {
		return hashes, false
	}
	want := []byte(hashBackupCode(key, raw))
	match := -1
	for i, h := range hashes {
		if subtle.ConstantTimeCompare([]byte(h), want) == 1 && match < 0 {
			match = i
		}
	}
	if match < 0 {
		return hashes, false
	}
	rest := make([]string, 0, len(hashes)-1)
	rest = append(rest, hashes[:match]...)
	return append(rest, hashes[match+1:]...), true
}

// UsedBackupCode records, atomically through store.Incr, that user used the backup code and
// tells whether this was its first use. Call it after UseBackupCode matched and before saving
// the record: two requests that loaded the same record at once then cannot both spend the
// same code. A store error is returned with first false: the caller fails closed.
func UsedBackupCode(ctx context.Context, st store.Store, key []byte, user, code string) (first bool, err error) {
	raw, ok := normalizeBackupCode(code)
	if !ok {
		return false, nil
	}
	sum := sha256.Sum256([]byte(hashBackupCode(key, raw)))
	k := "backup:" + userHash(user) + ":" + base64.RawURLEncoding.EncodeToString(sum[:])
	n, err := st.Incr(ctx, k, backupUseWindow)
	if err != nil {
		return false, fmt.Errorf("recording use of a backup code: %w", err)
	}
	return n == 1, nil
}

// normalizeBackupCode returns code in lower case without spaces and dashes, look-alikes
// mapped to their symbols, and whether it then has the form of a backup code.
func normalizeBackupCode(code string) (string, bool) {
	if len(code) > 4*backupLen { // generous room for separators; longer is not a code
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		c := code[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch c {
		case ' ', '-', '\t':
			continue
		case 'i', 'l':
			c = '1'
		case 'o':
			c = '0'
		}
		if strings.IndexByte(backupAlphabet, c) < 0 {
			return "", false
		}
		b.WriteByte(c)
	}
	if b.Len() != backupLen {
		return "", false
	}
	return b.String(), true
}

// hashBackupCode is the stored form of a normalised code: base64 HMAC-SHA256 under key.
func hashBackupCode(key []byte, raw string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(raw))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
