package oidctest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// logoutTokenLifetime is the exp of logout tokens after their iat.
const logoutTokenLifetime = 2 * time.Minute

// EndSession is one RP-initiated logout request received at /end-session.
type EndSession struct {
	IDTokenHint           string // the id_token_hint parameter
	PostLogoutRedirectURI string // the post_logout_redirect_uri parameter
	ClientID              string // the client_id parameter, else the aud of the id_token_hint
}

// LogoutToken returns an OpenID Connect Back-Channel Logout 1.0 logout token for sub and/or
// sid (empty ones are omitted) addressed to aud, signed like ID tokens (header typ
// "logout+jwt"), with f applied: FaultNone, a fault common to ID tokens (wrong-iss, wrong-aud,
// missing-aud, bad-sig, alg-none, hs256-pubkey, expired, iat-future, missing-iat,
// missing-sub, unknown-kid) or a FaultLogout* one. Other faults fail the test. Its claims
// are iss, aud, iat, exp (iat + 2 min), jti (random), events, sub, sid; never nonce.
func (s *Server) LogoutToken(aud, sub, sid string, f Fault) string {
	if f != FaultNone && !commonFaults[f] && !logoutOnly[f] {
		s.t.Errorf("oidctest: LogoutToken: %q is not a logout token fault", f)
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	c := map[string]any{
		"iss":    s.Issuer(),
		"aud":    aud,
		"iat":    now.Unix(),
		"exp":    now.Add(logoutTokenLifetime).Unix(),
		"jti":    randomString(),
		"events": map[string]any{BackChannelLogoutEvent: map[string]any{}},
	}
	if sub != "" {
		c["sub"] = sub
	}
	if sid != "" {
		c["sid"] = sid
	}
	applyClaimFault(c, f, now)
	token, err := s.mintLocked("logout+jwt", c, f)
	if err != nil {
		s.t.Errorf("oidctest: LogoutToken: %v", err)
	}
	return token
}

// EndSessions returns the RP-initiated logout requests received so far, oldest first.
func (s *Server) EndSessions() []EndSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]EndSession(nil), s.endSessions...)
}

// serveEndSession records an RP-initiated logout and redirects to post_logout_redirect_uri
// (with state when given), or shows a "signed out" page when there is none.
func (s *Server) serveEndSession(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	es := EndSession{
		IDTokenHint:           r.Form.Get("id_token_hint"),
		PostLogoutRedirectURI: r.Form.Get("post_logout_redirect_uri"),
		ClientID:              r.Form.Get("client_id"),
	}
	if es.ClientID == "" {
		es.ClientID = audienceOf(es.IDTokenHint)
	}
	s.mu.Lock()
	s.endSessions = append(s.endSessions, es)
	s.mu.Unlock()
	if es.PostLogoutRedirectURI == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "You are signed out of the test identity provider.")
		return
	}
	params := map[string][]string{}
	if state := r.Form.Get("state"); state != "" {
		params["state"] = []string{state}
	}
	target, err := withQuery(es.PostLogoutRedirectURI, params)
	if err != nil {
		http.Error(w, "bad post_logout_redirect_uri", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// audienceOf returns the first aud of a JWT without verifying it, or "".
func audienceOf(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Aud json.RawMessage `json:"aud"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(c.Aud, &many) == nil && len(many) > 0 {
		return many[0]
	}
	return ""
}
