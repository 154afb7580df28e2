package policies

import (
	"strings"
	"testing"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*@acme.com", "alice@acme.com", true},
		{"*@acme.com", "ALICE@ACME.COM", true},
		{"*@acme.com", "@acme.com", true},
		{"*@acme.com", "alice@acme.com.evil.org", false},
		{"*@acme.com", "alice@evilacme.com", false},
		{"*@acme.com", "alice@sub.acme.com", false},
		{"*@*.acme.com", "alice@sub.acme.com", true},
		{"*@*.acme.com", "alice@acme.com", false},
		{"alice@*", "alice@anything.example", true},
		{"alice@*", "malice@acme.com", false},
		{"a*b*c@x", "aXXbYYc@x", true},
		{"a*b*c@x", "abc@x", true},
		{"a*b*c@x", "acb@x", false},
		{"*", "", true},
		{"*", "anything", true},
		{"**", "x", true},
		{"", "", true},
		{"", "x", false},
		{"x", "", false},
		{"a/b[c]?@x", "a/b[c]?@x", true}, // no special meaning but "*"
		{"a?@x", "ab@x", false},
		{"*@acme.com", "alice@acme.\u212Aom", false}, // Kelvin sign is not "k"
		{"*@ÄCME.com", "a@äcme.com", false},          // non-ASCII is compared exactly
		{"*@äcme.com", "a@äcme.com", true},
		{"*aaa*aaa*aaa*b", strings.Repeat("a", 5000), false},
	}
	for _, tt := range tests {
		if got := matchGlob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// FuzzGlob checks that matchGlob terminates without panicking and agrees with a simple
// reference on short inputs.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{{"*@acme.com", "alice@acme.com"}, {"a*b*c", "aXbYc"}, {"**a", "ba"}, {"*", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := matchGlob(pattern, s)
		if len(pattern) <= 12 && len(s) <= 12 {
			if want := refGlob(strings.ToLower(pattern), strings.ToLower(s)); got != want && isASCII(pattern+s) {
				t.Fatalf("matchGlob(%q, %q) = %v, reference says %v", pattern, s, got, want)
			}
		}
	})
}

// refGlob is a plain recursive "*" matcher, exponential but fine on short inputs.
func refGlob(p, s string) bool {
	if p == "" {
		return s == ""
	}
	if p[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if refGlob(p[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	return s != "" && p[0] == s[0] && refGlob(p[1:], s[1:])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// FuzzSameUser checks that sameUser agrees with comparing identity.CanonicalUser forms.
func FuzzSameUser(f *testing.F) {
	for _, s := range [][2]string{{"Alice", " alice "}, {"İ", "i"}, {"\xff", "\uFFFD"}, {"K", "\u212A"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		want := identity.CanonicalUser(a) == identity.CanonicalUser(b)
		if got := sameUser(a, b); got != want {
			t.Fatalf("sameUser(%q, %q) = %v, CanonicalUser comparison says %v", a, b, got, want)
		}
	})
}
