package gatehouse

// Integration tests: Caddy runs in-process (caddytest) with Gatehouse in front of an echo
// upstream; the tests act as browsers and API clients and check what a user would see and
// what the app behind Gatehouse receives. They run one after another (one Caddy per binary).

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/session"
)

// TestIntegrationOutcomes checks the outcomes table of GATEWAY.md §4.
func TestIntegrationOutcomes(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles, site: itSiteDefault})
	anon := e.bare()

	t.Run("not signed in, browser: 302 to the sign-in page with the original URL", func(t *testing.T) {
		for _, target := range []string{"/app/page?x=1&y=two%20words", "/admin/", "/"} {
			hits := e.up.hits.Load()
			r := anon.get(target, itBrowser())
			itExpectStatus(t, "GET "+target, r, http.StatusFound)
			want := "/.gatehouse/login?rd=" + url.QueryEscape(target)
			if got := r.Header.Get("Location"); got != want {
				t.Errorf("GET %s: Location %q, want %q", target, got, want)
			}
			if e.up.hits.Load() != hits {
				t.Errorf("GET %s: the upstream was called", target)
			}
		}
	})

	t.Run("not signed in, API client: 401 with a Bearer challenge", func(t *testing.T) {
		hits := e.up.hits.Load()
		r := anon.get("/app/data", http.Header{"Accept": {"application/json"}})
		itExpectStatus(t, "GET /app/data", r, http.StatusUnauthorized)
		if got := r.Header.Get("WWW-Authenticate"); got != `Bearer realm="gatehouse"` {
			t.Errorf("WWW-Authenticate %q", got)
		}
		if e.up.hits.Load() != hits {
			t.Error("the upstream was called")
		}
	})

	bob := e.client()
	bob.signIn("bob", "/")

	t.Run("signed in, not allowed, browser: 403 page about access", func(t *testing.T) {
		hits := e.up.hits.Load()
		r := bob.get("/admin/settings", itBrowser())
		itExpectStatus(t, "GET /admin/settings", r, http.StatusForbidden)
		if !strings.Contains(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(r.Body, "access") {
			t.Errorf("the 403 page does not say the user lacks access:\n%s", r.Body)
		}
		if !strings.Contains(r.Body, "Bob") {
			t.Errorf("the 403 page does not say who is signed in:\n%s", r.Body)
		}
		if e.up.hits.Load() != hits {
			t.Error("the upstream was called")
		}
	})

	t.Run("signed in, not allowed, API client: plain 403", func(t *testing.T) {
		r := bob.get("/admin/settings", http.Header{"Accept": {"application/json"}})
		itExpectStatus(t, "GET /admin/settings", r, http.StatusForbidden)
		if strings.Contains(r.Body, "<html") {
			t.Errorf("an API client got an HTML page:\n%s", r.Body)
		}
	})

	t.Run("signed in and allowed: passes", func(t *testing.T) {
		r := bob.get("/app/page", nil)
		itExpectStatus(t, "GET /app/page", r, http.StatusOK)
		if got := r.echo(t).Header["Remote-User"]; !reflect.DeepEqual(got, []string{"bob"}) {
			t.Errorf("Remote-User %q, want [bob]", got)
		}
	})
}

// TestIntegrationStoreUnreachable checks that a store that cannot be opened gives 503, never
// a pass, and that the upstream sees nothing.
func TestIntegrationStoreUnreachable(t *testing.T) {
	e := itSetup(t)
	dir := filepath.Join(t.TempDir(), "sub")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// The store path is a folder: the database cannot be opened.
	e.load(itConf{store: "file " + dir, app: itRoles, site: itSiteDefault})
	c := e.bare()
	token := session.NewToken()
	for _, tc := range []struct {
		name, path string
		hdr        http.Header
	}{
		{"API client, guarded route", "/app/data", nil},
		{"browser, guarded route", "/app/page", itBrowser()},
		{"API client, public route", "/public/page", nil},
		{"browser, public route", "/public/page", itBrowser()},
		{"/me", "/.gatehouse/me", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits := e.up.hits.Load()
			r := c.get(tc.path, itWith(tc.hdr, itCookieHeader(token)))
			itExpectStatus(t, "GET "+tc.path, r, http.StatusServiceUnavailable)
			if e.up.hits.Load() != hits {
				t.Error("the upstream was called")
			}
		})
	}
	t.Run("browser gets a page saying sign-in is unavailable", func(t *testing.T) {
		r := c.get("/app/page", itWith(itBrowser(), itCookieHeader(token)))
		if !strings.Contains(r.Body, "unavailable") {
			t.Errorf("the 503 page does not say what is wrong:\n%s", r.Body)
		}
	})
	t.Run("sign-in: 503 and no session", func(t *testing.T) {
		u := e.client()
		a := itAccountByName(t, "bob")
		r := u.postLogin(a.name, a.pass, "/", nil)
		itExpectStatus(t, "POST /.gatehouse/login", r, http.StatusServiceUnavailable)
		if r.cookie(itCookie) != nil {
			t.Error("a session cookie was set while the store is down")
		}
	})
}

