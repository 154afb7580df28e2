package gatehouse

// Second factors and step-up through the in-process Caddy: the mfa_totp_session cases of
// shared/testdata/proxy_security_scenarios.json (M1-M5), enrollment, backup codes, OpenID
// users, and factors at rest.

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/gatehousehq/gatehouse/caddyauth/oidc/oidctest"
	"github.com/gatehousehq/gatehouse/caddyauth/users"
)

// TestMFAProvisionNeedsAppBlock: a route that demands a second factor is refused at
// Provision when the app has no mfa block (adapting alone cannot tell).
func TestMFAProvisionNeedsAppBlock(t *testing.T) {
	for _, tc := range []struct {
		name, app string
		wantErr   string
	}{
		{"no mfa block", "", "no mfa block"},
		{"mfa block", "\n\t\tmfa {\n\t\t\ttotp\n\t\t}", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caddyfile := `{
	admin off
	default_bind 127.0.0.1
	log {
		level ERROR
	}
	gatehouse {
		secret ` + itSecret + `
		store memory` + tc.app + `
	}
}

http://localhost:18499 {
	gatehouse {
		mfa 15m
	}
	respond "ok"
}
`
			adapted, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
			if err != nil {
				t.Fatalf("adapting: %v", err)
			}
			var cfg caddy.Config
			if err := json.Unmarshal(adapted, &cfg); err != nil {
				t.Fatal(err)
			}
			err = caddy.Validate(&cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate: %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestMFAStepUpLocal: a local user with an admin-provisioned TOTP secret steps up on a
// route without max age and on one with `mfa 15m` (M5: the session is replaced).
func TestMFAStepUpLocal(t *testing.T) {
	e := mfSetup(t, itConf{})
	secret := mfSecret("tess")
	for _, tc := range []struct {
		route  string
		maxAge time.Duration
	}{
		{"/admin/x?y=1", 0},
		{"/fresh/x?y=1", 15 * time.Minute},
	} {
		t.Run(tc.route, func(t *testing.T) {
			c := e.client()
			c.mfSignIn("tess", "/")
			hits := e.up.hits.Load()

			r := c.get(tc.route, itBrowser())
			itExpectStatus(t, "browser, first factor only", r, http.StatusFound)
			if got := r.Header.Get("Location"); got != mfPromptPath(tc.route) {
				t.Errorf("browser sent to %q, want %q", got, mfPromptPath(tc.route))
			}
			r = c.get(tc.route, nil)
			itExpectStatus(t, "API client, first factor only", r, http.StatusUnauthorized)
			if got, want := r.Header.Get("WWW-Authenticate"), mfChallenge(tc.maxAge); got != want {
				t.Errorf("WWW-Authenticate:\n\t%s\nwant\n\t%s", got, want)
			}
			if e.up.hits.Load() != hits {
				t.Error("the upstream was reached before the second factor")
			}
			if me := c.mfMe(); me.MFA != "" {
				t.Errorf("/.gatehouse/me shows mfa %q before any second factor", me.MFA)
			}
			prompt := c.get(mfPromptPath(tc.route), itBrowser())
			itExpectStatus(t, "the prompt (factor provisioned in the users file)", prompt, http.StatusOK)
			if !strings.Contains(prompt.Body, `name="code"`) {
				t.Errorf("the prompt has no code field:\n%s", oiShort(prompt.Body))
			}

			old := c.token()
			token := c.mfStepUp(mfCode(t, secret, mfNextStep()), tc.route)
			itExpectStatus(t, "the pre-step-up session cookie (M5)", oiMe(t, e, old), http.StatusUnauthorized)
			itExpectStatus(t, "the new session cookie", oiMe(t, e, token), http.StatusOK)

			me := c.mfMe()
			done, err := time.Parse(time.RFC3339, me.MFA)
			if err != nil || done.Sub(now()).Abs() > 5*time.Second {
				t.Errorf("/.gatehouse/me shows mfa %q, want about %s", me.MFA, now().UTC().Format(time.RFC3339))
			}
			r = c.get(tc.route, nil)
			itExpectStatus(t, "after the second factor", r, http.StatusOK)
			if r.Status == http.StatusOK {
				if got := r.echo(t).values("X-MFA"); len(got) != 1 || len(got["X-Mfa"]) != 1 || got["X-Mfa"][0] != me.MFA {
					t.Errorf("the upstream got X-MFA %v, want %q", got, me.MFA)
				}
			}

			clockSkew.Add(int64(16 * time.Minute))
			if tc.maxAge == 0 {
				itExpectStatus(t, "16 minutes later, no max age", c.get(tc.route, itBrowser()), http.StatusOK)
				return
			}
			r = c.get(tc.route, itBrowser())
			itExpectStatus(t, "16 minutes later, mfa 15m", r, http.StatusFound)
			if got := r.Header.Get("Location"); got != mfPromptPath(tc.route) {
				t.Errorf("16 minutes later the browser is sent to %q, want the prompt", got)
			}
			r = c.get(tc.route, nil)
			itExpectStatus(t, "API client 16 minutes later", r, http.StatusUnauthorized)
			if got, want := r.Header.Get("WWW-Authenticate"), mfChallenge(tc.maxAge); got != want {
				t.Errorf("WWW-Authenticate:\n\t%s\nwant\n\t%s", got, want)
			}
			itExpectStatus(t, "the route without max age, 16 minutes later", c.get("/admin/x", nil), http.StatusOK)
			c.mfStepUp(mfCode(t, secret, mfNextStep()), tc.route)
			itExpectStatus(t, "after stepping up again", c.get(tc.route, nil), http.StatusOK)
		})
	}
}

// TestMFAReplay (M2): a TOTP code that stepped up once is refused afterwards, from another
// session and after signing out and in again.
func TestMFAReplay(t *testing.T) {
	e := mfSetup(t, itConf{})
	code := mfCode(t, mfSecret("replay"), mfNextStep())
	first := e.client()
	first.mfSignIn("replay", "/")
	first.mfStepUp(code, "/admin/x")

	refused := func(t *testing.T, what string, c *itClient) {
		t.Helper()
		before := c.token()
		r := c.mfPost("code", code, "/admin/x")
		itExpectStatus(t, what, r, http.StatusUnauthorized)
		if ck := r.cookie(itCookie); ck != nil {
			t.Errorf("%s: a session cookie was set", what)
		}
		if c.token() != before {
			t.Errorf("%s: the session changed", what)
		}
		itExpectStatus(t, what+", then the route", c.get("/admin/x", itBrowser()), http.StatusFound)
	}
	second := e.client()
	second.mfSignIn("replay", "/")
	refused(t, "the same code from a second session", second)

	r := first.do(http.MethodPost, "/.gatehouse/logout", url.Values{"csrf": {first.formToken("/.gatehouse/logout")}}, nil)
	itExpectStatus(t, "sign-out", r, http.StatusSeeOther)
	first.mfSignIn("replay", "/")
	refused(t, "the same code after signing out and in", first)
}

// TestMFADrift (M3): codes of one step before and after are accepted, two steps are not.
func TestMFADrift(t *testing.T) {
	e := mfSetup(t, itConf{})
	secret := mfSecret("drift")
	for _, tc := range []struct {
		offset int64
		ok     bool
	}{
		{-2, false}, {+2, false}, {-1, true}, {+1, true}, {0, true},
	} {
		c := e.client()
		c.mfSignIn("drift", "/")
		// Each case three steps after the last: no code is a replay of an earlier case's.
		clockSkew.Add(int64(2 * mfPeriod))
		code := mfCode(t, secret, mfNextStep()+tc.offset)
		r := c.mfPost("code", code, "/admin/x")
		want := map[bool]int{true: http.StatusSeeOther, false: http.StatusUnauthorized}[tc.ok]
		itExpectStatus(t, fmt.Sprintf("code of step T%+d", tc.offset), r, want)
		route := map[bool]int{true: http.StatusOK, false: http.StatusFound}[tc.ok]
		itExpectStatus(t, "then the route", c.get("/admin/x", itBrowser()), route)
	}
}

// TestMFALockout (M1): after 5 wrong codes the account's prompt is locked: the right code
// is refused with 429, also from a new sign-in; other accounts are not locked.
func TestMFALockout(t *testing.T) {
	e := mfSetup(t, itConf{})
	secret := mfSecret("locked")
	c := e.client()
	c.mfSignIn("locked", "/")
	for i := range 5 {
		r := c.mfPost("code", mfWrongCode(t, secret), "/admin/x")
		itExpectStatus(t, fmt.Sprintf("wrong code %d", i+1), r, http.StatusUnauthorized)
	}
	lockedOut := func(t *testing.T, what string, c *itClient) {
		t.Helper()
		before := c.token()
		r := c.mfPost("code", mfCode(t, secret, mfNextStep()), "/admin/x")
		itExpectStatus(t, what, r, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", what)
		}
		if r.cookie(itCookie) != nil || c.token() != before {
			t.Errorf("%s: the session changed", what)
		}
		itExpectStatus(t, what+", then the route", c.get("/admin/x", itBrowser()), http.StatusFound)
		if me := c.mfMe(); me.MFA != "" {
			t.Errorf("%s: /.gatehouse/me shows mfa %q", what, me.MFA)
		}
	}
	lockedOut(t, "the right code after 5 wrong ones", c)
	again := e.client()
	again.mfSignIn("locked", "/")
	lockedOut(t, "the right code from a new sign-in", again)

	other := e.client()
	other.mfSignIn("tess", "/")
	other.mfStepUp(mfCode(t, mfSecret("tess"), mfNextStep()), "/admin/x")
}

// TestMFAForceBrowse (M4): after the first factor only, the second-factor areas never
// answer 200, whatever spelling of their path.
func TestMFAForceBrowse(t *testing.T) {
	e := mfSetup(t, itConf{})
	c := e.client()
	c.mfSignIn("force", "/")
	hits := e.up.hits.Load()
	for _, p := range []string{
		"/admin", "/admin/", "/admin/x", "/admin//x", "//admin/x", "/ADMIN/x", "/Admin/X",
		"/admin/./x", "/admin/%2e/x", "/x/../admin/x", "/admin%2fx", "/fresh/x", "/fresh//x", "/FRESH/x",
	} {
		for _, browser := range []bool{true, false} {
			var h http.Header
			if browser {
				h = itBrowser()
			}
			r := c.get(p, h)
			switch {
			case browser && (r.Status != http.StatusFound || r.Header.Get("Location") != mfPromptPath(p)):
				t.Errorf("GET %s (browser): status %d Location %q, want 302 to the prompt", p, r.Status, r.Header.Get("Location"))
			case !browser && r.Status != http.StatusUnauthorized:
				t.Errorf("GET %s: status %d, want 401", p, r.Status)
			}
		}
	}
	if e.up.hits.Load() != hits {
		t.Errorf("the upstream was reached %d times", e.up.hits.Load()-hits)
	}
	// The rest of the site is open after the first factor.
	itExpectStatus(t, "the signed-in-only area", c.get("/app", nil), http.StatusOK)
}

// TestMFAEnrollment: a user without a factor is sent to enrollment, confirms a code, gets
// backup codes once, passes; changing factors later needs a fresh second factor.
func TestMFAEnrollment(t *testing.T) {
	e := mfSetup(t, itConf{})
	c := e.client()
	c.mfSignIn("bob", "/")
	const route = "/admin/x"

	r := c.get(route, itBrowser())
	itExpectStatus(t, "the route", r, http.StatusFound)
	if got := r.Header.Get("Location"); got != mfPromptPath(route) {
		t.Fatalf("the route sent the browser to %q, want the prompt", got)
	}
	r = c.get(mfPromptPath(route), itBrowser())
	itExpectStatus(t, "the prompt without a factor", r, http.StatusFound)
	if got := r.Header.Get("Location"); got != mfSetupPath(route) {
		t.Fatalf("the prompt sent the browser to %q, want enrollment %q", got, mfSetupPath(route))
	}

	page := c.mfOpenSetup(route)
	png64, ok := strings.CutPrefix(page.qr, "data:image/png;base64,")
	if !ok {
		t.Errorf("QR image src %q, want a data:image/png URL", oiShort(page.qr))
	} else if raw, err := base64.StdEncoding.DecodeString(png64); err != nil {
		t.Errorf("QR image: %v", err)
	} else if _, err := png.DecodeConfig(bytes.NewReader(raw)); err != nil {
		t.Errorf("QR image is not a PNG: %v", err)
	}
	if key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(page.secret); err != nil || len(key) < 16 {
		t.Errorf("secret %q: not base32 of at least 128 bits (%v)", page.secret, err)
	}
	if again := c.mfOpenSetup(route); again.secret != page.secret {
		t.Errorf("reloading enrollment changed the secret")
	}

	wrong := c.mfPostSetup(mfWrongCode(t, page.secret), route)
	itExpectStatus(t, "a wrong code at enrollment", wrong, http.StatusUnauthorized)
	itExpectStatus(t, "the route after a wrong code", c.get(route, itBrowser()), http.StatusFound)

	before := c.token()
	r = c.mfPostSetup(mfCode(t, page.secret, mfNextStep()), route)
	itExpectStatus(t, "the right code at enrollment", r, http.StatusOK)
	codes := mfParseSetup(r).codes
	if len(codes) != mfBackupCount {
		t.Errorf("%d backup codes shown, want %d", len(codes), mfBackupCount)
	}
	if ck := r.cookie(itCookie); ck == nil || ck.Value == before {
		t.Error("enrollment did not replace the session")
	}
	itExpectStatus(t, "the route after enrollment", c.get(route, nil), http.StatusOK)

	r = c.get(mfSetupPath(route), itBrowser())
	itExpectStatus(t, "enrollment page again, factor fresh", r, http.StatusOK)
	if p := mfParseSetup(r); len(p.codes) > 0 || p.secret != "" || strings.Contains(r.Body, codes[0]) {
		t.Errorf("the enrollment page shows a secret or backup codes again:\n%s", oiShort(r.Body))
	}

	// Past the 5-minute window, adding or changing factors asks for the factor again.
	clockSkew.Add(int64(6 * time.Minute))
	r = c.get(mfSetupPath(route), itBrowser())
	itExpectStatus(t, "enrollment page 6 minutes later", r, http.StatusFound)
	if got := r.Header.Get("Location"); got != mfPromptPath(mfSetupPath(route)) {
		t.Errorf("enrollment 6 minutes later sent the browser to %q, want %q", got, mfPromptPath(mfSetupPath(route)))
	}
	regenerate := func() itResp {
		return c.do(http.MethodPost, "/.gatehouse/mfa/backup-codes",
			url.Values{"rd": {route}, "csrf": {c.formToken(mfPromptPath(route))}}, nil)
	}
	r = regenerate()
	itExpectStatus(t, "new backup codes without a fresh factor", r, http.StatusSeeOther)
	if !strings.HasPrefix(r.Header.Get("Location"), "/.gatehouse/mfa?rd=") || len(mfParseSetup(r).codes) > 0 {
		t.Errorf("new backup codes without a fresh factor: Location %q, want the prompt and no codes", r.Header.Get("Location"))
	}
	// A new enrollment secret cannot replace the factor either.
	r = c.do(http.MethodPost, "/.gatehouse/mfa/setup", url.Values{
		"code": {mfCode(t, page.secret, mfNextStep())}, "rd": {route}, "csrf": {c.formToken(mfPromptPath(route))},
	}, nil)
	if r.Status == http.StatusOK || len(mfParseSetup(r).codes) > 0 || r.cookie(itCookie) != nil {
		t.Errorf("enrollment POST without a fresh factor: status %d, want it refused\n%s", r.Status, oiShort(r.Body))
	}

	c.mfStepUp(mfCode(t, page.secret, mfNextStep()), route)
	r = regenerate()
	itExpectStatus(t, "new backup codes with a fresh factor", r, http.StatusOK)
	fresh := mfParseSetup(r).codes
	if len(fresh) != mfBackupCount {
		t.Fatalf("%d new backup codes, want %d", len(fresh), mfBackupCount)
	}
	for _, old := range codes {
		for _, n := range fresh {
			if old == n {
				t.Errorf("backup code %s was issued again", old)
			}
		}
	}
	late := e.client()
	late.mfSignIn("bob", "/")
	itExpectStatus(t, "an old backup code after regeneration", late.mfPost("backup_code", codes[1], route), http.StatusUnauthorized)
	r = late.mfPost("backup_code", fresh[0], route)
	itExpectStatus(t, "a new backup code", r, http.StatusSeeOther)
	itExpectStatus(t, "the route after a new backup code", late.get(route, nil), http.StatusOK)
}

// TestMFABackupCodes: a backup code steps up once; the same code again is refused.
func TestMFABackupCodes(t *testing.T) {
	e := mfSetup(t, itConf{})
	c := e.client()
	c.mfSignIn("carol", "/")
	_, codes := c.mfEnroll("/admin/x")

	use := func(what, code string, want int) *itClient {
		t.Helper()
		c := e.client()
		c.mfSignIn("carol", "/")
		r := c.mfPost("backup_code", code, "/admin/x")
		itExpectStatus(t, what, r, want)
		route := map[bool]int{true: http.StatusOK, false: http.StatusFound}[want == http.StatusSeeOther]
		itExpectStatus(t, what+", then the route", c.get("/admin/x", itBrowser()), route)
		return c
	}
	used := use("a backup code", codes[0], http.StatusSeeOther)
	if me := used.mfMe(); me.MFA == "" {
		t.Error("/.gatehouse/me shows no mfa time after a backup code")
	}
	use("the same backup code again", codes[0], http.StatusUnauthorized)
	// Typed in capitals and without dashes, as people do.
	use("another backup code, typed loosely", strings.ToUpper(strings.ReplaceAll(codes[1], "-", "")), http.StatusSeeOther)
	use("a made-up backup code", "abcd-efgh-jk", http.StatusUnauthorized)
}

// TestMFAOIDCStepUp: a user signed in through an OpenID provider enrolls TOTP and steps up;
// the replaced session keeps the provider's data (RP-initiated logout still has its hint).
func TestMFAOIDCStepUp(t *testing.T) {
	e := itSetup(t)
	idp := oiNewIdP(t, "corp")
	idp.SetUser(oiErin)
	e.load(itConf{app: idp.block("") + mfApp, site: mfSite})
	const route = "/admin/x"

	c := e.client()
	c.oiMustSignIn("corp", "/")
	r := c.get(route, itBrowser())
	if r.Status != http.StatusFound || r.Header.Get("Location") != mfPromptPath(route) {
		t.Fatalf("the route: status %d Location %q, want 302 to the prompt", r.Status, r.Header.Get("Location"))
	}
	r = c.get(mfPromptPath(route), itBrowser())
	if r.Status != http.StatusFound || r.Header.Get("Location") != mfSetupPath(route) {
		t.Fatalf("the prompt: status %d Location %q, want 302 to enrollment", r.Status, r.Header.Get("Location"))
	}
	secret, _ := c.mfEnroll(route)
	r = c.get(route, nil)
	itExpectStatus(t, "the route after enrollment", r, http.StatusOK)
	if r.Status == http.StatusOK {
		if got := r.echo(t).values("Remote-User"); len(got["Remote-User"]) != 1 || got["Remote-User"][0] != "erin" {
			t.Errorf("the upstream got Remote-User %v, want erin", got)
		}
	}
	if me := c.mfMe(); me.Provider != "corp" || me.User != "erin" || me.MFA == "" {
		t.Errorf("/.gatehouse/me after enrollment: %+v, want erin from corp with an mfa time", me)
	}

	// A later sign-in steps up with the enrolled factor, and sign-out still ends the
	// session at the provider.
	later := e.client()
	later.oiMustSignIn("corp", "/")
	itExpectStatus(t, "the route in a new session", later.get(route, itBrowser()), http.StatusFound)
	itExpectStatus(t, "the prompt in a new session", later.get(mfPromptPath(route), itBrowser()), http.StatusOK)
	later.mfStepUp(mfCode(t, secret, mfNextStep()), route)
	itExpectStatus(t, "the route after stepping up", later.get(route, nil), http.StatusOK)
	if me := later.mfMe(); me.Provider != "corp" || me.User != "erin" || me.MFA == "" {
		t.Errorf("/.gatehouse/me after stepping up: %+v", me)
	}
	r = later.do(http.MethodPost, "/.gatehouse/logout", url.Values{"csrf": {later.formToken("/.gatehouse/logout")}}, nil)
	itExpectStatus(t, "sign-out after stepping up", r, http.StatusSeeOther)
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), idp.URL()+"/end-session?") || loc.Query().Get("id_token_hint") == "" {
		t.Errorf("sign-out after stepping up went to %q, want the provider's end-session with an id_token_hint", r.Header.Get("Location"))
	}
}

// TestMFAFactorsEncrypted: enrolled factors are sealed in the store: the raw database file
// holds neither the TOTP secret nor the backup codes.
func TestMFAFactorsEncrypted(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "gatehouse.db")
	e := mfSetup(t, itConf{store: "file " + db})
	c := e.client()
	c.mfSignIn("bob", "/")
	secret, codes := c.mfEnroll("/admin/x")

	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if !mfFactorsKeyRe.Match(raw) {
		t.Fatal("the store file has no factors record (mfa:<hash> key): is this the right file?")
	}
	key, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	for what, needle := range map[string][]byte{
		"the secret":            []byte(secret),
		"the secret, lowercase": []byte(strings.ToLower(secret)),
		"the secret's bytes":    key,
		"a backup code":         []byte(codes[0]),
		"a backup code, bare":   []byte(strings.ReplaceAll(codes[0], "-", "")),
	} {
		if bytes.Contains(raw, needle) {
			t.Errorf("the store file contains %s", what)
		}
	}
}

// TestMFAFactorsPerProvider: a factor enrolled by a user of one provider is not a factor of
// the same user name at another (here the local account alice and an OpenID user whose
// preferred_username is alice): otherwise whoever holds the name at any provider could
// enroll a factor that passes the other account's step-up, or lock it out of enrollment.
func TestMFAFactorsPerProvider(t *testing.T) {
	idp := oiNewIdP(t, "corp")
	idp.SetUser(oidctest.DefaultUser) // preferred_username "alice"
	e := mfSetup(t, itConf{app: idp.block("") + mfApp})

	stranger := e.client()
	stranger.oiMustSignIn("corp", "/")
	if me := stranger.mfMe(); me.User != "alice" || me.Provider != "corp" {
		t.Fatalf("the OpenID user is %q from %q, want alice from corp", me.User, me.Provider)
	}
	secret, _ := stranger.mfEnroll("/admin/x")

	local := e.client()
	local.mfSignIn("alice", "/")
	r := local.get(mfPromptPath("/admin/x"), itBrowser())
	if r.Status != http.StatusFound || r.Header.Get("Location") != mfSetupPath("/admin/x") {
		t.Errorf("local alice's prompt: status %d Location %q, want 302 to her own enrollment", r.Status, r.Header.Get("Location"))
	}
	r = local.do(http.MethodPost, "/.gatehouse/mfa", url.Values{
		"code": {mfCode(t, secret, mfNextStep())}, "rd": {"/admin/x"}, "csrf": {local.formToken("/.gatehouse/login")},
	}, nil)
	if r.Status == http.StatusSeeOther {
		t.Error("the factor the OpenID user alice enrolled stepped up the local account alice")
	}
	itExpectStatus(t, "local alice's admin area", local.get("/admin/x", itBrowser()), http.StatusFound)
}

// TestMFAProvisionedSecretRotation: the users file stays the source of an admin-provisioned
// TOTP secret. After the user changed factors (new backup codes, which saves the record),
// an admin who rotates the secret in the users file revokes the old one.
func TestMFAProvisionedSecretRotation(t *testing.T) {
	e := mfSetup(t, itConf{})
	c := e.client()
	c.mfSignIn("tess", "/")
	c.mfStepUp(mfCode(t, mfSecret("tess"), mfNextStep()), "/admin/x")
	r := c.do(http.MethodPost, "/.gatehouse/mfa/backup-codes",
		url.Values{"rd": {"/admin/x"}, "csrf": {c.formToken(mfPromptPath("/admin/x"))}}, nil)
	itExpectStatus(t, "new backup codes", r, http.StatusOK)

	// The admin gives tess a new secret (her phone was lost) and reloads.
	var f users.File
	b, err := os.ReadFile(e.usersFile)
	if err == nil {
		err = json.Unmarshal(b, &f)
	}
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.Users {
		if f.Users[i].Username == "tess" {
			f.Users[i].TOTPSecret = mfSecret("tess-new-phone")
		}
	}
	if b, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.usersFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	e.forceLoad(itConf{app: mfApp, site: mfSite})

	old := e.client()
	old.mfSignIn("tess", "/")
	itExpectStatus(t, "a code of the revoked secret", old.mfPost("code", mfCode(t, mfSecret("tess"), mfNextStep()), "/admin/x"), http.StatusUnauthorized)
	fresh := e.client()
	fresh.mfSignIn("tess", "/")
	itExpectStatus(t, "a code of the new secret", fresh.mfPost("code", mfCode(t, mfSecret("tess-new-phone"), mfNextStep()), "/admin/x"), http.StatusSeeOther)
}
