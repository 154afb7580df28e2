// Package mfa is the plain-Go core of Gatehouse's second factors: TOTP codes (RFC 6238,
// through pquerna/otp) with replay protection in the Store, backup codes kept as HMACs,
// security keys and passkeys (WebAuthn, through go-webauthn), and the encrypted per-user
// record that holds the factors a user enrolled.
//
// Nothing here imports Caddy; the Caddy glue in modules/ decides when a factor is needed and
// renders the pages. Every secret a user enrolls is stored sealed (AES-256-GCM) with a key
// derived from the gateway secret, bound to the user it belongs to.
package mfa
