package gatehouse

// Path-confusion integration test: the route_authz_path_confusion cases of
// shared/testdata/proxy_security_scenarios.json are sent as raw request-targets (Go's client
// would clean them) to a site whose /admin and /pki/ca/prod areas are guarded by role, and
// the test checks that no spelling of a guarded path reaches the upstream for someone who
// may not see it.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pcSite guards /admin for role admin and /pki/ca/prod for role ops; /public is open and
// the rest needs a session (like Caddyfile.example).
const pcSite = `
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
		@pki path /pki/ca/prod /pki/ca/prod/*
		gatehouse @pki {
			allow role ops
		}
		gatehouse
		reverse_proxy {up}
	}`

// pcRoles adds role ops (lab-user, through group ops) to the usual roles: alice is admin,
// bob only editor.
const pcRoles = itRoles + `
		role ops {
			grant group ops
		}`

// pcGuarded are the areas bob (signed in, neither admin nor ops) must never reach.
var pcGuarded = []string{"/admin", "/pki/ca/prod"}

// pcCase is one case of route_authz_path_confusion.
type pcCase struct {
	ID     string `json:"id"`
	Path   string `json:"path"`
	Host   string `json:"host"`
	Rule   string `json:"rule"`
	Expect string `json:"expect"`
}

// pcTargets are the raw request-targets sent for each path case, written exactly as they go
// on the wire: the case's own path first, then variants of the same trick.
var pcTargets = map[string][]string{
	"P1": {"/ADMIN/x", "/Admin/X", "/ADMIN", "/PKI/CA/PROD", "/pki/CA/prod/key"},
	"P2": {"/%61dmin/x", "/%61%64%6D%69%6E/x", "/admin%2fx", "/pki/ca/%70rod", "/pki%2fca%2fprod"},
	"P3": {"//admin/x", "///admin//x", "/admin//x", "//pki//ca//prod"},
	"P4": {"/public/../admin/x", "/public/%2e%2e/admin/x", "/public/%2E%2E/admin/x",
		"/public/../pki/ca/prod", "/.gatehouse/../admin/x", "/.gatehouse/static/../../admin/x"},
	"P5": {"/./admin/x", "/%2e/admin/x", "/admin/./x", "/pki/./ca/prod"},
	"P6": {"/public/..%2fadmin/secret", "/public/..%2Fadmin/secret", "/public%2f..%2fadmin/secret",
		"/public/..%2fpki/ca/prod"},
	"P7": {"/admin%5csecret", "/public%5c..%5cadmin", "/public/..%5cadmin/x", `/admin\secret`,
		`/public\..\admin`},
	"P9":  {"/foo/secret#/bar", "/public/x#/../../admin/x", "/admin#", "/admin/x#frag"},
	"P10": {"/pki/ca/prod-backup", "/pki/ca/production", "/adminx"},
	"P12": {"/admin%ZZ", "/admin/%ZZ", "/%ZZ/../admin/x", "/admin/%", "/admin/\xc3\xa9",
		"/\xff/../admin/x", "/admin\xff", "/admin%00/x"},
}

// pcAllowedThrough are targets that a plain signed-in user correctly reaches (segment
// boundary: /pki/ca/prod-backup is not /pki/ca/prod).
var pcAllowedThrough = map[string]bool{
	"/pki/ca/prod-backup": true, "/pki/ca/production": true, "/adminx": true,
}

// pcActor is who sends a request: a session cookie and an Accept header, or neither.
type pcActor struct {
	name     string
	signedIn bool
	headers  []string
}

// pcOutcome is what happened to one request.
type pcOutcome struct {
	status  int
	reached bool   // the upstream was called
	path    string // the path the upstream received, when reached
	body    string
}

func (o pcOutcome) String() string {
	if o.reached {
		return fmt.Sprintf("%d, upstream saw %q", o.status, o.path)
	}
	return fmt.Sprintf("%d, upstream not reached", o.status)
}

