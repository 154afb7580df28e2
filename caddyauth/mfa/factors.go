package mfa

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// factorsTTL is the store lifetime of a factors record. Stores need a positive TTL; enrolled
// factors last until the user removes them, so this is 100 years, renewed by every Save.
const factorsTTL = 100 * 365 * 24 * time.Hour

// Record is the set of second factors a user enrolled, as stored (sealed) in the store.
type Record struct {
	// TOTP is the user's authenticator-app secret; nil when none.
	TOTP *TOTPFactor `json:"totp,omitempty"`
	// BackupCodes are the hashes of the unused backup codes (see NewBackupCodes).
	BackupCodes []string `json:"backup,omitempty"`
	// Credentials are the user's security keys and passkeys.
	Credentials []webauthn.Credential `json:"webauthn,omitempty"`
	// Updated is when the record last changed; set by the caller.
	Updated time.Time `json:"updated"`
}

// TOTPFactor is an enrolled TOTP secret.
type TOTPFactor struct {
	// Secret is the base32 secret shared with the authenticator app.
	Secret string `json:"secret"`
	// Confirmed is true once the user has entered a valid code; before that the factor is
	// not active.
	Confirmed bool `json:"confirmed"`
	// Provisioned marks a secret the admin provisioned in the users file: it is never
	// saved in the store, so rotating it in the file takes effect.
	Provisioned bool `json:"-"`
	// Added is when the secret was generated.
	Added time.Time `json:"added"`
}

// Enrolled tells whether the user has an active second factor: a confirmed TOTP, at least
// one security key or passkey, or at least one unused backup code.
func (r *Record) Enrolled() bool {
	if r == nil {
		return false
	}
	return (r.TOTP != nil && r.TOTP.Confirmed) || len(r.Credentials) > 0 || len(r.BackupCodes) > 0
}

// UpdateCredential replaces the credential with c's ID by c (after FinishLogin updated its
// sign count) and tells whether one was found.
func (r *Record) UpdateCredential(c webauthn.Credential) bool {
	for i := range r.Credentials {
		if bytes.Equal(r.Credentials[i].ID, c.ID) {
			r.Credentials[i] = c
			return true
		}
	}
	return false
}

// Factors keeps users' factor records in a store, sealed.
type Factors struct {
	store  store.Store
	sealer *Sealer
}

// NewFactors returns Factors on st, sealing records with s.
func NewFactors(st store.Store, s *Sealer) *Factors {
	return &Factors{store: st, sealer: s}
}

// Load returns user's record: an empty Record (not nil) when there is none. A store error is
// returned, and so is a record that cannot be opened or decoded (fail closed: the caller must
// not treat the user as having no factors).
func (f *Factors) Load(ctx context.Context, user string) (*Record, error) {
	raw, err := f.store.Get(ctx, factorsKey(user))
	if errors.Is(err, store.ErrNotFound) {
		return &Record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading factors: %w", err)
	}
	plain, err := f.sealer.Open(raw, user)
	if err != nil {
		return nil, fmt.Errorf("opening factors: %w", err)
	}
	var r Record
	if err := json.Unmarshal(plain, &r); err != nil {
		return nil, fmt.Errorf("decoding factors: %w", err)
	}
	return &r, nil
}

// Save stores r as user's record, sealed with aad = user under "mfa:" + hash(user), for 100
// years (until removed; a store needs a lifetime). Save does not change r (set Updated first).
func (f *Factors) Save(ctx context.Context, user string, r *Record) error {
	if r == nil {
		return errors.New("saving factors: nil record")
	}
	if r.TOTP != nil && r.TOTP.Provisioned {
		c := *r
		c.TOTP = nil
		r = &c
	}
	plain, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding factors: %w", err)
	}
	sealed, err := f.sealer.Seal(plain, user)
	if err != nil {
		return fmt.Errorf("sealing factors: %w", err)
	}
	if err := f.store.Set(ctx, factorsKey(user), sealed, factorsTTL); err != nil {
		return fmt.Errorf("saving factors: %w", err)
	}
	return nil
}

// factorsKey is the store key of user's record.
func factorsKey(user string) string {
	return "mfa:" + userHash(user)
}
