package gatehouse

// Integration tests of request rate limiting: what a client over a limit sees (429,
// Retry-After, the RateLimit-Policy and RateLimit fields), what each limit counts by, how
// limits combine, the client IP behind proxies, the portal's own limit, error pages and
// reloads. Buckets refill with real time: every window is long enough (1m or more) that a
// test run never sees a refill, and no test sleeps.

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// rlItem is one entry of a RateLimit or RateLimit-Policy field: `"name";k=v;k=v`.
type rlItem struct {
	name   string
	params map[string]int64
}

// rlItemRe matches one entry of the fields.
var rlItemRe = regexp.MustCompile(`^"([^"]+)"((?:;[a-z]+=\d+)+)$`)

// rlParse splits a RateLimit or RateLimit-Policy field value into its entries.
func rlParse(t testing.TB, field, v string) []rlItem {
	t.Helper()
	if v == "" {
		t.Errorf("no %s field", field)
		return nil
	}
	var out []rlItem
	for _, part := range strings.Split(v, ", ") {
		m := rlItemRe.FindStringSubmatch(part)
		if m == nil {
			t.Errorf("%s: malformed entry %q in %q", field, part, v)
			continue
		}
		it := rlItem{name: m[1], params: map[string]int64{}}
		for _, kv := range strings.Split(strings.TrimPrefix(m[2], ";"), ";") {
			k, val, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseInt(val, 10, 64)
			it.params[k] = n
		}
		out = append(out, it)
	}
	return out
}

// rlOne returns the only entry of the field: the answer of a route with one limit.
func rlOne(t testing.TB, r itResp, field string) rlItem {
	t.Helper()
	items := rlParse(t, field, r.Header.Get(field))
	if len(items) != 1 {
		t.Fatalf("%s %q: want one entry", field, r.Header.Get(field))
	}
	return items[0]
}

// rlPass checks that r passed to the upstream (200) with the two RateLimit fields, and
// returns the limit's state entry.
func rlPass(t testing.TB, what string, r itResp) rlItem {
	t.Helper()
	itExpectStatus(t, what, r, http.StatusOK)
	if r.Status == http.StatusOK && r.Header.Get("Retry-After") != "" {
		t.Errorf("%s: Retry-After %q on an allowed request", what, r.Header.Get("Retry-After"))
	}
	rlParse(t, "RateLimit-Policy", r.Header.Get("RateLimit-Policy"))
	items := rlParse(t, "RateLimit", r.Header.Get("RateLimit"))
	if len(items) == 0 {
		return rlItem{}
	}
	return items[0]
}

// rlRefused checks that r is a 429 with Retry-After (whole seconds, at least 1 and at most
// maxRetry) and both RateLimit fields, and returns Retry-After.
func rlRefused(t testing.TB, what string, r itResp, maxRetry int64) int64 {
	t.Helper()
	itExpectStatus(t, what, r, http.StatusTooManyRequests)
	ra, err := strconv.ParseInt(r.Header.Get("Retry-After"), 10, 64)
	if err != nil || ra < 1 || ra > maxRetry {
		t.Errorf("%s: Retry-After %q, want whole seconds from 1 to %d", what, r.Header.Get("Retry-After"), maxRetry)
	}
	rlParse(t, "RateLimit-Policy", r.Header.Get("RateLimit-Policy"))
	rlParse(t, "RateLimit", r.Header.Get("RateLimit"))
	return ra
}

// rlNotCalled fails the test when the upstream was called since hits was read.
func rlNotCalled(t testing.TB, e *itEnv, what string, hits int64) {
	t.Helper()
	if got := e.up.hits.Load(); got != hits {
		t.Errorf("%s: the upstream was called (%d times) for a refused request", what, got-hits)
	}
}

// rlXFF is a request header naming a forwarded client.
func rlXFF(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }

// rlTrustLocal makes Caddy trust 127.0.0.1 as a proxy and take the client from
// X-Forwarded-For.
const rlTrustLocal = `
	servers {
		trusted_proxies static 127.0.0.1/32
		client_ip_headers X-Forwarded-For
	}`

