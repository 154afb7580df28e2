package gatehousecli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
	"github.com/gatehousehq/gatehouse/caddyauth/users"
)

// runUserList prints the users of the file at path as a table sorted by username. Password
// hashes and TOTP secrets are never printed, only whether a TOTP secret is set.
func runUserList(s streams, path string) error {
	if path == "" {
		return errors.New("user list: --file is required")
	}
	f, err := users.ReadFile(path)
	if err != nil {
		return fmt.Errorf("user list: %w", err)
	}
	list := slices.Clone(f.Users)
	slices.SortFunc(list, func(a, b users.User) int {
		return strings.Compare(identity.CanonicalUser(a.Username), identity.CanonicalUser(b.Username))
	})
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "USERNAME\tEMAIL\tNAME\tGROUPS\tROLES\tTOTP")
	for _, u := range list {
		totp := "no"
		if u.TOTPSecret != "" {
			totp = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", cell(u.Username), cell(u.Email), cell(u.Name),
			cell(strings.Join(u.Groups, ",")), cell(strings.Join(u.Roles, ",")), totp)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("user list: %w", err)
	}
	return nil
}

// cell makes a table cell of s: "-" when empty, control characters (which could move the
// cursor or break the columns) replaced.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}
