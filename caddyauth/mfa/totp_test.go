package mfa

import (
	"bytes"
	"encoding/base32"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

func TestCheckRFC6238Vectors(t *testing.T) {
	v := loadRFCVectors(t)
	if v.TOTP.TimeStep != 30 || v.TOTP.T0 != 0 {
		t.Fatalf("vectors use step %d, t0 %d; the test assumes 30 and 0", v.TOTP.TimeStep, v.TOTP.T0)
	}
	for _, row := range v.TOTP.Rows {
		seed, ok := v.TOTP.Seeds[row.Mode]
		if !ok {
			t.Fatalf("no seed for mode %s", row.Mode)
		}
		// The seed lengths are the point of these vectors: 20, 32 and 64 bytes.
		if key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(seed.Base32); err != nil || len(key) != seed.Bytes {
			t.Fatalf("%s seed decodes to %d bytes (%v), want %d", row.Mode, len(key), err, seed.Bytes)
		}
		wantCounter, err := strconv.ParseInt(row.THex, 16, 64)
		if err != nil {
			t.Fatalf("T_hex %q: %v", row.THex, err)
		}
		for _, tc := range []struct {
			digits int
			code   string
		}{{8, row.TOTP8}, {6, row.TOTP6}} {
			name := row.Mode + "/" + strconv.FormatInt(row.UnixTime, 10) + "/" + strconv.Itoa(tc.digits)
			t.Run(name, func(t *testing.T) {
				cfg := TOTP{Digits: tc.digits, Algorithm: row.Mode}
				counter, ok := cfg.Check(seed.Base32, tc.code, time.Unix(row.UnixTime, 0))
				if !ok || counter != wantCounter {
					t.Fatalf("Check(%s) = %d, %v; want %d, true", tc.code, counter, ok, wantCounter)
				}
				// Lower case secrets (as some apps and users write them) work too.
				if _, ok := cfg.Check(strings.ToLower(seed.Base32), tc.code, time.Unix(row.UnixTime, 0)); !ok {
					t.Fatalf("lower-case secret refused")
				}
				// The same code with another algorithm is refused.
				other := TOTP{Digits: tc.digits, Algorithm: map[string]string{"SHA1": "SHA256", "SHA256": "SHA512", "SHA512": "SHA1"}[row.Mode]}
				if _, ok := other.Check(seed.Base32, tc.code, time.Unix(row.UnixTime, 0)); ok {
					t.Fatalf("code accepted with another algorithm")
				}
			})
		}
	}
}

func TestCheckRFC4226Vectors(t *testing.T) {
	v := loadRFCVectors(t)
	if v.HOTP.Algorithm != "SHA1" || v.HOTP.Digits != 6 {
		t.Fatalf("unexpected hotp parameters %s/%d", v.HOTP.Algorithm, v.HOTP.Digits)
	}
	for _, row := range v.HOTP.Rows {
		t.Run(strconv.FormatInt(row.Counter, 10), func(t *testing.T) {
			// With a 30 s period, HOTP counter c is the TOTP step starting at c×30 s.
			now := time.Unix(row.Counter*30+15, 0)
			counter, ok := TOTP{}.Check(v.HOTP.SecretBase32, row.HOTP6, now)
			if !ok || counter != row.Counter {
				t.Fatalf("Check(%s) = %d, %v; want %d, true", row.HOTP6, counter, ok, row.Counter)
			}
			// pquerna/otp agrees with the RFC directly.
			got, err := hotp.GenerateCodeCustom(v.HOTP.SecretBase32, uint64(row.Counter), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
			if err != nil || got != row.HOTP6 {
				t.Fatalf("hotp.GenerateCodeCustom = %q, %v; want %s", got, err, row.HOTP6)
			}
		})
	}
}

// codeAt returns the code of secret for the step of now (6 digits, SHA1, 30 s).
func codeAt(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	code, err := hotp.GenerateCodeCustom(secret, uint64(now.Unix()/30), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("generating code: %v", err)
	}
	return code
}

func TestCheckDrift(t *testing.T) {
	secret := GenerateSecret()
	now := time.Unix(1_700_000_015, 0) // 15 s into a step
	step := now.Unix() / 30
	cases := []struct {
		name   string
		offset int64 // steps from now of the code's time
		ok     bool
	}{
		{"T", 0, true},
		{"T-1", -1, true},
		{"T+1", 1, true},
		{"T-2", -2, false},
		{"T+2", 2, false},
		{"T-10", -10, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code := codeAt(t, secret, now.Add(time.Duration(tc.offset)*30*time.Second))
			counter, ok := TOTP{}.Check(secret, code, now)
			if ok != tc.ok {
				t.Fatalf("Check of the code of %s = %v, want %v", tc.name, ok, tc.ok)
			}
			if ok && counter != step+tc.offset {
				t.Fatalf("counter = %d, want %d", counter, step+tc.offset)
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	secret := GenerateSecret()
	now := time.Unix(1_700_000_015, 0)
	good := codeAt(t, secret, now)
	wrong := strconv.Itoa((mustAtoi(t, good)+1)%1_000_000 + 1_000_000)[1:]
	cases := []struct {
		name   string
		cfg    TOTP
		secret string
		code   string
		ok     bool
	}{
		{"good", TOTP{}, secret, good, true},
		{"good with a space", TOTP{}, secret, good[:3] + " " + good[3:], true},
		{"wrong code", TOTP{}, secret, wrong, false},
		{"empty", TOTP{}, secret, "", false},
		{"too short", TOTP{}, secret, good[:5], false},
		{"too long", TOTP{}, secret, good + "0", false},
		{"8 digits configured", TOTP{Digits: 8}, secret, good, false},
		{"letters", TOTP{}, secret, "12a456", false},
		{"sign", TOTP{}, secret, "+" + good[1:], false},
		{"unicode digits", TOTP{}, secret, "١٢٣٤٥٦", false},
		{"dash", TOTP{}, secret, good[:3] + "-" + good[3:], false},
		{"empty secret", TOTP{}, "", good, false},
		{"secret not base32", TOTP{}, "JBSWY3DPEHPK3PX!", good, false},
		{"secret too short", TOTP{}, "JBSWY3DP", "123456", false},
		{"invalid config", TOTP{Digits: 7}, secret, good, false},
		{"other secret", TOTP{}, GenerateSecret(), good, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := tc.cfg.Check(tc.secret, tc.code, now); ok != tc.ok {
				t.Fatalf("Check(%q) = %v, want %v", tc.code, ok, tc.ok)
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCheckPeriod(t *testing.T) {
	secret := GenerateSecret()
	cfg := TOTP{Period: 60 * time.Second}
	now := time.Unix(1_700_000_040, 0)
	code, err := hotp.GenerateCodeCustom(secret, uint64(now.Unix()/60), hotp.ValidateOpts{Digits: otp.DigitsSix})
	if err != nil {
		t.Fatal(err)
	}
	if counter, ok := cfg.Check(secret, code, now); !ok || counter != now.Unix()/60 {
		t.Fatalf("Check with a 60 s period = %d, %v", counter, ok)
	}
	if _, ok := cfg.Check(secret, code, now.Add(2*time.Minute)); ok {
		t.Fatalf("code accepted two 60 s steps later")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  TOTP
		ok   bool
	}{
		{"zero", TOTP{}, true},
		{"full", TOTP{Issuer: "Acme Corp", Digits: 8, Period: 60 * time.Second, Algorithm: "SHA512"}, true},
		{"lower-case algorithm", TOTP{Algorithm: "sha256"}, true},
		{"colon in issuer", TOTP{Issuer: "Acme:Corp"}, false},
		{"7 digits", TOTP{Digits: 7}, false},
		{"negative period", TOTP{Period: -time.Second}, false},
		{"fractional period", TOTP{Period: 1500 * time.Millisecond}, false},
		{"md5", TOTP{Algorithm: "MD5"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestGenerateSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := GenerateSecret()
		key, err := decodeSecret(s)
		if err != nil || len(key) != 20 || len(s) != 32 || strings.Contains(s, "=") {
			t.Fatalf("GenerateSecret() = %q (%d bytes, %v)", s, len(key), err)
		}
		if seen[s] {
			t.Fatalf("duplicate secret")
		}
		seen[s] = true
	}
}

func TestValidateSecret(t *testing.T) {
	cases := []struct {
		secret string
		ok     bool
	}{
		{"JBSWY3DPEHPK3PXP", true},
		{"jbswy3dpehpk3pxp", true},
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA", true},
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====", true},
		{"", false},
		{"JBSW Y3DP EHPK 3PXP", false},
		{"JBSWY3DPEHPK3PX1", false},
		{"JBSWY3DP", false},
	}
	for _, tc := range cases {
		if err := ValidateSecret(tc.secret); (err == nil) != tc.ok {
			t.Errorf("ValidateSecret(%q) = %v, want ok %v", tc.secret, err, tc.ok)
		}
	}
}

func TestKeyURI(t *testing.T) {
	secret := GenerateSecret()
	cases := []struct {
		name    string
		cfg     TOTP
		account string
		issuer  string
		digits  otp.Digits
		period  uint64
		alg     otp.Algorithm
	}{
		{"defaults", TOTP{}, "alice@acme.com", "Gatehouse", otp.DigitsSix, 30, otp.AlgorithmSHA1},
		{"custom", TOTP{Issuer: "Acme Corp & Co", Digits: 8, Period: time.Minute, Algorithm: "sha256"}, "bob smith", "Acme Corp & Co", otp.DigitsEight, 60, otp.AlgorithmSHA256},
		{"colon in account", TOTP{}, "a:b", "Gatehouse", otp.DigitsSix, 30, otp.AlgorithmSHA1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			uri := tc.cfg.KeyURI(tc.account, secret)
			if !strings.HasPrefix(uri, "otpauth://totp/") || strings.Contains(uri, "+") {
				t.Fatalf("KeyURI = %q", uri)
			}
			key, err := otp.NewKeyFromURL(uri)
			if err != nil {
				t.Fatalf("parsing %q: %v", uri, err)
			}
			if key.Type() != "totp" || key.Issuer() != tc.issuer || key.AccountName() != tc.account ||
				key.Secret() != secret || key.Digits() != tc.digits || key.Period() != tc.period || key.Algorithm() != tc.alg {
				t.Fatalf("KeyURI = %q: type %s issuer %q account %q digits %v period %d alg %v",
					uri, key.Type(), key.Issuer(), key.AccountName(), key.Digits(), key.Period(), key.Algorithm())
			}
		})
	}
}

func TestQRCodePNG(t *testing.T) {
	cfg := TOTP{Issuer: "Acme"}
	raw, err := cfg.QRCodePNG(cfg.KeyURI("alice@acme.com", GenerateSecret()))
	if err != nil {
		t.Fatalf("QRCodePNG: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("decoding png: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Fatalf("image is %v, want 256×256", b)
	}
}
