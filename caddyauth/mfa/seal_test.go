package mfa

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealer(t *testing.T) {
	secret := []byte("a gateway secret of at least 32 characters")
	s, err := NewSealer(secret)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewSealer([]byte("another gateway secret, 32+ characters long"))
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`{"totp":{"secret":"JBSWY3DPEHPK3PXP"}}`)
	sealed, err := s.Seal(plain, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain[10:30]) {
		t.Fatalf("sealed data contains the plaintext")
	}
	again, _ := s.Seal(plain, "alice")
	if bytes.Equal(sealed, again) {
		t.Fatalf("two seals of the same plaintext are equal (nonce reused)")
	}
	flipped := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	cases := []struct {
		name   string
		sealer *Sealer
		data   []byte
		aad    string
		ok     bool
	}{
		{"round trip", s, sealed, "alice", true},
		{"flipped nonce byte", s, flipped(0), "alice", false},
		{"flipped ciphertext byte", s, flipped(15), "alice", false},
		{"flipped tag byte", s, flipped(len(sealed) - 1), "alice", false},
		{"truncated", s, sealed[:len(sealed)-1], "alice", false},
		{"too short", s, sealed[:20], "alice", false},
		{"empty", s, nil, "alice", false},
		{"wrong aad", s, sealed, "bob", false},
		{"other secret", other, sealed, "alice", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.sealer.Open(tc.data, tc.aad)
			if tc.ok {
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("Open = %q, %v", got, err)
				}
				return
			}
			if !errors.Is(err, ErrUnseal) || got != nil {
				t.Fatalf("Open = %q, %v; want ErrUnseal", got, err)
			}
		})
	}
}

func TestNewSealer(t *testing.T) {
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatalf("NewSealer accepted a 5-byte secret")
	}
	a, _ := NewSealer([]byte("a gateway secret of at least 32 characters"))
	b, _ := NewSealer([]byte("a gateway secret of at least 32 characters"))
	c, _ := NewSealer([]byte("another gateway secret, 32+ characters long"))
	if !bytes.Equal(a.BackupKey(), b.BackupKey()) || len(a.BackupKey()) != 32 {
		t.Fatalf("backup key is not derived deterministically")
	}
	if bytes.Equal(a.BackupKey(), c.BackupKey()) {
		t.Fatalf("different secrets give the same backup key")
	}
	// The same secret opens across instances (several Caddy instances share the store).
	sealed, _ := a.Seal([]byte("x"), "u")
	if got, err := b.Open(sealed, "u"); err != nil || string(got) != "x" {
		t.Fatalf("another sealer with the same secret: %q, %v", got, err)
	}
	k := a.BackupKey()
	k[0] ^= 1
	if bytes.Equal(k, a.BackupKey()) {
		t.Fatalf("BackupKey returns the sealer's own slice")
	}
}
