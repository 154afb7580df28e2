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

// BenchmarkServeHTTPRateLimited is BenchmarkServeHTTPSignedIn with `rate_limit
// 1000000000/1s by user` on the route: the same signed-in request, plus the limit check
// (key, counter update, RateLimit-Policy and RateLimit fields, placeholders). The limit is
// never reached. The difference between the two is the per-request cost of a limit.
func BenchmarkServeHTTPRateLimited(b *testing.B) {
	a := benchApp(b)
	h := &Handler{
		RouteRules: RouteRules{
			Allow:      []policies.Subject{{Kind: policies.KindRole, Values: []string{"admin"}}},
			RateLimits: []RateLimit{{Name: "bench", Rate: 1_000_000_000, Window: caddy.Duration(time.Second), By: byUser}},
		},
		app: a, logger: zap.NewNop(),
	}
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
	repl := caddy.NewReplacer()
	req = caddyhttp.PrepareRequest(req, repl, w, &caddyhttp.Server{})
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
	if called != b.N || req.Header.Get(headerUser) != "alice" {
		b.Fatalf("the request did not pass as alice: called %d/%d, headers %v", called, b.N, req.Header)
	}
	if got := w.Header().Get("RateLimit-Policy"); got != `"bench";q=1000000000;w=1` {
		b.Fatalf("RateLimit-Policy %q: the limit was not checked", got)
	}
}
