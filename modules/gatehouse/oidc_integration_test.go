package gatehouse

// Integration tests of sign-in at OpenID Connect and social providers: Caddy in-process in
// front of the echo upstream, test identity providers (oidctest) and a fake GitHub on their
// own servers, and clients that walk the flow as a browser does.

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/gatehousehq/gatehouse/caddyauth/oidc/oidctest"
)

// oiErin is the person the corp identity provider signs in, in most tests.
var oiErin = oidctest.User{
	Subject: "u-7f3a", Email: "erin@corp.example", EmailVerified: true, Name: "Erin Corp",
	PreferredUsername: "Erin", Groups: []string{"engineering", "ops"},
	Extra: map[string]any{"realm_access": map[string]any{"roles": []string{"auditor"}}},
}

// oiRoles grants an app role to a group the provider sends.
const oiRoles = `
		role engineer {
			grant group engineering
		}`

// TestIntegrationOIDCSignIn signs in at an OpenID provider and checks what the app behind
// Gatehouse receives, /.gatehouse/me, and `allow provider` rules.
func TestIntegrationOIDCSignIn(t *testing.T) {
	e := itSetup(t)
	idp := oiNewIdP(t, "corp")
	idp.SetUser(oiErin)
	e.load(itConf{app: idp.block("") + oiRoles, site: oiSite})

	erin := e.client()
	hits := e.up.hits.Load()
	erin.oiMustSignIn("corp", "/app/page?x=1")
	if e.up.hits.Load() != hits {
		t.Error("the app behind Gatehouse was reached during sign-in")
	}
	if n := idp.PKCEFailures(); n != 0 {
		t.Errorf("the provider saw %d PKCE failures, want 0 (a valid S256 challenge and verifier)", n)
	}

	t.Run("the app receives the identity from the ID token and userinfo", func(t *testing.T) {
		r := erin.get("/app/page?x=1", nil)
		itExpectStatus(t, "GET /app/page", r, http.StatusOK)
		h := r.echo(t).Header
		for _, tc := range []struct {
			name string
			want []string
		}{
			{"Remote-User", []string{"erin"}}, // preferred_username, lower case
			{"Remote-Email", []string{"erin@corp.example"}},
			{"Remote-Name", []string{"Erin Corp"}},
			{"Remote-Groups", []string{"engineering,ops"}},
		} {
			if got := h[tc.name]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %q, want %q", tc.name, got, tc.want)
			}
		}
		roles := itSplitSet(strings.Join(h["Remote-Roles"], ","))
		if want := []string{"auditor", "engineer"}; !reflect.DeepEqual(roles, want) {
			t.Errorf("Remote-Roles = %q, want %q (realm_access.roles and the role granted to group engineering)", roles, want)
		}
	})

	t.Run("/.gatehouse/me names the provider", func(t *testing.T) {
		r := erin.get("/.gatehouse/me", nil)
		itExpectStatus(t, "GET /.gatehouse/me", r, http.StatusOK)
		var me meResponse
		if err := json.Unmarshal([]byte(r.Body), &me); err != nil {
			t.Fatalf("decoding /me: %v\n%s", err, r.Body)
		}
		if me.Provider != "corp" || me.User != "erin" || me.Email != "erin@corp.example" {
			t.Errorf("/me = %+v, want provider corp, user erin, email erin@corp.example", me)
		}
		if !slices.Contains(me.Roles, "engineer") || !slices.Contains(me.Roles, "auditor") {
			t.Errorf("/me roles = %q, want engineer and auditor", me.Roles)
		}
	})

	t.Run("allow provider corp passes, allow provider local refuses", func(t *testing.T) {
		r := erin.get("/corp-only/x", nil)
		itExpectStatus(t, "GET /corp-only/x", r, http.StatusOK)
		hits := e.up.hits.Load()
		r = erin.get("/local-only/x", itBrowser())
		itExpectStatus(t, "GET /local-only/x", r, http.StatusForbidden)
		if e.up.hits.Load() != hits {
			t.Error("GET /local-only/x: the app was reached")
		}
		// And the other way round for a local account.
		bob := e.client()
		bob.signIn("bob", "/")
		itExpectStatus(t, "local user, GET /local-only/x", bob.get("/local-only/x", nil), http.StatusOK)
		itExpectStatus(t, "local user, GET /corp-only/x", bob.get("/corp-only/x", nil), http.StatusForbidden)
	})

	t.Run("without preferred_username the user is the email", func(t *testing.T) {
		u := oiErin
		u.Subject, u.PreferredUsername, u.Email = "u-0002", "", "Frank@Corp.Example"
		idp.SetUser(u)
		frank := e.client()
		frank.oiMustSignIn("corp", "/")
		r := frank.get("/app", nil)
		itExpectStatus(t, "GET /app", r, http.StatusOK)
		if got := r.echo(t).Header["Remote-User"]; !reflect.DeepEqual(got, []string{"frank@corp.example"}) {
			t.Errorf("Remote-User = %q, want [frank@corp.example]", got)
		}
	})

	t.Run("an email the provider has not verified does not satisfy email rules", func(t *testing.T) {
		itExpectStatus(t, "verified email, GET /email-only/x", erin.get("/email-only/x", nil), http.StatusOK)
		u := oiErin
		u.Subject, u.PreferredUsername, u.EmailVerified = "u-0003", "grace", false
		u.Email = "grace@corp.example"
		idp.SetUser(u)
		grace := e.client()
		grace.oiMustSignIn("corp", "/")
		itExpectStatus(t, "unverified email, GET /email-only/x", grace.get("/email-only/x", nil), http.StatusForbidden)
	})

	t.Run("signing in at the provider replaces the browser's earlier session", func(t *testing.T) {
		idp.SetUser(oiErin)
		c := e.client()
		c.signIn("bob", "/")
		old := c.token()
		c.oiMustSignIn("corp", "/")
		if r := oiMe(t, e, old); r.Status != http.StatusUnauthorized {
			t.Errorf("the earlier session still works after signing in again (/me %d)", r.Status)
		}
		r := c.get("/.gatehouse/me", nil)
		if !strings.Contains(r.Body, `"user":"erin"`) {
			t.Errorf("/me after signing in again: %s", r.Body)
		}
	})

	t.Run("the provider reports an error: 401 page naming it", func(t *testing.T) {
		idp.SetDenyAccess(true)
		defer idp.SetDenyAccess(false)
		c := e.client()
		hits := e.up.hits.Load()
		r := c.oiSignIn("corp", "/")
		oiExpectRefused(t, e, "callback with error=access_denied", r, http.StatusUnauthorized, "access_denied", hits)
	})

	t.Run("an unknown provider: 404", func(t *testing.T) {
		itExpectStatus(t, "GET /.gatehouse/start/nope", e.client().get("/.gatehouse/start/nope?rd=/", itBrowser()), http.StatusNotFound)
	})
}

