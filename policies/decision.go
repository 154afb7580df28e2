package policies

import "strconv"

// Decision is the outcome of Rules.Decide. Its zero value is NotAllowed, so that a Decision
// never set by mistake fails closed.
type Decision int

// The decisions.
const (
	// NotAllowed means the rules have allow subjects and none matched.
	NotAllowed Decision = iota
	// Denied means a deny subject matched.
	Denied
	// Allow means no deny subject matched and either an allow subject matched or the rules
	// have no allow subjects (any signed-in user).
	Allow
)

// String returns the decision's name as used in logs and metric labels: "allow", "denied"
// or "not_allowed".
func (d Decision) String() string {
	switch d {
	case Allow:
		return "allow"
	case Denied:
		return "denied"
	case NotAllowed:
		return "not_allowed"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}