// TestIntegrationLogin checks the sign-in form: cookie attributes, wrong passwords,
// forged posts, return URLs and session fixation.
func TestIntegrationLogin(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles, site: itSiteDefault})
	alice := itAccountByName(t, "alice")

	t.Run("success: HttpOnly SameSite=Lax cookie, 303 to rd", func(t *testing.T) {
		u := e.client()
		r := u.signIn("alice", "/app/page?x=1")
		if got := r.Header.Get("Location"); got != "/app/page?x=1" {
			t.Errorf("Location %q, want /app/page?x=1", got)
		}
		ck := r.cookie(itCookie)
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" {
			t.Errorf("session cookie HttpOnly=%v SameSite=%v Secure=%v Path=%q; want HttpOnly, Lax, not Secure over plain HTTP to localhost, /",
				ck.HttpOnly, ck.SameSite, ck.Secure, ck.Path)
		}
		if !session.ValidToken(ck.Value) {
			t.Errorf("session cookie value %q is not a session token", ck.Value)
		}
		got := u.get("/app/page?x=1", nil)
		itExpectStatus(t, "GET /app/page after sign-in", got, http.StatusOK)
	})

	for _, tc := range []struct{ name, user, pass string }{
		{"wrong password", "alice", "not-her-password"},
		{"unknown user", "nobody-here", "whatever-password"},
	} {
		t.Run(tc.name+": 401, same message, no cookie", func(t *testing.T) {
			u := e.client()
			r := u.postLogin(tc.user, tc.pass, "/", nil)
			itExpectStatus(t, "POST /.gatehouse/login", r, http.StatusUnauthorized)
			if !strings.Contains(r.Body, "Wrong username or password") {
				t.Errorf("the page does not say \"Wrong username or password\":\n%s", r.Body)
			}
			if r.cookie(itCookie) != nil {
				t.Error("a session cookie was set")
			}
			itExpectStatus(t, "GET /.gatehouse/me", u.get("/.gatehouse/me", nil), http.StatusUnauthorized)
		})
	}

	t.Run("forged posts are refused without a session", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			token bool
			hdr   http.Header
		}{
			{"no csrf token", false, nil},
			{"cross-site Origin", true, http.Header{"Origin": {"https://evil.example"}}},
			{"Sec-Fetch-Site: cross-site", true, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
			{"Sec-Fetch-Site: same-site", true, http.Header{"Sec-Fetch-Site": {"same-site"}}},
			{"Origin null", true, http.Header{"Origin": {"null"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u := e.client()
				form := url.Values{"username": {alice.name}, "password": {alice.pass}, "rd": {"/"}}
				csrf := u.formToken("/.gatehouse/login")
				if tc.token {
					form.Set("csrf", csrf)
				}
				r := u.do(http.MethodPost, "/.gatehouse/login", form, tc.hdr)
				itExpectStatus(t, "POST /.gatehouse/login", r, http.StatusForbidden)
				if r.cookie(itCookie) != nil {
					t.Error("a session cookie was set")
				}
				itExpectStatus(t, "GET /.gatehouse/me", u.get("/.gatehouse/me", nil), http.StatusUnauthorized)
			})
		}
	})

	t.Run("a csrf token from another browser is refused", func(t *testing.T) {
		other := e.client()
		stolen := other.formToken("/.gatehouse/login")
		u := e.client()
		u.formToken("/.gatehouse/login") // its own binding cookie
		form := url.Values{"username": {alice.name}, "password": {alice.pass}, "rd": {"/"}, "csrf": {stolen}}
		r := u.do(http.MethodPost, "/.gatehouse/login", form, nil)
		itExpectStatus(t, "POST /.gatehouse/login", r, http.StatusForbidden)
		if r.cookie(itCookie) != nil {
			t.Error("a session cookie was set")
		}
	})

	t.Run("unsafe rd falls back to /", func(t *testing.T) {
		for _, rd := range []string{"//evil.com", "https://evil.com/", `/\evil.com`} {
			u := e.client()
			r := u.signIn("alice", rd)
			if got := r.Header.Get("Location"); got != "/" {
				t.Errorf("rd %q: Location %q, want /", rd, got)
			}
		}
	})

	t.Run("an absolute rd to this site is kept", func(t *testing.T) {
		rd := itBase + "/app/x"
		r := e.client().signIn("alice", rd)
		if got := r.Header.Get("Location"); got != rd {
			t.Errorf("Location %q, want %q", got, rd)
		}
	})

	t.Run("no session fixation", func(t *testing.T) {
		// An attacker signs in and plants their own cookie in the victim's browser.
		attacker := e.client()
		attacker.signIn("carol", "/")
		planted := attacker.token()
		victim := e.client()
		victim.setToken(planted)
		// The victim opens the sign-in page (with a valid session and no rd, it is shown).
		csrf := victim.formToken("/.gatehouse/login")
		form := url.Values{"username": {alice.name}, "password": {alice.pass}, "csrf": {csrf}}
		itExpectStatus(t, "victim sign-in", victim.do(http.MethodPost, "/.gatehouse/login", form, nil), http.StatusSeeOther)
		issued := victim.token()
		if issued == planted || issued == "" {
			t.Fatalf("the cookie after sign-in is the planted one (%q)", issued)
		}
		me := victim.get("/.gatehouse/me", nil)
		itExpectStatus(t, "victim /me", me, http.StatusOK)
		if !strings.Contains(me.Body, `"user":"alice"`) {
			t.Errorf("victim /me: %s", me.Body)
		}
		// The planted token never gives the victim's identity.
		r := e.bare().get("/.gatehouse/me", itCookieHeader(planted))
		if strings.Contains(r.Body, `"alice"`) {
			t.Errorf("the planted token now signs in as the victim: %s", r.Body)
		}
	})
}

// TestIntegrationLogout checks that signing out ends the session in the store, and that the
// GET form only asks.
func TestIntegrationLogout(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles, site: itSiteDefault})
	u := e.client()
	u.signIn("bob", "/")
	old := u.token()

	t.Run("GET shows a confirm page and does not sign out", func(t *testing.T) {
		r := u.get("/.gatehouse/logout", itBrowser())
		itExpectStatus(t, "GET /.gatehouse/logout", r, http.StatusOK)
		if !strings.Contains(r.Body, "<form") || !strings.Contains(r.Body, `name="csrf"`) {
			t.Errorf("no sign-out form on the confirm page:\n%s", r.Body)
		}
		if c := r.cookie(itCookie); c != nil {
			t.Errorf("GET changed the session cookie: %v", c)
		}
		itExpectStatus(t, "GET /app after the confirm page", u.get("/app", nil), http.StatusOK)
	})

	t.Run("POST without the csrf token does not sign out", func(t *testing.T) {
		r := u.do(http.MethodPost, "/.gatehouse/logout", url.Values{"rd": {"/"}}, nil)
		itExpectStatus(t, "POST /.gatehouse/logout", r, http.StatusForbidden)
		itExpectStatus(t, "GET /app after a forged sign-out", u.get("/app", nil), http.StatusOK)
	})

	t.Run("POST signs out; the old cookie replayed is refused", func(t *testing.T) {
		csrf := u.formToken("/.gatehouse/logout")
		r := u.do(http.MethodPost, "/.gatehouse/logout", url.Values{"csrf": {csrf}}, nil)
		itExpectStatus(t, "POST /.gatehouse/logout", r, http.StatusSeeOther)
		if got := r.Header.Get("Location"); !strings.HasPrefix(got, "/.gatehouse/login") {
			t.Errorf("Location %q, want the sign-in page", got)
		}
		if c := r.cookie(itCookie); c == nil || c.MaxAge >= 0 {
			t.Errorf("the session cookie is not cleared: %v", c)
		}
		itExpectStatus(t, "GET /app after sign-out", u.get("/app", nil), http.StatusUnauthorized)

		replay := e.client()
		replay.setToken(old)
		itExpectStatus(t, "API replay of the old cookie", replay.get("/app", nil), http.StatusUnauthorized)
		b := replay.get("/app", itBrowser())
		itExpectStatus(t, "browser replay of the old cookie", b, http.StatusFound)
		itExpectStatus(t, "/me with the old cookie", replay.get("/.gatehouse/me", nil), http.StatusUnauthorized)
	})

	t.Run("logout rd is validated", func(t *testing.T) {
		v := e.client()
		v.signIn("bob", "/")
		csrf := v.formToken("/.gatehouse/logout")
		r := v.do(http.MethodPost, "/.gatehouse/logout", url.Values{"csrf": {csrf}, "rd": {"https://evil.com/"}}, nil)
		itExpectStatus(t, "POST /.gatehouse/logout", r, http.StatusSeeOther)
		if got := r.Header.Get("Location"); got != "/" {
			t.Errorf("Location %q, want /", got)
		}
	})
}

// TestIntegrationExpiry moves Gatehouse's clock to check the idle limit and the lifetime.
func TestIntegrationExpiry(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles + `
		session {
			idle 10m
			lifetime 1h
		}`, site: itSiteDefault})
	idle, busy, long := e.client(), e.client(), e.client()
	idle.signIn("bob", "/")
	busy.signIn("bob", "/")
	long.signIn("bob", "/")

	// at moves the clock to d after sign-in.
	at := func(d time.Duration) { clockSkew.Store(int64(d)) }
	t.Cleanup(func() { clockSkew.Store(0) })

	for _, step := range []time.Duration{5, 10, 15, 20} {
		at(step * time.Minute)
		itExpectStatus(t, fmt.Sprintf("session used every 5 min, at %d min", step), busy.get("/app", nil), http.StatusOK)
	}
	// The idle session was last used at sign-in.
	at(11 * time.Minute)
	itExpectStatus(t, "unused for 11 min (idle 10m)", idle.get("/app", nil), http.StatusUnauthorized)
	itExpectStatus(t, "browser, unused for 11 min", idle.get("/app", itBrowser()), http.StatusFound)

	for _, step := range []time.Duration{9, 18, 27, 36, 45, 54} {
		at(step * time.Minute)
		itExpectStatus(t, fmt.Sprintf("session used every 9 min, at %d min", step), long.get("/app", nil), http.StatusOK)
	}
	at(61 * time.Minute)
	itExpectStatus(t, "past the 1h lifetime", long.get("/app", nil), http.StatusUnauthorized)
	itExpectStatus(t, "/me past the lifetime", long.get("/.gatehouse/me", nil), http.StatusUnauthorized)
}

