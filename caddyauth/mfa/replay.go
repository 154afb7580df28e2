package mfa

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// usedWindow is how many periods a used TOTP code is remembered: a code is accepted from
// the start of the step before its own to the end of the step after, three periods in all.
const usedWindow = 3

// Used records that user used the TOTP code of counter (as Check returned it), atomically
// through store.Incr, and tells whether this was its first use. A second use within the
// code's validity (3 periods; period <= 0 means the default 30s) returns false, also when it
// comes through another instance sharing the store (RFC 6238 §5.2: each code accepted once).
// A store error is returned with first false: the caller fails closed.
func Used(ctx context.Context, st store.Store, user string, counter int64, period time.Duration) (first bool, err error) {
	if period <= 0 {
		period = defaultPeriod
	}
	n, err := st.Incr(ctx, usedKey(user, counter), usedWindow*period)
	if err != nil {
		return false, fmt.Errorf("recording use of a totp code: %w", err)
	}
	return n == 1, nil
}

// usedKey is the store key of user's use of the code of counter.
func usedKey(user string, counter int64) string {
	return "totp:" + userHash(user) + ":" + strconv.FormatInt(counter, 10)
}

// userHash is the base64url SHA-256 of user, so that store keys are fixed-length and do not
// show user names.
func userHash(user string) string {
	sum := sha256.Sum256([]byte(user))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