// rlSiteKeys has one route per key kind.
const rlSiteKeys = `
	handle /ip/* {
		gatehouse {
			public
			rate_limit 3/1h by ip
		}
		reverse_proxy {up} {
			header_up X-RL "{http.auth.rate_limit.name} {http.auth.rate_limit.limit} {http.auth.rate_limit.remaining} {http.auth.rate_limit.exceeded}"
		}
	}
	handle /user/* {
		gatehouse {
			rate_limit 2/1h by user
		}
		reverse_proxy {up}
	}
	handle /session/* {
		gatehouse {
			rate_limit 2/1h by session
		}
		reverse_proxy {up}
	}
	handle /anon/* {
		gatehouse {
			public
			rate_limit 2/1h by user
		}
		reverse_proxy {up}
	}
	handle {
		gatehouse
		reverse_proxy {up}
	}`

// TestIntegrationRateLimitKeys checks each key kind: ip, user, session, and user without a
// session.
func TestIntegrationRateLimitKeys(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{site: rlSiteKeys})
	alice, alice2, bob := e.client(), e.client(), e.client()
	alice.signIn("alice", "/")
	alice2.signIn("alice", "/")
	bob.signIn("bob", "/")

	t.Run("by ip on a public route: 3 pass, the 4th gets 429", func(t *testing.T) {
		anon := e.bare()
		var name string
		for i := int64(1); i <= 3; i++ {
			r := anon.get("/ip/x", nil)
			st := rlPass(t, "request "+strconv.FormatInt(i, 10), r)
			pol := rlOne(t, r, "RateLimit-Policy")
			if pol.params["q"] != 3 || pol.params["w"] != 3600 {
				t.Errorf("RateLimit-Policy %q, want q=3;w=3600", r.Header.Get("RateLimit-Policy"))
			}
			if st.name != pol.name {
				t.Errorf("RateLimit names %q, RateLimit-Policy names %q", st.name, pol.name)
			}
			if st.params["r"] != 3-i {
				t.Errorf("request %d: RateLimit %q, want r=%d", i, r.Header.Get("RateLimit"), 3-i)
			}
			if st.params["t"] < 1 || st.params["t"] > 3600 {
				t.Errorf("request %d: RateLimit %q, want t from 1 to 3600", i, r.Header.Get("RateLimit"))
			}
			name = pol.name
			if r.Status == http.StatusOK {
				want := name + " 3 " + strconv.FormatInt(3-i, 10) + " false"
				if got := r.echo(t).Header["X-Rl"]; len(got) != 1 || got[0] != want {
					t.Errorf("request %d: placeholders upstream %q, want %q", i, got, want)
				}
			}
		}
		hits := e.up.hits.Load()
		r := anon.get("/ip/x", nil)
		// 3 per hour: one more request is allowed 20 minutes after the third.
		if ra := rlRefused(t, "request 4", r, 1200); ra < 1100 {
			t.Errorf("Retry-After %d, want about 1200 (one request per 20 minutes)", ra)
		}
		if st := rlOne(t, r, "RateLimit"); st.name != name || st.params["r"] != 0 {
			t.Errorf("RateLimit on the 429 %q, want %q with r=0", r.Header.Get("RateLimit"), name)
		}
		itExpectStatus(t, "another connection from the same IP", e.bare().get("/ip/y", nil), http.StatusTooManyRequests)
		rlNotCalled(t, e, "request 4", hits)
	})

	t.Run("by user: alice's limit does not touch bob's, from the same IP", func(t *testing.T) {
		rlPass(t, "alice #1", alice.get("/user/a", nil))
		rlPass(t, "alice #2", alice.get("/user/a", nil))
		rlRefused(t, "alice #3", alice.get("/user/a", nil), 1800)
		rlPass(t, "bob #1", bob.get("/user/a", nil))
		rlPass(t, "bob #2", bob.get("/user/a", nil))
		rlRefused(t, "bob #3", bob.get("/user/a", nil), 1800)
	})

	t.Run("by user: alice's two sessions share her limit", func(t *testing.T) {
		rlRefused(t, "alice's second session", alice2.get("/user/a", nil), 1800)
	})

	t.Run("by session: alice's second session has its own bucket", func(t *testing.T) {
		rlPass(t, "session 1 #1", alice.get("/session/a", nil))
		rlPass(t, "session 1 #2", alice.get("/session/a", nil))
		rlRefused(t, "session 1 #3", alice.get("/session/a", nil), 1800)
		rlPass(t, "session 2 #1", alice2.get("/session/a", nil))
		rlPass(t, "session 2 #2", alice2.get("/session/a", nil))
		rlRefused(t, "session 2 #3", alice2.get("/session/a", nil), 1800)
	})

	t.Run("by user without a session on a public route: counted by IP", func(t *testing.T) {
		anon := e.bare()
		rlPass(t, "anonymous #1", anon.get("/anon/a", nil))
		rlPass(t, "anonymous #2", anon.get("/anon/a", nil))
		rlRefused(t, "anonymous #3", anon.get("/anon/a", nil), 1800)
		rlRefused(t, "another anonymous client, same IP", e.bare().get("/anon/a", nil), 1800)
		rlPass(t, "alice, same IP, counted as alice", alice.get("/anon/a", nil))
	})
}

