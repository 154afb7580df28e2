package mfa

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// TOTP defaults, used for the zero values of TOTP's fields.
const (
	defaultIssuer    = "Gatehouse"
	defaultDigits    = 6
	defaultPeriod    = 30 * time.Second
	defaultAlgorithm = "SHA1"
)

const (
	// secretSize is the size of generated secrets in bytes (160 bits, RFC 4226 R6's
	// recommendation).
	secretSize = 20
	// minSecretSize is the shortest secret Check accepts, in bytes: 80 bits, the floor RFC
	// 4226 allows and what the users file accepts for admin-provisioned secrets.
	minSecretSize = 10
	// qrSize is the width and height of QR code images, in pixels.
	qrSize = 256
)

// b32 is the base32 encoding of TOTP secrets: RFC 4648 alphabet, no padding.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTP configures time-based one-time passwords (RFC 6238). The zero value is what
// authenticator apps expect by default: issuer "Gatehouse", 6 digits, 30 seconds, SHA1.
type TOTP struct {
	// Issuer is the name shown in authenticator apps. Default "Gatehouse". It may not
	// contain ':' (the Key URI's label separator).
	Issuer string
	// Digits is the length of codes: 6 (default) or 8.
	Digits int
	// Period is how long a code is current, in whole seconds. Default 30s.
	Period time.Duration
	// Algorithm is the HMAC hash: "SHA1" (default), "SHA256" or "SHA512".
	Algorithm string
}

// Validate reports a configuration that Check and KeyURI cannot serve. Zero fields are
// valid (they mean their defaults).
func (t TOTP) Validate() error {
	if strings.Contains(t.Issuer, ":") {
		return fmt.Errorf("totp issuer %q: must not contain ':'", t.Issuer)
	}
	if t.Digits != 0 && t.Digits != 6 && t.Digits != 8 {
		return fmt.Errorf("totp digits %d: must be 6 or 8", t.Digits)
	}
	if t.Period < 0 || t.Period%time.Second != 0 {
		return fmt.Errorf("totp period %v: must be a positive number of whole seconds", t.Period)
	}
	if _, err := parseAlgorithm(t.Algorithm); err != nil {
		return err
	}
	return nil
}

// withDefaults returns t with its zero fields set to their defaults.
func (t TOTP) withDefaults() TOTP {
	if t.Issuer == "" {
		t.Issuer = defaultIssuer
	}
	if t.Digits == 0 {
		t.Digits = defaultDigits
	}
	if t.Period == 0 {
		t.Period = defaultPeriod
	}
	if t.Algorithm == "" {
		t.Algorithm = defaultAlgorithm
	}
	t.Algorithm = strings.ToUpper(t.Algorithm)
	return t
}

// parseAlgorithm maps a configured algorithm name (any case; empty means SHA1) to pquerna/otp's.
func parseAlgorithm(name string) (otp.Algorithm, error) {
	switch strings.ToUpper(name) {
	case "", "SHA1":
		return otp.AlgorithmSHA1, nil
	case "SHA256":
		return otp.AlgorithmSHA256, nil
	case "SHA512":
		return otp.AlgorithmSHA512, nil
	}
	return 0, fmt.Errorf("totp algorithm %q: must be SHA1, SHA256 or SHA512", name)
}

// GenerateSecret returns a new random TOTP secret: 20 bytes (160 bits), base32 without padding.
func GenerateSecret() string {
	var b [secretSize]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return b32.EncodeToString(b[:])
}

// ValidateSecret reports whether secret is a usable TOTP secret: base32 in either case, with
// or without '=' padding, no spaces, at least 10 bytes (80 bits) once decoded. Check refuses
// every code for a secret that fails this.
func ValidateSecret(secret string) error {
	_, err := decodeSecret(secret)
	return err
}

// decodeSecret decodes a base32 secret as ValidateSecret describes.
func decodeSecret(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("totp secret is empty")
	}
	if strings.ContainsFunc(secret, unicode.IsSpace) {
		return nil, errors.New("totp secret contains spaces")
	}
	key, err := b32.DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return nil, errors.New("totp secret is not valid base32")
	}
	if len(key) < minSecretSize {
		return nil, fmt.Errorf("totp secret is %d bytes, want at least %d", len(key), minSecretSize)
	}
	return key, nil
}

// KeyURI returns the otpauth:// URI that authenticator apps import (Google Authenticator's
// Key URI format): otpauth://totp/Issuer:account?secret=..&issuer=..&digits=..&period=..&algorithm=..
// A ':' in account is percent-encoded.
func (t TOTP) KeyURI(account, secret string) string {
	t = t.withDefaults()
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(labelEscape(t.Issuer))
	b.WriteByte(':')
	b.WriteString(labelEscape(account))
	b.WriteString("?secret=")
	b.WriteString(queryEscape(secret))
	b.WriteString("&issuer=")
	b.WriteString(queryEscape(t.Issuer))
	b.WriteString("&digits=")
	b.WriteString(strconv.Itoa(t.Digits))
	b.WriteString("&period=")
	b.WriteString(strconv.FormatInt(int64(t.Period/time.Second), 10))
	b.WriteString("&algorithm=")
	b.WriteString(t.Algorithm)
	return b.String()
}

// labelEscape escapes one part of the URI's label, including ':' (the separator).
func labelEscape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// queryEscape escapes a query value with %20 for spaces, as authenticator apps expect.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// QRCodePNG renders uri (from KeyURI) as a 256×256 PNG QR code, locally: the secret never
// leaves the server.
func (t TOTP) QRCodePNG(uri string) ([]byte, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return nil, fmt.Errorf("parsing key uri: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("rendering qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding qr code: %w", err)
	}
	return buf.Bytes(), nil
}

// Check tells whether code is the TOTP code of secret at now and returns the time-step
// counter it belongs to (pass it to Used, which refuses a second use). Codes of the current
// step and of one step before or after are accepted (RFC 6238 §5.2 drift), nothing further.
// Spaces in code are ignored (apps show "123 456"); any other non-digit, a wrong length, an
// unusable secret or an invalid configuration refuse the code. The comparison of the three
// candidates is in constant time.
func (t TOTP) Check(secret, code string, now time.Time) (counter int64, ok bool) {
	if t.Validate() != nil {
		return 0, false
	}
	t = t.withDefaults()
	alg, _ := parseAlgorithm(t.Algorithm)
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != t.Digits || strings.ContainsFunc(code, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false
	}
	key, err := decodeSecret(secret)
	if err != nil {
		return 0, false
	}
	canonical := b32.EncodeToString(key)
	step := int64(t.Period / time.Second)
	unix := now.Unix()
	if unix < 0 {
		return 0, false
	}
	current := unix / step
	opts := hotp.ValidateOpts{Digits: otp.Digits(t.Digits), Algorithm: alg}
	// Current step first, so that in the unlikely case of equal codes the current one wins.
	for _, c := range []int64{current, current - 1, current + 1} {
		if c < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(canonical, uint64(c), opts)
		if err != nil {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !ok {
			counter, ok = c, true
		}
	}
	return counter, ok
}