// TestIntegrationRoles checks allow and deny by role (with inheritance), group, user, email
// and provider, several handlers on one route, and named policies.
func TestIntegrationRoles(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles + `
		policy acme {
			allow email *@acme.com
		}`, site: `
	handle /.gatehouse/* {
		gatehouse
	}
	handle /editor/* {
		gatehouse {
			allow role editor
		}
		reverse_proxy {up}
	}
	handle /admin/* {
		gatehouse {
			allow role admin
		}
		reverse_proxy {up}
	}
	handle /group/* {
		gatehouse {
			allow group readers
		}
		reverse_proxy {up}
	}
	handle /user/* {
		gatehouse {
			allow user carol dan
		}
		reverse_proxy {up}
	}
	handle /email/* {
		gatehouse {
			allow email *@acme.com
		}
		reverse_proxy {up}
	}
	handle /provider/* {
		gatehouse {
			allow provider local
		}
		reverse_proxy {up}
	}
	handle /denyonly/* {
		gatehouse {
			deny user mallory
		}
		reverse_proxy {up}
	}
	handle /denywins/* {
		gatehouse {
			allow email *@acme.com
			deny user mallory
		}
		reverse_proxy {up}
	}
	handle /two/* {
		@twoadmin path /two/admin/*
		gatehouse @twoadmin {
			allow role admin
		}
		gatehouse {
			allow role editor
		}
		reverse_proxy {up}
	}
	handle /three/* {
		@staffonly path /three/staff/*
		gatehouse @staffonly {
			allow group staff
		}
		gatehouse {
			allow email *@acme.com
		}
		reverse_proxy {up}
	}
	handle /policy/* {
		gatehouse {
			policy acme
			allow group staff
		}
		reverse_proxy {up}
	}
	respond 404`})

	clients := map[string]*itClient{}
	for _, name := range []string{"alice", "bob", "carol", "mallory", "dan"} {
		clients[name] = e.client()
		clients[name].signIn(name, "/")
	}

	for _, tc := range []struct {
		user, path string
		want       int
	}{
		{"alice", "/editor/x", 200}, {"alice", "/admin/x", 200},
		{"bob", "/editor/x", 200}, {"bob", "/admin/x", 403},
		{"carol", "/editor/x", 403}, {"carol", "/admin/x", 403},
		{"carol", "/group/x", 200}, {"bob", "/group/x", 403},
		{"carol", "/user/x", 200}, {"dan", "/user/x", 200}, {"alice", "/user/x", 403},
		{"bob", "/email/x", 200}, {"alice", "/email/x", 200}, {"carol", "/email/x", 403}, {"dan", "/email/x", 403},
		{"carol", "/provider/x", 200}, {"alice", "/provider/x", 200},
		{"mallory", "/denyonly/x", 403}, {"carol", "/denyonly/x", 200}, {"bob", "/denyonly/x", 200},
		{"mallory", "/denywins/x", 403}, {"bob", "/denywins/x", 200}, {"carol", "/denywins/x", 403},
		{"alice", "/two/admin/x", 200}, {"bob", "/two/admin/x", 403}, {"bob", "/two/x", 200}, {"carol", "/two/x", 403},
		// Both handlers apply: the matched one and the catch-all.
		{"bob", "/three/staff/x", 200}, {"dan", "/three/staff/x", 403}, {"alice", "/three/staff/x", 403},
		{"dan", "/three/x", 403}, {"alice", "/three/x", 200},
		// The policy and the route's own allow must both pass.
		{"bob", "/policy/x", 200}, {"mallory", "/policy/x", 200}, {"dan", "/policy/x", 403}, {"alice", "/policy/x", 403},
		{"carol", "/policy/x", 403},
	} {
		hits := e.up.hits.Load()
		r := clients[tc.user].get(tc.path, nil)
		itExpectStatus(t, tc.user+" GET "+tc.path, r, tc.want)
		called := e.up.hits.Load() != hits
		if called != (tc.want == 200) {
			t.Errorf("%s GET %s: upstream called=%v with status %d", tc.user, tc.path, called, r.Status)
		}
	}

	t.Run("Remote-Roles lists the resolved roles", func(t *testing.T) {
		for user, want := range map[string][]string{"alice": {"admin", "editor"}, "bob": {"editor"}, "dan": {"editor"}} {
			r := clients[user].get("/editor/x", nil)
			itExpectStatus(t, user+" /editor/x", r, http.StatusOK)
			got := r.echo(t).Header["Remote-Roles"]
			if len(got) != 1 || !reflect.DeepEqual(itSplitSet(got[0]), want) {
				t.Errorf("%s: Remote-Roles %q, want %v", user, got, want)
			}
		}
		r := clients["carol"].get("/provider/x", nil)
		if got := r.echo(t).values("Remote-Roles"); len(got) != 0 {
			t.Errorf("carol has no role but the upstream got Remote-Roles %v", got)
		}
	})
}

// TestIntegrationPublic checks public routes with and without a session.
func TestIntegrationPublic(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles, site: itSiteDefault})

	t.Run("not signed in: passes, no identity at all", func(t *testing.T) {
		hits := e.up.hits.Load()
		r := e.bare().get("/public/page", itBrowser())
		itExpectStatus(t, "GET /public/page", r, http.StatusOK)
		if e.up.hits.Load() == hits {
			t.Fatal("the upstream was not called")
		}
		ec := r.echo(t)
		for _, h := range identityHeaders {
			if got := ec.values(h); len(got) != 0 {
				t.Errorf("the upstream got %s: %v", h, got)
			}
		}
		who := ec.values("X-Who")
		for _, v := range who {
			if len(v) != 1 || v[0] != "" {
				t.Errorf("X-Who (from {http.auth.user.id}) reached the upstream as %q, want empty or absent", v)
			}
		}
	})

	t.Run("signed in: identity headers present", func(t *testing.T) {
		u := e.client()
		u.signIn("bob", "/")
		r := u.get("/public/page", nil)
		itExpectStatus(t, "GET /public/page", r, http.StatusOK)
		ec := r.echo(t)
		want := map[string]string{"Remote-User": "bob", "Remote-Email": "bob@acme.com", "Remote-Name": "Bob",
			"Remote-Groups": "staff", "Remote-Roles": "editor", "X-Who": "bob"}
		for k, v := range want {
			if got := ec.Header[k]; !reflect.DeepEqual(got, []string{v}) {
				t.Errorf("%s: %q, want [%s]", k, got, v)
			}
		}
	})

	t.Run("a stale cookie on a public route passes without identity", func(t *testing.T) {
		r := e.bare().get("/public/page", itCookieHeader(session.NewToken()))
		itExpectStatus(t, "GET /public/page", r, http.StatusOK)
		if got := r.echo(t).values("Remote-User"); len(got) != 0 {
			t.Errorf("Remote-User %v", got)
		}
	})
}