// rlSiteRoutes has routes to check bursts and how limits combine.
const rlSiteRoutes = `
	handle /burst/* {
		gatehouse {
			public
			rate_limit 2/1m burst 1
		}
		reverse_proxy {up}
	}
	handle /two/* {
		gatehouse {
			public
			rate_limit 100/1h
			rate_limit 2/1h
		}
		reverse_proxy {up}
	}
	handle /a/* {
		gatehouse {
			public
			rate_limit shared
		}
		reverse_proxy {up}
	}
	handle /b/* {
		gatehouse {
			public
			rate_limit shared
		}
		reverse_proxy {up}
	}
	handle /c/* {
		gatehouse {
			public
			rate_limit 2/1h
		}
		reverse_proxy {up}
	}
	handle /d/* {
		gatehouse {
			public
			rate_limit 2/1h
		}
		reverse_proxy {up}
	}
	handle /both/* {
		gatehouse {
			public
			policy limited
			rate_limit once
		}
		reverse_proxy {up}
	}
	handle {
		gatehouse
		reverse_proxy {up}
	}`

// TestIntegrationRateLimitRoutes checks bursts, several limits on one route, a named limit
// shared by routes and inline limits that are not shared.
func TestIntegrationRateLimitRoutes(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: `
		rate_limit shared 3/1h
		rate_limit once 4/1h
		policy limited {
			public
			rate_limit once
		}`, site: rlSiteRoutes})
	c := e.bare()

	t.Run("burst 1: the second immediate request is refused", func(t *testing.T) {
		r := c.get("/burst/x", nil)
		if st := rlPass(t, "request 1", r); st.params["r"] != 0 {
			t.Errorf("RateLimit %q, want r=0 after a burst of 1", r.Header.Get("RateLimit"))
		}
		// The policy states the rate (2 per 60 s); the burst shows in r=.
		if pol := rlOne(t, r, "RateLimit-Policy"); pol.params["q"] != 2 || pol.params["w"] != 60 {
			t.Errorf("RateLimit-Policy %q, want q=2;w=60", r.Header.Get("RateLimit-Policy"))
		}
		// 2 per minute: the next request is allowed 30 seconds after the first.
		rlRefused(t, "request 2", c.get("/burst/x", nil), 30)
	})

	t.Run("two limits on a route: the tighter one refuses", func(t *testing.T) {
		r := c.get("/two/x", nil)
		rlPass(t, "request 1", r)
		pol := rlParse(t, "RateLimit-Policy", r.Header.Get("RateLimit-Policy"))
		st := rlParse(t, "RateLimit", r.Header.Get("RateLimit"))
		if len(pol) != 2 || len(st) != 2 {
			t.Fatalf("RateLimit-Policy %q, RateLimit %q: want two entries each",
				r.Header.Get("RateLimit-Policy"), r.Header.Get("RateLimit"))
		}
		if pol[0].params["q"] != 100 || pol[1].params["q"] != 2 || st[0].params["r"] != 99 || st[1].params["r"] != 1 {
			t.Errorf("RateLimit-Policy %q, RateLimit %q: want q=100 then q=2, r=99 then r=1",
				r.Header.Get("RateLimit-Policy"), r.Header.Get("RateLimit"))
		}
		rlPass(t, "request 2", c.get("/two/x", nil))
		hits := e.up.hits.Load()
		r = c.get("/two/x", nil)
		// The 100/1h limit would allow a request 36s later; the 2/1h one 30 minutes later.
		if ra := rlRefused(t, "request 3", r, 1800); ra < 1700 {
			t.Errorf("Retry-After %d: not the tighter limit's (about 1800)", ra)
		}
		rlNotCalled(t, e, "request 3", hits)
		st = rlParse(t, "RateLimit", r.Header.Get("RateLimit"))
		if len(st) == 2 && st[1].params["r"] != 0 {
			t.Errorf("RateLimit on the 429 %q: want r=0 for the 2/1h limit", r.Header.Get("RateLimit"))
		}
	})

	t.Run("a named limit used by two routes shares one bucket", func(t *testing.T) {
		for i, p := range []string{"/a/x", "/b/x", "/a/y"} {
			r := c.get(p, nil)
			if st := rlPass(t, p, r); st.name != "shared" || st.params["r"] != int64(2-i) {
				t.Errorf("GET %s: RateLimit %q, want \"shared\" with r=%d", p, r.Header.Get("RateLimit"), 2-i)
			}
		}
		r := c.get("/b/y", nil)
		rlRefused(t, "/b/y, the 4th request on the shared limit", r, 1200)
		if st := rlOne(t, r, "RateLimit"); st.name != "shared" {
			t.Errorf("RateLimit %q, want the shared limit", r.Header.Get("RateLimit"))
		}
	})

	t.Run("inline limits on two routes do not share", func(t *testing.T) {
		rc := rlPass(t, "/c #1", c.get("/c/x", nil))
		rlPass(t, "/c #2", c.get("/c/x", nil))
		rlRefused(t, "/c #3", c.get("/c/x", nil), 1800)
		r := c.get("/d/x", nil)
		rd := rlPass(t, "/d #1 after /c is exhausted", r)
		if rc.name == rd.name {
			t.Errorf("the inline limits of /c and /d have the same name %q", rc.name)
		}
	})

	t.Run("one named limit through the route and its policy counts a request once", func(t *testing.T) {
		r := c.get("/both/x", nil)
		rlPass(t, "request 1", r)
		if got := r.Header.Get("RateLimit"); got != `"once";r=3;t=900` {
			t.Errorf("RateLimit %q, want \"once\";r=3;t=900 (4 per hour, one request spent)", got)
		}
		for i := 2; i <= 4; i++ {
			rlPass(t, "request "+strconv.Itoa(i), c.get("/both/x", nil))
		}
		rlRefused(t, "request 5", c.get("/both/x", nil), 900)
	})
}

