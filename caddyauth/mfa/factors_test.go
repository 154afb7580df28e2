package mfa

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

func newFactors(t *testing.T) (*Factors, store.Store) {
	t.Helper()
	st := newStore(t, nil)
	s, err := NewSealer([]byte("a gateway secret of at least 32 characters"))
	if err != nil {
		t.Fatal(err)
	}
	return NewFactors(st, s), st
}

func TestFactorsRoundTrip(t *testing.T) {
	ctx := context.Background()
	f, st := newFactors(t)
	empty, err := f.Load(ctx, "alice")
	if err != nil || empty == nil || empty.Enrolled() {
		t.Fatalf("Load of a user without factors = %+v, %v; want an empty record", empty, err)
	}
	secret := GenerateSecret()
	_, hashes := NewBackupCodes([]byte("k"), 3)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := &Record{
		TOTP:        &TOTPFactor{Secret: secret, Confirmed: true, Added: now},
		BackupCodes: hashes,
		Credentials: []webauthn.Credential{{ID: []byte{1, 2, 3}, PublicKey: []byte{4, 5}, Authenticator: webauthn.Authenticator{SignCount: 7}}},
		Updated:     now,
	}
	if err := f.Save(ctx, "alice", rec); err != nil {
		t.Fatal(err)
	}
	got, err := f.Load(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got.TOTP == nil || *got.TOTP != *rec.TOTP || !reflect.DeepEqual(got.BackupCodes, rec.BackupCodes) ||
		!got.Updated.Equal(now) || len(got.Credentials) != 1 || !bytes.Equal(got.Credentials[0].ID, []byte{1, 2, 3}) ||
		got.Credentials[0].Authenticator.SignCount != 7 {
		t.Fatalf("Load = %+v, want %+v", got, rec)
	}
	// Another user's record is separate.
	if bob, err := f.Load(ctx, "bob"); err != nil || bob.Enrolled() {
		t.Fatalf("bob = %+v, %v", bob, err)
	}
	// The store holds no secret in clear, and not the user name either.
	raw, err := st.Get(ctx, factorsKey("alice"))
	if err != nil {
		t.Fatal(err)
	}
	for _, clear := range [][]byte{[]byte(secret), []byte(hashes[0]), []byte("alice"), []byte("totp")} {
		if bytes.Contains(raw, clear) || bytes.Contains([]byte(factorsKey("alice")), clear) {
			t.Fatalf("stored record or key contains %q in clear", clear)
		}
	}
}

func TestFactorsFailClosed(t *testing.T) {
	ctx := context.Background()
	f, st := newFactors(t)
	if err := f.Save(ctx, "alice", &Record{TOTP: &TOTPFactor{Secret: GenerateSecret(), Confirmed: true}}); err != nil {
		t.Fatal(err)
	}
	raw, _ := st.Get(ctx, factorsKey("alice"))
	cases := []struct {
		name  string
		setup func()
		user  string
	}{
		{"corrupted", func() {
			b := bytes.Clone(raw)
			b[len(b)/2] ^= 0x40
			_ = st.Set(ctx, factorsKey("alice"), b, time.Hour)
		}, "alice"},
		{"moved to another user", func() { _ = st.Set(ctx, factorsKey("bob"), raw, time.Hour) }, "bob"},
		{"not sealed", func() { _ = st.Set(ctx, factorsKey("alice"), []byte(`{"totp":null}`), time.Hour) }, "alice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			rec, err := f.Load(ctx, tc.user)
			if err == nil || rec != nil {
				t.Fatalf("Load = %+v, %v; want an error", rec, err)
			}
		})
	}
	t.Run("store closed", func(t *testing.T) {
		_ = st.Close()
		if rec, err := f.Load(ctx, "alice"); err == nil || rec != nil || errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Load on a closed store = %+v, %v", rec, err)
		}
		if err := f.Save(ctx, "alice", &Record{}); err == nil {
			t.Fatalf("Save on a closed store succeeded")
		}
	})
}

func TestEnrolled(t *testing.T) {
	cases := []struct {
		name string
		rec  *Record
		want bool
	}{
		{"nil", nil, false},
		{"empty", &Record{}, false},
		{"unconfirmed totp", &Record{TOTP: &TOTPFactor{Secret: "X"}}, false},
		{"confirmed totp", &Record{TOTP: &TOTPFactor{Secret: "X", Confirmed: true}}, true},
		{"security key", &Record{Credentials: []webauthn.Credential{{ID: []byte{1}}}}, true},
		{"backup codes only", &Record{BackupCodes: []string{"h"}}, true},
	}
	for _, tc := range cases {
		if got := tc.rec.Enrolled(); got != tc.want {
			t.Errorf("%s: Enrolled() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUpdateCredential(t *testing.T) {
	r := &Record{Credentials: []webauthn.Credential{{ID: []byte{1}}, {ID: []byte{2}}}}
	if !r.UpdateCredential(webauthn.Credential{ID: []byte{2}, Authenticator: webauthn.Authenticator{SignCount: 9}}) {
		t.Fatal("credential not found")
	}
	if r.Credentials[1].Authenticator.SignCount != 9 || r.Credentials[0].Authenticator.SignCount != 0 {
		t.Fatalf("wrong credential updated: %+v", r.Credentials)
	}
	if r.UpdateCredential(webauthn.Credential{ID: []byte{3}}) || len(r.Credentials) != 2 {
		t.Fatalf("unknown credential was added")
	}
}
