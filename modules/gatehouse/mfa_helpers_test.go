package gatehouse

// Helpers for the second-factor tests: local accounts with an admin-provisioned TOTP secret,
// TOTP codes on the clock Gatehouse reads, and the prompt and enrollment pages walked the way
// a browser does.

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/gatehousehq/gatehouse/caddyauth/users"
)

// mfPeriod is the TOTP period of every test config (the default).
const mfPeriod = 30 * time.Second

// mfAccount is a local account whose users-file entry has a totp_secret. It shares the
// password (and hash) of the it account like, so no extra argon2id hashing is needed.
type mfAccount struct {
	name, like string
}

// mfAccounts are added to the users file of every mfSetup test.
var mfAccounts = []mfAccount{
	{name: "tess", like: "alice"},   // step-up
	{name: "drift", like: "bob"},    // clock drift
	{name: "replay", like: "carol"}, // replay
	{name: "locked", like: "dan"},   // lockout
	{name: "force", like: "loner"},  // force browsing
}

// mfSecret is the admin-provisioned TOTP secret of the mf account name: 20 bytes derived
// from the name, base32.
func mfSecret(name string) string {
	sum := sha256.Sum256([]byte("mf-totp:" + name))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:20])
}

// mfPassword is the password of a local account, mf or it.
func mfPassword(t testing.TB, name string) string {
	t.Helper()
	for _, a := range mfAccounts {
		if a.name == name {
			return itAccountByName(t, a.like).pass
		}
	}
	return itAccountByName(t, name).pass
}

// mfApp is the mfa block most tests use: TOTP and 6 backup codes.
const mfApp = `
		mfa {
			totp issuer "Gatehouse IT"
			backup_codes 6
		}`

// mfBackupCount is the backup_codes count of mfApp.
const mfBackupCount = 6

// mfSite has a second-factor area without max age (/admin), one with `mfa 15m` (/fresh),
// and a signed-in-only rest. Both areas forward the time of the last second factor.
const mfSite = `
	@admin path /admin /admin/*
	handle @admin {
		gatehouse {
			mfa
			header X-MFA {http.auth.user.mfa}
		}
		reverse_proxy {up}
	}
	handle /fresh/* {
		gatehouse {
			mfa 15m
			header X-MFA {http.auth.user.mfa}
		}
		reverse_proxy {up}
	}
	handle {
		gatehouse
		reverse_proxy {up}
	}`