// rlSiteIP has a few public routes limited by IP.
const rlSiteIP = `
	handle /ip/* {
		gatehouse {
			public
			rate_limit 2/1h
		}
		reverse_proxy {up}
	}
	handle /anon/* {
		gatehouse {
			public
			rate_limit 1/1h by user
		}
		reverse_proxy {up}
	}
	handle /v6/* {
		gatehouse {
			public
			rate_limit 2/1h
		}
		reverse_proxy {up}
	}
	handle {
		gatehouse
		reverse_proxy {up}
	}`

// TestIntegrationRateLimitClientIP checks the key of `by ip` limits: the socket peer when
// it is not a trusted proxy, whatever the forwarding headers say (scenario R1); the
// forwarded client behind a trusted proxy (R2); IPv6 clients by prefix.
func TestIntegrationRateLimitClientIP(t *testing.T) {
	e := itSetup(t)

	t.Run("R1: rotating forwarding headers from an untrusted peer does not escape", func(t *testing.T) {
		e.load(itConf{site: rlSiteIP})
		c := e.bare()
		spoofs := []http.Header{
			{"X-Forwarded-For": {"203.0.113.1"}},
			{"X-Forwarded-For": {"203.0.113.2, 198.51.100.2"}},
			{"X-Real-Ip": {"203.0.113.3"}, "X-Forwarded-For": {"203.0.113.3"}},
			{"Forwarded": {"for=203.0.113.4"}, "True-Client-Ip": {"203.0.113.4"}, "Cf-Connecting-Ip": {"203.0.113.4"}},
			{"X-Forwarded-For": {"2001:db8:9::1"}},
		}
		for i, h := range spoofs {
			r := c.get("/ip/x", h)
			if i < 2 {
				rlPass(t, "request "+strconv.Itoa(i+1), r)
				continue
			}
			rlRefused(t, "request "+strconv.Itoa(i+1)+" with "+strings.Join(sortedKeys(h), ", "), r, 1800)
		}
	})

	t.Run("R2: behind a trusted proxy the key is the forwarded client", func(t *testing.T) {
		e.load(itConf{global: rlTrustLocal, site: rlSiteIP})
		c := e.bare()
		rlPass(t, "203.0.113.1 #1", c.get("/ip/x", rlXFF("203.0.113.1")))
		rlPass(t, "203.0.113.1 #2", c.get("/ip/x", rlXFF("203.0.113.1")))
		rlRefused(t, "203.0.113.1 #3", c.get("/ip/x", rlXFF("203.0.113.1")), 1800)
		rlPass(t, "203.0.113.2 #1", c.get("/ip/x", rlXFF("203.0.113.2")))
		rlPass(t, "the proxy itself", c.get("/ip/x", nil))

		rlPass(t, "by user, anonymous 203.0.113.7 #1", c.get("/anon/x", rlXFF("203.0.113.7")))
		rlRefused(t, "by user, anonymous 203.0.113.7 #2", c.get("/anon/x", rlXFF("203.0.113.7")), 3600)
		rlPass(t, "by user, anonymous 203.0.113.8 #1", c.get("/anon/x", rlXFF("203.0.113.8")))
	})

	t.Run("IPv6 clients of one /64 share a bucket", func(t *testing.T) {
		c := e.bare()
		rlPass(t, "2001:db8:1:2::1", c.get("/v6/x", rlXFF("2001:db8:1:2::1")))
		rlPass(t, "2001:db8:1:2::ffff", c.get("/v6/x", rlXFF("2001:db8:1:2::ffff")))
		rlRefused(t, "2001:db8:1:2::1 again, the third of its /64", c.get("/v6/x", rlXFF("2001:db8:1:2::1")), 1800)
		rlRefused(t, "2001:db8:1:2:abcd::9, same /64", c.get("/v6/x", rlXFF("2001:db8:1:2:abcd::9")), 1800)
		rlPass(t, "2001:db8:1:3::1, another /64", c.get("/v6/x", rlXFF("2001:db8:1:3::1")))
	})

	t.Run("rate_limit_ipv6_prefix 128: every IPv6 address has its own bucket", func(t *testing.T) {
		e.load(itConf{global: rlTrustLocal, app: "rate_limit_ipv6_prefix 128", site: rlSiteIP})
		c := e.bare()
		rlPass(t, "2001:db8:5:2::1 #1", c.get("/v6/x", rlXFF("2001:db8:5:2::1")))
		rlPass(t, "2001:db8:5:2::1 #2", c.get("/v6/x", rlXFF("2001:db8:5:2::1")))
		rlRefused(t, "2001:db8:5:2::1 #3", c.get("/v6/x", rlXFF("2001:db8:5:2::1")), 1800)
		rlPass(t, "2001:db8:5:2::ffff", c.get("/v6/x", rlXFF("2001:db8:5:2::ffff")))
	})
}

