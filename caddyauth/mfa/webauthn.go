package mfa

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// defaultRPName is the relying party's display name when none is configured.
const defaultRPName = "Gatehouse"

// Errors of the WebAuthn ceremonies.
var (
	// ErrUnknownCeremony: no ceremony has this id for this user and kind (never begun,
	// already finished, or expired).
	ErrUnknownCeremony = errors.New("unknown or used webauthn ceremony")
	// ErrCloneWarning: the security key's signature counter did not advance, a sign that
	// the key may have been cloned. The sign-in is refused.
	ErrCloneWarning = errors.New("security key signature counter did not advance (possible clone)")
	// ErrCredentialExists: the registered credential is already one of the user's.
	ErrCredentialExists = errors.New("security key already registered")
	// ErrNoCredentials: a login was begun for a user without security keys.
	ErrNoCredentials = errors.New("no security keys registered")
)

// WebAuthn runs registration and login ceremonies of security keys and passkeys as a second
// factor (go-webauthn underneath). It asks for user verification "preferred", attestation
// "none" and a discoverable credential "preferred" (passkeys). It is safe for concurrent use.
type WebAuthn struct {
	wa *webauthn.WebAuthn
}

// NewWebAuthn returns a WebAuthn for the relying party rpID (a domain, e.g. "example.com"),
// shown as displayName (default "Gatehouse"), accepting responses from origins (e.g.
// "https://auth.example.com"; at least one).
func NewWebAuthn(rpID, displayName string, origins []string) (*WebAuthn, error) {
	if rpID == "" {
		return nil, errors.New("webauthn: rp_id is required")
	}
	if len(origins) == 0 {
		return nil, errors.New("webauthn: at least one origin is required")
	}
	if displayName == "" {
		displayName = defaultRPName
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  rpID,
		RPDisplayName:         displayName,
		RPOrigins:             append([]string(nil), origins...),
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementPreferred,
			RequireResidentKey: protocol.ResidentKeyNotRequired(),
			UserVerification:   protocol.VerificationPreferred,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return &WebAuthn{wa: wa}, nil
}

// BeginRegistration starts registering a new security key or passkey for user, excluding
// the ones in existing. It returns the options for navigator.credentials.create (the JSON
// of protocol.CredentialCreation; binary fields are base64url) and the id of the ceremony
// to pass to FinishRegistration within 5 minutes.
func (w *WebAuthn) BeginRegistration(ctx context.Context, st store.Store, user string, existing []webauthn.Credential) (optionsJSON []byte, ceremonyID string, err error) {
	if user == "" {
		return nil, "", errors.New("webauthn registration: empty user")
	}
	creation, session, err := w.wa.BeginRegistration(newWebUser(user, existing),
		webauthn.WithExclusions(webauthn.Credentials(existing).CredentialDescriptors()))
	if err != nil {
		return nil, "", fmt.Errorf("beginning webauthn registration: %w", err)
	}
	return beginCeremony(ctx, st, kindRegister, user, creation, session)
}

// FinishRegistration checks the browser's response body (the PublicKeyCredential as JSON,
// binary fields base64url) against the ceremony ceremonyID, which is used up whatever the
// outcome, and returns the new credential to add to the user's record. existing must be
// the user's credentials as at BeginRegistration.
func (w *WebAuthn) FinishRegistration(ctx context.Context, st store.Store, user, ceremonyID string, existing []webauthn.Credential, body []byte) (*webauthn.Credential, error) {
	session, err := takeCeremony(ctx, st, ceremonyID, kindRegister, user)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return nil, fmt.Errorf("parsing webauthn registration: %w", err)
	}
	cred, err := w.wa.CreateCredential(newWebUser(user, existing), session, parsed)
	if err != nil {
		return nil, fmt.Errorf("verifying webauthn registration: %w", err)
	}
	for _, c := range existing {
		if bytes.Equal(c.ID, cred.ID) {
			return nil, ErrCredentialExists
		}
	}
	return cred, nil
}

// BeginLogin starts a second-factor sign-in of user with one of creds. It returns the
// options for navigator.credentials.get (the JSON of protocol.CredentialAssertion) and the
// id of the ceremony to pass to FinishLogin within 5 minutes.
func (w *WebAuthn) BeginLogin(ctx context.Context, st store.Store, user string, creds []webauthn.Credential) (optionsJSON []byte, ceremonyID string, err error) {
	if len(creds) == 0 {
		return nil, "", ErrNoCredentials
	}
	assertion, session, err := w.wa.BeginLogin(newWebUser(user, creds))
	if err != nil {
		return nil, "", fmt.Errorf("beginning webauthn login: %w", err)
	}
	return beginCeremony(ctx, st, kindLogin, user, assertion, session)
}

// FinishLogin checks the browser's assertion body against the ceremony ceremonyID (used up
// whatever the outcome) and user's creds. It returns the credential used, with its new sign
// count and flags, to write back with Record.UpdateCredential. A signature counter that did
// not advance is ErrCloneWarning.
func (w *WebAuthn) FinishLogin(ctx context.Context, st store.Store, user, ceremonyID string, creds []webauthn.Credential, body []byte) (updated *webauthn.Credential, err error) {
	session, err := takeCeremony(ctx, st, ceremonyID, kindLogin, user)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return nil, fmt.Errorf("parsing webauthn login: %w", err)
	}
	cred, err := w.wa.ValidateLogin(newWebUser(user, creds), session, parsed)
	if err != nil {
		return nil, fmt.Errorf("verifying webauthn login: %w", err)
	}
	if cred.Authenticator.CloneWarning {
		return nil, ErrCloneWarning
	}
	return cred, nil
}

// webUser adapts a Gatehouse user to go-webauthn. Its handle is SHA-256 of the user name:
// stable, 32 bytes, and not the name itself.
type webUser struct {
	name  string
	id    []byte
	creds []webauthn.Credential
}

func newWebUser(name string, creds []webauthn.Credential) webUser {
	sum := sha256.Sum256([]byte(name))
	return webUser{name: name, id: sum[:], creds: creds}
}

// WebAuthnID returns the user handle.
func (u webUser) WebAuthnID() []byte { return u.id }

// WebAuthnName returns the user name.
func (u webUser) WebAuthnName() string { return u.name }

// WebAuthnDisplayName returns the user name.
func (u webUser) WebAuthnDisplayName() string { return u.name }

// WebAuthnCredentials returns the user's credentials.
func (u webUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// Interface guards
var _ webauthn.User = webUser{}
