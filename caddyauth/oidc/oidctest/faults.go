package oidctest

import (
	"fmt"
	"time"
)

// Fault is one way the server misbehaves when it mints a token.
type Fault string

// Faults of ID tokens (SetFault) and of logout tokens (LogoutToken); FaultLogout* apply to
// logout tokens only, FaultMissingNonce, FaultWrongNonce, FaultWrongAZP,
// FaultKIDAbsentMultiple, FaultKIDAbsentSingle and FaultEmailUnverified to ID tokens only.
const (
	FaultNone            Fault = ""
	FaultWrongIssuer     Fault = "wrong-iss"   // iss is the issuer with "/wrong" appended
	FaultWrongAudience   Fault = "wrong-aud"   // aud is another client
	FaultMissingAudience Fault = "missing-aud" // no aud claim
	FaultBadSignature    Fault = "bad-sig"     // signature bytes corrupted
	FaultAlgNone         Fault = "alg-none"    // unsigned token, alg none
	// FaultHS256PublicKey signs with HMAC-SHA256 keyed with the signing key's public key as
	// PEM (PKIX "PUBLIC KEY"), keeping its kid: the classic algorithm confusion.
	FaultHS256PublicKey Fault = "hs256-pubkey"
	FaultExpired        Fault = "expired"       // exp an hour ago (iat two hours ago)
	FaultIssuedInFuture Fault = "iat-future"    // iat in an hour (exp in two)
	FaultMissingIAT     Fault = "missing-iat"   // no iat claim
	FaultMissingNonce   Fault = "missing-nonce" // no nonce although the request had one
	FaultWrongNonce     Fault = "wrong-nonce"   // a nonce other than the request's
	FaultMissingSub     Fault = "missing-sub"   // no sub claim
	FaultWrongAZP       Fault = "wrong-azp"     // aud has two entries and azp is the other client
	FaultUnknownKID     Fault = "unknown-kid"   // signed by a key never published in the JWKS
	// FaultKIDAbsentMultiple omits the kid header while the JWKS serves two keys (set it
	// before the relying party fetches the JWKS).
	FaultKIDAbsentMultiple Fault = "kid-absent-multiple"
	// FaultKIDAbsentSingle omits the kid header while the JWKS serves one key: a valid
	// token that a relying party must accept.
	FaultKIDAbsentSingle  Fault = "kid-absent-single"
	FaultEmailUnverified  Fault = "email-unverified" // email_verified false (ID token and userinfo)
	FaultLogoutNoEvent    Fault = "lt-no-event"      // logout token without the events claim
	FaultLogoutWithNonce  Fault = "lt-with-nonce"    // logout token with a nonce claim
	FaultLogoutWrongEvent Fault = "lt-wrong-event"   // events holds another event, not back-channel logout
)

// OtherClient is the client id FaultWrongAudience and FaultWrongAZP put in tokens.
const OtherClient = "some-other-client"

// BackChannelLogoutEvent is the event a logout token's events claim must hold.
const BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// Faults that apply to both token kinds.
var commonFaults = map[Fault]bool{
	FaultWrongIssuer: true, FaultWrongAudience: true, FaultMissingAudience: true,
	FaultBadSignature: true, FaultAlgNone: true, FaultHS256PublicKey: true,
	FaultExpired: true, FaultIssuedInFuture: true, FaultMissingIAT: true,
	FaultMissingSub: true, FaultUnknownKID: true,
}

// idTokenOnly and logoutOnly are the faults specific to one token kind.
var (
	idTokenOnly = map[Fault]bool{
		FaultMissingNonce: true, FaultWrongNonce: true, FaultWrongAZP: true,
		FaultKIDAbsentMultiple: true, FaultKIDAbsentSingle: true, FaultEmailUnverified: true,
	}
	logoutOnly = map[Fault]bool{
		FaultLogoutNoEvent: true, FaultLogoutWithNonce: true, FaultLogoutWrongEvent: true,
	}
)

// SetFault makes every ID token minted from now on misbehave as f, until SetFault(FaultNone).
// A fault that does not apply to ID tokens fails the test.
func (s *Server) SetFault(f Fault) {
	if f != FaultNone && !commonFaults[f] && !idTokenOnly[f] {
		s.t.Errorf("oidctest: SetFault(%q): not an ID token fault", f)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// applyClaimFault changes claims as f asks; signature faults are applied when signing.
func applyClaimFault(c map[string]any, f Fault, now time.Time) {
	switch f {
	case FaultWrongIssuer:
		c["iss"] = fmt.Sprint(c["iss"]) + "/wrong"
	case FaultWrongAudience:
		c["aud"] = OtherClient
	case FaultMissingAudience:
		delete(c, "aud")
	case FaultExpired:
		c["iat"] = now.Add(-2 * time.Hour).Unix()
		c["exp"] = now.Add(-time.Hour).Unix()
		if _, ok := c["auth_time"]; ok {
			c["auth_time"] = now.Add(-2 * time.Hour).Unix()
		}
	case FaultIssuedInFuture:
		c["iat"] = now.Add(time.Hour).Unix()
		c["exp"] = now.Add(2 * time.Hour).Unix()
	case FaultMissingIAT:
		delete(c, "iat")
	case FaultMissingNonce:
		delete(c, "nonce")
	case FaultWrongNonce:
		c["nonce"] = "wrong-" + randomString()
	case FaultMissingSub:
		delete(c, "sub")
	case FaultWrongAZP:
		c["aud"] = []string{fmt.Sprint(c["aud"]), OtherClient}
		c["azp"] = OtherClient
	case FaultEmailUnverified:
		c["email_verified"] = false
	case FaultLogoutNoEvent:
		delete(c, "events")
	case FaultLogoutWithNonce:
		c["nonce"] = randomString()
	case FaultLogoutWrongEvent:
		c["events"] = map[string]any{"http://schemas.openid.net/event/other": map[string]any{}}
	}
}