// TestIntegrationRateLimitPortal checks the portal's own limit on sign-in and sign-out posts.
func TestIntegrationRateLimitPortal(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{portalLimit: "2/1h burst 2", site: itSiteDefault, app: itRoles})
	u := e.client()
	u.signIn("alice", "/")
	csrf := u.formToken("/.gatehouse/logout")
	r := u.do(http.MethodPost, "/.gatehouse/logout", url.Values{"csrf": {csrf}}, nil)
	itExpectStatus(t, "sign-out post (the second post)", r, http.StatusSeeOther)
	if pol := rlOne(t, r, "RateLimit-Policy"); pol.name != "gatehouse_portal" || pol.params["q"] != 2 || pol.params["w"] != 3600 {
		t.Errorf("RateLimit-Policy %q, want \"gatehouse_portal\";q=2;w=3600", r.Header.Get("RateLimit-Policy"))
	}

	bob := itAccountByName(t, "bob")
	third := e.client()
	r = third.postLogin(bob.name, bob.pass, "/", nil)
	rlRefused(t, "the third post from one IP", r, 1800)
	if r.cookie(itCookie) != nil {
		t.Error("a session cookie was set on the refused sign-in")
	}
	itExpectStatus(t, "a guarded page after the refused sign-in", third.get("/app", nil), http.StatusUnauthorized)

	b := third.postLogin(bob.name, bob.pass, "/", itBrowser())
	rlRefused(t, "a browser's sign-in post", b, 1800)
	if !strings.Contains(b.Header.Get("Content-Type"), "text/html") || !strings.Contains(b.Body, "Too Many Requests") {
		t.Errorf("a browser's refused sign-in does not get a page saying so (%q):\n%s", b.Header.Get("Content-Type"), b.Body)
	}
	// postLogin has loaded the sign-in page each time: GETs are not limited.
}