// oiCase is one way a sign-in at a test provider goes, set up on a fresh provider.
type oiCase struct {
	name  string
	setup func(p *oiIdP) // before the first sign-in (so before the first JWKS fetch)
	// outcome: "ok" (signed in), "refused" (sign-in fails) or "n/a" (the row cannot happen
	// with this product; check is run instead and why is logged).
	outcome string
	why     string
	check   func(t *testing.T, e *itEnv, p *oiIdP)
}

// oiFault returns a setup that makes the provider's ID tokens misbehave as f.
func oiFault(f oidctest.Fault) func(*oiIdP) { return func(p *oiIdP) { p.SetFault(f) } }

// oiAlgFault returns a setup that signs with alg and applies f.
func oiAlgFault(alg string, f oidctest.Fault) func(*oiIdP) {
	return func(p *oiIdP) {
		p.SetAlg(alg)
		p.SetFault(f)
	}
}

// oiCodeFlowOnly checks that Gatehouse asks for the authorization code flow only, with no
// request object: the reason why the hash-claim and encryption rows cannot occur.
func oiCodeFlowOnly(t *testing.T, e *itEnv, p *oiIdP) {
	t.Helper()
	q := e.client().oiStart(p.name, "/").authURL.Query()
	if q.Get("response_type") != "code" || q.Has("request") || q.Has("request_uri") || q.Has("response_mode") {
		t.Errorf("authorization request %v: want response_type=code without request objects", q)
	}
}

// oiConformanceRows maps the OpenID RP conformance rows (old_id) to test cases.
var oiConformanceRows = map[string][]oiCase{
	"rp-id_token-aud": {
		{name: "wrong aud", setup: oiFault(oidctest.FaultWrongAudience), outcome: "refused"},
		{name: "missing aud", setup: oiFault(oidctest.FaultMissingAudience), outcome: "refused"},
	},
	"rp-id_token-bad-sig-rs256": {{setup: oiFault(oidctest.FaultBadSignature), outcome: "refused"}},
	"rp-id_token-bad-sig-es256": {{setup: oiAlgFault(oidctest.AlgES256, oidctest.FaultBadSignature), outcome: "refused"}},
	"rp-id_token-bad-sig-hs256": {{setup: oiFault(oidctest.FaultHS256PublicKey), outcome: "refused"}},
	"rp-id_token-iat":           {{setup: oiFault(oidctest.FaultMissingIAT), outcome: "refused"}},
	"rp-id_token-issuer-mismatch": {
		{setup: oiFault(oidctest.FaultWrongIssuer), outcome: "refused"},
	},
	"rp-id_token-sub": {{setup: oiFault(oidctest.FaultMissingSub), outcome: "refused"}},
	"rp-id_token-kid-absent-multiple-jwks": {{
		setup: oiFault(oidctest.FaultKIDAbsentMultiple), outcome: "ok",
		why: "the row allows either outcome; Gatehouse tries every published key of the token's algorithm, and one verifies",
	}},
	"rp-id_token-kid-absent-single-jwks": {{setup: oiFault(oidctest.FaultKIDAbsentSingle), outcome: "ok"}},
	"rp-id_token-sig-rs256":              {{setup: func(*oiIdP) {}, outcome: "ok"}},
	"rp-id_token-sig-es256":              {{setup: oiAlgFault(oidctest.AlgES256, oidctest.FaultNone), outcome: "ok"}},
	"rp-id_token-sig-none": {{
		setup: oiFault(oidctest.FaultAlgNone), outcome: "refused",
		why: "refused by design: unsigned ID tokens are never accepted (GATEWAY.md §6), whatever the row expects",
	}},
	"rp-id_token-sig-hs256": {{
		outcome: "n/a",
		why:     "refused by design: HS256 (a secret shared with the provider) cannot be configured; signing_algs HS256 is a Caddyfile error",
		check: func(t *testing.T, e *itEnv, p *oiIdP) {
			cf := "{\n\tgatehouse {\n" + p.block("\t\t\tsigning_algs HS256") + "\n\t}\n}\nhttp://localhost {\n\trespond ok\n}\n"
			_, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
			if err == nil || !strings.Contains(err.Error(), "HS256") {
				t.Errorf("a provider with signing_algs HS256 adapted (err %v), want it refused", err)
			}
		},
	}},
	"rp-id_token-bad-at_hash": {{outcome: "n/a", check: oiCodeFlowOnly,
		why: "at_hash is required only when the authorization endpoint returns an access token (implicit/hybrid); Gatehouse uses the code flow"}},
	"rp-id_token-missing-at_hash": {{outcome: "n/a", check: oiCodeFlowOnly,
		why: "at_hash is required only when the authorization endpoint returns an access token (implicit/hybrid); Gatehouse uses the code flow"}},
	"rp-id_token-bad-c_hash": {{outcome: "n/a", check: oiCodeFlowOnly,
		why: "c_hash exists only in the hybrid flow; Gatehouse uses the code flow"}},
	"rp-id_token-missing-c_hash": {{outcome: "n/a", check: oiCodeFlowOnly,
		why: "c_hash exists only in the hybrid flow; Gatehouse uses the code flow"}},
	"rp-id_token-sig+enc": {{outcome: "n/a", check: oiCodeFlowOnly,
		why: "encrypted ID tokens are not supported: Gatehouse never registers an encryption key, so a provider never encrypts for it"}},
	"rp-id_token-sig+enc-a128kw": {{outcome: "n/a", check: oiCodeFlowOnly,
		why: "encrypted ID tokens are not supported: Gatehouse never registers an encryption key, so a provider never encrypts for it"}},
	"rp-nonce-invalid": {
		{name: "wrong nonce", setup: oiFault(oidctest.FaultWrongNonce), outcome: "refused"},
		{name: "missing nonce", setup: oiFault(oidctest.FaultMissingNonce), outcome: "refused"},
	},
	// Not rows of the list, but checks of OpenID Connect Core §3.1.3.7 all the same.
	"expired":           {{setup: oiFault(oidctest.FaultExpired), outcome: "refused"}},
	"iat in the future": {{setup: oiFault(oidctest.FaultIssuedInFuture), outcome: "refused"}},
	"wrong azp":         {{setup: oiFault(oidctest.FaultWrongAZP), outcome: "refused"}},
	"unknown kid":       {{setup: oiFault(oidctest.FaultUnknownKID), outcome: "refused"}},
}

