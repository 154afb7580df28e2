package oidctest

import (
	"net/http"
	"strings"
)

// serveUserinfo answers /userinfo for a valid bearer access token with the claims of the
// user it was issued for; anything else gets 401.
func (s *Server) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	sess := s.accessTokens[token]
	valid := ok && sess != nil && s.now().Before(sess.expires)
	s.mu.Unlock()
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	writeJSON(w, http.StatusOK, userClaims(sess.user))
}
