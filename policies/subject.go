// Package policies decides who may use a route: subjects that match identities, roles with
// inheritance, allow and deny rules, and the Decision they give.
//
// The package is plain Go with no Caddy import; the Caddy handler compiles the app's role
// declarations once (CompileRoles), resolves each request's effective roles (Resolve) and asks
// each handler's Rules for a Decision (Decide).
//
// Email rules and verified addresses: an `allow email` subject and a role grant by email
// match only an identity whose EmailVerified is true, since an unverified address proves
// nothing. A `deny email` subject matches the address whether or not it is verified, so that a
// deny can never be escaped by presenting an unverified claim.
package policies

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// Kind is what a Subject matches on.
type Kind string

// The kinds of subjects.
const (
	// KindRole matches the identity's effective roles (direct and granted, with inheritance).
	KindRole Kind = "role"
	// KindGroup matches the identity's groups, exactly and case-sensitively.
	KindGroup Kind = "group"
	// KindUser matches the canonical user name (identity.CanonicalUser on both sides).
	KindUser Kind = "user"
	// KindEmail matches the email address with a case-insensitive glob where "*" matches any
	// run of characters, such as "*@acme.com" or "alice@*".
	KindEmail Kind = "email"
	// KindProvider matches the identity source's name exactly ("local" for the users file).
	KindProvider Kind = "provider"
)

// Sentinel errors wrapped by the validation errors of this package.
var (
	// ErrUnknownKind means a subject names a kind this package does not know.
	ErrUnknownKind = errors.New("unknown subject kind")
	// ErrEmptyValues means a subject has no values or an empty one.
	ErrEmptyValues = errors.New("empty subject values")
	// ErrBadGlob means an email glob is malformed.
	ErrBadGlob = errors.New("invalid email glob")
)

// Subject matches identities by one kind and one or more values (any value matches).
type Subject struct {
	// Kind is what the values are compared with.
	Kind Kind `json:"kind"`
	// Values are the roles, groups, users, email globs or providers that match; at least one.
	Values []string `json:"values"`
}

// Validate checks the subject's kind and values.
func (s Subject) Validate() error {
	if !knownKind(s.Kind) {
		return fmt.Errorf("%w %q", ErrUnknownKind, s.Kind)
	}
	if len(s.Values) == 0 {
		return fmt.Errorf("%s: %w", s.Kind, ErrEmptyValues)
	}
	for _, v := range s.Values {
		if v == "" || (s.Kind == KindUser && identity.CanonicalUser(v) == "") {
			return fmt.Errorf("%s: %w", s.Kind, ErrEmptyValues)
		}
		if s.Kind == KindEmail {
			if err := validGlob(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// matches reports whether the subject matches id, whose effective roles are roles.
// verifiedOnly says whether email values need id.EmailVerified (true for allow rules and role
// grants, false for deny rules). A subject of unknown kind matches nothing here; callers that
// must fail closed check the kind themselves.
func (s Subject) matches(id *identity.Identity, roles []string, verifiedOnly bool) bool {
	switch s.Kind {
	case KindRole:
		return anyEqual(s.Values, roles)
	case KindGroup:
		return anyEqual(s.Values, id.Groups)
	case KindUser:
		for _, v := range s.Values {
			if sameUser(v, id.User) {
				return true
			}
		}
	case KindEmail:
		if id.Email == "" || (verifiedOnly && !id.EmailVerified) {
			return false
		}
		if !wellFormedEmail(id.Email) {
			// "attacker@evil.com@company.com" must not pass `*@company.com`; a deny rule
			// (verifiedOnly false) matches such an address whatever its pattern.
			return !verifiedOnly
		}
		for _, v := range s.Values {
			if matchGlob(v, id.Email) {
				return true
			}
		}
	case KindProvider:
		for _, v := range s.Values {
			if v == id.Provider {
				return true
			}
		}
	}
	return false
}

// knownKind reports whether k is one of the kinds above.
func knownKind(k Kind) bool {
	switch k {
	case KindRole, KindGroup, KindUser, KindEmail, KindProvider:
		return true
	}
	return false
}

// anyEqual reports whether a and b share a value.
func anyEqual(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// sameUser reports whether identity.CanonicalUser(a) == identity.CanonicalUser(b), without
// allocating: it trims both and compares them rune by rune in lower case, as strings.ToLower
// does (invalid bytes count as U+FFFD there too).
func sameUser(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb && unicode.ToLower(ra) != unicode.ToLower(rb) {
			return false
		}
		a, b = a[na:], b[nb:]
	}
	return a == "" && b == ""
}

// wellFormedEmail reports whether email has exactly one '@' with something on each side and
// no space or control character: only such addresses are matched against email globs.
func wellFormedEmail(email string) bool {
	at := strings.IndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || strings.IndexByte(email[at+1:], '@') >= 0 {
		return false
	}
	for i := 0; i < len(email); i++ {
		if email[i] <= ' ' || email[i] == 0x7f {
			return false
		}
	}
	return true
}