// oiConformanceExtra are the rows of the list, not about ID tokens, that the table maps.
var oiConformanceExtra = []string{"rp-nonce-invalid"}

// oiReadConformanceIDs returns the old_id of every row of the RP conformance list.
func oiReadConformanceIDs(t *testing.T) []string {
	t.Helper()
	path := filepath.Join(itRoot(t), "..", "shared", "testdata", "oidc_rp_conformance_tests.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the OpenID RP conformance list is missing: %v", err)
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	header := true
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if header { // old_id new_modules ...
			header = false
			continue
		}
		ids = append(ids, strings.SplitN(line, "\t", 2)[0])
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if len(ids) == 0 {
		t.Fatalf("%s has no rows", path)
	}
	return ids
}

// TestIntegrationOIDCConformance runs every ID token row of the OpenID RP conformance list
// (and the other ID token checks) through Caddy: each case has its own test provider and
// provider block, so every case starts with an empty key cache. Bad tokens must refuse the
// sign-in with an error page and no session; valid ones sign in.
func TestIntegrationOIDCConformance(t *testing.T) {
	ids := oiReadConformanceIDs(t)
	var rows []string
	for _, id := range ids {
		if strings.HasPrefix(id, "rp-id_token-") {
			rows = append(rows, id)
			if _, ok := oiConformanceRows[id]; !ok {
				t.Errorf("the conformance list has the ID token row %q that this test does not map", id)
			}
		}
	}
	for _, id := range append(oiConformanceExtra, "rp-key-rotation-op-sign-key") {
		if !slices.Contains(ids, id) {
			t.Errorf("the conformance list has no row %q any more", id)
		}
		rows = append(rows, id)
	}
	for _, id := range slices.Sorted(maps.Keys(oiConformanceRows)) {
		if strings.HasPrefix(id, "rp-") && !slices.Contains(rows, id) {
			t.Errorf("the mapped row %q is not in the conformance list", id)
		}
		if !strings.HasPrefix(id, "rp-") {
			rows = append(rows, id)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// One provider (and test identity provider) per case, all in one config.
	e := itSetup(t)
	type run struct {
		row string
		c   oiCase
		idp *oiIdP
	}
	var runs []run
	var blocks strings.Builder
	for _, row := range rows {
		for _, c := range oiConformanceRows[row] {
			idp := oiNewIdP(t, fmt.Sprintf("case%02d", len(runs)))
			if c.setup != nil {
				c.setup(idp)
			}
			blocks.WriteString(idp.block(""))
			runs = append(runs, run{row, c, idp})
		}
	}
	rotation := oiNewIdP(t, "rotation")
	blocks.WriteString(rotation.block(""))
	e.load(itConf{app: blocks.String(), site: oiSite})

	for _, rn := range runs {
		name := rn.row
		if rn.c.name != "" {
			name += "/" + rn.c.name
		}
		t.Run(name, func(t *testing.T) {
			if rn.c.why != "" {
				t.Logf("%s: %s", rn.row, rn.c.why)
			}
			c := e.client()
			hits := e.up.hits.Load()
			switch rn.c.outcome {
			case "n/a":
				rn.c.check(t, e, rn.idp)
			case "ok":
				c.oiMustSignIn(rn.idp.name, "/app/ok")
				r := c.get("/app/ok", nil)
				itExpectStatus(t, "GET /app/ok after sign-in", r, http.StatusOK)
				if got := r.echo(t).Header["Remote-User"]; !reflect.DeepEqual(got, []string{"alice"}) {
					t.Errorf("Remote-User = %q, want [alice]", got)
				}
			case "refused":
				r := c.oiSignIn(rn.idp.name, "/app/refused")
				oiExpectRefused(t, e, "callback", r, http.StatusUnauthorized, "Sign-in failed", hits)
				oiExpectSignedOut(t, c, "after the refused sign-in")
				r = c.get("/app/refused", itBrowser())
				itExpectStatus(t, "GET /app/refused after the refused sign-in", r, http.StatusFound)
				if e.up.hits.Load() != hits {
					t.Error("the app behind Gatehouse was reached")
				}
			default:
				t.Fatalf("case outcome %q", rn.c.outcome)
			}
		})
	}

	t.Run("rp-key-rotation-op-sign-key", func(t *testing.T) {
		c := e.client()
		c.oiMustSignIn("rotation", "/")
		rotation.RotateKey()
		// The key set is fetched again for an unknown kid at most every 10 s.
		oiAdvance(11 * time.Second)
		c2 := e.client()
		r := c2.oiSignIn("rotation", "/")
		if r.Status != http.StatusSeeOther || r.cookie(itCookie) == nil {
			t.Fatalf("sign-in after the provider rotated its key: status %d, want 303 with a session "+
				"(do the providers read Gatehouse's clock, oidc.Config.Now = now?)\n%s", r.Status, oiShort(r.Body))
		}
		if n := rotation.JWKSFetches(); n != 2 {
			t.Errorf("the key set was fetched %d times, want 2 (once more for the new kid)", n)
		}
	})
}

// TestIntegrationOIDCFlowState checks the sign-in state: single use, bound to the browser
// that started it, PKCE, and kept in the store across a reload.
func TestIntegrationOIDCFlowState(t *testing.T) {
	e := itSetup(t)
	idp := oiNewIdP(t, "corp")
	conf := itConf{store: "file " + filepath.Join(t.TempDir(), "gatehouse.db"), app: idp.block(""), site: oiSite}
	e.load(conf)

	t.Run("a callback replayed after success is refused", func(t *testing.T) {
		c := e.client()
		st := c.oiStart("corp", "/app")
		cb := oiAuthorize(t, st.authURL)
		itExpectStatus(t, "callback", c.get(cb, itBrowser()), http.StatusSeeOther)
		hits := e.up.hits.Load()
		r := c.get(cb, itBrowser())
		oiExpectRefused(t, e, "the same callback again", r, http.StatusBadRequest, "expired", hits)
		// Even with the flow cookie of the first attempt.
		r = e.bare().get(cb, itWith(itBrowser(), http.Header{"Cookie": {oiFlowCookie + "=" + st.flow}}))
		oiExpectRefused(t, e, "the same callback with its flow cookie", r, http.StatusBadRequest, "expired", hits)
	})

	t.Run("a callback in another browser is refused", func(t *testing.T) {
		victim := e.client()
		hits := e.up.hits.Load()
		cb := oiAuthorize(t, victim.oiStart("corp", "/app").authURL)
		attacker := e.client()
		oiExpectRefused(t, e, "callback without a flow cookie", attacker.get(cb, itBrowser()), http.StatusBadRequest, "expired", hits)
		oiExpectSignedOut(t, attacker, "the browser without the flow cookie")

		cb = oiAuthorize(t, victim.oiStart("corp", "/app").authURL)
		other := e.client()
		other.oiStart("corp", "/") // its own flow cookie
		oiExpectRefused(t, e, "callback with another flow's cookie", other.get(cb, itBrowser()), http.StatusBadRequest, "expired", hits)
		oiExpectSignedOut(t, other, "the browser with another flow cookie")
	})

	t.Run("the return URL is checked: another site's becomes /", func(t *testing.T) {
		for _, rd := range []string{"https://evil.example/x", "//evil.example/x", "/\\evil.example/x", "javascript:alert(1)"} {
			c := e.client()
			r := c.get(oiAuthorize(t, c.oiStart("corp", rd).authURL), itBrowser())
			itExpectStatus(t, "callback, rd "+rd, r, http.StatusSeeOther)
			if loc := r.Header.Get("Location"); loc != "/" {
				t.Errorf("rd %q: the sign-in sent the browser to %q, want /", rd, loc)
			}
		}
	})

	t.Run("the flow cookie is removed after the sign-in", func(t *testing.T) {
		c := e.client()
		st := c.oiStart("corp", "/")
		if st.flow == "" {
			t.Fatal("no flow cookie set at start")
		}
		if ck := st.resp.cookie(oiFlowCookie); !ck.HttpOnly || ck.Path != "/.gatehouse/" || ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("flow cookie %+v: want HttpOnly, SameSite=Lax, Path /.gatehouse/", ck)
		}
		r := c.get(oiAuthorize(t, st.authURL), itBrowser())
		if ck := r.cookie(oiFlowCookie); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("the callback did not delete the flow cookie (%+v)", ck)
		}
	})

	t.Run("a state forged or missing is refused", func(t *testing.T) {
		c := e.client()
		c.oiStart("corp", "/")
		hits := e.up.hits.Load()
		for _, q := range []string{"code=x&state=" + strings.Repeat("A", 43), "code=x", ""} {
			oiExpectRefused(t, e, "callback ?"+q, c.get("/.gatehouse/callback/corp?"+q, itBrowser()), http.StatusBadRequest, "expired", hits)
		}
	})

	t.Run("PKCE: S256 challenge, and a code of another flow is refused", func(t *testing.T) {
		c := e.client()
		first := c.oiStart("corp", "/")
		q := first.authURL.Query()
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
			t.Errorf("authorization request: code_challenge_method %q, challenge %q; want S256 and 43 characters",
				q.Get("code_challenge_method"), q.Get("code_challenge"))
		}
		before := idp.PKCEFailures()
		codeURL, err := url.Parse(oiAuthorize(t, first.authURL))
		if err != nil {
			t.Fatal(err)
		}
		// A second flow in the same browser; its callback carries the first flow's code.
		second, err := url.Parse(oiAuthorize(t, c.oiStart("corp", "/").authURL))
		if err != nil {
			t.Fatal(err)
		}
		mixed := second.Query()
		mixed.Set("code", codeURL.Query().Get("code"))
		hits := e.up.hits.Load()
		r := c.get(second.Path+"?"+mixed.Encode(), itBrowser())
		oiExpectRefused(t, e, "callback with the code of another flow", r, http.StatusUnauthorized, "Sign-in failed", hits)
		if got := idp.PKCEFailures() - before; got != 1 {
			t.Errorf("the provider saw %d PKCE failures, want 1 (the verifier of the second flow for the first flow's code)", got)
		}
		c.oiMustSignIn("corp", "/")
		if got := idp.PKCEFailures() - before; got != 1 {
			t.Errorf("a good sign-in caused a PKCE failure (%d in all)", got)
		}
	})

	// A sign-in started before a reload finishes after it. The provider's configuration
	// changes, so Gatehouse builds it anew: the flow (state, nonce, verifier) can only come
	// from the store.
	c := e.client()
	cb := oiAuthorize(t, c.oiStart("corp", "/after-reload").authURL)
	reloaded := conf
	reloaded.app = idp.block("\t\t\tdisplay_name \"Corp SSO\"")
	e.load(reloaded)
	r := c.get(cb, itBrowser())
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/after-reload" || r.cookie(itCookie) == nil {
		t.Fatalf("callback after a reload: status %d Location %q, want 303 to /after-reload with a session\n%s",
			r.Status, r.Header.Get("Location"), oiShort(r.Body))
	}
	itExpectStatus(t, "GET /after-reload", c.get("/after-reload", nil), http.StatusOK)
}

