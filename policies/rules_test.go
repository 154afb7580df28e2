package policies

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

func subj(k Kind, values ...string) Subject { return Subject{Kind: k, Values: values} }

func TestDecide(t *testing.T) {
	alice := &identity.Identity{
		User: "alice", Email: "alice@acme.com", EmailVerified: true,
		Groups: []string{"acme/ops", "readers"}, Provider: "corp",
	}
	unverified := &identity.Identity{User: "eve", Email: "eve@acme.com", Provider: "github"}
	mallory := &identity.Identity{User: "Mallory", Email: "mallory@evil.com", EmailVerified: true, Provider: "local"}

	tests := []struct {
		name  string
		rules Rules
		id    *identity.Identity
		roles []string
		want  Decision
	}{
		{"no rules: any signed-in user", Rules{}, alice, nil, Allow},
		{"no allow, deny misses", Rules{Deny: []Subject{subj(KindUser, "mallory")}}, alice, nil, Allow},
		{"nil identity", Rules{}, nil, nil, NotAllowed},

		{"role matches", Rules{Allow: []Subject{subj(KindRole, "editor")}}, alice, []string{"admin", "editor"}, Allow},
		{"role misses", Rules{Allow: []Subject{subj(KindRole, "admin")}}, alice, []string{"editor"}, NotAllowed},
		{"role uses the roles given, not id.Roles", Rules{Allow: []Subject{subj(KindRole, "admin")}}, &identity.Identity{User: "x", Roles: []string{"admin"}}, nil, NotAllowed},
		{"group matches", Rules{Allow: []Subject{subj(KindGroup, "acme/ops")}}, alice, nil, Allow},
		{"group is case-sensitive", Rules{Allow: []Subject{subj(KindGroup, "ACME/ops")}}, alice, nil, NotAllowed},
		{"user matches canonically", Rules{Allow: []Subject{subj(KindUser, " Alice ")}}, alice, nil, Allow},
		{"user misses", Rules{Allow: []Subject{subj(KindUser, "bob")}}, alice, nil, NotAllowed},
		{"user is not a prefix", Rules{Allow: []Subject{subj(KindUser, "alic")}}, alice, nil, NotAllowed},
		{"provider matches", Rules{Allow: []Subject{subj(KindProvider, "corp")}}, alice, nil, Allow},
		{"provider is exact", Rules{Allow: []Subject{subj(KindProvider, "Corp")}}, alice, nil, NotAllowed},
		{"email glob domain", Rules{Allow: []Subject{subj(KindEmail, "*@acme.com")}}, alice, nil, Allow},
		{"email glob case-insensitive", Rules{Allow: []Subject{subj(KindEmail, "*@ACME.com")}}, alice, nil, Allow},
		{"email glob local part", Rules{Allow: []Subject{subj(KindEmail, "alice@*")}}, alice, nil, Allow},
		{"email glob misses", Rules{Allow: []Subject{subj(KindEmail, "*@acme.org")}}, alice, nil, NotAllowed},
		{"email glob suffix look-alike", Rules{Allow: []Subject{subj(KindEmail, "*@acme.com")}}, &identity.Identity{User: "x", Email: "x@evilacme.com", EmailVerified: true}, nil, NotAllowed},
		{"unverified email does not allow", Rules{Allow: []Subject{subj(KindEmail, "*@acme.com")}}, unverified, nil, NotAllowed},
		{"unverified email is denied", Rules{Deny: []Subject{subj(KindEmail, "eve@*")}}, unverified, nil, Denied},
		{"empty email never matches", Rules{Deny: []Subject{subj(KindEmail, "*")}}, &identity.Identity{User: "x"}, nil, Allow},

		{"several values: any", Rules{Allow: []Subject{subj(KindUser, "bob", "alice")}}, alice, nil, Allow},
		{"several allows: any", Rules{Allow: []Subject{subj(KindRole, "admin"), subj(KindGroup, "readers")}}, alice, nil, Allow},
		{"several allows: none", Rules{Allow: []Subject{subj(KindRole, "admin"), subj(KindGroup, "writers")}}, alice, nil, NotAllowed},
		{"deny before allow", Rules{Allow: []Subject{subj(KindGroup, "acme/ops")}, Deny: []Subject{subj(KindUser, "alice")}}, alice, nil, Denied},
		{"deny by role", Rules{Deny: []Subject{subj(KindRole, "contractor")}}, alice, []string{"contractor"}, Denied},
		{"deny by canonical user", Rules{Deny: []Subject{subj(KindUser, "mallory")}}, mallory, nil, Denied},
		{"deny by provider", Rules{Deny: []Subject{subj(KindProvider, "local")}}, mallory, nil, Denied},
		{"deny of unknown kind fails closed", Rules{Deny: []Subject{subj("team", "x")}}, alice, nil, Denied},
		{"allow of unknown kind matches nothing", Rules{Allow: []Subject{subj("team", "x")}}, alice, nil, NotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rules.Decide(tt.id, tt.roles); got != tt.want {
				t.Errorf("Decide = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRulesValidate(t *testing.T) {
	tests := []struct {
		name  string
		rules Rules
		want  error
	}{
		{"empty", Rules{}, nil},
		{"good", Rules{Allow: []Subject{subj(KindRole, "a"), subj(KindEmail, "*@acme.com", "*"), subj(KindProvider, "corp")}, Deny: []Subject{subj(KindUser, "mallory")}}, nil},
		{"unknown kind", Rules{Allow: []Subject{subj("team", "x")}}, ErrUnknownKind},
		{"unknown kind in deny", Rules{Deny: []Subject{subj("", "x")}}, ErrUnknownKind},
		{"no values", Rules{Allow: []Subject{subj(KindGroup)}}, ErrEmptyValues},
		{"empty value", Rules{Deny: []Subject{subj(KindGroup, "ops", "")}}, ErrEmptyValues},
		{"blank user", Rules{Allow: []Subject{subj(KindUser, "  ")}}, ErrEmptyValues},
		{"glob without @", Rules{Allow: []Subject{subj(KindEmail, "*acme.com")}}, ErrBadGlob},
		{"glob with two @", Rules{Allow: []Subject{subj(KindEmail, "a@b@c")}}, ErrBadGlob},
		{"glob with space", Rules{Allow: []Subject{subj(KindEmail, "* @acme.com")}}, ErrBadGlob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate()
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Validate() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{Allow: "allow", Denied: "denied", NotAllowed: "not_allowed", 7: "Decision(7)"} {
		if got := d.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(d), got, want)
		}
	}
	var zero Decision
	if zero != NotAllowed {
		t.Errorf("zero Decision is %v, want not_allowed (fail closed)", zero)
	}
}

func TestJSONShape(t *testing.T) {
	const in = `{"allow":[{"kind":"role","values":["editor"]},{"kind":"email","values":["*@acme.com"]}],"deny":[{"kind":"user","values":["mallory"]}]}`
	var r Rules
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(r)
	if err != nil || string(out) != in {
		t.Errorf("round trip = %s, %v; want %s", out, err, in)
	}
	roles := map[string]Role{}
	if err := json.Unmarshal([]byte(`{"admin":{"inherits":["editor"],"grants":[{"kind":"group","values":["acme/ops"]}]},"editor":{}}`), &roles); err != nil {
		t.Fatal(err)
	}
	if _, err := CompileRoles(roles); err != nil {
		t.Fatal(err)
	}
}

func TestDecideDoesNotAllocate(t *testing.T) {
	r, id, roles := benchRules()
	if n := testing.AllocsPerRun(100, func() { r.Decide(id, roles) }); n != 0 {
		t.Errorf("Decide allocates %v times per call, want 0", n)
	}
}

func benchRules() (Rules, *identity.Identity, []string) {
	r := Rules{
		Deny: []Subject{subj(KindUser, "mallory", "trudy"), subj(KindEmail, "*@evil.com")},
		Allow: []Subject{
			subj(KindRole, "admin"),
			subj(KindGroup, "acme/readers"),
			subj(KindEmail, "*@acme.com"),
		},
	}
	id := &identity.Identity{User: "Alice", Email: "Alice@Acme.com", EmailVerified: true, Groups: []string{"staff", "acme/devs"}, Provider: "corp"}
	return r, id, []string{"editor", "viewer"}
}

func BenchmarkDecide(b *testing.B) {
	r, id, roles := benchRules()
	b.ReportAllocs()
	for b.Loop() {
		if r.Decide(id, roles) != Allow {
			b.Fatal("not allowed")
		}
	}
}

// TestEmailWithTwoAts is oauth2-proxy GHSA-c5c4-8r6x-56w3 (P13 in the shared scenarios):
// an address such as attacker@evil.com@company.com must not pass a rule for company.com,
// nor get a role granted by email, and a deny email rule must catch it.
func TestEmailWithTwoAts(t *testing.T) {
	id := &identity.Identity{User: "mallory", Email: "attacker@evil.com@company.com", EmailVerified: true}
	allow := Rules{Allow: []Subject{{Kind: KindEmail, Values: []string{"*@company.com"}}}}
	if d := allow.Decide(id, nil); d != NotAllowed {
		t.Errorf("allow email *@company.com: %v, want not allowed", d)
	}
	deny := Rules{Deny: []Subject{{Kind: KindEmail, Values: []string{"*@other.org"}}}}
	if d := deny.Decide(id, nil); d != Denied {
		t.Errorf("deny email with a malformed address: %v, want denied", d)
	}
	rs, err := CompileRoles(map[string]Role{"staff": {Grants: []Subject{{Kind: KindEmail, Values: []string{"*@company.com"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if roles := rs.Resolve(id); len(roles) != 0 {
		t.Errorf("roles granted by email to a malformed address: %v", roles)
	}
}
