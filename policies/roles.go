package policies

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strings"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// Errors wrapped by CompileRoles.
var (
	// ErrUnknownRole means a role inherits a role that is not declared.
	ErrUnknownRole = errors.New("unknown role")
	// ErrRoleCycle means role inheritance loops; the error is a *CycleError naming the loop.
	ErrRoleCycle = errors.New("role inheritance cycle")
	// ErrBadGrant means a role grant is not a user, group, email or provider subject.
	ErrBadGrant = errors.New("invalid role grant")
)

// Role is a role declaration: who is granted it and which roles it includes.
type Role struct {
	// Inherits lists roles that holders of this role also hold, transitively: with admin
	// inheriting editor and editor inheriting viewer, an admin is also an editor and a viewer.
	Inherits []string `json:"inherits,omitempty"`
	// Grants lists subjects (kinds user, group, email, provider — not role) that hold this
	// role. A grant by email needs a verified address.
	Grants []Subject `json:"grants,omitempty"`
}

// CycleError is the error CompileRoles returns when role inheritance loops.
type CycleError struct {
	// Cycle lists the roles of the loop, the first repeated at the end: ["a", "b", "a"].
	Cycle []string
}

// Error names the loop: `role inheritance cycle: a -> b -> a`.
func (e *CycleError) Error() string {
	return ErrRoleCycle.Error() + ": " + strings.Join(e.Cycle, " -> ")
}

// Unwrap returns ErrRoleCycle, so that errors.Is(err, ErrRoleCycle) holds.
func (e *CycleError) Unwrap() error { return ErrRoleCycle }

// RoleSet is a validated, compiled set of role declarations. It is read-only once compiled
// and safe for concurrent use. A nil *RoleSet has no declarations.
type RoleSet struct {
	names   []string       // declared role names, sorted; a role's index is its position
	index   map[string]int // name → index
	closure [][]uint64     // closure[i]: bit set of the roles a holder of role i holds, i included
	words   int            // length of each bit set

	byUser     map[string][]int // canonical user name → roles granted
	byGroup    map[string][]int // group → roles granted
	byProvider map[string][]int // provider → roles granted
	byEmail    []emailGrant     // email globs, in role order
}

// emailGrant is a role granted to verified addresses that match glob.
type emailGrant struct {
	glob string
	role int
}

// CompileRoles validates role declarations and compiles them for Resolve. It reports an
// inherited role that is not declared (ErrUnknownRole), an inheritance cycle (*CycleError),
// a grant of kind role or of an unknown kind (ErrBadGrant, ErrUnknownKind), empty values
// (ErrEmptyValues) and invalid email globs (ErrBadGlob).
func CompileRoles(roles map[string]Role) (*RoleSet, error) {
	rs := &RoleSet{
		names:      make([]string, 0, len(roles)),
		index:      make(map[string]int, len(roles)),
		byUser:     map[string][]int{},
		byGroup:    map[string][]int{},
		byProvider: map[string][]int{},
	}
	for name := range roles {
		if strings.TrimSpace(name) == "" {
			return nil, errors.New("role with an empty name")
		}
		rs.names = append(rs.names, name)
	}
	sort.Strings(rs.names)
	for i, name := range rs.names {
		rs.index[name] = i
	}
	for _, name := range rs.names {
		for _, parent := range roles[name].Inherits {
			if _, ok := rs.index[parent]; !ok {
				return nil, fmt.Errorf("role %q inherits %q: %w", name, parent, ErrUnknownRole)
			}
		}
	}
	if cycle := findCycle(rs.names, roles); cycle != nil {
		return nil, &CycleError{Cycle: cycle}
	}
	rs.words = (len(rs.names) + 63) / 64
	rs.closure = make([][]uint64, len(rs.names))
	for i := range rs.names {
		rs.computeClosure(i, roles)
	}
	for i, name := range rs.names {
		if err := rs.indexGrants(i, roles[name].Grants); err != nil {
			return nil, fmt.Errorf("role %q: %w", name, err)
		}
	}
	return rs, nil
}