// TestIntegrationPathConfusion checks route_authz_path_confusion: every spelling of a
// guarded path is refused to a user without the role (403) and to anonymous clients (401
// or 302), or is a malformed request Caddy refuses (400/404), or reaches the upstream as
// a path outside the guarded areas.
func TestIntegrationPathConfusion(t *testing.T) {
	cases := pcLoadCases(t)
	e := itSetup(t)
	e.load(itConf{app: pcRoles, site: pcSite})
	host := fmt.Sprintf("localhost:%d", itSitePort)

	tokens := map[string]string{}
	for _, u := range []string{"alice", "bob", "lab-user"} {
		c := e.client()
		c.signIn(u, "/")
		tokens[u] = c.token()
	}
	bob := pcActor{name: "bob", signedIn: true, headers: []string{"Cookie: " + itCookie + "=" + tokens["bob"]}}
	anonAPI := pcActor{name: "anonymous API client", headers: []string{"Accept: application/json"}}
	anonBrowser := pcActor{name: "anonymous browser", headers: []string{"Accept: text/html"}}
	actors := []pcActor{bob, anonAPI, anonBrowser}
	as := func(user string) pcActor {
		return pcActor{name: user, signedIn: true, headers: []string{"Cookie: " + itCookie + "=" + tokens[user]}}
	}

	t.Run("controls", func(t *testing.T) {
		for _, c := range []struct {
			actor  pcActor
			target string
			want   int
		}{
			{as("alice"), "/admin/x", http.StatusOK},
			{bob, "/admin/x", http.StatusForbidden},
			{anonAPI, "/admin/x", http.StatusUnauthorized},
			{anonBrowser, "/admin/x", http.StatusFound},
			{as("lab-user"), "/pki/ca/prod/key", http.StatusOK},
			{as("lab-user"), "/admin/x", http.StatusForbidden},
			{bob, "/pki/ca/prod", http.StatusForbidden},
			{bob, "/app/x", http.StatusOK},
			{anonAPI, "/public/x", http.StatusOK},
			{anonAPI, "/app/x", http.StatusUnauthorized},
		} {
			o := pcSend(t, e, host, c.target, c.actor)
			t.Logf("control %s as %s: %s", c.target, c.actor.name, o)
			if o.status != c.want {
				t.Errorf("control %s as %s: status %d, want %d\n%s", c.target, c.actor.name, o.status, c.want, o.body)
			}
			if o.reached != (c.want == http.StatusOK) {
				t.Errorf("control %s as %s: upstream reached = %v", c.target, c.actor.name, o.reached)
			}
			if o.reached && o.path != c.target {
				t.Errorf("control %s as %s: upstream saw %q", c.target, c.actor.name, o.path)
			}
		}
	})

	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			switch c.ID {
			case "P8":
				// Gatehouse has no skip-auth-by-regex rule: only "auth still required".
				for _, a := range []pcActor{anonAPI, anonBrowser} {
					o := pcSend(t, e, host, "/api/private/sensitive?path=/status", a)
					t.Logf("%s /api/private/sensitive?path=/status as %s: %s", c.ID, a.name, o)
					pcCheck(t, c.ID, "/api/private/sensitive?path=/status", a, o)
				}
			case "P11":
				pcCheckHostCase(t, e, c.ID, host, []pcActor{as("alice"), bob, anonAPI})
			case "P13":
				t.Logf("%s (%s): a sign-in claim, covered by the policies unit tests", c.ID, c.Rule)
			default:
				targets, ok := pcTargets[c.ID]
				if !ok {
					t.Fatalf("case %s (%q) is not handled by this test: add it to pcTargets", c.ID, c.Path)
				}
				for _, target := range targets {
					for _, a := range actors {
						o := pcSend(t, e, host, target, a)
						t.Logf("%s %q as %s: %s", c.ID, target, a.name, o)
						pcCheck(t, c.ID, target, a, o)
						if pcAllowedThrough[target] && a.signedIn && (!o.reached || o.status != http.StatusOK) {
							t.Errorf("%s %q as %s: %s, want 200 from the upstream (outside the guarded area)", c.ID, target, a.name, o)
						}
					}
				}
			}
		})
	}
}

