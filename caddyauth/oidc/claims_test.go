package oidc

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

func rpDecode(t testing.TB, s string) claims {
	t.Helper()
	c, err := decodeClaims([]byte(s))
	if err != nil {
		t.Fatalf("decodeClaims(%s): %v", s, err)
	}
	return c
}

func TestClaimPaths(t *testing.T) {
	c := rpDecode(t, `{
		"groups": ["eng", "ops", 3, null, {"x": 1}, "eng", ""],
		"single": "solo",
		"realm_access": {"roles": ["admin", "user"]},
		"resource_access": {"my.app": {"roles": ["editor"]}, "my": {"app": "decoy"}},
		"https://acme.com/roles": ["namespaced"],
		"nested": {"deep": {"er": {"groups": "g"}}},
		"number": 5,
		"object": {"a": "b"}
	}`)
	tests := []struct {
		path string
		want []string
	}{
		{"groups", []string{"eng", "ops"}},
		{"single", []string{"solo"}},
		{"realm_access.roles", []string{"admin", "user"}},
		{"resource_access.my.app.roles", []string{"editor"}},
		{"https://acme.com/roles", []string{"namespaced"}},
		{"nested.deep.er.groups", []string{"g"}},
		{"number", nil},
		{"object", nil},
		{"realm_access", nil},
		{"missing", nil},
		{"realm_access.missing", nil},
		{"groups.0", nil},
		{"", nil},
		{".", nil},
		{"realm_access.", nil},
	}
	for _, tt := range tests {
		if got := c.pathStrings(tt.path); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("pathStrings(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestDecodeClaimsRefusesNonObjects(t *testing.T) {
	for _, s := range []string{``, `null`, `[]`, `"x"`, `{"a":1} {"b":2}`, `{"a":`} {
		if _, err := decodeClaims([]byte(s)); err == nil {
			t.Errorf("decodeClaims(%q) succeeded", s)
		}
	}
}

func TestNumericDate(t *testing.T) {
	c := rpDecode(t, `{"int": 1800000000, "frac": 1800000000.75, "str": "1800000000", "huge": 1e300, "neg": -1e300, "bool": true}`)
	for name, want := range map[string]bool{"int": true, "frac": true, "str": false, "huge": false, "neg": false, "bool": false, "missing": false} {
		got, ok := c.numericDate(name)
		if ok != want {
			t.Errorf("numericDate(%s) ok = %v, want %v", name, ok, want)
		}
		if ok && !got.Equal(time.Unix(1800000000, 0)) {
			t.Errorf("numericDate(%s) = %v", name, got)
		}
	}
}

func TestIdentityOf(t *testing.T) {
	tests := []struct {
		name   string
		claims string
		want   identity.Identity
	}{
		{"preferred_username wins", `{"sub":"s1","preferred_username":" Alice ","email":"a@x.com","email_verified":true,"name":"A"}`,
			identity.Identity{User: "alice", Email: "a@x.com", EmailVerified: true, Name: "A", Provider: "corp"}},
		{"email when no username", `{"sub":"s1","email":"Bob@X.com","email_verified":"true"}`,
			identity.Identity{User: "bob@x.com", Email: "Bob@X.com", EmailVerified: true, Provider: "corp"}},
		{"sub when neither", `{"sub":"S-1"}`,
			identity.Identity{User: "s-1", Provider: "corp"}},
		{"email_verified false", `{"sub":"s1","email":"a@x.com","email_verified":false}`,
			identity.Identity{User: "a@x.com", Email: "a@x.com", Provider: "corp"}},
		{"email_verified absent", `{"sub":"s1","email":"a@x.com"}`,
			identity.Identity{User: "a@x.com", Email: "a@x.com", Provider: "corp"}},
		{"email_verified yes", `{"sub":"s1","email":"a@x.com","email_verified":"yes"}`,
			identity.Identity{User: "a@x.com", Email: "a@x.com", Provider: "corp"}},
		{"email_verified 1", `{"sub":"s1","email":"a@x.com","email_verified":1}`,
			identity.Identity{User: "a@x.com", Email: "a@x.com", Provider: "corp"}},
		{"verified without email", `{"sub":"s1","email_verified":true}`,
			identity.Identity{User: "s1", Provider: "corp"}},
		{"wrong types ignored", `{"sub":"s1","preferred_username":7,"email":["a@x.com"],"name":{"x":1},"amr":["pwd",1]}`,
			identity.Identity{User: "s1", Provider: "corp"}},
		{"amr list", `{"sub":"s1","amr":["pwd","hwk"]}`,
			identity.Identity{User: "s1", Provider: "corp", AMR: []string{"pwd", "hwk"}}},
		{"groups and roles", `{"sub":"s1","grp":"solo","ra":{"roles":["r1",2,"r2"]}}`,
			identity.Identity{User: "s1", Provider: "corp", Groups: []string{"solo"}, Roles: []string{"r1", "r2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := identityOf("corp", rpDecode(t, tt.claims), "grp", "ra.roles")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("identityOf =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestMergeKeepsProtectedClaims(t *testing.T) {
	id := rpDecode(t, `{"sub":"s1","sid":"a","amr":["pwd"],"name":"Token"}`)
	ui := rpDecode(t, `{"sub":"s2","sid":"b","amr":["x"],"name":"Userinfo","groups":["g"]}`)
	m := id.merge(ui)
	if s, _ := m.str("sub"); s != "s1" {
		t.Errorf("sub = %q", s)
	}
	if s, _ := m.str("sid"); s != "a" {
		t.Errorf("sid = %q", s)
	}
	if s, _ := m.str("name"); s != "Userinfo" {
		t.Errorf("name = %q", s)
	}
	if g := m.pathStrings("groups"); len(g) != 1 {
		t.Errorf("groups = %q", g)
	}
}

func FuzzClaimsPath(f *testing.F) {
	f.Add([]byte(`{"realm_access":{"roles":["a","b"]}}`), "realm_access.roles")
	f.Add([]byte(`{"a.b":{"c":"d"},"a":{"b.c":["x",1,null]}}`), "a.b.c")
	f.Add([]byte(`{"x":[[["y"]]],"n":1e999}`), "x..")
	f.Add([]byte(`[1,2]`), "0")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		c, err := decodeClaims(data)
		if err != nil {
			return
		}
		got := c.pathStrings(path)
		for _, s := range got {
			if s == "" {
				t.Fatalf("pathStrings(%q) returned an empty string", path)
			}
		}
		// A top-level string member is always found by its exact name.
		if s, ok := c[path].(string); ok && path != "" && s != "" {
			if len(got) != 1 || got[0] != s {
				t.Fatalf("pathStrings(%q) = %q, want [%q]", path, got, s)
			}
		}
		_ = identityOf("p", c, path, strings.ToUpper(path))
		_, _ = c.numericDate(path)
		_, _ = c.audience()
		// The decoded claims re-encode: nothing of an unexpected type slipped in.
		if _, err := json.Marshal(c); err != nil {
			t.Fatalf("re-encoding decoded claims: %v", err)
		}
	})
}
