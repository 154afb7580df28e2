package redirect

import (
	"errors"
	"testing"
)

func TestSafe(t *testing.T) {
	const host = "app.example.com"
	hostOnly := Policy{}
	shared := Policy{CookieDomain: ".example.com"}
	listed := Policy{Allowed: []string{"grafana.partner.org", "*.corp.test", "dev.example.net:8443", "any.example.net:*"}}

	tests := []struct {
		name    string
		policy  Policy
		current string
		target  string
		accept  bool
	}{
		// Relative paths.
		{"root", hostOnly, host, "/", true},
		{"path", hostOnly, host, "/admin/users", true},
		{"path with query and fragment", hostOnly, host, "/search?q=a%20b&next=//evil.com#/x//y", true},
		{"encoded path", hostOnly, host, "/caf%C3%A9/my%20docs", true},
		{"dot segments that stay on site", hostOnly, host, "/a/../b/./c", true},
		{"single dot segment", hostOnly, host, "/.", true},
		{"empty", hostOnly, host, "", false},
		{"no leading slash", hostOnly, host, "admin", false},
		{"bare host", hostOnly, host, "evil.com", false},
		{"protocol-relative", hostOnly, host, "//evil.com", false},
		{"protocol-relative to own host", hostOnly, host, "//app.example.com/x", false},
		{"triple slash", hostOnly, host, "///evil.com", false},
		{"slash backslash", hostOnly, host, `/\evil.com`, false},
		{"backslash elsewhere", hostOnly, host, `/a\b`, false},
		{"encoded double slash", hostOnly, host, "/%2F%2Fevil.com", false},
		{"encoded double slash lower case", hostOnly, host, "/%2f/evil.com", false},
		{"encoded backslash", hostOnly, host, "/%5Cevil.com", false},
		{"dot then double slash", hostOnly, host, "/.//evil.com", false},
		{"dot-dot then double slash", hostOnly, host, "/../..//evil.com", false},
		{"encoded dot then double slash", hostOnly, host, "/%2e/%2fevil.com", false},
		{"encoded control char", hostOnly, host, "/%0a/evil.com", false},
		{"bad escape", hostOnly, host, "/%zz", false},
		{"bad escape in fragment", hostOnly, host, "/a#%zz", false},
		{"tab", hostOnly, host, "/\t/evil.com", false},
		{"newline", hostOnly, host, "/\n/evil.com", false},
		{"space", hostOnly, host, "/ /evil.com", false},
		{"NUL", hostOnly, host, "/\x00", false},
		{"DEL", hostOnly, host, "/a\x7f", false},
		{"C1 control", hostOnly, host, "/a\u0085", false},
		{"ideographic space", hostOnly, host, "/\u3000/evil.com", false},
		{"invalid UTF-8", hostOnly, host, "/\xff", false},
		{"javascript", hostOnly, host, "javascript:alert(1)", false},
		{"javascript upper case", hostOnly, host, "JaVaScRiPt:alert(1)", false},
		{"data", hostOnly, host, "data:text/html,<script>alert(1)</script>", false},
		{"ftp", hostOnly, host, "ftp://app.example.com/", false},

		// Absolute URLs to the current host.
		{"https current host", hostOnly, host, "https://app.example.com/x?y=1#z", true},
		{"http current host", hostOnly, host, "http://app.example.com/", true},
		{"scheme and host case", hostOnly, host, "HTTPS://App.Example.COM/x", true},
		{"trailing dot", hostOnly, host, "https://app.example.com./x", true},
		{"no path", hostOnly, host, "https://app.example.com", true},
		{"explicit default port", hostOnly, host, "https://app.example.com:443/", true},
		{"current host with port", hostOnly, "app.example.com:8443", "https://app.example.com:8443/x", true},
		{"port mismatch", hostOnly, host, "https://app.example.com:8443/", false},
		{"port dropped", hostOnly, "app.example.com:8443", "https://app.example.com/", false},
		{"empty port", hostOnly, host, "https://app.example.com:/", false},
		{"port out of range", hostOnly, host, "https://app.example.com:65979/", false},
		{"other host", hostOnly, host, "https://evil.com", false},
		{"suffix confusion", hostOnly, host, "https://app.example.com.evil.com/", false},
		{"prefix confusion", hostOnly, host, "https://evilapp.example.com/", false},
		{"userinfo before own host", hostOnly, host, "https://evil.com@app.example.com/", false},
		{"own host as userinfo", hostOnly, host, "https://app.example.com@evil.com/", false},
		{"own host with port as userinfo", hostOnly, host, "https://app.example.com:443@evil.com/", false},
		{"missing slashes", hostOnly, host, "https:/evil.com", false},
		{"no slashes", hostOnly, host, "https:evil.com", false},
		{"backslashes", hostOnly, host, `http:\\evil.com`, false},
		{"slash backslash after scheme", hostOnly, host, `https:/\evil.com`, false},
		{"empty host", hostOnly, host, "https:///evil.com", false},
		{"tab in scheme", hostOnly, host, "ht\ttps://evil.com", false},
		{"newline in host", hostOnly, host, "https://app.example.com\n.evil.com/", false},
		{"percent in host", hostOnly, host, "https://app%2eexample.com/", false},
		{"unicode host", hostOnly, host, "https://app。example.com/", false},
		{"fullwidth host", hostOnly, host, "https://ａｐｐ.example.com/", false},
		{"leading space", hostOnly, host, " https://evil.com", false},

		// Cookie domain.
		{"cookie domain apex", shared, host, "https://example.com/", true},
		{"cookie domain subdomain", shared, host, "https://grafana.example.com/d/1", true},
		{"cookie domain deep subdomain", shared, host, "http://a.b.example.com/", true},
		{"cookie domain current port", shared, "app.example.com:8443", "https://grafana.example.com:8443/", true},
		{"cookie domain other port", shared, host, "https://grafana.example.com:8443/", false},
		{"cookie domain look-alike", shared, host, "https://evilexample.com/", false},
		{"cookie domain suffix confusion", shared, host, "https://example.com.evil.com/", false},
		{"cookie domain with userinfo", shared, host, "https://grafana.example.com@evil.com/", false},
		{"no cookie domain", hostOnly, host, "https://grafana.example.com/", false},

		// Allowed list.
		{"allowed exact", listed, host, "https://grafana.partner.org/", true},
		{"allowed case", listed, host, "https://GRAFANA.partner.org/", true},
		{"allowed other port", listed, host, "https://grafana.partner.org:8443/", false},
		{"allowed parent", listed, host, "https://partner.org/", false},
		{"allowed sibling", listed, host, "https://x.grafana.partner.org/", false},
		{"wildcard subdomain", listed, host, "https://wiki.corp.test/", true},
		{"wildcard deep subdomain", listed, host, "https://a.b.corp.test/", true},
		{"wildcard apex", listed, host, "https://corp.test/", false},
		{"wildcard look-alike", listed, host, "https://evilcorp.test/", false},
		{"allowed with port", listed, host, "https://dev.example.net:8443/", true},
		{"allowed with port, default port", listed, host, "https://dev.example.net/", false},
		{"allowed any port", listed, host, "http://any.example.net:3000/", true},
		{"allowed any port, default", listed, host, "https://any.example.net/", true},
		{"unlisted", listed, host, "https://evil.com/", false},
		{"malformed entries match nothing", Policy{Allowed: []string{"*", "", "*.", "evil.com:x"}}, host, "https://evil.com/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.policy.Safe(tt.target, tt.current)
			want := "/"
			if tt.accept {
				want = tt.target
			}
			if got != want {
				t.Errorf("Safe(%q, %q) = %q, want %q", tt.target, tt.current, got, want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		ok     bool
	}{
		{"zero", Policy{}, true},
		{"full", Policy{CookieDomain: ".example.com", Allowed: []string{"a.example.net", "*.example.org", "b.example.net:8443", "c.example.net:*", "[::1]:8080"}}, true},
		{"cookie domain with port", Policy{CookieDomain: "example.com:443"}, false},
		{"cookie domain with scheme", Policy{CookieDomain: "https://example.com"}, false},
		{"bare wildcard", Policy{Allowed: []string{"*"}}, false},
		{"empty entry", Policy{Allowed: []string{""}}, false},
		{"URL entry", Policy{Allowed: []string{"https://example.net"}}, false},
		{"bad port", Policy{Allowed: []string{"example.net:99999"}}, false},
		{"inner wildcard", Policy{Allowed: []string{"a.*.example.net"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidHost) {
				t.Errorf("Validate() = %v, want an ErrInvalidHost", err)
			}
		})
	}
}

func BenchmarkSafe(b *testing.B) {
	p := Policy{CookieDomain: "example.com", Allowed: []string{"grafana.partner.org", "*.corp.test"}}
	cases := []struct{ name, target string }{
		{"path", "/admin/users?page=2#top"},
		{"current host", "https://app.example.com/admin/users?page=2"},
		{"allowed", "https://wiki.corp.test/page"},
		{"rejected", "https://evil.com/"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Safe(c.target, "app.example.com")
			}
		})
	}
}
