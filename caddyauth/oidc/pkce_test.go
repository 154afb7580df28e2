package oidc

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"
)

func TestS256ChallengeRFC7636Vector(t *testing.T) {
	data, err := os.ReadFile("../../../shared/testdata/pkce_rfc7636_appendix_b.json")
	if err != nil {
		t.Fatalf("reading the RFC 7636 vector: %v", err)
	}
	var v struct {
		Octets        []int  `json:"random_octets"`
		CodeVerifier  string `json:"code_verifier"`
		CodeChallenge string `json:"code_challenge"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	octets := make([]byte, len(v.Octets))
	for i, o := range v.Octets {
		octets[i] = byte(o)
	}
	if got := base64.RawURLEncoding.EncodeToString(octets); got != v.CodeVerifier {
		t.Errorf("verifier of the octets = %q, want %q", got, v.CodeVerifier)
	}
	if got := S256Challenge(v.CodeVerifier); got != v.CodeChallenge {
		t.Errorf("S256Challenge = %q, want %q", got, v.CodeChallenge)
	}
	if !validVerifier(v.CodeVerifier) {
		t.Error("the RFC verifier is not valid")
	}
}

func TestNewVerifier(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		v := NewVerifier()
		if len(v) < 43 || !validVerifier(v) {
			t.Fatalf("NewVerifier() = %q: not a valid verifier", v)
		}
		if seen[v] {
			t.Fatalf("NewVerifier repeated %q", v)
		}
		seen[v] = true
	}
}

func TestValidVerifier(t *testing.T) {
	for v, want := range map[string]bool{
		"":                          false,
		string(make([]byte, 43)):    false,
		rpRepeat('a', 42):           false,
		rpRepeat('a', 43):           true,
		rpRepeat('~', 128):          true,
		rpRepeat('a', 129):          false,
		rpRepeat('a', 42) + "+":     false,
		rpRepeat('a', 42) + "=":     false,
		rpRepeat('a', 42) + "-._~9": true,
	} {
		if got := validVerifier(v); got != want {
			t.Errorf("validVerifier(%q) = %v, want %v", v, got, want)
		}
	}
}

func rpRepeat(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}
