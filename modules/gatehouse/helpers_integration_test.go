package gatehouse

// Helpers for the integration tests: one in-process Caddy per test binary (caddytest), an
// echo upstream, a users file, and HTTP clients that sign in the way a browser does.

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	"github.com/gatehousehq/gatehouse/caddyauth/password"
	"github.com/gatehousehq/gatehouse/caddyauth/users"
	"github.com/gatehousehq/gatehouse/internal/sharedtestdata"
)

// Ports of the in-process Caddy. The admin endpoint stays where caddytest expects it.
const (
	itAdminAddr = "localhost:2999"
	itHTTPPort  = 18480
	itHTTPSPort = 18443
	itSitePort  = 18481
	itSecret    = "integration-test-secret-0123456789abcdef"
	itCookie    = "gatehouse"
)

// itBase is the URL of the guarded site.
var itBase = fmt.Sprintf("http://localhost:%d", itSitePort)

// itAccount is one local account of the test users file.
type itAccount struct {
	name, pass, email, display string
	groups, roles              []string
}

// itAccounts are the users every test config loads. Passwords are hashed once per binary.
var itAccounts = []itAccount{
	{name: "alice", pass: "alice-wonderland-1", email: "alice@acme.com", display: "Alice Liddell"},
	{name: "bob", pass: "bob-builder-2", email: "bob@acme.com", display: "Bob", groups: []string{"staff"}},
	{name: "carol", pass: "carol-rainbow-3", email: "carol@other.org", display: "Carol", groups: []string{"readers"}},
	{name: "mallory", pass: "mallory-evil-4", email: "mallory@acme.com", display: "Mallory", groups: []string{"staff"}},
	{name: "dan", pass: "dan-staff-5", email: "dan@other.org", display: "Dan", groups: []string{"staff"}},
	{name: "lab-user", pass: "lab-user-pass-6", email: "lab-user@acme.com", display: "Lab User", groups: []string{"staff", "ops"}},
	{name: "loner", pass: "loner-pass-7"},
	{name: "dave", pass: "dave-locked-8", email: "dave@acme.com", groups: []string{"staff"}},
}

func itAccountByName(t testing.TB, name string) itAccount {
	t.Helper()
	for _, a := range itAccounts {
		if a.name == name {
			return a
		}
	}
	t.Fatalf("no test account %q", name)
	return itAccount{}
}

var (
	itHashOnce sync.Once
	itHashes   map[string]string
	itHashErr  error
)

// itUsersFileJSON returns the users file, hashing every password once per test binary
// (argon2id is slow, more so under -race).
func itUsersFileJSON(t testing.TB) []byte {
	t.Helper()
	itHashOnce.Do(func() {
		itHashes = make(map[string]string, len(itAccounts))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, a := range itAccounts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, err := password.Hash(a.pass)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					itHashErr = err
					return
				}
				itHashes[a.name] = h
			}()
		}
		wg.Wait()
	})
	if itHashErr != nil {
		t.Fatalf("hashing test passwords: %v", itHashErr)
	}
	f := &users.File{}
	for _, a := range itAccounts {
		f.Users = append(f.Users, users.User{
			Username: a.name, Password: itHashes[a.name], Email: a.email, Name: a.display,
			Groups: a.groups, Roles: a.roles,
		})
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// itEcho is what the echo upstream saw.
type itEcho struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query"`
	Proto   string              `json:"proto"`
	Header  map[string][]string `json:"header"`
	Trailer map[string][]string `json:"trailer"`
}

// values returns every value the upstream received under any spelling of name (case,
// '_' and '.' folded), by received key.
func (e itEcho) values(name string) map[string][]string {
	out := map[string][]string{}
	for k, v := range e.Header {
		if sameHeader(k, name) {
			out[k] = v
		}
	}
	return out
}

// itUpstream is the app behind Gatehouse: it answers with the request it received, as JSON,
// or as an HTML page under /ui.
type itUpstream struct {
	srv  *httptest.Server
	hits atomic.Int64
}

var itPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo app</title></head>
<body><h1 id="hello">Hello, {{.User}}</h1>
<table>
<tr><th>Remote-User</th><td id="remote-user">{{.User}}</td></tr>
<tr><th>Remote-Email</th><td id="remote-email">{{index .H "Remote-Email"}}</td></tr>
<tr><th>Remote-Groups</th><td id="remote-groups">{{index .H "Remote-Groups"}}</td></tr>
<tr><th>Remote-Roles</th><td id="remote-roles">{{index .H "Remote-Roles"}}</td></tr>
</table>
<p><a id="admin" href="/admin/ui">Admin area</a> <a id="signout" href="/.gatehouse/logout">Sign out</a></p>
</body></html>`))

func itStartUpstream(t testing.TB) *itUpstream {
	t.Helper()
	u := &itUpstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		// Read the whole body: trailers arrive after it.
		_, _ = io.Copy(io.Discard, r.Body)
		if strings.HasPrefix(r.URL.Path, "/ui") || strings.HasPrefix(r.URL.Path, "/admin/ui") {
			h := map[string]string{}
			for k := range r.Header {
				h[k] = r.Header.Get(k)
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = itPage.Execute(w, struct {
				User string
				H    map[string]string
			}{r.Header.Get("Remote-User"), h})
			return
		}
		e := itEcho{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Proto: r.Proto,
			Header: r.Header, Trailer: r.Trailer}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// addr is the upstream's host:port for reverse_proxy.
func (u *itUpstream) addr() string { return strings.TrimPrefix(u.srv.URL, "http://") }

// itConf is one Caddyfile for the in-process Caddy.
type itConf struct {
	// store is the store line's arguments; default "memory".
	store string
	// app holds extra lines for the gatehouse global option.
	app string
	// global holds extra global options.
	global string
	// site is the body of the http://localhost:<port> site; {up} is the upstream address.
	site string
	// noGatehouse leaves the gatehouse global option out.
	noGatehouse bool
	// portalLimit is the portal_rate_limit option's arguments; default "off", so tests that
	// sign in many times from 127.0.0.1 are not limited.
	portalLimit string
}

// itRoles are the role declarations most tests use.
const itRoles = `
		role admin {
			inherits editor
			grant user alice
		}
		role editor {
			grant group staff
		}`

// itSiteDefault is a site with a public area, an admin area and a signed-in-only rest.
const itSiteDefault = `
	handle /public/* {
		gatehouse {
			public
		}
		reverse_proxy {up} {
			header_up X-Who "{http.auth.user.id}"
		}
	}
	handle {
		@admin path /admin /admin/*
		gatehouse @admin {
			allow role admin
		}
		gatehouse
		reverse_proxy {up}
	}`

// itEnv is one test's view of the in-process Caddy.
type itEnv struct {
	t         *testing.T
	tester    *caddytest.Tester
	up        *itUpstream
	usersFile string
}

// itSetup starts the upstream, writes the users file and, when the test ends, loads a
// config without Gatehouse so that the store is released and the next test starts fresh.
func itSetup(t *testing.T) *itEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test (starts Caddy): not run with -short")
	}
	dir := t.TempDir()
	e := &itEnv{t: t, up: itStartUpstream(t), usersFile: filepath.Join(dir, "users.json")}
	if err := os.WriteFile(e.usersFile, itUsersFileJSON(t), 0o600); err != nil {
		t.Fatal(err)
	}
	e.tester = caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{
		LoadRequestTimeout: 20 * time.Second, TestRequestTimeout: 20 * time.Second,
	})
	t.Cleanup(func() {
		clockSkew.Store(0)
		e.tester.InitServer(e.render(itConf{noGatehouse: true, site: `respond "no gatehouse here" 200`}), "caddyfile")
	})
	return e
}

// render writes c as a Caddyfile.
func (e *itEnv) render(c itConf) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{
	admin %s
	http_port %d
	https_port %d
	grace_period 1ns
	default_bind 127.0.0.1
	skip_install_trust
	log {
		level ERROR
	}
%s
`, itAdminAddr, itHTTPPort, itHTTPSPort, c.global)
	if !c.noGatehouse {
		store := c.store
		if store == "" {
			store = "memory"
		}
		portal := c.portalLimit
		if portal == "" {
			portal = "off"
		}
		fmt.Fprintf(&b, `	gatehouse {
		secret %s
		store %s
		users %s
		portal_rate_limit %s
%s
	}
`, itSecret, store, e.usersFile, portal, c.app)
	}
	site := strings.ReplaceAll(c.site, "{up}", e.up.addr())
	fmt.Fprintf(&b, "}\n\nhttp://localhost:%d {\n%s\n}\n", itSitePort, site)
	return b.String()
}

// load loads c (a reload of the running Caddy); an unchanged config is left as it is.
func (e *itEnv) load(c itConf) {
	e.t.Helper()
	e.tester.InitServer(e.render(c), "caddyfile")
	if e.t.Failed() {
		e.t.FailNow()
	}
}

// forceLoad loads c even when it is the running config, so that every module is
// provisioned again (what `caddy reload --force` does).
func (e *itEnv) forceLoad(c itConf) {
	e.t.Helper()
	adapted := e.render(c)
	req, err := http.NewRequest(http.MethodPost, "http://"+itAdminAddr+"/load", strings.NewReader(adapted))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/caddyfile")
	req.Header.Set("Cache-Control", "must-revalidate")
	hc := &http.Client{Timeout: 20 * time.Second}
	res, err := hc.Do(req)
	if err != nil {
		e.t.Fatalf("forced reload: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("forced reload: %d %s", res.StatusCode, body)
	}
}

// itResp is an answer from Caddy.
type itResp struct {
	Status int
	Header http.Header
	Body   string
	raw    *http.Response
}

// echo decodes the upstream's echo from the body.
func (r itResp) echo(t testing.TB) itEcho {
	t.Helper()
	var e itEcho
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
		t.Fatalf("the answer is not the upstream's echo (status %d): %v\n%s", r.Status, err, r.Body)
	}
	return e
}

// cookie returns the Set-Cookie of name in the answer, or nil.
func (r itResp) cookie(name string) *http.Cookie {
	for _, c := range r.raw.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// itClient is one user agent: its own connection pool and, unless bare, its own cookie jar.
// It never follows redirects, so tests see every 302/303.
type itClient struct {
	t   testing.TB
	hc  *http.Client
	jar *cookiejar.Jar
}

func (e *itEnv) client() *itClient { return itNewClient(e.t, true) }

// bare returns a client without a cookie jar: requests carry exactly the headers given.
func (e *itEnv) bare() *itClient { return itNewClient(e.t, false) }

func itNewClient(t testing.TB, withJar bool) *itClient {
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	c := &itClient{t: t, hc: &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	if withJar {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		c.jar, c.hc.Jar = jar, jar
	}
	return c
}

// itBrowser is what a browser sends when it navigates.
func itBrowser() http.Header {
	return http.Header{"Accept": {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}}
}

// do sends one request; form (when not nil) is sent as a urlencoded body. Header keys are
// sent exactly as written in hdr (the map is copied key by key, never canonicalised).
func (c *itClient) do(method, path string, form url.Values, hdr http.Header) itResp {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, itBase+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		if strings.EqualFold(k, "Host") {
			req.Host = v[0]
			continue
		}
		req.Header[k] = append([]string(nil), v...)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return itResp{Status: res.StatusCode, Header: res.Header, Body: string(b), raw: res}
}

func (c *itClient) get(path string, hdr http.Header) itResp {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil, hdr)
}

// itCSRFField finds the hidden csrf field of a portal form.
var itCSRFField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// formToken reads the csrf field of the portal page at path.
func (c *itClient) formToken(path string) string {
	c.t.Helper()
	r := c.get(path, itBrowser())
	if r.Status != http.StatusOK {
		c.t.Fatalf("GET %s: status %d, want 200\n%s", path, r.Status, r.Body)
	}
	m := itCSRFField.FindStringSubmatch(r.Body)
	if m == nil {
		c.t.Fatalf("GET %s: no csrf field in the page\n%s", path, r.Body)
	}
	return html.UnescapeString(m[1])
}

// postLogin opens the sign-in page (for the form cookie and token) and posts the form.
func (c *itClient) postLogin(user, pass, rd string, hdr http.Header) itResp {
	c.t.Helper()
	csrf := c.formToken("/.gatehouse/login?rd=" + url.QueryEscape(rd))
	form := url.Values{"username": {user}, "password": {pass}, "rd": {rd}, "csrf": {csrf}}
	return c.do(http.MethodPost, "/.gatehouse/login", form, hdr)
}

// signIn signs in as the test account user and checks the 303 to rd.
func (c *itClient) signIn(user, rd string) itResp {
	c.t.Helper()
	a := itAccountByName(c.t, user)
	r := c.postLogin(a.name, a.pass, rd, nil)
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: status %d, want 303\n%s", user, r.Status, r.Body)
	}
	if r.cookie(itCookie) == nil {
		c.t.Fatalf("sign in as %s: no session cookie set", user)
	}
	return r
}

// token returns the session cookie the jar holds for the site ("" when none).
func (c *itClient) token() string {
	c.t.Helper()
	u, _ := url.Parse(itBase + "/")
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == itCookie {
			return ck.Value
		}
	}
	return ""
}

// setToken puts a session cookie in the jar, as a browser holding it would send it.
func (c *itClient) setToken(token string) {
	u, _ := url.Parse(itBase + "/")
	c.jar.SetCookies(u, []*http.Cookie{{Name: itCookie, Value: token, Path: "/"}})
}

// itCookieHeader is a request header carrying the session cookie token.
func itCookieHeader(token string) http.Header {
	return http.Header{"Cookie": {itCookie + "=" + token}}
}

// itWith merges header sets (later ones win per key).
func itWith(hs ...http.Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		for k, v := range h {
			out[k] = v
		}
	}
	return out
}

// itExpectStatus fails the test when r has another status.
func itExpectStatus(t testing.TB, what string, r itResp, want int) {
	t.Helper()
	if r.Status != want {
		body := r.Body
		if len(body) > 600 {
			body = body[:600] + "…"
		}
		t.Errorf("%s: status %d, want %d\n%s", what, r.Status, want, body)
	}
}

// itRoot is the folder holding go.mod.
func itRoot(t testing.TB) string {
	t.Helper()
	return sharedtestdata.RepoRoot(t)
}

// itGatehouseGoroutines returns the stacks of the goroutines that run Gatehouse code.
func itGatehouseGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "gatehouse") {
			out = append(out, g)
		}
	}
	return out
}

// itPoll calls cond until it is true or the deadline passes; it reports whether cond held.
func itPoll(deadline time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-tick.C:
		}
	}
}

// itSplitSet returns the comma-separated values of s, sorted.
func itSplitSet(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	sort.Strings(parts)
	return parts
}
