package redirect

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// peerCases is redirect_validator_cases_peers.json: cases from oauth2-proxy's and Authelia's
// validator tests.
type peerCases struct {
	OAuth2ProxyAllowedDomains []string `json:"oauth2_proxy_allowed_domains"`
	AutheliaProtectedDomain   string   `json:"authelia_protected_domain"`
	Cases                     []struct {
		Source        string `json:"source"`
		Name          string `json:"name"`
		Redirect      string `json:"redirect"`
		ExpectedValid bool   `json:"expected_valid"`
	} `json:"cases"`
}

// oauth2ProxyAllowed translates oauth2-proxy's allowed domains into Policy.Allowed entries:
// its ".example.com" and "*.example.com" both cover example.com and the names below it.
func oauth2ProxyAllowed(domains []string) []string {
	var out []string
	for _, d := range domains {
		root, ok := strings.CutPrefix(d, ".")
		if !ok {
			root, ok = strings.CutPrefix(d, "*.")
		}
		if !ok {
			out = append(out, d)
			continue
		}
		out = append(out, root, "*."+root)
	}
	return out
}

func TestPeerCases(t *testing.T) {
	data, err := os.ReadFile(sharedTestdata(t, "redirect_validator_cases_peers.json"))
	if err != nil {
		t.Fatalf("reading peer cases: %v", err)
	}
	var pc peerCases
	if err := json.Unmarshal(data, &pc); err != nil {
		t.Fatalf("parsing peer cases: %v", err)
	}
	if len(pc.Cases) < 50 {
		t.Fatalf("parsed %d peer cases, want at least 50", len(pc.Cases))
	}
	oauth2Proxy := Policy{Allowed: oauth2ProxyAllowed(pc.OAuth2ProxyAllowedDomains)}
	if err := oauth2Proxy.Validate(); err != nil {
		t.Fatalf("translated oauth2-proxy policy: %v", err)
	}
	authelia := Policy{CookieDomain: pc.AutheliaProtectedDomain}

	for _, c := range pc.Cases {
		t.Run(c.Name, func(t *testing.T) {
			p := oauth2Proxy
			if strings.HasPrefix(c.Source, "authelia/") {
				p = authelia
				// Authelia's test runs with an HTTPS-only policy; Gatehouse follows the
				// contract (http or https inside the cookie domain), so it accepts this one.
				if c.Redirect == "http://secure.example.com" {
					t.Skip("https-only policy is Authelia's, not Gatehouse's")
				}
			}
			got := p.Safe(c.Redirect, "gatehouse.internal")
			want := "/"
			if c.ExpectedValid {
				want = c.Redirect
			}
			if got != want {
				t.Errorf("Safe(%q) = %q, want %q", c.Redirect, got, want)
			}
		})
	}
}
