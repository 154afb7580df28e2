package session

import (
	"strings"
	"testing"
)

func TestCookieValue(t *testing.T) {
	for _, tc := range []struct {
		header, want string
		ok           bool
	}{
		{"gatehouse=abc", "abc", true},
		{"a=1; gatehouse=abc; b=2", "abc", true},
		{"a=1;gatehouse=abc", "abc", true},
		{`gatehouse="abc"`, "abc", true},
		{"xgatehouse=abc", "", false},
		{"gatehousex=abc", "", false},
		{"gatehouse_form=abc", "", false},
		{"gatehouse", "", false},
		{"", "", false},
		{"gatehouse=first; gatehouse=second", "first", true},
		{"gatehouse=", "", true},
	} {
		got, ok := CookieValue(tc.header, "gatehouse")
		if got != tc.want || ok != tc.ok {
			t.Errorf("CookieValue(%q) = %q, %v; want %q, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWithoutCookie(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"gatehouse=abc", ""},
		{"a=1; gatehouse=abc; b=2", "a=1; b=2"},
		{"gatehouse=abc;a=1", "a=1"},
		{"a=1; gatehouse=x; gatehouse=y", "a=1"},
		{"a=1; b=2", "a=1; b=2"},
		{"gatehouse_form=1; a=2", "gatehouse_form=1; a=2"},
	} {
		if got := WithoutCookie(tc.header, "gatehouse"); got != tc.want {
			t.Errorf("WithoutCookie(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestValidToken(t *testing.T) {
	for range 100 {
		if tok := NewToken(); !ValidToken(tok) {
			t.Fatalf("NewToken made %q, which ValidToken refuses", tok)
		}
	}
	for _, bad := range []string{"", strings.Repeat("A", 42), strings.Repeat("A", 44), strings.Repeat("A", 42) + "B", strings.Repeat("A", 42) + "+", strings.Repeat("A", 42) + "="} {
		if ValidToken(bad) {
			t.Errorf("ValidToken(%q) = true", bad)
		}
	}
}

// FuzzCookie checks the cookie parser on arbitrary Cookie headers: it never panics, what it
// returns comes from the header, and removing the cookie leaves no cookie of that name.
func FuzzCookie(f *testing.F) {
	for _, s := range []string{"gatehouse=abc", "a=1; gatehouse=abc; b=2", `gatehouse="x"`, ";;;", "gatehouse", "=;=", "gatehouse=a;gatehouse=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		v, ok := CookieValue(header, "gatehouse")
		if ok && !strings.Contains(header, v) {
			t.Fatalf("CookieValue(%q) = %q, not part of the header", header, v)
		}
		rest := WithoutCookie(header, "gatehouse")
		if _, still := CookieValue(rest, "gatehouse"); still {
			t.Fatalf("WithoutCookie(%q) = %q still holds the cookie", header, rest)
		}
		if !ok && rest != header {
			t.Fatalf("WithoutCookie changed %q to %q though it holds no such cookie", header, rest)
		}
		_ = ValidToken(v)
	})
}

func TestFormToken(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	b := NewToken()
	tok := FormToken(secret, b)
	if !CheckFormToken(secret, b, tok) {
		t.Fatal("a fresh form token does not check")
	}
	for _, tc := range []struct{ binding, token string }{
		{NewToken(), tok}, {b, tok[:len(tok)-1]}, {b, ""}, {"", FormToken(secret, "")},
	} {
		if CheckFormToken(secret, tc.binding, tc.token) {
			t.Errorf("CheckFormToken(%q, %q) = true", tc.binding, tc.token)
		}
	}
	if CheckFormToken([]byte("another secret of thirty-two chars!"), b, tok) {
		t.Error("a token checks under another secret")
	}
}
