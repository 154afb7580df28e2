package gatehouse

// Helpers for the OpenID Connect integration tests: test identity providers (oidctest) on
// their own httptest servers, their `provider` blocks for the Caddyfile, and a walk through
// the sign-in flow the way a browser makes it (start, the provider, the callback).

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/oidc/oidctest"
)

// The client every test identity provider registers for Gatehouse.
const (
	oiClientID = "gatehouse-it"
	oiSecret   = "gatehouse-it-secret-42"
)

// oiFlowCookie is the cookie binding a sign-in at a provider to the browser that started it.
const oiFlowCookie = itCookie + "_flow"

// oiIdP is a test identity provider and the provider name Gatehouse knows it by.
type oiIdP struct {
	*oidctest.Server
	name string
}

// oiNewIdP starts a test identity provider for the provider name, on the clock Gatehouse
// reads (so that moving clockSkew moves both), with Gatehouse's callback registered.
func oiNewIdP(t *testing.T, name string) *oiIdP {
	t.Helper()
	srv := oidctest.New(t, oidctest.WithClock(now))
	srv.AddClient(oiClientID, oiSecret, oiCallbackURL(name))
	return &oiIdP{Server: srv, name: name}
}

// oiCallbackURL is the redirect URI Gatehouse sends for the provider name.
func oiCallbackURL(name string) string { return itBase + "/.gatehouse/callback/" + name }

// block is the provider's `provider <name> oidc { ... }` lines, with extra lines added.
func (p *oiIdP) block(extra string) string {
	return fmt.Sprintf(`
		provider %s oidc {
			issuer %s
			client_id %s
			client_secret %s
			groups_claim groups
			roles_claim realm_access.roles
%s
		}`, p.name, p.Issuer(), oiClientID, oiSecret, extra)
}

// oiSite guards everything and adds areas open only to one provider's users.
const oiSite = `
	handle /corp-only/* {
		gatehouse {
			allow provider corp
		}
		reverse_proxy {up}
	}
	handle /email-only/* {
		gatehouse {
			allow email *@corp.example
		}
		reverse_proxy {up}
	}
	handle /local-only/* {
		gatehouse {
			allow provider local
		}
		reverse_proxy {up}
	}
	handle {
		gatehouse
		reverse_proxy {up}
	}`

// oiAdvance moves the clock Gatehouse (and every oiIdP) reads forward by d.
func oiAdvance(d time.Duration) { clockSkew.Add(int64(d)) }

// oiStarted is a sign-in started at Gatehouse: where it sends the browser.
type oiStarted struct {
	resp    itResp
	authURL *url.URL // the provider's authorization URL
	flow    string   // the flow cookie Gatehouse set
}

// oiStart opens /.gatehouse/start/<name>?rd=rd and checks the 302 to the provider.
func (c *itClient) oiStart(name, rd string) oiStarted {
	c.t.Helper()
	r := c.get("/.gatehouse/start/"+name+"?rd="+url.QueryEscape(rd), itBrowser())
	if r.Status != http.StatusFound {
		c.t.Fatalf("GET /.gatehouse/start/%s: status %d, want 302\n%s", name, r.Status, r.Body)
	}
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil || !u.IsAbs() {
		c.t.Fatalf("GET /.gatehouse/start/%s: Location %q is not an absolute URL", name, r.Header.Get("Location"))
	}
	s := oiStarted{resp: r, authURL: u}
	if ck := r.cookie(oiFlowCookie); ck != nil {
		s.flow = ck.Value
	}
	return s
}

// oiAuthorize opens the provider's authorization URL (the test providers approve at once)
// and returns the path and query of Gatehouse's callback it redirects to.
func oiAuthorize(t testing.TB, authURL *url.URL) string {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(authURL.String())
	if err != nil {
		t.Fatalf("GET the provider's authorization URL: %v", err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, itBase+"/.gatehouse/callback/") {
		t.Fatalf("the provider answered %d with Location %q, want a 302 to Gatehouse's callback", res.StatusCode, loc)
	}
	return strings.TrimPrefix(loc, itBase)
}

// oiSignIn walks a whole sign-in at the provider name (start, provider, callback) and
// returns the callback's answer.
func (c *itClient) oiSignIn(name, rd string) itResp {
	c.t.Helper()
	return c.get(oiAuthorize(c.t, c.oiStart(name, rd).authURL), itBrowser())
}

// oiMustSignIn signs in at the provider name and checks the 303 to rd with a session cookie.
func (c *itClient) oiMustSignIn(name, rd string) itResp {
	c.t.Helper()
	r := c.oiSignIn(name, rd)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != rd {
		c.t.Fatalf("sign-in at %s: status %d Location %q, want 303 to %s\n%s", name, r.Status, r.Header.Get("Location"), rd, r.Body)
	}
	if r.cookie(itCookie) == nil {
		c.t.Fatalf("sign-in at %s: no session cookie set", name)
	}
	return r
}

// oiExpectRefused checks that a callback answer refused the sign-in: status want, an HTML
// page saying heading, no session cookie, and the app behind Gatehouse not reached.
func oiExpectRefused(t testing.TB, e *itEnv, what string, r itResp, want int, heading string, hitsBefore int64) {
	t.Helper()
	itExpectStatus(t, what, r, want)
	if !strings.Contains(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(r.Body, heading) {
		t.Errorf("%s: not a page saying %q:\n%s", what, heading, oiShort(r.Body))
	}
	if ck := r.cookie(itCookie); ck != nil && ck.Value != "" {
		t.Errorf("%s: a session cookie was set", what)
	}
	if e.up.hits.Load() != hitsBefore {
		t.Errorf("%s: the app behind Gatehouse was reached", what)
	}
}

// oiExpectSignedOut checks that the client's jar holds no session Gatehouse accepts.
func oiExpectSignedOut(t testing.TB, c *itClient, what string) {
	t.Helper()
	if r := c.get("/.gatehouse/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("%s: /.gatehouse/me answered %d, want 401 (not signed in)", what, r.Status)
	}
}

// oiMe reads /.gatehouse/me for the session token.
func oiMe(t testing.TB, e *itEnv, token string) itResp {
	t.Helper()
	return e.bare().get("/.gatehouse/me", itCookieHeader(token))
}

// oiShort cuts a body for an error message.
func oiShort(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// oiRandom returns a random token for the fakes (codes, access tokens).
func oiRandom() string { return rand.Text() }

// oiS256 is the PKCE S256 challenge of verifier.
func oiS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