// findCycle returns the first inheritance loop found, visiting roles in sorted order, or nil.
func findCycle(names []string, roles map[string]Role) []string {
	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[string]int, len(names))
	var path []string
	var visit func(name string) []string
	visit = func(name string) []string {
		switch state[name] {
		case done:
			return nil
		case visiting:
			start := slices.Index(path, name)
			return append(slices.Clone(path[start:]), name)
		}
		state[name] = visiting
		path = append(path, name)
		for _, parent := range roles[name].Inherits {
			if c := visit(parent); c != nil {
				return c
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		return nil
	}
	for _, name := range names {
		if c := visit(name); c != nil {
			return c
		}
	}
	return nil
}

// computeClosure fills rs.closure[i] (and those of the roles it inherits); inheritance must
// be acyclic.
func (rs *RoleSet) computeClosure(i int, roles map[string]Role) []uint64 {
	if rs.closure[i] != nil {
		return rs.closure[i]
	}
	set := make([]uint64, rs.words)
	set[i/64] |= 1 << (i % 64)
	for _, parent := range roles[rs.names[i]].Inherits {
		orInto(set, rs.computeClosure(rs.index[parent], roles))
	}
	rs.closure[i] = set
	return set
}

// indexGrants validates the grants of role i and adds them to the lookup tables.
func (rs *RoleSet) indexGrants(i int, grants []Subject) error {
	for g, s := range grants {
		if s.Kind == KindRole {
			return fmt.Errorf("grants[%d]: %w: kind role (use inherits)", g, ErrBadGrant)
		}
		if err := s.Validate(); err != nil {
			return fmt.Errorf("grants[%d]: %w: %w", g, ErrBadGrant, err)
		}
		for _, v := range s.Values {
			switch s.Kind {
			case KindUser:
				u := identity.CanonicalUser(v)
				rs.byUser[u] = append(rs.byUser[u], i)
			case KindGroup:
				rs.byGroup[v] = append(rs.byGroup[v], i)
			case KindProvider:
				rs.byProvider[v] = append(rs.byProvider[v], i)
			case KindEmail:
				rs.byEmail = append(rs.byEmail, emailGrant{glob: v, role: i})
			}
		}
	}
	return nil
}

// Resolve returns id's effective roles, sorted and deduplicated: id.Roles (direct, from the
// identity source) plus every declared role whose grants match id, plus every role these
// inherit, transitively. A direct role that is not declared still counts (a declared one
// brings what it inherits). Grants by email need id.EmailVerified. A nil RoleSet gives only
// id.Roles; a nil id gives nil. The result is a new slice, the only allocation when the set
// has at most 256 roles.
func (rs *RoleSet) Resolve(id *identity.Identity) []string {
	if id == nil {
		return nil
	}
	if rs == nil {
		return sortedDirect(id.Roles)
	}
	var buf [4]uint64
	var set []uint64
	if rs.words <= len(buf) {
		set = buf[:rs.words]
	} else {
		set = make([]uint64, rs.words)
	}
	undeclared := 0
	for _, r := range id.Roles {
		if i, ok := rs.index[r]; ok {
			orInto(set, rs.closure[i])
		} else if r != "" {
			undeclared++
		}
	}
	if id.User != "" {
		rs.grantAll(set, rs.byUser[identity.CanonicalUser(id.User)])
	}
	for _, g := range id.Groups {
		rs.grantAll(set, rs.byGroup[g])
	}
	if id.Provider != "" {
		rs.grantAll(set, rs.byProvider[id.Provider])
	}
	if id.EmailVerified && wellFormedEmail(id.Email) {
		for _, eg := range rs.byEmail {
			if set[eg.role/64]&(1<<(eg.role%64)) == 0 && matchGlob(eg.glob, id.Email) {
				orInto(set, rs.closure[eg.role])
			}
		}
	}

	n := undeclared
	for _, b := range set {
		n += bits.OnesCount64(b)
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for _, r := range id.Roles {
		if _, ok := rs.index[r]; !ok && r != "" {
			out = append(out, r)
		}
	}
	for w, b := range set {
		for b != 0 {
			i := w*64 + bits.TrailingZeros64(b)
			out = append(out, rs.names[i])
			b &= b - 1
		}
	}
	if undeclared > 0 {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out
}

// grantAll adds the given roles, with what they inherit, to set.
func (rs *RoleSet) grantAll(set []uint64, roles []int) {
	for _, r := range roles {
		orInto(set, rs.closure[r])
	}
}

// orInto sets in dst every bit set in src.
func orInto(dst, src []uint64) {
	for w, b := range src {
		dst[w] |= b
	}
}

// sortedDirect returns a sorted, deduplicated copy of roles without empty names, or nil.
func sortedDirect(roles []string) []string {
	var out []string
	for _, r := range roles {
		if r != "" {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