// pcLoadCases reads route_authz_path_confusion from the shared scenarios.
func pcLoadCases(t *testing.T) []pcCase {
	t.Helper()
	file := filepath.Join(itRoot(t), "..", "shared", "testdata", "proxy_security_scenarios.json")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reading the shared path-confusion scenarios: %v", err)
	}
	var f struct {
		PathConfusion struct {
			Cases []pcCase `json:"cases"`
		} `json:"route_authz_path_confusion"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("decoding %s: %v", file, err)
	}
	if len(f.PathConfusion.Cases) == 0 {
		t.Fatalf("%s has no route_authz_path_confusion cases", file)
	}
	return f.PathConfusion.Cases
}

// pcSend writes "GET target" as raw bytes, so the target goes on the wire as written.
func pcSend(t *testing.T, e *itEnv, host, target string, a pcActor) pcOutcome {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", target, host)
	for _, h := range a.headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	hits := e.up.hits.Load()
	r := itRawRequest(t, b.String())
	o := pcOutcome{status: r.Status, reached: e.up.hits.Load() != hits, body: r.Body}
	if o.reached {
		var ec itEcho
		if err := json.Unmarshal([]byte(r.Body), &ec); err != nil {
			t.Errorf("GET %q as %s: the upstream was called but the answer is not its echo (status %d): %v",
				target, a.name, r.Status, err)
		}
		o.path = ec.Path
	}
	return o
}

// pcCheck fails unless o is a refusal fit for the actor or the upstream got a path the
// actor may see.
func pcCheck(t *testing.T, id, target string, a pcActor, o pcOutcome) {
	t.Helper()
	what := fmt.Sprintf("%s %q as %s", id, target, a.name)
	if !o.reached {
		refusals := []int{http.StatusUnauthorized, http.StatusFound, http.StatusBadRequest, http.StatusNotFound}
		if a.signedIn {
			refusals = []int{http.StatusForbidden, http.StatusBadRequest, http.StatusNotFound}
		}
		if !slices.Contains(refusals, o.status) {
			t.Errorf("%s: %s, want one of %v", what, o, refusals)
		}
		return
	}
	seen := pcNormalize(o.path)
	if pcForbidden(a, seen) {
		t.Errorf("%s: %s (%q): the upstream served a path this client may not see", what, o, seen)
		return
	}
	if alt := pcLenient(o.path); alt != seen && pcForbidden(a, alt) {
		t.Errorf("%s: an upstream that treats '\\' as '/' or ends the path at NUL or '#' would read %q",
			what, alt)
	}
}

// pcForbidden tells whether the normalized path p is outside what a may see: anything but
// /public when anonymous, the guarded areas for bob.
func pcForbidden(a pcActor, p string) bool {
	if !a.signedIn {
		return !pcUnder(p, "/public")
	}
	for _, g := range pcGuarded {
		if pcUnder(p, g) {
			return true
		}
	}
	return false
}

// pcCheckHostCase checks that the Host header's case changes nothing: each target gets the
// same outcome with LOCALHOST and LocalHost as with localhost.
func pcCheckHostCase(t *testing.T, e *itEnv, id, host string, actors []pcActor) {
	t.Helper()
	variants := []string{strings.ToUpper(host), "LocalHost" + strings.TrimPrefix(host, "localhost")}
	for _, target := range []string{"/admin/x", "/pki/ca/prod", "/app/x", "/public/x"} {
		for _, a := range actors {
			want := pcSend(t, e, host, target, a)
			for _, h := range variants {
				got := pcSend(t, e, h, target, a)
				t.Logf("%s Host %s %q as %s: %s (Host %s: %s)", id, h, target, a.name, got, host, want)
				if got.status != want.status || got.reached != want.reached || got.path != want.path {
					t.Errorf("%s Host %s %q as %s: %s, but with Host %s: %s", id, h, target, a.name, got, host, want)
				}
			}
		}
	}
}

// pcNormalize is the path as an upstream would resolve it: percent-decoded (again, for
// double encoding), cleaned and lower-cased.
func pcNormalize(p string) string {
	for range 3 {
		u, err := url.PathUnescape(p)
		if err != nil || u == p {
			break
		}
		p = u
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return strings.ToLower(path.Clean(p))
}

// pcLenient is p as a lenient upstream would resolve it: '\' taken as '/', and the path
// ended at a NUL byte or a '#'.
func pcLenient(p string) string {
	p = pcNormalize(p)
	if i := strings.IndexAny(p, "\x00#"); i >= 0 {
		p = p[:i]
	}
	return pcNormalize(strings.ReplaceAll(p, `\`, "/"))
}

// pcUnder tells whether p is prefix or below it, on a segment boundary.
func pcUnder(p, prefix string) bool {
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}