// rlSiteErrors has a public route with one request an hour.
const rlSiteErrors = `
	handle /ip/* {
		gatehouse {
			public
			rate_limit 1/1h
		}
		reverse_proxy {up}
	}`

// TestIntegrationRateLimitErrorPages checks what a refused client sees: Gatehouse's page for
// a browser, a bare 429 for an API client, and the site's handle_errors when it has one,
// with the limit's placeholders.
func TestIntegrationRateLimitErrorPages(t *testing.T) {
	e := itSetup(t)

	t.Run("without handle_errors", func(t *testing.T) {
		e.load(itConf{site: rlSiteErrors})
		c := e.bare()
		rlPass(t, "request 1", c.get("/ip/x", nil))
		b := c.get("/ip/x", itBrowser())
		rlRefused(t, "browser", b, 3600)
		if !strings.Contains(b.Header.Get("Content-Type"), "text/html") || !strings.Contains(b.Body, "Too Many Requests") {
			t.Errorf("the browser's 429 is not a page saying so (%q):\n%s", b.Header.Get("Content-Type"), b.Body)
		}
		a := c.get("/ip/x", http.Header{"Accept": {"application/json"}})
		rlRefused(t, "API client", a, 3600)
		if strings.Contains(a.Body, "<html") {
			t.Errorf("an API client got an HTML page:\n%s", a.Body)
		}
	})

	t.Run("with handle_errors", func(t *testing.T) {
		// handle_errors comes first: the inline limit moves to another line, so it is a
		// new limit with its own counters.
		e.load(itConf{site: `
	handle_errors {
		respond "limited {http.error.status_code} {http.auth.rate_limit.name} exceeded={http.auth.rate_limit.exceeded} retry={http.auth.rate_limit.retry_after}"
	}` + rlSiteErrors})
		c := e.bare()
		r := c.get("/ip/x", nil)
		rlPass(t, "request 1", r)
		name := rlOne(t, r, "RateLimit-Policy").name
		for _, tc := range []struct {
			what string
			hdr  http.Header
		}{
			{"API client", nil},
			{"browser", itBrowser()},
		} {
			r := c.get("/ip/x", tc.hdr)
			ra := rlRefused(t, tc.what, r, 3600)
			want := "limited 429 " + name + " exceeded=true retry=" + strconv.FormatInt(ra, 10)
			if r.Body != want {
				t.Errorf("%s: handle_errors answered %q, want %q", tc.what, r.Body, want)
			}
		}
	})
}

// TestIntegrationRateLimitReload checks that reloads keep the counters.
func TestIntegrationRateLimitReload(t *testing.T) {
	e := itSetup(t)
	conf := itConf{app: "rate_limit named 2/1h", site: `
	handle /inline/* {
		gatehouse {
			public
			rate_limit 2/1h
		}
		reverse_proxy {up}
	}
	handle /named/* {
		gatehouse {
			public
			rate_limit named
		}
		reverse_proxy {up}
	}`}
	e.load(conf)
	c := e.bare()
	for _, p := range []string{"/inline/x", "/named/x"} {
		rlPass(t, p+" #1", c.get(p, nil))
		rlPass(t, p+" #2", c.get(p, nil))
		rlRefused(t, p+" #3", c.get(p, nil), 1800)
	}

	e.forceLoad(conf)
	for _, p := range []string{"/inline/x", "/named/x"} {
		rlRefused(t, p+" after a reload with the same config", c.get(p, nil), 1800)
	}

	// A named limit keeps its counters when the Caddyfile around it changes.
	edited := conf
	edited.site = `
	handle /other/* {
		gatehouse {
			public
		}
		reverse_proxy {up}
	}` + conf.site
	e.load(edited)
	itExpectStatus(t, "/other/x (the edited config is running)", c.get("/other/x", nil), http.StatusOK)
	rlRefused(t, "/named/x after an edited config", c.get("/named/x", nil), 1800)
}
