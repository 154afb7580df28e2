package oidctest

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"time"
)

// accessTokenLifetime is the expires_in of access tokens and the lifetime of ID tokens.
const accessTokenLifetime = time.Hour

// session is what an access or refresh token stands for.
type session struct {
	clientID string
	user     User // as signed in, with FaultEmailUnverified applied when it was minted
	scope    string
	expires  time.Time // zero for refresh tokens (they do not expire)
}

// tokenError is an RFC 6749 error response of /token.
type tokenError struct {
	status      int
	code        string
	description string
}

// serveToken answers /token for grant_type authorization_code and refresh_token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenCalls++
	var (
		body map[string]any
		terr *tokenError
	)
	clientID, ok := s.authenticateLocked(r)
	switch {
	case !ok:
		w.Header().Set("WWW-Authenticate", `Basic realm="oidctest"`)
		terr = &tokenError{http.StatusUnauthorized, "invalid_client", "client authentication failed"}
	case r.PostForm.Get("grant_type") == "authorization_code":
		body, terr = s.redeemCodeLocked(clientID, r.PostForm)
	case r.PostForm.Get("grant_type") == "refresh_token":
		s.refreshCalls++
		body, terr = s.refreshLocked(clientID, r.PostForm)
	default:
		terr = &tokenError{http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"}
	}
	w.Header().Set("Cache-Control", "no-store")
	if terr != nil {
		writeJSON(w, terr.status, map[string]string{"error": terr.code, "error_description": terr.description})
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// authenticateLocked checks client_secret_basic (preferred when the header is present) or
// client_secret_post and returns the client id.
func (s *Server) authenticateLocked(r *http.Request) (string, bool) {
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return "", false
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	c, ok := s.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return "", false
	}
	return id, true
}

// redeemCodeLocked trades a code for tokens. The code is spent on its first presentation,
// whatever the outcome.
func (s *Server) redeemCodeLocked(clientID string, form url.Values) (map[string]any, *tokenError) {
	code := form.Get("code")
	g, ok := s.codes[code]
	delete(s.codes, code)
	now := s.now()
	switch {
	case !ok:
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "unknown or already used code"}
	case !now.Before(g.expires):
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "code expired"}
	case g.clientID != clientID:
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "code was issued to another client"}
	case g.redirectURI != form.Get("redirect_uri"):
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request"}
	case !pkceMatches(form.Get("code_verifier"), g.challenge):
		s.pkceFailures++
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge"}
	}
	user := g.user
	if s.fault == FaultEmailUnverified {
		user.EmailVerified = false
	}
	idToken, err := s.idTokenLocked(g, now)
	if err != nil {
		return nil, &tokenError{http.StatusInternalServerError, "server_error", err.Error()}
	}
	body := s.issueLocked(&session{clientID: clientID, user: user, scope: g.scope}, now)
	body["id_token"] = idToken
	return body, nil
}

// refreshLocked trades a refresh token for a new access token and a new refresh token
// (the old one is spent).
func (s *Server) refreshLocked(clientID string, form url.Values) (map[string]any, *tokenError) {
	token := form.Get("refresh_token")
	old, ok := s.refreshTokens[token]
	if !ok || old.clientID != clientID {
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "unknown, spent or foreign refresh token"}
	}
	delete(s.refreshTokens, token)
	return s.issueLocked(old, s.now()), nil
}

// issueLocked stores a new access token and refresh token for sess and returns the token
// response without id_token.
func (s *Server) issueLocked(sess *session, now time.Time) map[string]any {
	access := *sess
	access.expires = now.Add(accessTokenLifetime)
	refresh := *sess
	refresh.expires = time.Time{}
	at, rt := randomString(), randomString()
	s.accessTokens[at] = &access
	s.refreshTokens[rt] = &refresh
	return map[string]any{
		"access_token":  at,
		"token_type":    "Bearer",
		"expires_in":    int(accessTokenLifetime.Seconds()),
		"refresh_token": rt,
		"scope":         sess.scope,
	}
}

// pkceMatches reports whether verifier (RFC 7636: 43 to 128 characters) hashes to the S256
// challenge.
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(b64(sum[:])), []byte(challenge)) == 1
}