// TestIntegrationPortal checks the reserved /.gatehouse/ endpoints.
func TestIntegrationPortal(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles, site: itSiteDefault})

	t.Run("unknown endpoint: 404 from Gatehouse, upstream never called", func(t *testing.T) {
		u := e.client()
		u.signIn("alice", "/")
		for _, tc := range []struct {
			c    *itClient
			path string
			hdr  http.Header
		}{
			{e.bare(), "/.gatehouse/whatever", nil},
			{e.bare(), "/.gatehouse/whatever", itBrowser()},
			{u, "/.gatehouse/whatever/deeper?x=1", nil},
			{u, "/.gatehouse/", itBrowser()},
			{u, "/.gatehouse/login/extra", nil},
		} {
			hits := e.up.hits.Load()
			r := tc.c.get(tc.path, tc.hdr)
			itExpectStatus(t, "GET "+tc.path, r, http.StatusNotFound)
			if e.up.hits.Load() != hits {
				t.Errorf("GET %s: the upstream was called", tc.path)
			}
		}
	})

	t.Run("/me when signed in", func(t *testing.T) {
		u := e.client()
		u.signIn("bob", "/")
		r := u.get("/.gatehouse/me", nil)
		itExpectStatus(t, "GET /.gatehouse/me", r, http.StatusOK)
		var me map[string]any
		if err := json.Unmarshal([]byte(r.Body), &me); err != nil {
			t.Fatalf("/me is not JSON: %v\n%s", err, r.Body)
		}
		for _, k := range []string{"user", "email", "name", "groups", "roles", "provider", "mfa", "expires"} {
			if _, ok := me[k]; !ok {
				t.Errorf("/me has no %q field: %s", k, r.Body)
			}
		}
		want := map[string]any{"user": "bob", "email": "bob@acme.com", "name": "Bob", "provider": "local",
			"groups": []any{"staff"}, "roles": []any{"editor"}}
		for k, v := range want {
			if !reflect.DeepEqual(me[k], v) {
				t.Errorf("/me %s = %v, want %v", k, me[k], v)
			}
		}
		exp, err := time.Parse(time.RFC3339, fmt.Sprint(me["expires"]))
		if err != nil || !exp.After(time.Now()) {
			t.Errorf("/me expires %v is not a future time (%v)", me["expires"], err)
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("/me Cache-Control %q", cc)
		}
	})

	t.Run("/me when not signed in: 401", func(t *testing.T) {
		r := e.bare().get("/.gatehouse/me", nil)
		itExpectStatus(t, "GET /.gatehouse/me", r, http.StatusUnauthorized)
	})

	t.Run("the portal works when the only gatehouse route has a matcher", func(t *testing.T) {
		e.load(itConf{app: itRoles, site: `
	gatehouse /admin/* {
		allow role admin
	}
	reverse_proxy {up}`})
		u := e.client()
		r := u.get("/.gatehouse/login", itBrowser())
		itExpectStatus(t, "GET /.gatehouse/login", r, http.StatusOK)
		if !strings.Contains(r.Body, `name="password"`) {
			t.Errorf("no sign-in form:\n%s", r.Body)
		}
		itExpectStatus(t, "GET /admin/x before sign-in", u.get("/admin/x", nil), http.StatusUnauthorized)
		u.signIn("alice", "/admin/x")
		r = u.get("/admin/x", nil)
		itExpectStatus(t, "GET /admin/x after sign-in", r, http.StatusOK)
		if got := r.echo(t).Header["Remote-User"]; !reflect.DeepEqual(got, []string{"alice"}) {
			t.Errorf("Remote-User %q", got)
		}
		itExpectStatus(t, "GET /.gatehouse/me", u.get("/.gatehouse/me", nil), http.StatusOK)
	})
}

// TestIntegrationPortalBehindHandle checks the documented layout for a site that guards
// only part of itself with `handle` blocks and proxies the rest: a `handle /.gatehouse/*`
// block serves the portal, so the sign-in page Gatehouse redirects to is Gatehouse's own
// and /.gatehouse/ never reaches the app (GATEWAY.md §4).
func TestIntegrationPortalBehindHandle(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles, site: `
	handle /.gatehouse/* {
		gatehouse
	}
	handle /app/* {
		gatehouse
		reverse_proxy {up}
	}
	handle {
		reverse_proxy {up}
	}`})
	u := e.client()
	r := u.get("/app/page", itBrowser())
	itExpectStatus(t, "GET /app/page", r, http.StatusFound)
	login := r.Header.Get("Location")
	hits := e.up.hits.Load()
	r = u.get(login, itBrowser())
	if e.up.hits.Load() != hits {
		t.Errorf("GET %s reached the app, not Gatehouse", login)
	}
	itExpectStatus(t, "GET "+login, r, http.StatusOK)
	if !strings.Contains(r.Body, `name="password"`) {
		t.Errorf("GET %s: no sign-in form", login)
	}
}

// TestIntegrationReload checks that sessions survive reloads and that reloads leak no
// Gatehouse goroutine.
func TestIntegrationReload(t *testing.T) {
	e := itSetup(t)
	base := itConf{app: itRoles, site: itSiteDefault}
	e.load(base)
	u := e.client()
	u.signIn("alice", "/")
	itExpectStatus(t, "before reload", u.get("/app", nil), http.StatusOK)

	e.forceLoad(base)
	itExpectStatus(t, "after a reload with the same config", u.get("/app", nil), http.StatusOK)

	changed := itConf{app: itRoles + `
		role viewer {
			grant user alice
		}`, site: `
	handle /viewer/* {
		gatehouse {
			allow role viewer
		}
		reverse_proxy {up}
	}` + itSiteDefault}
	e.load(changed)
	r := u.get("/viewer/x", nil)
	itExpectStatus(t, "after a reload with a new role and route", r, http.StatusOK)
	if got := r.echo(t).Header["Remote-Roles"]; len(got) != 1 || !reflect.DeepEqual(itSplitSet(got[0]), []string{"admin", "editor", "viewer"}) {
		t.Errorf("Remote-Roles after the reload %q, want admin,editor,viewer", got)
	}

	t.Run("no goroutine leak", func(t *testing.T) {
		e.load(base)
		itExpectStatus(t, "warm-up", u.get("/app", nil), http.StatusOK)
		var before []string
		// Let goroutines of the previous config finish before counting.
		itPoll(5*time.Second, func() bool {
			prev := before
			before = itGatehouseGoroutines()
			return prev != nil && len(prev) == len(before)
		})
		t.Logf("%d goroutines run Gatehouse code before the reloads", len(before))
		for i := 0; i < 5; i++ {
			if i%2 == 0 {
				e.forceLoad(changed)
			} else {
				e.forceLoad(base)
			}
		}
		e.forceLoad(base)
		itExpectStatus(t, "after 6 reloads", u.get("/app", nil), http.StatusOK)
		var after []string
		if !itPoll(5*time.Second, func() bool {
			after = itGatehouseGoroutines()
			return len(after) == len(before)
		}) {
			t.Errorf("%d goroutines run Gatehouse code after the reloads, %d before:\n%s",
				len(after), len(before), strings.Join(after, "\n\n"))
		}
	})
}

