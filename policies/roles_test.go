package policies

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

func TestResolve(t *testing.T) {
	rs, err := CompileRoles(map[string]Role{
		"admin":  {Inherits: []string{"editor", "billing"}, Grants: []Subject{subj(KindUser, "Alice"), subj(KindGroup, "acme/ops")}},
		"editor": {Inherits: []string{"viewer"}, Grants: []Subject{subj(KindEmail, "*@acme.com")}},
		// billing and editor both inherit viewer: a diamond.
		"billing": {Inherits: []string{"viewer"}},
		"viewer":  {Grants: []Subject{subj(KindProvider, "corp")}},
		"auditor": {Inherits: []string{"viewer"}},
		"lonely":  {},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   *identity.Identity
		want []string
	}{
		{"nothing", &identity.Identity{User: "bob", Provider: "local"}, nil},
		{"nil identity", nil, nil},
		{"grant by user, with inheritance and diamond", &identity.Identity{User: "alice"},
			[]string{"admin", "billing", "editor", "viewer"}},
		{"grant by group", &identity.Identity{User: "bob", Groups: []string{"acme/ops"}},
			[]string{"admin", "billing", "editor", "viewer"}},
		{"grant by verified email", &identity.Identity{User: "bob", Email: "Bob@ACME.com", EmailVerified: true},
			[]string{"editor", "viewer"}},
		{"no grant by unverified email", &identity.Identity{User: "bob", Email: "bob@acme.com"}, nil},
		{"grant by provider", &identity.Identity{User: "bob", Provider: "corp"}, []string{"viewer"}},
		{"direct declared role brings its inherits", &identity.Identity{User: "bob", Roles: []string{"auditor"}},
			[]string{"auditor", "viewer"}},
		{"direct undeclared role counts", &identity.Identity{User: "bob", Roles: []string{"zeta", "alpha", "zeta", ""}},
			[]string{"alpha", "zeta"}},
		{"direct and granted mixed, deduplicated", &identity.Identity{User: "bob", Provider: "corp", Roles: []string{"viewer", "custom", "lonely"}},
			[]string{"custom", "lonely", "viewer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rs.Resolve(tt.id); !slices.Equal(got, tt.want) {
				t.Errorf("Resolve = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResolveNilRoleSet(t *testing.T) {
	var rs *RoleSet
	id := &identity.Identity{User: "a", Roles: []string{"b", "a", "b"}}
	if got := rs.Resolve(id); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Resolve = %q", got)
	}
	if id.Roles[0] != "b" {
		t.Errorf("Resolve changed id.Roles: %q", id.Roles)
	}
}

func TestResolveManyRoles(t *testing.T) {
	// More than 256 roles: a chain r000 <- r001 <- ... so that holding the last gives all.
	const n = 300
	roles := map[string]Role{}
	for i := range n {
		r := Role{}
		if i > 0 {
			r.Inherits = []string{fmt.Sprintf("r%03d", i-1)}
		}
		roles[fmt.Sprintf("r%03d", i)] = r
	}
	rs, err := CompileRoles(roles)
	if err != nil {
		t.Fatal(err)
	}
	got := rs.Resolve(&identity.Identity{User: "x", Roles: []string{fmt.Sprintf("r%03d", n-1)}})
	if len(got) != n || got[0] != "r000" || got[n-1] != fmt.Sprintf("r%03d", n-1) || !slices.IsSorted(got) {
		t.Errorf("Resolve gave %d roles, want %d sorted", len(got), n)
	}
}

func TestCompileRolesErrors(t *testing.T) {
	tests := []struct {
		name  string
		roles map[string]Role
		want  error
		msg   string
	}{
		{"self cycle", map[string]Role{"a": {Inherits: []string{"a"}}}, ErrRoleCycle, "role inheritance cycle: a -> a"},
		{"two-role cycle", map[string]Role{"a": {Inherits: []string{"b"}}, "b": {Inherits: []string{"a"}}}, ErrRoleCycle, "role inheritance cycle: a -> b -> a"},
		{"cycle below an entry", map[string]Role{"a": {Inherits: []string{"b"}}, "b": {Inherits: []string{"c"}}, "c": {Inherits: []string{"b"}}}, ErrRoleCycle, "role inheritance cycle: b -> c -> b"},
		{"unknown role", map[string]Role{"a": {Inherits: []string{"ghost"}}}, ErrUnknownRole, `role "a" inherits "ghost": unknown role`},
		{"grant of kind role", map[string]Role{"a": {Grants: []Subject{subj(KindRole, "b")}}, "b": {}}, ErrBadGrant, ""},
		{"grant of unknown kind", map[string]Role{"a": {Grants: []Subject{subj("team", "x")}}}, ErrUnknownKind, ""},
		{"grant without values", map[string]Role{"a": {Grants: []Subject{subj(KindGroup)}}}, ErrEmptyValues, ""},
		{"grant with empty value", map[string]Role{"a": {Grants: []Subject{subj(KindUser, "")}}}, ErrEmptyValues, ""},
		{"grant with bad glob", map[string]Role{"a": {Grants: []Subject{subj(KindEmail, "*acme.com")}}}, ErrBadGlob, ""},
		{"empty role name", map[string]Role{"": {}}, nil, "role with an empty name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := CompileRoles(tt.roles)
			if err == nil || rs != nil {
				t.Fatalf("CompileRoles = %v, %v; want an error", rs, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v is not %v", err, tt.want)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("error %q, want %q", err, tt.msg)
			}
		})
	}
	_, err := CompileRoles(map[string]Role{"a": {Inherits: []string{"b"}}, "b": {Inherits: []string{"a"}}})
	var ce *CycleError
	if !errors.As(err, &ce) || !slices.Equal(ce.Cycle, []string{"a", "b", "a"}) {
		t.Errorf("cycle error %#v", err)
	}
}

func BenchmarkResolve(b *testing.B) {
	rs, err := CompileRoles(map[string]Role{
		"admin":   {Inherits: []string{"editor"}, Grants: []Subject{subj(KindUser, "root"), subj(KindGroup, "acme/ops")}},
		"editor":  {Inherits: []string{"viewer"}, Grants: []Subject{subj(KindEmail, "*@acme.com")}},
		"billing": {Inherits: []string{"viewer"}, Grants: []Subject{subj(KindGroup, "acme/finance")}},
		"viewer":  {Grants: []Subject{subj(KindProvider, "corp")}},
	})
	if err != nil {
		b.Fatal(err)
	}
	id := &identity.Identity{User: "alice", Email: "alice@acme.com", EmailVerified: true, Groups: []string{"acme/ops", "staff"}, Provider: "corp", Roles: []string{"custom"}}
	b.ReportAllocs()
	for b.Loop() {
		if len(rs.Resolve(id)) != 4 {
			b.Fatal("wrong roles")
		}
	}
}