// TestIntegrationOIDCProviderDown starts Caddy while the provider is down: Caddy starts,
// sign-in there says the provider is unavailable, and works once it is back.
func TestIntegrationOIDCProviderDown(t *testing.T) {
	e := itSetup(t)
	idp := oiNewIdP(t, "corp")
	idp.SetDown(true)
	e.load(itConf{app: idp.block(""), site: oiSite})

	c := e.client()
	itExpectStatus(t, "the sign-in page while the provider is down", c.get("/.gatehouse/login", itBrowser()), http.StatusOK)
	r := c.get("/.gatehouse/start/corp?rd=/app", itBrowser())
	itExpectStatus(t, "start while the provider is down", r, http.StatusServiceUnavailable)
	if !strings.Contains(r.Body, "unavailable") || !strings.Contains(r.Body, "corp") {
		t.Errorf("the 503 page does not say the provider is unavailable:\n%s", oiShort(r.Body))
	}

	idp.SetDown(false)
	// Discovery is tried again at most every 5 s, by the clock Gatehouse reads.
	oiAdvance(6 * time.Second)
	if r := c.get("/.gatehouse/start/corp?rd=/app", itBrowser()); r.Status != http.StatusFound {
		t.Fatalf("start 6 s after the provider came back: status %d, want 302 to the provider "+
			"(do the providers read Gatehouse's clock, oidc.Config.Now = now?)", r.Status)
	}
	c.oiMustSignIn("corp", "/app")
	itExpectStatus(t, "GET /app after the provider came back", c.get("/app", nil), http.StatusOK)

	// The provider goes down between the authorization and the callback.
	late := e.client()
	cb := oiAuthorize(t, late.oiStart("corp", "/app").authURL)
	idp.SetDown(true)
	hits := e.up.hits.Load()
	oiExpectRefused(t, e, "callback while the provider is down", late.get(cb, itBrowser()), http.StatusServiceUnavailable, "unavailable", hits)
	oiExpectSignedOut(t, late, "after the callback failed")
}