// TestIntegrationRestart checks what a restart (the store released, then opened again)
// does to sessions: kept by the file store, lost by the memory store.
func TestIntegrationRestart(t *testing.T) {
	e := itSetup(t)
	stopped := itConf{noGatehouse: true, site: `respond "stopped" 200`}

	t.Run("file store: the session survives", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "gatehouse.db")
		withFile := itConf{store: "file " + db, app: itRoles, site: itSiteDefault}
		e.load(withFile)
		u := e.client()
		u.signIn("bob", "/")
		itExpectStatus(t, "before the restart", u.get("/app", nil), http.StatusOK)
		e.load(stopped)
		key := "file:" + db
		if !itPoll(5*time.Second, func() bool { _, ok := stores.References(key); return !ok }) {
			t.Fatal("the file store is still open after loading a config without Gatehouse")
		}
		e.load(withFile)
		r := u.get("/app", nil)
		itExpectStatus(t, "the old cookie after the restart", r, http.StatusOK)
		if r.Status == http.StatusOK {
			if got := r.echo(t).Header["Remote-User"]; !reflect.DeepEqual(got, []string{"bob"}) {
				t.Errorf("Remote-User %q", got)
			}
		}
		e.load(stopped) // release the file before its folder is removed
	})

	t.Run("memory store: the user is signed out", func(t *testing.T) {
		withMemory := itConf{app: itRoles, site: itSiteDefault}
		e.load(withMemory)
		u := e.client()
		u.signIn("bob", "/")
		itExpectStatus(t, "before the restart", u.get("/app", nil), http.StatusOK)
		e.load(stopped)
		if !itPoll(5*time.Second, func() bool { _, ok := stores.References("memory"); return !ok }) {
			t.Fatal("the memory store is still held after loading a config without Gatehouse")
		}
		e.load(withMemory)
		itExpectStatus(t, "the old cookie after the restart", u.get("/app", nil), http.StatusUnauthorized)
	})
}

// TestIntegrationFailedSignInLimit checks the lock after 10 failed sign-ins for one user.
func TestIntegrationFailedSignInLimit(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles, site: itSiteDefault})
	dave := itAccountByName(t, "dave")
	u := e.client()
	for i := 1; i <= 10; i++ {
		r := u.postLogin(dave.name, fmt.Sprintf("wrong-password-%d", i), "/", nil)
		itExpectStatus(t, fmt.Sprintf("wrong password #%d", i), r, http.StatusUnauthorized)
	}
	right := u.postLogin(dave.name, dave.pass, "/", nil)
	itExpectStatus(t, "right password after 10 failures", right, http.StatusTooManyRequests)
	if right.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After header on the 429")
	}
	if right.cookie(itCookie) != nil {
		t.Error("a session cookie was set while locked")
	}
	wrong := u.postLogin(dave.name, "wrong-password-11", "/", nil)
	itExpectStatus(t, "wrong password while locked", wrong, http.StatusTooManyRequests)
	if wrong.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After header on the 429")
	}
	strip := func(s string) string { return itCSRFField.ReplaceAllString(s, `name="csrf" value=""`) }
	if strip(right.Body) != strip(wrong.Body) {
		t.Errorf("the locked page differs between a right and a wrong password:\nright:\n%s\nwrong:\n%s", right.Body, wrong.Body)
	}
	if strings.Contains(right.Body, "Wrong username or password") {
		t.Errorf("the locked page says whether the password was right:\n%s", right.Body)
	}
	// Another user from the same address is not locked.
	itExpectStatus(t, "another user", e.client().postLogin("bob", itAccountByName(t, "bob").pass, "/", nil), http.StatusSeeOther)
}

// itStoreGet reads a key from the open memory store (white-box, for the client-IP checks).
func itStoreGet(t testing.TB, key string) string {
	t.Helper()
	var val string
	stores.Range(func(k, v any) bool {
		if k == "memory" {
			b, err := v.(*sharedStore).Get(t.Context(), key)
			if err == nil {
				val = string(b)
			}
			return false
		}
		return true
	})
	return val
}

// itScenario is one case of identity_header_spoofing in
// shared/testdata/proxy_security_scenarios.json.
type itScenario struct {
	ID                string            `json:"id"`
	Route             string            `json:"route"`
	RequestHeaders    map[string]string `json:"request_headers"`
	RequestHeadersRaw []string          `json:"request_headers_raw"`
	RequestRaw        string            `json:"request_raw"`
	Request           string            `json:"request"`
	RequestPath       string            `json:"request_path"`
	UpstreamMustSee   map[string]string `json:"upstream_must_see"`
	Expect            string            `json:"expect"`
}

