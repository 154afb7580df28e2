// Package identity holds the Identity type: who a signed-in person is, as every other
// Gatehouse package sees them.
package identity

import (
	"strings"
	"time"
)

// Identity is a signed-in person: what a session carries and what the upstream is told.
type Identity struct {
	// User is the canonical user name (for local accounts, lower case).
	User string `json:"user"`
	// Email is the user's email address; empty when unknown.
	Email string `json:"email,omitempty"`
	// EmailVerified tells whether Email may be trusted by `email` rules.
	EmailVerified bool `json:"email_verified,omitempty"`
	// Name is the display name; empty when unknown.
	Name string `json:"name,omitempty"`
	// Groups are the groups the user belongs to, as given by the identity source.
	Groups []string `json:"groups,omitempty"`
	// Roles are the roles given directly by the identity source (the users file, a provider
	// claim). Roles granted by the app's role declarations are computed per request and are
	// not stored here.
	Roles []string `json:"roles,omitempty"`
	// Provider names the identity source: "local" for the users file, else a provider name.
	Provider string `json:"provider"`
	// AMR lists the authentication methods done in this session ("pwd", "otp", "hwk", ...).
	AMR []string `json:"amr,omitempty"`
	// MFATime is when the last second factor was done; zero when none.
	MFATime time.Time `json:"mfa_time,omitzero"`
}

// ProviderLocal is the Provider of identities from the local users file.
const ProviderLocal = "local"

// CanonicalUser returns the canonical form of a user name: trimmed and lower case, so that
// "Alice" and "alice " are one account and one rate-limit key.
func CanonicalUser(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// MFAString returns MFATime as RFC 3339 in UTC, or "" when no second factor was done.
func (id *Identity) MFAString() string {
	if id.MFATime.IsZero() {
		return ""
	}
	return id.MFATime.UTC().Format(time.RFC3339)
}
