package oidctest

import "net/http"

// serveDiscovery answers /.well-known/openid-configuration.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	base := s.URL()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.Issuer(),
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"userinfo_endpoint":                     base + "/userinfo",
		"jwks_uri":                              base + "/jwks",
		"end_session_endpoint":                  base + "/end-session",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{AlgRS256, AlgES256},
		"scopes_supported":                      []string{"openid", "email", "profile", "groups", "offline_access"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid",
			"email", "email_verified", "name", "preferred_username", "groups"},
		"code_challenge_methods_supported":               []string{"S256"},
		"backchannel_logout_supported":                   true,
		"backchannel_logout_session_supported":           true,
		"authorization_response_iss_parameter_supported": true,
	})
}