// TestIntegrationOIDCLogout checks RP-initiated logout and back-channel logout.
func TestIntegrationOIDCLogout(t *testing.T) {
	e := itSetup(t)
	idp := oiNewIdP(t, "corp")
	e.load(itConf{app: idp.block(""), site: oiSite})
	alice := oidctest.DefaultUser
	bob := oidctest.User{Subject: "bob-0002", Email: "bob@corp.example", EmailVerified: true, PreferredUsername: "bob"}

	// signIn signs u in with a new browser and returns it with its session token.
	signIn := func(t *testing.T, u oidctest.User) (*itClient, string) {
		t.Helper()
		idp.SetUser(u)
		c := e.client()
		c.oiMustSignIn("corp", "/")
		return c, c.token()
	}
	alive := func(t *testing.T, what, token string, want bool) {
		t.Helper()
		r := oiMe(t, e, token)
		if got := r.Status == http.StatusOK; got != want {
			t.Errorf("%s: /.gatehouse/me answered %d, want the session %s", what, r.Status, map[bool]string{true: "alive", false: "ended"}[want])
		}
	}
	backchannel := func(t *testing.T, token string) itResp {
		t.Helper()
		return e.bare().do(http.MethodPost, "/.gatehouse/backchannel-logout/corp", url.Values{"logout_token": {token}}, nil)
	}

	t.Run("RP-initiated logout goes to the provider's end-session endpoint", func(t *testing.T) {
		c, token := signIn(t, alice)
		csrf := c.formToken("/.gatehouse/logout")
		r := c.do(http.MethodPost, "/.gatehouse/logout", url.Values{"csrf": {csrf}}, nil)
		itExpectStatus(t, "POST /.gatehouse/logout", r, http.StatusSeeOther)
		loc, err := url.Parse(r.Header.Get("Location"))
		if err != nil || !strings.HasPrefix(loc.String(), idp.URL()+"/end-session?") {
			t.Fatalf("Location %q, want the provider's end-session endpoint", r.Header.Get("Location"))
		}
		q := loc.Query()
		if q.Get("id_token_hint") == "" || q.Get("client_id") != oiClientID {
			t.Errorf("end-session query %v: want id_token_hint and client_id %s", q, oiClientID)
		}
		if want := itBase + "/.gatehouse/login?signed_out=1"; q.Get("post_logout_redirect_uri") != want {
			t.Errorf("post_logout_redirect_uri %q, want %q", q.Get("post_logout_redirect_uri"), want)
		}
		alive(t, "after sign-out", token, false)
		oiExpectSignedOut(t, c, "the browser after sign-out")

		// The browser follows to the provider, which comes back to the sign-in page.
		back := strings.TrimPrefix(oiAuthorizeLike(t, loc), itBase)
		if back != "/.gatehouse/login?signed_out=1" {
			t.Errorf("the provider sent the browser back to %q", back)
		}
		es := idp.EndSessions()
		if len(es) != 1 || es[0].IDTokenHint != q.Get("id_token_hint") || es[0].ClientID != oiClientID {
			t.Errorf("the provider recorded %+v, want one end-session with the hint of client %s", es, oiClientID)
		}
	})

	t.Run("back-channel logout by sid ends the sessions of that sid only", func(t *testing.T) {
		_, a1 := signIn(t, alice)
		_, a2 := signIn(t, alice)
		_, b1 := signIn(t, bob)
		r := backchannel(t, idp.LogoutToken(oiClientID, alice.Subject, idp.SID(alice.Subject), oidctest.FaultNone))
		itExpectStatus(t, "back-channel logout", r, http.StatusOK)
		alive(t, "alice's first session", a1, false)
		alive(t, "alice's second session (same provider session)", a2, false)
		alive(t, "bob's session", b1, true)
	})

	t.Run("back-channel logout naming another sid leaves the session", func(t *testing.T) {
		_, a := signIn(t, alice)
		r := backchannel(t, idp.LogoutToken(oiClientID, alice.Subject, "another-provider-session", oidctest.FaultNone))
		itExpectStatus(t, "back-channel logout", r, http.StatusOK)
		alive(t, "alice's session of another sid", a, true)
	})

	t.Run("back-channel logout by sub ends all the user's sessions", func(t *testing.T) {
		_, a1 := signIn(t, alice)
		_, a2 := signIn(t, alice)
		_, b1 := signIn(t, bob)
		r := backchannel(t, idp.LogoutToken(oiClientID, alice.Subject, "", oidctest.FaultNone))
		itExpectStatus(t, "back-channel logout", r, http.StatusOK)
		alive(t, "alice's first session", a1, false)
		alive(t, "alice's second session", a2, false)
		alive(t, "bob's session", b1, true)
	})

	t.Run("a replayed logout token does not end a later session", func(t *testing.T) {
		_, a1 := signIn(t, alice)
		token := idp.LogoutToken(oiClientID, alice.Subject, "", oidctest.FaultNone)
		itExpectStatus(t, "back-channel logout", backchannel(t, token), http.StatusOK)
		alive(t, "alice's session", a1, false)
		_, a2 := signIn(t, alice)
		r := backchannel(t, token)
		itExpectStatus(t, "the same logout token again (same jti)", r, http.StatusBadRequest)
		alive(t, "alice's session started after the logout", a2, true)
	})

	t.Run("a replayed logout token with its signature re-encoded is refused", func(t *testing.T) {
		_, a1 := signIn(t, alice)
		token := idp.LogoutToken(oiClientID, alice.Subject, "", oidctest.FaultNone)
		itExpectStatus(t, "back-channel logout", backchannel(t, token), http.StatusOK)
		alive(t, "alice's session", a1, false)
		_, a2 := signIn(t, alice)
		// The last base64url character of the signature carries bits that decoding drops:
		// another string, the same signature.
		itExpectStatus(t, "the same logout token, signature re-encoded", backchannel(t, oiReencodeSignature(t, token)), http.StatusBadRequest)
		alive(t, "alice's session started after the logout", a2, true)
	})

	t.Run("bad logout tokens are refused with 400 and end nothing", func(t *testing.T) {
		_, a := signIn(t, alice)
		sid := idp.SID(alice.Subject)
		for _, tc := range []struct {
			name  string
			token string
		}{
			{"alg none", idp.LogoutToken(oiClientID, alice.Subject, sid, oidctest.FaultAlgNone)},
			{"HS256 with the public key", idp.LogoutToken(oiClientID, alice.Subject, sid, oidctest.FaultHS256PublicKey)},
			{"wrong iss", idp.LogoutToken(oiClientID, alice.Subject, sid, oidctest.FaultWrongIssuer)},
			{"wrong aud", idp.LogoutToken(oiClientID, alice.Subject, sid, oidctest.FaultWrongAudience)},
			{"another client's", idp.LogoutToken(oidctest.OtherClient, alice.Subject, sid, oidctest.FaultNone)},
			{"no event", idp.LogoutToken(oiClientID, alice.Subject, sid, oidctest.FaultLogoutNoEvent)},
			{"wrong event", idp.LogoutToken(oiClientID, alice.Subject, sid, oidctest.FaultLogoutWrongEvent)},
			{"with nonce", idp.LogoutToken(oiClientID, alice.Subject, sid, oidctest.FaultLogoutWithNonce)},
			{"bad signature", idp.LogoutToken(oiClientID, alice.Subject, sid, oidctest.FaultBadSignature)},
			{"expired", idp.LogoutToken(oiClientID, alice.Subject, sid, oidctest.FaultExpired)},
			{"neither sub nor sid", idp.LogoutToken(oiClientID, "", "", oidctest.FaultNone)},
			{"an ID token", oiIDToken(t, e, idp, alice)},
			{"empty", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := backchannel(t, tc.token)
				itExpectStatus(t, "back-channel logout", r, http.StatusBadRequest)
				if strings.Contains(r.Body, "<html") {
					t.Errorf("the provider got an HTML page:\n%s", oiShort(r.Body))
				}
				alive(t, "alice's session", a, true)
			})
		}
	})
}