func itLoadScenarios(t *testing.T) []itScenario {
	t.Helper()
	path := filepath.Join(itRoot(t), "..", "shared", "testdata", "proxy_security_scenarios.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the shared header scenarios: %v", err)
	}
	var f struct {
		Spoofing []itScenario `json:"identity_header_spoofing"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	if len(f.Spoofing) == 0 {
		t.Fatalf("%s has no identity_header_spoofing cases", path)
	}
	return f.Spoofing
}

// itPeerHeader matches the scenarios' X-Forwarded-User/-Email/-Groups in any spelling.
var itPeerHeader = regexp.MustCompile(`(?i)\bx([-_.])forwarded([-_.])(user|email|groups)\b`)

// itFields are our identity headers by the scenarios' field: a case written for the user
// header is run for every identity header Gatehouse sets.
var itFields = map[string][]string{
	"user":   {"User", "Email", "Name", "Groups", "Roles"},
	"email":  {"Email"},
	"groups": {"Groups", "Roles"},
}

// itOurName maps one spelling of a scenario header (X-Forwarded_User) to the same spelling
// of ours for field (Remote_Email), keeping its case and its last separator.
func itOurName(peer, field string) string {
	m := itPeerHeader.FindStringSubmatch(peer)
	if m == nil {
		return peer
	}
	sep, word := m[2], m[0][len(m[0])-len(m[3]):]
	switch {
	case word == strings.ToUpper(word):
		return "REMOTE" + sep + strings.ToUpper(field)
	case word == strings.ToLower(word):
		return "remote" + sep + strings.ToLower(field)
	}
	return "Remote" + sep + field
}

// itMapText replaces every scenario header name in s by ours for field.
func itMapText(s, field string) string {
	return itPeerHeader.ReplaceAllStringFunc(s, func(m string) string { return itOurName(m, field) })
}

// itPeerField returns the scenario's field (user, email, groups), or "".
func itPeerField(s itScenario) string {
	var texts []string
	for k := range s.RequestHeaders {
		texts = append(texts, k)
	}
	texts = append(texts, s.RequestHeadersRaw...)
	texts = append(texts, s.RequestRaw)
	for k := range s.UpstreamMustSee {
		texts = append(texts, k)
	}
	for _, x := range texts {
		if m := itPeerHeader.FindStringSubmatch(x); m != nil {
			return strings.ToLower(m[3])
		}
	}
	return ""
}

// itExpected is what the upstream must receive in the header Remote-<field> for user.
func itExpected(t testing.TB, user, field string) string {
	a := itAccountByName(t, user)
	switch field {
	case "User":
		return a.name
	case "Email":
		return a.email
	case "Name":
		return a.display
	case "Groups":
		return strings.Join(a.groups, ",")
	case "Roles":
		for _, g := range a.groups {
			if g == "staff" {
				return "editor"
			}
		}
		return ""
	}
	t.Fatalf("unknown field %q", field)
	return ""
}

// itCheckIdentity checks that the upstream got exactly Gatehouse's value of Remote-<field>
// (one key, one value) or, when want is "", no spelling of it at all.
func itCheckIdentity(t testing.TB, what string, ec itEcho, field, want string) {
	t.Helper()
	canonical := "Remote-" + field
	got := ec.values(canonical)
	if want == "" {
		if len(got) != 0 {
			t.Errorf("%s: the upstream got %v, want no %s in any spelling", what, got, canonical)
		}
		return
	}
	if len(got) != 1 || !reflect.DeepEqual(got[canonical], []string{want}) {
		t.Errorf("%s: the upstream got %v, want only %s: [%s]", what, got, canonical, want)
	}
}

// itScenarioSite is the site of the header tests: guarded /app, /admin for admins, public
// /public.
const itScenarioSite = `
	handle /public/* {
		gatehouse {
			public
		}
		reverse_proxy {up}
	}
	handle {
		@admin path /admin /admin/*
		gatehouse @admin {
			allow role admin
		}
		gatehouse
		reverse_proxy {up}
	}`

// TestIntegrationHeaderSpoofing runs every identity_header_spoofing scenario against a
// guarded route with a signed-in user and a public route without a session.
func TestIntegrationHeaderSpoofing(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles, site: itScenarioSite, global: `
	servers {
		protocols h1 h2c
	}`})
	tokens := map[string]string{}
	for _, name := range []string{"lab-user", "loner"} {
		c := e.client()
		c.signIn(name, "/")
		tokens[name] = c.token()
	}
	bare := e.bare()

	for _, s := range itLoadScenarios(t) {
		t.Run(s.ID, func(t *testing.T) {
			field := itPeerField(s)
			switch {
			case len(s.RequestHeaders) > 0 && s.UpstreamMustSee != nil, len(s.RequestHeadersRaw) > 0:
				itRunHeaderScenario(t, e, s, field, tokens)
			case s.RequestRaw != "":
				itRunTrailerScenario(t, e, s, field, tokens["lab-user"])
			case strings.Contains(s.Route, "HTTP/2"):
				// "same as H10": the user header, as trailers.
				itRunH2TrailerScenario(t, e, "user", tokens["lab-user"])
			default:
				check, ok := itExpectChecks[s.ID]
				if !ok {
					t.Fatalf("no check written for scenario %s (%s): add one to itExpectChecks", s.ID, s.Expect)
				}
				check(t, e, s, tokens["lab-user"])
			}
		})
	}

	t.Run("our own spellings, several at once", func(t *testing.T) {
		for _, field := range []string{"User", "Email", "Name", "Groups", "Roles"} {
			lower, upper := strings.ToLower(field), strings.ToUpper(field)
			hdr := http.Header{
				"Remote-" + field:        {"admin"},
				"remote_" + lower:        {"admin"},
				"REMOTE." + upper:        {"admin"},
				"rEmOtE_" + field:        {"admin", "root"},
				"Remote." + lower:        {"admin"},
				"REMOTE-" + upper + "":   {"admin"},
				"Gatehouse_Assertion":    {"forged"},
				"gatehouse.assertion":    {"forged"},
				"X-Unrelated_" + field:   {"kept"},
				"X-Remote-" + field + "": {"kept"},
			}
			r := bare.get("/app/mixed", itWith(hdr, itCookieHeader(tokens["lab-user"])))
			itExpectStatus(t, "guarded", r, http.StatusOK)
			ec := r.echo(t)
			itCheckIdentity(t, "guarded "+field, ec, field, itExpected(t, "lab-user", field))
			if got := ec.values("Gatehouse-Assertion"); len(got) != 0 {
				t.Errorf("a forged Gatehouse-Assertion reached the upstream: %v", got)
			}
			if got := ec.values("X-Remote-" + field); len(got) != 1 {
				t.Errorf("an unrelated header was removed: %v", got)
			}
			r = bare.get("/public/mixed", hdr)
			itExpectStatus(t, "public", r, http.StatusOK)
			itCheckIdentity(t, "public "+field, r.echo(t), field, "")
		}
	})

	t.Run("Connection naming our headers does not drop them", func(t *testing.T) {
		for _, conn := range []string{"Remote-User", "keep-alive, remote_user, Remote-Email, Remote-Groups", "Remote.User,Cookie"} {
			r := bare.get("/app/hop", itWith(itCookieHeader(tokens["lab-user"]), http.Header{"Connection": {conn}}))
			itExpectStatus(t, "Connection: "+conn, r, http.StatusOK)
			ec := r.echo(t)
			for _, f := range []string{"User", "Email", "Groups"} {
				itCheckIdentity(t, "Connection: "+conn, ec, f, itExpected(t, "lab-user", f))
			}
		}
	})

	t.Run("the session cookie is removed, other cookies kept", func(t *testing.T) {
		for _, cookie := range []string{
			"a=1; " + itCookie + "=" + tokens["lab-user"] + "; b=2",
			itCookie + "=" + tokens["lab-user"] + "; theme=dark",
		} {
			r := bare.get("/app/cookies", http.Header{"Cookie": {cookie}})
			itExpectStatus(t, "Cookie: …", r, http.StatusOK)
			ec := r.echo(t)
			sent := strings.Join(ec.Header["Cookie"], "; ")
			if strings.Contains(sent, tokens["lab-user"]) || strings.Contains(sent, itCookie+"=") {
				t.Errorf("the upstream got the session cookie: %q", sent)
			}
			for _, kv := range strings.Split(cookie, "; ") {
				if !strings.HasPrefix(kv, itCookie+"=") && !strings.Contains(sent, kv) {
					t.Errorf("the upstream lost cookie %q: %q", kv, sent)
				}
			}
			itCheckIdentity(t, "Cookie", ec, "User", "lab-user")
		}
		// A separate Cookie line holding only the session cookie.
		r := bare.get("/app/cookies", http.Header{"Cookie": {"a=1", itCookie + "=" + tokens["lab-user"]}})
		itExpectStatus(t, "two Cookie lines", r, http.StatusOK)
		if sent := strings.Join(r.echo(t).Header["Cookie"], "; "); strings.Contains(sent, tokens["lab-user"]) || !strings.Contains(sent, "a=1") {
			t.Errorf("two Cookie lines: the upstream got %q", sent)
		}
	})
}

// itRunHeaderScenario sends the scenario's headers, mapped to ours, on a guarded route
// with a signed-in user and on a public route without a session.
func itRunHeaderScenario(t *testing.T, e *itEnv, s itScenario, field string, tokens map[string]string) {
	if field == "" {
		t.Fatalf("scenario %s names no identity header", s.ID)
	}
	user := "lab-user"
	if strings.Contains(s.Route, "NO value") {
		user = "loner"
	}
	bare := e.bare()
	for _, ours := range itFields[field] {
		t.Run(ours, func(t *testing.T) {
			hdr := http.Header{}
			for k, v := range s.RequestHeaders {
				k = itOurName(k, ours)
				hdr[k] = append(hdr[k], v)
			}
			for _, line := range s.RequestHeadersRaw {
				k, v, ok := strings.Cut(line, ":")
				if !ok {
					t.Fatalf("bad raw header line %q", line)
				}
				k = itOurName(k, ours)
				hdr[k] = append(hdr[k], strings.TrimSpace(v))
			}
			r := bare.get("/app/"+s.ID, itWith(hdr, itCookieHeader(tokens[user])))
			itExpectStatus(t, "guarded route, signed in as "+user, r, http.StatusOK)
			if r.Status == http.StatusOK {
				itCheckIdentity(t, "guarded route, signed in as "+user, r.echo(t), ours, itExpected(t, user, ours))
			}
			r = bare.get("/public/"+s.ID, hdr)
			itExpectStatus(t, "public route, no session", r, http.StatusOK)
			if r.Status == http.StatusOK {
				itCheckIdentity(t, "public route, no session", r.echo(t), ours, "")
			}
			hits := e.up.hits.Load()
			r = bare.get("/app/"+s.ID, hdr)
			itExpectStatus(t, "guarded route, no session", r, http.StatusUnauthorized)
			if e.up.hits.Load() != hits {
				t.Error("guarded route, no session: the upstream was called")
			}
		})
	}
}

// itRawRequest sends raw bytes to the site and reads one answer.
func itRawRequest(t testing.TB, raw string) itResp {
	t.Helper()
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", itSitePort), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to a raw request: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return itResp{Status: res.StatusCode, Header: res.Header, Body: string(b), raw: res}
}

// itCheckTrailers fails when the upstream saw any identity header spelling in r.Trailer.
func itCheckTrailers(t testing.TB, what string, ec itEcho) {
	t.Helper()
	for k, v := range ec.Trailer {
		if isIdentityHeader(k) {
			t.Errorf("%s: the upstream got the trailer %s: %q", what, k, v)
		}
	}
}

// itCheckControlTrailer checks that the harmless trailer sent with the identity ones
// reached the upstream: otherwise trailers are not forwarded at all and the check above
// proves nothing.
func itCheckControlTrailer(t testing.TB, what string, ec itEcho) {
	t.Helper()
	if got := ec.Trailer["X-Trailer-Check"]; !reflect.DeepEqual(got, []string{"yes"}) {
		t.Logf("%s: the control trailer did not reach the upstream (trailers %v): the trailer check is vacuous", what, ec.Trailer)
	}
}

// itRunTrailerScenario sends the scenario's raw HTTP/1.1 request (trailers after a chunked
// body), mapped to our headers.
func itRunTrailerScenario(t *testing.T, e *itEnv, s itScenario, field, token string) {
	raw := strings.ReplaceAll(s.RequestRaw, `\r\n`, "\r\n")
	host := fmt.Sprintf("Host: localhost:%d\r\nConnection: close", itSitePort)
	if !strings.Contains(raw, "Host: app\r\n") || !strings.Contains(raw, " /echo ") {
		t.Fatalf("scenario %s: unexpected raw request %q", s.ID, raw)
	}
	for _, ours := range itFields[field] {
		t.Run(ours, func(t *testing.T) {
			mapped := itMapText(raw, ours)
			// Also without the Trailer field: net/http keeps trailers that were not declared.
			undeclared := itTrailerField.ReplaceAllString(mapped, "")
			for _, route := range []struct {
				name, path, extra, req string
				want                   string
			}{
				{"guarded route, signed in", "/app/echo", "\r\nCookie: " + itCookie + "=" + token, mapped, itExpected(t, "lab-user", ours)},
				{"public route, no session", "/public/echo", "", mapped, ""},
				{"guarded route, signed in, undeclared trailers", "/app/echo", "\r\nCookie: " + itCookie + "=" + token, undeclared, itExpected(t, "lab-user", ours)},
				{"public route, no session, undeclared trailers", "/public/echo", "", undeclared, ""},
			} {
				req := strings.Replace(route.req, " /echo ", " "+route.path+" ", 1)
				req = strings.Replace(req, "Host: app", host+route.extra, 1)
				// A harmless trailer shows whether trailers reach the upstream at all.
				req = strings.Replace(req, "\r\n0\r\n", "\r\n0\r\nX-Trailer-Check: yes\r\n", 1)
				r := itRawRequest(t, req)
				if r.Status == http.StatusBadRequest {
					continue // refusing the request is also safe
				}
				itExpectStatus(t, route.name, r, http.StatusOK)
				if r.Status != http.StatusOK {
					continue
				}
				ec := r.echo(t)
				itCheckTrailers(t, route.name, ec)
				if route.req == mapped {
					itCheckControlTrailer(t, route.name, ec)
				}
				itCheckIdentity(t, route.name, ec, ours, route.want)
			}
		})
	}
}

// itTrailerField matches the Trailer field of a raw request.
var itTrailerField = regexp.MustCompile(`(?i)\r\nTrailer:[^\r]*`)

// itRunH2TrailerScenario sends identity headers as HTTP/2 trailers (h2c).
func itRunH2TrailerScenario(t *testing.T, e *itEnv, field, token string) {
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &protos}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	for _, ours := range itFields[field] {
		t.Run(ours, func(t *testing.T) {
			for _, route := range []struct {
				name, path, cookie, want string
			}{
				{"guarded route, signed in", "/app/echo", itCookie + "=" + token, itExpected(t, "lab-user", ours)},
				{"public route, no session", "/public/echo", "", ""},
			} {
				req, err := http.NewRequest(http.MethodPost, itBase+route.path, io.NopCloser(strings.NewReader("hello")))
				if err != nil {
					t.Fatal(err)
				}
				req.ContentLength = -1
				if route.cookie != "" {
					req.Header.Set("Cookie", route.cookie)
				}
				req.Trailer = http.Header{
					"Remote-" + ours:                  {"admin"},
					"Remote_" + strings.ToLower(ours): {"admin"},
					"X-Trailer-Check":                 {"yes"},
				}
				res, err := hc.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", route.name, err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.ProtoMajor != 2 {
					t.Fatalf("%s: answered over %s, want HTTP/2 (h2c)", route.name, res.Proto)
				}
				if res.StatusCode == http.StatusBadRequest {
					continue
				}
				r := itResp{Status: res.StatusCode, Header: res.Header, Body: string(b), raw: res}
				itExpectStatus(t, route.name, r, http.StatusOK)
				if r.Status != http.StatusOK {
					continue
				}
				ec := r.echo(t)
				itCheckTrailers(t, route.name, ec)
				itCheckControlTrailer(t, route.name, ec)
				itCheckIdentity(t, route.name, ec, ours, route.want)
			}
		})
	}
}

// itExpectChecks are the checks of the scenarios that state an expectation rather than
// what the upstream must see.
var itExpectChecks = map[string]func(t *testing.T, e *itEnv, s itScenario, token string){
	// H12: X-Forwarded-Proto is not used to build redirects.
	"H12": func(t *testing.T, e *itEnv, s itScenario, token string) {
		itCheckNoForwardedRedirect(t, e, http.Header{"X-Forwarded-Proto": {"evil_protocol"}})
	},
	// H13: X-Forwarded-Host is not used for redirects nor for the cookie domain.
	"H13": func(t *testing.T, e *itEnv, s itScenario, token string) {
		hdr := http.Header{"X-Forwarded-Host": {"evil.example"}}
		itCheckNoForwardedRedirect(t, e, hdr)
		u := e.client()
		a := itAccountByName(t, "lab-user")
		r := u.postLogin(a.name, a.pass, "http://evil.example/after", hdr)
		itExpectStatus(t, "sign-in with X-Forwarded-Host", r, http.StatusSeeOther)
		if got := r.Header.Get("Location"); got != "/" {
			t.Errorf("sign-in with X-Forwarded-Host and rd to that host: Location %q, want /", got)
		}
		if c := r.cookie(itCookie); c == nil || c.Domain != "" {
			t.Errorf("session cookie %v: want one without a Domain", c)
		}
	},
	// H14: failed sign-ins count against the socket peer, not X-Forwarded-For.
	"H14": func(t *testing.T, e *itEnv, s itScenario, token string) {
		itCheckFailureCountedOnPeer(t, e, "1.3.3.4")
	},
	// H15: an unparsable X-Forwarded-For changes nothing.
	"H15": func(t *testing.T, e *itEnv, s itScenario, token string) {
		itCheckFailureCountedOnPeer(t, e, "a")
		u := e.client()
		a := itAccountByName(t, "lab-user")
		r := u.postLogin(a.name, a.pass, "/", http.Header{"X-Forwarded-For": {"a"}})
		itExpectStatus(t, "right password with X-Forwarded-For: a", r, http.StatusSeeOther)
	},
	// H16: X-Forwarded-Proto: https on plain HTTP does not make the request secure.
	"H16": func(t *testing.T, e *itEnv, s itScenario, token string) {
		a := itAccountByName(t, "lab-user")
		plain := e.client().postLogin(a.name, a.pass, "/", nil)
		forged := e.client().postLogin(a.name, a.pass, "/", http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Port": {"443"}})
		itExpectStatus(t, "sign-in", plain, http.StatusSeeOther)
		itExpectStatus(t, "sign-in with X-Forwarded-Proto: https", forged, http.StatusSeeOther)
		pc, fc := plain.cookie(itCookie), forged.cookie(itCookie)
		if pc == nil || fc == nil || pc.Secure != fc.Secure || pc.SameSite != fc.SameSite || pc.Domain != fc.Domain {
			t.Errorf("X-Forwarded-Proto changed the cookie: %v vs %v", pc, fc)
		}
		if loc := forged.Header.Get("Location"); strings.HasPrefix(loc, "https:") {
			t.Errorf("Location %q built from X-Forwarded-Proto", loc)
		}
	},
	// H17: the decision is made on the real path, not on X-Original-URL and friends.
	"H17": func(t *testing.T, e *itEnv, s itScenario, token string) {
		hdr := http.Header{}
		for k, v := range s.RequestHeaders {
			hdr[k] = []string{v}
		}
		path := s.RequestPath + "/x"
		hits := e.up.hits.Load()
		anon := e.bare()
		itExpectStatus(t, "API client, no session", anon.get(path, hdr), http.StatusUnauthorized)
		r := anon.get(path, itWith(hdr, itBrowser()))
		itExpectStatus(t, "browser, no session", r, http.StatusFound)
		if want := "/.gatehouse/login?rd=" + url.QueryEscape(path); r.Header.Get("Location") != want {
			t.Errorf("Location %q, want %q", r.Header.Get("Location"), want)
		}
		itExpectStatus(t, "signed in, not an admin", anon.get(path, itWith(hdr, itCookieHeader(token))), http.StatusForbidden)
		if e.up.hits.Load() != hits {
			t.Error("the upstream was called")
		}
	},
	// H18: no User-Agent gets past the sign-in.
	"H18": func(t *testing.T, e *itEnv, s itScenario, token string) {
		hits := e.up.hits.Load()
		for _, ua := range []string{"kube-probe/1.30", "GoogleHC/1.0", "ELB-HealthChecker/2.0", "oauth2-proxy-healthcheck", "Consul Health Check"} {
			itExpectStatus(t, "User-Agent "+ua, e.bare().get("/app/health", http.Header{"User-Agent": {ua}}), http.StatusUnauthorized)
		}
		if e.up.hits.Load() != hits {
			t.Error("the upstream was called")
		}
	},
	// H19: a malformed session cookie is no session.
	"H19": func(t *testing.T, e *itEnv, s itScenario, token string) {
		bare := e.bare()
		for _, v := range []string{"malformed%%%", "", token + "x", token[:len(token)-1], "%00", token + "; " + itCookie + "=other"} {
			hdr := http.Header{"Cookie": {itCookie + "=" + v}}
			hits := e.up.hits.Load()
			r := bare.get("/app/x", hdr)
			if v == token+"; "+itCookie+"=other" {
				// A valid first cookie: this one may pass, as the user it names.
				if r.Status == http.StatusOK {
					itCheckIdentity(t, "two session cookies", r.echo(t), "User", "lab-user")
				}
				continue
			}
			itExpectStatus(t, fmt.Sprintf("API client, cookie %q", v), r, http.StatusUnauthorized)
			itExpectStatus(t, fmt.Sprintf("browser, cookie %q", v), bare.get("/app/x", itWith(hdr, itBrowser())), http.StatusFound)
			if e.up.hits.Load() != hits {
				t.Errorf("cookie %q: the upstream was called", v)
			}
			p := bare.get("/public/x", hdr)
			itExpectStatus(t, fmt.Sprintf("public route, cookie %q", v), p, http.StatusOK)
			if p.Status == http.StatusOK {
				itCheckIdentity(t, "public route", p.echo(t), "User", "")
			}
		}
	},
}

// itCheckNoForwardedRedirect checks that a forwarded header from the client does not end up
// in the sign-in redirect nor in the post-sign-in redirect.
func itCheckNoForwardedRedirect(t *testing.T, e *itEnv, hdr http.Header) {
	t.Helper()
	r := e.bare().get("/app/page", itWith(hdr, itBrowser()))
	itExpectStatus(t, "browser, no session", r, http.StatusFound)
	if want := "/.gatehouse/login?rd=" + url.QueryEscape("/app/page"); r.Header.Get("Location") != want {
		t.Errorf("Location %q, want %q", r.Header.Get("Location"), want)
	}
	a := itAccountByName(t, "lab-user")
	r = e.client().postLogin(a.name, a.pass, "/app/page", hdr)
	itExpectStatus(t, "sign-in", r, http.StatusSeeOther)
	if got := r.Header.Get("Location"); got != "/app/page" {
		t.Errorf("after sign-in: Location %q, want /app/page", got)
	}
}

// itCheckFailureCountedOnPeer checks that a failed sign-in sent with X-Forwarded-For: xff
// counts against the socket peer (127.0.0.1) and not the forwarded address.
func itCheckFailureCountedOnPeer(t *testing.T, e *itEnv, xff string) {
	t.Helper()
	const peerKey = "fail:ip:127.0.0.1"
	before := itStoreGet(t, peerKey)
	r := e.client().postLogin("lab-user", "wrong-password", "/", http.Header{"X-Forwarded-For": {xff}})
	itExpectStatus(t, "wrong password with X-Forwarded-For: "+xff, r, http.StatusUnauthorized)
	after := itStoreGet(t, peerKey)
	if after == before {
		t.Errorf("the failure was not counted against 127.0.0.1 (count %q before, %q after)", before, after)
	}
	if got := itStoreGet(t, "fail:ip:"+xff); got != "" {
		t.Errorf("the failure was counted against the forwarded address %q: %s", xff, got)
	}
}
