package mfa

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// ceremonyLifetime is how long a begun WebAuthn ceremony can be finished (the browser's
// own timeout in the options is the same 5 minutes).
const ceremonyLifetime = 5 * time.Minute

// ceremonyIDLen is the length of a ceremony id: 32 random bytes in base64url.
const ceremonyIDLen = 43

// Kinds of ceremony, so that a registration cannot be finished as a login or vice versa.
const (
	kindRegister = "register"
	kindLogin    = "login"
)

// ceremony is what the store keeps between Begin and Finish.
type ceremony struct {
	Kind    string               `json:"k"`
	User    string               `json:"u"`
	Session webauthn.SessionData `json:"s"`
}

// beginCeremony marshals options, saves the ceremony under a new random id and returns both.
func beginCeremony(ctx context.Context, st store.Store, kind, user string, options any, session *webauthn.SessionData) ([]byte, string, error) {
	optionsJSON, err := json.Marshal(options)
	if err != nil {
		return nil, "", fmt.Errorf("encoding webauthn options: %w", err)
	}
	raw, err := json.Marshal(ceremony{Kind: kind, User: user, Session: *session})
	if err != nil {
		return nil, "", fmt.Errorf("encoding webauthn ceremony: %w", err)
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	id := base64.RawURLEncoding.EncodeToString(b[:])
	if err := st.Set(ctx, ceremonyKey(id), raw, ceremonyLifetime); err != nil {
		return nil, "", fmt.Errorf("saving webauthn ceremony: %w", err)
	}
	return optionsJSON, id, nil
}

// takeCeremony takes (uses up) the ceremony id and returns its session data when it is of
// kind and user; ErrUnknownCeremony otherwise. Store errors are returned as they are wrapped.
func takeCeremony(ctx context.Context, st store.Store, id, kind, user string) (webauthn.SessionData, error) {
	if !validCeremonyID(id) {
		return webauthn.SessionData{}, ErrUnknownCeremony
	}
	raw, err := st.Take(ctx, ceremonyKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return webauthn.SessionData{}, ErrUnknownCeremony
	}
	if err != nil {
		return webauthn.SessionData{}, fmt.Errorf("reading webauthn ceremony: %w", err)
	}
	var c ceremony
	if err := json.Unmarshal(raw, &c); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("decoding webauthn ceremony: %w", err)
	}
	if c.Kind != kind || c.User != user {
		return webauthn.SessionData{}, ErrUnknownCeremony
	}
	return c.Session, nil
}

// validCeremonyID tells whether id has the form of a ceremony id.
func validCeremonyID(id string) bool {
	if len(id) != ceremonyIDLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(id)
	return err == nil
}

// ceremonyKey is the store key of ceremony id.
func ceremonyKey(id string) string { return "webauthn:" + id }
