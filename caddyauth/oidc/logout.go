package oidc

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// backChannelLogoutEvent is the member of a logout token's events claim that makes it
// one (OpenID Connect Back-Channel Logout 1.0 §2.4).
const backChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// EndSessionURL returns the RP-initiated logout URL (OpenID Connect RP-Initiated
// Logout 1.0): the configured or discovered end_session_endpoint with id_token_hint,
// post_logout_redirect_uri and client_id. It returns "" when the provider has none, or
// while it has not been discovered (it does no network I/O).
func (p *oidcProvider) EndSessionURL(_ context.Context, idToken, postLogout string) string {
	endpoint := p.cfg.EndSessionURL
	if endpoint == "" {
		eps := p.disc.current()
		if eps == nil {
			return ""
		}
		endpoint = eps.endSessionURL
	}
	if endpoint == "" {
		return ""
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	if postLogout != "" {
		q.Set("post_logout_redirect_uri", postLogout)
	}
	q.Set("client_id", p.cfg.ClientID)
	u.RawQuery = q.Encode()
	return u.String()
}

// logoutTokenTyp accepts a logout token's typ header: absent, "logout+jwt" (with or
// without the "application/" prefix) or "JWT".
func logoutTokenTyp(typ string) bool {
	switch strings.TrimPrefix(strings.ToLower(typ), "application/") {
	case "", "logout+jwt", "jwt":
		return true
	}
	return false
}

// VerifyLogoutToken checks a logout token as OpenID Connect Back-Channel Logout 1.0
// §2.6 requires: signature by the provider's keys with an allowed algorithm, typ, iss,
// aud contains the client id, iat, exp when present, jti, an events object with the
// back-channel logout member (itself an object), sub or sid, and no nonce. It returns
// the sub and sid (at least one is set). Replays (the same jti twice) are for the
// caller to refuse.
func (p *oidcProvider) VerifyLogoutToken(ctx context.Context, token string) (sub, sid string, err error) {
	eps, err := p.disc.get(ctx)
	if err != nil {
		return "", "", err
	}
	c, err := verifySigned(ctx, kindLogoutToken, token, p.algs, eps.keys, logoutTokenTyp)
	if err != nil {
		return "", "", fmt.Errorf("provider %q: %w", p.cfg.Name, err)
	}
	if err := p.checks(eps, kindLogoutToken).checkLogoutToken(c); err != nil {
		return "", "", fmt.Errorf("provider %q: %w", p.cfg.Name, err)
	}
	sub, _ = c.str("sub")
	sid, _ = c.str("sid")
	return sub, sid, nil
}

// MaxLogoutTokenAge is the oldest logout token accepted (by its iat).
const MaxLogoutTokenAge = 10 * time.Minute

// checkLogoutToken runs the claim checks of a logout token.
func (t tokenChecks) checkLogoutToken(c claims) error {
	if err := t.common(c, false); err != nil {
		return err
	}
	if jti, ok := c.str("jti"); !ok || jti == "" {
		return tokenError(t.kind, "jti", "missing")
	}
	// A logout token is sent once, right away: an old one (even without exp) is refused,
	// so the caller's replay memory (longer than this) covers every acceptable token.
	if iat, _ := c.numericDate("iat"); t.now.Sub(iat) > MaxLogoutTokenAge {
		return tokenError(t.kind, "iat", "too old for a logout token")
	}
	events, ok := c.object("events")
	if !ok {
		return tokenError(t.kind, "events", "missing or not an object")
	}
	if _, ok := events[backChannelLogoutEvent].(map[string]any); !ok {
		return tokenError(t.kind, "events", "no back-channel logout event")
	}
	if c.has("nonce") {
		return tokenError(t.kind, "nonce", "a logout token must not have a nonce")
	}
	sub, subOK := c.str("sub")
	sid, sidOK := c.str("sid")
	if c.has("sub") && (!subOK || sub == "") {
		return tokenError(t.kind, "sub", "not a non-empty string")
	}
	if c.has("sid") && (!sidOK || sid == "") {
		return tokenError(t.kind, "sid", "not a non-empty string")
	}
	if sub == "" && sid == "" {
		return tokenError(t.kind, "sid", "neither sub nor sid is present")
	}
	return nil
}
