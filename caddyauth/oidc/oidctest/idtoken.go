package oidctest

import (
	"maps"
	"time"
)

// userClaims returns the claims about u shared by ID tokens and userinfo, Extra last.
func userClaims(u User) map[string]any {
	c := map[string]any{"sub": u.Subject, "email_verified": u.EmailVerified}
	if u.Email != "" {
		c["email"] = u.Email
	}
	if u.Name != "" {
		c["name"] = u.Name
	}
	if u.PreferredUsername != "" {
		c["preferred_username"] = u.PreferredUsername
	}
	if len(u.Groups) > 0 {
		c["groups"] = u.Groups
	}
	maps.Copy(c, u.Extra)
	return c
}

// idTokenLocked mints the ID token for a redeemed code, with the current fault.
func (s *Server) idTokenLocked(g *grant, now time.Time) (string, error) {
	c := userClaims(g.user)
	c["iss"] = s.Issuer()
	c["aud"] = g.clientID
	c["iat"] = now.Unix()
	c["exp"] = now.Add(accessTokenLifetime).Unix()
	c["auth_time"] = g.authTime.Unix()
	c["sid"] = s.sidLocked(g.user.Subject)
	if g.nonce != "" {
		c["nonce"] = g.nonce
	}
	applyClaimFault(c, s.fault, now)
	return s.mintLocked("JWT", c, s.fault)
}