// oiReencodeSignature returns token with the unused low bits of its signature's last
// base64url character flipped: a different string that decodes to the same signature.
func oiReencodeSignature(t *testing.T, token string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	sig := token[strings.LastIndexByte(token, '.')+1:]
	unused := (len(sig)*6 - base64.RawURLEncoding.DecodedLen(len(sig))*8) // bits the last character carries for nothing
	if unused == 0 {
		t.Fatalf("the signature (%d characters) has no unused bits", len(sig))
	}
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	altered := token[:len(token)-1] + string(alphabet[last^1])
	a, err1 := base64.RawURLEncoding.DecodeString(sig)
	b, err2 := base64.RawURLEncoding.DecodeString(altered[strings.LastIndexByte(altered, '.')+1:])
	if err1 != nil || err2 != nil || string(a) != string(b) {
		t.Fatalf("re-encoding the signature changed it (%v, %v)", err1, err2)
	}
	return altered
}

// oiAuthorizeLike GETs u at the provider without following redirects and returns where
// it sends the browser.
func oiAuthorizeLike(t testing.TB, u *url.URL) string {
	t.Helper()
	res, err := (&http.Client{Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(u.String())
	if err != nil {
		t.Fatalf("GET %s: %v", u.Redacted(), err)
	}
	res.Body.Close()
	return res.Header.Get("Location")
}

// oiIDToken signs u in and returns the ID token the provider issued (from the
// end-session URL Gatehouse builds at sign-out).
func oiIDToken(t *testing.T, e *itEnv, idp *oiIdP, u oidctest.User) string {
	t.Helper()
	idp.SetUser(u)
	c := e.client()
	c.oiMustSignIn("corp", "/")
	r := c.do(http.MethodPost, "/.gatehouse/logout", url.Values{"csrf": {c.formToken("/.gatehouse/logout")}}, nil)
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || loc.Query().Get("id_token_hint") == "" {
		t.Fatalf("sign-out did not go to the provider with an id_token_hint (status %d, Location %q)", r.Status, r.Header.Get("Location"))
	}
	return loc.Query().Get("id_token_hint")
}

// oiGitHub is a fake GitHub: OAuth authorization (approves at once), token endpoint and
// the REST API parts Gatehouse reads, for whoever the test sets as the user.
type oiGitHub struct {
	srv *httptest.Server

	mu         sync.Mutex
	login      string
	orgs       []string
	challenges map[string]string // code -> PKCE challenge
	tokens     map[string]bool
	badPKCE    int
}

func oiStartGitHub(t *testing.T) *oiGitHub {
	t.Helper()
	g := &oiGitHub{challenges: map[string]string{}, tokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != "gh-client" || q.Get("code_challenge_method") != "S256" || q.Get("state") == "" {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		code := oiRandom()
		g.mu.Lock()
		g.challenges[code] = q.Get("code_challenge")
		g.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		g.mu.Lock()
		defer g.mu.Unlock()
		challenge, ok := g.challenges[r.PostForm.Get("code")]
		delete(g.challenges, r.PostForm.Get("code"))
		w.Header().Set("Content-Type", "application/json")
		if !ok || r.PostForm.Get("client_id") != "gh-client" || r.PostForm.Get("client_secret") != "gh-secret" {
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "bad_verification_code"})
			return
		}
		if oiS256(r.PostForm.Get("code_verifier")) != challenge {
			g.badPKCE++
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "bad_verification_code"})
			return
		}
		token := oiRandom()
		g.tokens[token] = true
		_ = json.NewEncoder(w).Encode(map[string]string{"access_token": token, "token_type": "bearer", "scope": "read:user,user:email,read:org"})
	})
	api := func(path string, body func() any) {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			g.mu.Lock()
			ok := g.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			g.mu.Unlock()
			if !ok {
				http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			g.mu.Lock()
			defer g.mu.Unlock()
			_ = json.NewEncoder(w).Encode(body())
		})
	}
	api("/user", func() any { return map[string]any{"login": g.login, "id": 4242, "name": "The " + g.login} })
	api("/user/emails", func() any {
		return []map[string]any{{"email": strings.ToLower(g.login) + "@users.example", "primary": true, "verified": true}}
	})
	api("/user/orgs", func() any {
		out := []map[string]any{}
		for _, o := range g.orgs {
			out = append(out, map[string]any{"login": o})
		}
		return out
	})
	api("/user/teams", func() any { return []any{} })
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

