package policies

import (
	"fmt"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// Rules are one set of allow/deny subjects (a route handler's own, or a named policy's).
type Rules struct {
	// Allow lists the subjects that may pass; any one suffices. When empty, any signed-in
	// user not denied may pass.
	Allow []Subject `json:"allow,omitempty"`
	// Deny lists the subjects refused before Allow is looked at; any one suffices.
	Deny []Subject `json:"deny,omitempty"`
}

// Validate checks every subject: a known kind, at least one value, no empty value and, for
// email, a valid glob. Call it when the configuration is provisioned.
func (r Rules) Validate() error {
	for i, s := range r.Deny {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("deny[%d]: %w", i, err)
		}
	}
	for i, s := range r.Allow {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("allow[%d]: %w", i, err)
		}
	}
	return nil
}

// Decide says whether id, whose effective roles (RoleSet.Resolve) are roles, may pass.
//
// Deny subjects are checked first: any match is Denied. Then, with no allow subjects at all
// the answer is Allow (any signed-in user); with some, Allow when one matches, else
// NotAllowed. Email deny subjects match unverified addresses too; email allow subjects need
// a verified one. A nil id is NotAllowed, and a deny subject of unknown kind (which Validate
// refuses) denies everyone rather than being skipped. Decide does not allocate.
func (r Rules) Decide(id *identity.Identity, roles []string) Decision {
	if id == nil {
		return NotAllowed
	}
	for _, s := range r.Deny {
		if !knownKind(s.Kind) || s.matches(id, roles, false) {
			return Denied
		}
	}
	if len(r.Allow) == 0 {
		return Allow
	}
	for _, s := range r.Allow {
		if s.matches(id, roles, true) {
			return Allow
		}
	}
	return NotAllowed
}