// mfSetup starts a test like itSetup, writes a users file that also holds the mf accounts
// with their TOTP secrets, and loads c (mfApp and mfSite when c.app and c.site are empty).
func mfSetup(t *testing.T, c itConf) *itEnv {
	t.Helper()
	e := itSetup(t)
	var f users.File
	if err := json.Unmarshal(itUsersFileJSON(t), &f); err != nil {
		t.Fatal(err)
	}
	for _, a := range mfAccounts {
		f.Users = append(f.Users, users.User{Username: a.name, Password: itHashes[a.like], TOTPSecret: mfSecret(a.name)})
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.usersFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if c.app == "" {
		c.app = mfApp
	}
	if c.site == "" {
		c.site = mfSite
	}
	e.load(c)
	return e
}

// mfSignIn signs c in with the password of the local account name and checks the 303.
func (c *itClient) mfSignIn(name, rd string) {
	c.t.Helper()
	r := c.postLogin(name, mfPassword(c.t, name), rd, nil)
	if r.Status != http.StatusSeeOther || r.cookie(itCookie) == nil {
		c.t.Fatalf("sign in as %s: status %d, want 303 with a session cookie\n%s", name, r.Status, oiShort(r.Body))
	}
}

// mfStep is the TOTP time step Gatehouse is at now.
func mfStep() int64 { return now().Unix() / int64(mfPeriod/time.Second) }

// mfNextStep moves Gatehouse's clock forward to 15 s into the step after the current one
// and returns that step: its code has never been used, and it stays current for 15 s
// whatever the test does meanwhile.
func mfNextStep() int64 {
	period := int64(mfPeriod)
	n := now().UnixNano()
	target := (n/period+1)*period + period/2
	clockSkew.Add(target - n)
	return mfStep()
}

// mfCode is the TOTP code of secret at step.
func mfCode(t testing.TB, secret string, step int64) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, time.Unix(step*int64(mfPeriod/time.Second), 0), totp.ValidateOpts{
		Period: uint(mfPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		t.Fatalf("computing a TOTP code: %v", err)
	}
	return code
}

// mfWrongCode is a code of secret valid at no step near now.
func mfWrongCode(t testing.TB, secret string) string {
	t.Helper()
	s := mfStep()
	valid := map[string]bool{}
	for d := int64(-3); d <= 3; d++ {
		valid[mfCode(t, secret, s+d)] = true
	}
	for d := int64(100); ; d++ {
		if c := mfCode(t, secret, s+d); !valid[c] {
			return c
		}
	}
}

// mfPromptPath is the second-factor prompt for rd.
func mfPromptPath(rd string) string { return "/.gatehouse/mfa?rd=" + url.QueryEscape(rd) }

// mfSetupPath is the enrollment page for rd.
func mfSetupPath(rd string) string { return "/.gatehouse/mfa/setup?rd=" + url.QueryEscape(rd) }

// mfPost opens the prompt for rd (for the form token) and posts field=value to it.
func (c *itClient) mfPost(field, value, rd string) itResp {
	c.t.Helper()
	csrf := c.formToken(mfPromptPath(rd))
	return c.do(http.MethodPost, "/.gatehouse/mfa", url.Values{field: {value}, "rd": {rd}, "csrf": {csrf}}, nil)
}

// mfStepUp posts a TOTP code to the prompt and checks the 303 to rd with a new session
// cookie; it returns the new session token.
func (c *itClient) mfStepUp(code, rd string) string {
	c.t.Helper()
	before := c.token()
	r := c.mfPost("code", code, rd)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != rd {
		c.t.Fatalf("second factor: status %d Location %q, want 303 to %s\n%s", r.Status, r.Header.Get("Location"), rd, oiShort(r.Body))
	}
	ck := r.cookie(itCookie)
	if ck == nil || ck.Value == "" || ck.Value == before {
		c.t.Fatalf("second factor: the session cookie was not replaced (M5)")
	}
	return ck.Value
}

// mfSetupPage is what the enrollment page shows.
type mfSetupPage struct {
	resp   itResp
	secret string   // #totp-secret's text without spaces; "" when not shown
	qr     string   // the QR image's src
	codes  []string // backup codes shown
}

var (
	mfSecretRe = regexp.MustCompile(`(?s)id="totp-secret">(.*?)</code>`)
	mfTagRe    = regexp.MustCompile(`<[^>]*>`)
	mfQRRe     = regexp.MustCompile(`<img class="qr" src="([^"]*)"`)
	mfCodeRe   = regexp.MustCompile(`<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{2})</code></li>`)
)

// mfParseSetup reads an enrollment page.
func mfParseSetup(r itResp) mfSetupPage {
	p := mfSetupPage{resp: r}
	if m := mfSecretRe.FindStringSubmatch(r.Body); m != nil {
		p.secret = strings.Join(strings.Fields(html.UnescapeString(mfTagRe.ReplaceAllString(m[1], ""))), "")
	}
	if m := mfQRRe.FindStringSubmatch(r.Body); m != nil {
		p.qr = html.UnescapeString(m[1])
	}
	for _, m := range mfCodeRe.FindAllStringSubmatch(r.Body, -1) {
		p.codes = append(p.codes, m[1])
	}
	return p
}

// mfOpenSetup opens the enrollment page for rd and checks that it offers a TOTP secret.
func (c *itClient) mfOpenSetup(rd string) mfSetupPage {
	c.t.Helper()
	r := c.get(mfSetupPath(rd), itBrowser())
	p := mfParseSetup(r)
	if r.Status != http.StatusOK || p.secret == "" {
		c.t.Fatalf("GET %s: status %d, want 200 with a TOTP secret\n%s", mfSetupPath(rd), r.Status, oiShort(r.Body))
	}
	return p
}

// mfPostSetup posts an enrollment code (with a form token from the setup page's cookie).
func (c *itClient) mfPostSetup(code, rd string) itResp {
	c.t.Helper()
	csrf := c.formToken(mfSetupPath(rd))
	return c.do(http.MethodPost, "/.gatehouse/mfa/setup", url.Values{"code": {code}, "rd": {rd}, "csrf": {csrf}}, nil)
}

// mfEnroll enrolls TOTP for c's user from the enrollment page and returns the secret and
// the backup codes shown.
func (c *itClient) mfEnroll(rd string) (secret string, codes []string) {
	c.t.Helper()
	secret = c.mfOpenSetup(rd).secret
	r := c.mfPostSetup(mfCode(c.t, secret, mfNextStep()), rd)
	p := mfParseSetup(r)
	if r.Status != http.StatusOK || len(p.codes) == 0 {
		c.t.Fatalf("enrolling: status %d, want 200 with backup codes\n%s", r.Status, oiShort(r.Body))
	}
	return secret, p.codes
}

// mfMe reads /.gatehouse/me with c's session.
func (c *itClient) mfMe() meResponse {
	c.t.Helper()
	r := c.get("/.gatehouse/me", nil)
	var me meResponse
	if r.Status != http.StatusOK || json.Unmarshal([]byte(r.Body), &me) != nil {
		c.t.Fatalf("/.gatehouse/me: status %d\n%s", r.Status, r.Body)
	}
	return me
}

// mfFactorsKeyRe matches the store key of a factors record: "mfa:" and the base64url
// SHA-256 of its owner (white-box, for the raw reads).
var mfFactorsKeyRe = regexp.MustCompile(`mfa:[A-Za-z0-9_-]{43}`)

// mfChallenge is the RFC 9470 challenge of a route with maxAge (0: none).
func mfChallenge(maxAge time.Duration) string {
	c := `Bearer realm="gatehouse", error="insufficient_user_authentication", error_description="A second factor is required"`
	if maxAge > 0 {
		c += ", max_age=" + strconv.Itoa(int(maxAge/time.Second))
	}
	return c
}
