// Package session keeps signed-in sessions: random tokens in a cookie, records in a Store
// under the token's hash, absolute and idle expiry, and deletion at sign-out.
package session

import (
	"sync/atomic"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// Session is one signed-in browser (or client): who it is and its clock.
type Session struct {
	identity.Identity
	// Created is when the session began (sign-in).
	Created time.Time `json:"created"`
	// Expires is the absolute end of the session, whatever the activity.
	Expires time.Time `json:"expires"`
	// Device is a short description of the client (its User-Agent, truncated).
	Device string `json:"device,omitempty"`
	// Upstream is what the identity provider said about the sign-in, for logout; nil for
	// local accounts.
	Upstream *Upstream `json:"up,omitempty"`

	memo atomic.Pointer[any]
}

// Upstream identifies a session at its identity provider.
type Upstream struct {
	// Subject is the provider's user id (sub).
	Subject string `json:"sub,omitempty"`
	// SID is the provider's session id (the ID token's sid), for back-channel logout.
	SID string `json:"sid,omitempty"`
	// IDToken is the raw ID token, sent as id_token_hint at RP-initiated logout.
	IDToken string `json:"idt,omitempty"`
}

// Active is a session found by Lookup. Session is shared by concurrent requests and must
// not be modified.
type Active struct {
	*Session
	// Key is the session's store key (a hash of its token), safe to keep and log-free.
	Key string
	// LastSeen is when the session was last used, to the touch granularity.
	LastSeen time.Time
	// Deadline is when the session ends if it is not used again: the earlier of the idle
	// limit after LastSeen and the absolute expiry.
	Deadline time.Time
}

// Memo returns the value last given to SetMemo for this decoded session, or nil. Callers
// use it to keep per-session values derived on the request path (resolved roles, header
// values) so that a signed-in request does not recompute them; Lookup hands out the same
// *Session for as long as the stored record is unchanged.
func (s *Session) Memo() any {
	if p := s.memo.Load(); p != nil {
		return *p
	}
	return nil
}

// SetMemo keeps v with this decoded session (see Memo). Safe for concurrent use.
func (s *Session) SetMemo(v any) { s.memo.Store(&v) }
