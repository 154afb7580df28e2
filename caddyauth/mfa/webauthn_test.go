package mfa

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/webauthn"
)

const (
	testRPID   = "auth.example.com"
	testOrigin = "https://auth.example.com"
)

func newTestWebAuthn(t *testing.T) *WebAuthn {
	t.Helper()
	w, err := NewWebAuthn(testRPID, "Example", []string{testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestNewWebAuthn(t *testing.T) {
	cases := []struct {
		name    string
		rpID    string
		origins []string
		ok      bool
	}{
		{"ok", testRPID, []string{testOrigin}, true},
		{"no rp id", "", []string{testOrigin}, false},
		{"no origins", testRPID, nil, false},
		{"rp id with a scheme", "https://auth.example.com", []string{testOrigin}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewWebAuthn(tc.rpID, "", tc.origins); (err == nil) != tc.ok {
				t.Fatalf("NewWebAuthn = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestBeginRegistrationOptions(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil)
	w := newTestWebAuthn(t)
	existing := []webauthn.Credential{{ID: []byte("old-key")}}
	raw, id, err := w.BeginRegistration(ctx, st, "alice", existing)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RP        struct{ ID, Name string }
			User      struct {
				ID          string `json:"id"`
				Name        string `json:"name"`
				DisplayName string `json:"displayName"`
			} `json:"user"`
			Attestation            string `json:"attestation"`
			AuthenticatorSelection struct {
				ResidentKey      string `json:"residentKey"`
				UserVerification string `json:"userVerification"`
			} `json:"authenticatorSelection"`
			ExcludeCredentials []struct{ ID string } `json:"excludeCredentials"`
			Timeout            int                   `json:"timeout"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	pk := o.PublicKey
	challenge, err := b64u.DecodeString(pk.Challenge)
	if err != nil || len(challenge) < 16 {
		t.Fatalf("challenge %q: %d bytes, %v", pk.Challenge, len(challenge), err)
	}
	sum := sha256.Sum256([]byte("alice"))
	if pk.RP.ID != testRPID || pk.RP.Name != "Example" || pk.User.ID != b64u.EncodeToString(sum[:]) ||
		pk.User.Name != "alice" || pk.User.DisplayName != "alice" || pk.Attestation != "none" ||
		pk.AuthenticatorSelection.ResidentKey != "preferred" || pk.AuthenticatorSelection.UserVerification != "preferred" ||
		len(pk.ExcludeCredentials) != 1 || pk.ExcludeCredentials[0].ID != b64u.EncodeToString([]byte("old-key")) || pk.Timeout != 300000 {
		t.Fatalf("unexpected options %s", raw)
	}
	if !validCeremonyID(id) {
		t.Fatalf("ceremony id %q", id)
	}
	_, id2, _ := w.BeginRegistration(ctx, st, "alice", nil)
	if id2 == id {
		t.Fatalf("two ceremonies have the same id")
	}
}

func TestFinishUnknownCeremony(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil)
	w := newTestWebAuthn(t)
	key := newSoftKey(t, testOrigin)
	opts, id, err := w.BeginRegistration(ctx, st, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	body := key.create(opts)
	cases := []struct {
		name, user, id string
	}{
		{"empty id", "alice", ""},
		{"malformed id", "alice", "../../etc"},
		{"unknown id", "alice", b64u.EncodeToString(make([]byte, 32))},
		{"other user's ceremony", "bob", id}, // uses it up
		{"used ceremony", "alice", id},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.FinishRegistration(ctx, st, tc.user, tc.id, nil, body)
			if !errors.Is(err, ErrUnknownCeremony) {
				t.Fatalf("FinishRegistration = %v, want ErrUnknownCeremony", err)
			}
		})
	}
	// A registration ceremony cannot be finished as a login.
	_, id, _ = w.BeginRegistration(ctx, st, "alice", nil)
	if _, err := w.FinishLogin(ctx, st, "alice", id, []webauthn.Credential{{ID: []byte{1}}}, body); !errors.Is(err, ErrUnknownCeremony) {
		t.Fatalf("FinishLogin of a registration = %v, want ErrUnknownCeremony", err)
	}
}

func TestCeremonyExpires(t *testing.T) {
	ctx := context.Background()
	clk := &clock{}
	clk.t = clk.t.AddDate(2026, 0, 0)
	st := newStore(t, clk)
	w := newTestWebAuthn(t)
	key := newSoftKey(t, testOrigin)
	opts, id, err := w.BeginRegistration(ctx, st, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(ceremonyLifetime)
	if _, err := w.FinishRegistration(ctx, st, "alice", id, nil, key.create(opts)); !errors.Is(err, ErrUnknownCeremony) {
		t.Fatalf("FinishRegistration after 5 minutes = %v, want ErrUnknownCeremony", err)
	}
}

// TestFullCeremony registers a software key and signs in with it, as a browser would.
func TestFullCeremony(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil)
	w := newTestWebAuthn(t)
	key := newSoftKey(t, testOrigin)

	opts, id, err := w.BeginRegistration(ctx, st, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := w.FinishRegistration(ctx, st, "alice", id, nil, key.create(opts))
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	// The credential survives the sealed record (its JSON form) intact.
	sealer, _ := NewSealer([]byte("a gateway secret of at least 32 characters"))
	factors := NewFactors(st, sealer)
	if err := factors.Save(ctx, "alice", &Record{Credentials: []webauthn.Credential{*cred}}); err != nil {
		t.Fatal(err)
	}
	rec, err := factors.Load(ctx, "alice")
	if err != nil || len(rec.Credentials) != 1 {
		t.Fatalf("Load = %+v, %v", rec, err)
	}
	creds := rec.Credentials

	// Registering the same key again is refused.
	opts, id, _ = w.BeginRegistration(ctx, st, "alice", creds)
	if _, err := w.FinishRegistration(ctx, st, "alice", id, creds, key.create(opts)); !errors.Is(err, ErrCredentialExists) {
		t.Fatalf("second registration of the same key = %v, want ErrCredentialExists", err)
	}

	sum := sha256.Sum256([]byte("alice"))
	for i := range 2 {
		opts, id, err := w.BeginLogin(ctx, st, "alice", creds)
		if err != nil {
			t.Fatal(err)
		}
		updated, err := w.FinishLogin(ctx, st, "alice", id, creds, key.get(opts, sum[:]))
		if err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
		if updated.Authenticator.SignCount != key.signCount {
			t.Fatalf("sign count %d, want %d", updated.Authenticator.SignCount, key.signCount)
		}
		rec := &Record{Credentials: creds}
		if !rec.UpdateCredential(*updated) {
			t.Fatal("UpdateCredential: not found")
		}
		creds = rec.Credentials
	}

	t.Run("replayed assertion", func(t *testing.T) {
		opts, id, _ := w.BeginLogin(ctx, st, "alice", creds)
		body := key.get(opts, nil)
		if _, err := w.FinishLogin(ctx, st, "alice", id, creds, body); err != nil {
			t.Fatalf("login: %v", err)
		}
		if _, err := w.FinishLogin(ctx, st, "alice", id, creds, body); !errors.Is(err, ErrUnknownCeremony) {
			t.Fatalf("replay = %v, want ErrUnknownCeremony", err)
		}
	})
	t.Run("refused assertions", func(t *testing.T) {
		evil := *key
		evil.origin = "https://evil.example"
		bob := sha256.Sum256([]byte("bob"))
		stranger := newSoftKey(t, testOrigin)
		cases := []struct {
			name    string
			answer  func(opts []byte) []byte
			wantErr string // go-webauthn's reason, to be sure it is refused for the right one
		}{
			{"another ceremony's challenge", func([]byte) []byte {
				other, _, _ := w.BeginLogin(ctx, st, "alice", creds)
				return key.get(other, nil)
			}, "challenge"},
			{"other origin", func(o []byte) []byte { return evil.get(o, nil) }, "origin"},
			{"other user's handle", func(o []byte) []byte { return key.get(o, bob[:]) }, "User handle"},
			{"unregistered key", func(o []byte) []byte { return stranger.get(o, nil) }, "not owned"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				opts, id, _ := w.BeginLogin(ctx, st, "alice", creds)
				_, err := w.FinishLogin(ctx, st, "alice", id, creds, tc.answer(opts))
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("FinishLogin = %v, want an error about %s", err, tc.wantErr)
				}
			})
		}
	})
	t.Run("sign count went backwards", func(t *testing.T) {
		clone := *key
		clone.signCount = 0 // a copy of the key that was not used since registration
		opts, id, _ := w.BeginLogin(ctx, st, "alice", creds)
		if _, err := w.FinishLogin(ctx, st, "alice", id, creds, clone.get(opts, nil)); !errors.Is(err, ErrCloneWarning) {
			t.Fatalf("FinishLogin = %v, want ErrCloneWarning", err)
		}
	})
	t.Run("garbage body", func(t *testing.T) {
		_, id, _ := w.BeginLogin(ctx, st, "alice", creds)
		if _, err := w.FinishLogin(ctx, st, "alice", id, creds, []byte("{")); err == nil {
			t.Fatalf("garbage accepted")
		}
	})
}

func TestBeginLoginWithoutCredentials(t *testing.T) {
	st := newStore(t, nil)
	w := newTestWebAuthn(t)
	if _, _, err := w.BeginLogin(context.Background(), st, "alice", nil); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("BeginLogin without credentials = %v, want ErrNoCredentials", err)
	}
}
