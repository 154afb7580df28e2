package gatehouse

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
	"github.com/gatehousehq/gatehouse/policies"
)

// benchApp provisions an App on the memory store, as a config with
// `role admin { grant group ops }` would.
func benchApp(tb testing.TB) *App {
	tb.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	tb.Cleanup(cancel)
	a := &App{
		Secret: "bench-secret-0123456789abcdef0123456789",
		Store:  &StoreConfig{Type: "memory"},
		Roles:  map[string]policies.Role{"admin": {Grants: []policies.Subject{{Kind: policies.KindGroup, Values: []string{"ops"}}}}},
	}
	if err := a.Provision(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Cleanup() })
	return a
}

// benchSignedIn runs a signed-in request for alice (role admin) through a handler with
// rules, b.N times, and returns the response recorder. The request's Caddy context is
// built once; each iteration refills what the handler changes: a browser's usual headers
// and the session cookie.
func benchSignedIn(b *testing.B, rules RouteRules) *httptest.ResponseRecorder {
	a := benchApp(b)
	h := &Handler{RouteRules: rules, app: a, logger: zap.NewNop()}
	if err := h.RouteRules.validate(); err != nil {
		b.Fatal(err)
	}
	var err error
	if h.rules, err = compile(h.RouteRules, nil, nil, nil); err != nil {
		b.Fatal(err)
	}
	id := identity.Identity{User: "alice", Email: "alice@acme.com", Name: "Alice", Groups: []string{"ops", "dev"}, Provider: "local"}
	token, _, err := a.sessions.Create(context.Background(), id, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}

	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "http://app.example.com/admin/", nil)
	req = caddyhttp.PrepareRequest(req, caddy.NewReplacer(), w, &caddyhttp.Server{})
	vars := req.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
	cookieHeader := "theme=dark; " + a.cookie.name + "=" + token
	cookie := make([]string, 1)
	called := 0
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { called++; return nil })
	base := http.Header{
		"Accept":          {"text/html,application/xhtml+xml"},
		"Accept-Encoding": {"gzip, deflate, br"},
		"Accept-Language": {"en-GB,en;q=0.9"},
		"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"},
		"Sec-Fetch-Site":  {"same-origin"},
	}

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		delete(vars, stateVar)
		clear(req.Header)
		for k, v := range base {
			req.Header[k] = v
		}
		cookie[0] = cookieHeader
		req.Header["Cookie"] = cookie
		if err := h.ServeHTTP(w, req, next); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if called != b.N || req.Header.Get(headerUser) != "alice" || req.Header.Get(headerRoles) != "admin" {
		b.Fatalf("the request did not pass as alice: called %d/%d, headers %v", called, b.N, req.Header)
	}
	return w
}

var benchAdminOnly = []policies.Subject{{Kind: policies.KindRole, Values: []string{"admin"}}}

// BenchmarkServeHTTPSignedIn measures the handler's own work on a signed-in request that
// passes `allow role admin`: strip headers, read and remove the cookie, find the session,
// decide, set placeholders and identity headers.
func BenchmarkServeHTTPSignedIn(b *testing.B) {
	benchSignedIn(b, RouteRules{Allow: benchAdminOnly})
}

// BenchmarkServeHTTPRateLimited is BenchmarkServeHTTPSignedIn with `rate_limit
// 1000000000/1s by user` on the route: the same request plus the limit check (key, counter
// update, RateLimit-Policy and RateLimit fields, placeholders). The limit is never reached;
// the difference between the two is the per-request cost of a limit.
func BenchmarkServeHTTPRateLimited(b *testing.B) {
	w := benchSignedIn(b, RouteRules{
		Allow:      benchAdminOnly,
		RateLimits: []RateLimit{{Name: "bench", Rate: 1_000_000_000, Window: caddy.Duration(time.Second), By: byUser}},
	})
	if got := w.Header().Get("RateLimit-Policy"); got != `"bench";q=1000000000;w=1` {
		b.Fatalf("RateLimit-Policy %q: the limit did not run", got)
	}
}
