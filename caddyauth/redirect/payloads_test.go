package redirect

import (
	"net/url"
	"strings"
	"testing"
)

// TestPayloads runs the classified open-redirect payloads (oauth2-proxy's list and
// PayloadsAllTheThings, decoded once) against Safe, with the file's allowed host as the
// current host.
func TestPayloads(t *testing.T) {
	rows := loadPayloads(t)
	policies := []struct {
		name   string
		policy Policy
	}{
		{"host-only cookie", Policy{}},
		{"cookie domain", Policy{CookieDomain: "whitelisteddomain.tld", Allowed: []string{payloadHost}}},
	}
	base, err := url.Parse("https://" + payloadHost + "/")
	if err != nil {
		t.Fatal(err)
	}

	mustReject := 0
	for _, r := range rows {
		if r.verdict == "MUST_REJECT" {
			mustReject++
		}
	}
	if mustReject < 100 {
		t.Fatalf("parsed %d MUST_REJECT rows, want at least 100", mustReject)
	}

	for _, pc := range policies {
		t.Run(pc.name, func(t *testing.T) {
			accepted := 0
			for _, r := range rows {
				got := pc.policy.Safe(r.value, payloadHost)
				if r.verdict == "MUST_REJECT" {
					if got != "/" {
						t.Errorf("line %d: Safe(%q) = %q, want \"/\" (browsers: %s)", r.line, r.value, got, r.https)
					}
					continue
				}
				if got == "/" && r.value != "/" {
					continue
				}
				accepted++
				u, err := url.Parse(got)
				if err != nil {
					t.Errorf("line %d: accepted %q does not parse: %v", r.line, got, err)
					continue
				}
				if h := base.ResolveReference(u).Host; !strings.EqualFold(h, payloadHost) {
					t.Errorf("line %d: accepted %q resolves to host %q", r.line, got, h)
				}
			}
			t.Logf("%d MUST_REJECT rows rejected; %d of %d POLICY rows accepted", mustReject, accepted, len(rows)-mustReject)
		})
	}
}
