package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// FormToken returns the anti-forgery token a portal form carries for a browser whose
// binding value (a random cookie) is binding: base64url(HMAC-SHA256(secret, binding)).
// Another site can neither read the cookie nor compute the token.
func FormToken(secret []byte, binding string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("gatehouse form token\x00"))
	mac.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// CheckFormToken tells, in constant time, whether token is FormToken(secret, binding).
// An empty binding never checks.
func CheckFormToken(secret []byte, binding, token string) bool {
	if binding == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(FormToken(secret, binding)), []byte(token))
}