// setUser makes the next sign-ins sign in login, a member of orgs.
func (g *oiGitHub) setUser(login string, orgs ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.login, g.orgs = login, orgs
}

// block is the `provider gh github { ... }` lines for the fake.
func (g *oiGitHub) block() string {
	return `
		provider gh github {
			client_id gh-client
			client_secret gh-secret
			auth_url ` + g.srv.URL + `/login/oauth/authorize
			token_url ` + g.srv.URL + `/login/oauth/access_token
			api_url ` + g.srv.URL + `
			orgs acme
		}`
}

// oiHref finds the links of a page.
var oiHref = regexp.MustCompile(`<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>`)

// TestIntegrationOIDCGitHub signs in with GitHub restricted to an organization, and checks
// the sign-in page's provider buttons.
func TestIntegrationOIDCGitHub(t *testing.T) {
	e := itSetup(t)
	gh := oiStartGitHub(t)
	idp := oiNewIdP(t, "corp")
	e.load(itConf{app: idp.block("") + gh.block(), site: oiSite})

	t.Run("the sign-in page has one button per provider, carrying rd", func(t *testing.T) {
		r := e.client().get("/.gatehouse/login?rd="+url.QueryEscape("/app/x?y=1"), itBrowser())
		itExpectStatus(t, "GET /.gatehouse/login", r, http.StatusOK)
		buttons := map[string]string{}
		for _, m := range oiHref.FindAllStringSubmatch(r.Body, -1) {
			href := html.UnescapeString(m[1])
			if strings.HasPrefix(href, "/.gatehouse/start/") {
				buttons[href] = strings.TrimSpace(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[2], ""))
			}
		}
		want := map[string]string{
			"/.gatehouse/start/corp?rd=" + url.QueryEscape("/app/x?y=1"): "Sign in with corp",
			"/.gatehouse/start/gh?rd=" + url.QueryEscape("/app/x?y=1"):   "Sign in with GitHub",
		}
		if !reflect.DeepEqual(buttons, want) {
			t.Errorf("provider buttons %q, want %q", buttons, want)
		}
		if !strings.Contains(r.Body, `id="password"`) {
			t.Error("the local sign-in form is gone")
		}
		// A button starts the sign-in at its provider.
		for href := range want {
			r := e.client().get(href, itBrowser())
			itExpectStatus(t, "GET "+href, r, http.StatusFound)
			if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, idp.URL()) && !strings.HasPrefix(loc, gh.srv.URL) {
				t.Errorf("GET %s: Location %q, want the provider", href, loc)
			}
		}
	})

	t.Run("a member of the organization signs in with its groups", func(t *testing.T) {
		gh.setUser("Octocat", "acme", "other-org")
		c := e.client()
		c.oiMustSignIn("gh", "/app")
		r := c.get("/app", nil)
		itExpectStatus(t, "GET /app", r, http.StatusOK)
		h := r.echo(t).Header
		if got := h["Remote-User"]; !reflect.DeepEqual(got, []string{"octocat"}) {
			t.Errorf("Remote-User = %q, want [octocat]", got)
		}
		if got := h["Remote-Email"]; !reflect.DeepEqual(got, []string{"octocat@users.example"}) {
			t.Errorf("Remote-Email = %q, want [octocat@users.example]", got)
		}
		if got := itSplitSet(strings.Join(h["Remote-Groups"], ",")); !reflect.DeepEqual(got, []string{"acme", "other-org"}) {
			t.Errorf("Remote-Groups = %q, want acme and other-org", got)
		}
		if r := c.get("/.gatehouse/me", nil); !strings.Contains(r.Body, `"provider":"gh"`) {
			t.Errorf("/me does not name provider gh: %s", r.Body)
		}
		gh.mu.Lock()
		bad := gh.badPKCE
		gh.mu.Unlock()
		if bad != 0 {
			t.Errorf("the fake GitHub saw %d bad PKCE verifiers", bad)
		}
	})

	t.Run("someone outside the organization gets a 403 page naming the rule", func(t *testing.T) {
		gh.setUser("mallory-gh", "evil-corp")
		c := e.client()
		hits := e.up.hits.Load()
		r := c.oiSignIn("gh", "/app")
		oiExpectRefused(t, e, "callback", r, http.StatusForbidden, "not allowed", hits)
		if !strings.Contains(r.Body, "orgs acme") || !strings.Contains(r.Body, "mallory-gh") {
			t.Errorf("the 403 page does not name the rule (orgs acme) and the account:\n%s", oiShort(r.Body))
		}
		oiExpectSignedOut(t, c, "the refused browser")
	})

	t.Run("a state started at one provider is refused at another's callback", func(t *testing.T) {
		c := e.client()
		cb := oiAuthorize(t, c.oiStart("corp", "/app").authURL)
		hits := e.up.hits.Load()
		r := c.get(strings.Replace(cb, "/callback/corp", "/callback/gh", 1), itBrowser())
		oiExpectRefused(t, e, "corp's callback sent to gh", r, http.StatusBadRequest, "expired", hits)
		oiExpectSignedOut(t, c, "after the mixed-up callback")
	})

	t.Run("back-channel logout at GitHub is refused", func(t *testing.T) {
		r := e.bare().do(http.MethodPost, "/.gatehouse/backchannel-logout/gh", url.Values{"logout_token": {"x.y.z"}}, nil)
		itExpectStatus(t, "POST /.gatehouse/backchannel-logout/gh", r, http.StatusBadRequest)
	})
}
