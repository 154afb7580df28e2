package redirect

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafe checks that Safe never panics and that whatever it accepts, resolved by net/url
// against the current page, stays on the current host (or inside the cookie domain, or on a
// listed host), with nothing a browser would strip or reinterpret.
func FuzzSafe(f *testing.F) {
	for _, r := range loadPayloads(f) {
		f.Add(r.value)
	}
	for _, s := range []string{"/", "/a?b#c", "https://app.example.com/x", "https://a.example.com:8443/", "//x", "/%2F%2Fx", "https://wiki.corp.test/"} {
		f.Add(s)
	}
	base, err := url.Parse("https://app.example.com/page")
	if err != nil {
		f.Fatal(err)
	}
	policies := []struct {
		policy Policy
		ok     func(host string) bool
	}{
		{Policy{}, func(h string) bool { return h == "app.example.com" }},
		{Policy{CookieDomain: "example.com", Allowed: []string{"*.corp.test"}}, func(h string) bool {
			return h == "example.com" || strings.HasSuffix(h, ".example.com") || strings.HasSuffix(h, ".corp.test")
		}},
	}
	f.Fuzz(func(t *testing.T, target string) {
		for _, pc := range policies {
			got := pc.policy.Safe(target, "app.example.com")
			if got == "/" {
				continue
			}
			if got != target {
				t.Fatalf("Safe(%q) = %q: accepted values must be returned unchanged", target, got)
			}
			if strings.ContainsAny(got, "\\\t\n\r ") {
				t.Fatalf("Safe accepted %q, which browsers would rewrite", got)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatalf("Safe accepted %q, which does not parse: %v", got, err)
			}
			resolved := base.ResolveReference(u)
			host := strings.TrimSuffix(strings.ToLower(resolved.Hostname()), ".")
			if !pc.ok(host) {
				t.Fatalf("Safe(%q) accepted, resolves to host %q", got, host)
			}
			if resolved.Scheme != "http" && resolved.Scheme != "https" {
				t.Fatalf("Safe(%q) accepted, resolves to scheme %q", got, resolved.Scheme)
			}
		}
	})
}
