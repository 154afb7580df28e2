package users

import (
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
	"github.com/gatehousehq/gatehouse/caddyauth/password"
)

// maxUsernameLen is the longest username accepted, in characters.
const maxUsernameLen = 128

// minTOTPSecretLen is the shortest TOTP secret accepted, in bytes (RFC 4226 asks for 128
// bits and allows no fewer than 80).
const minTOTPSecretLen = 10

// Validate checks every user of f and that no two usernames are equal once canonicalised.
// Its error lists every problem, one per line, each naming the entry as users[i] ("name").
func Validate(f *File) error {
	if f == nil {
		return errors.New("no users file")
	}
	var errs []error
	first := make(map[string]int, len(f.Users)) // canonical username → index of first entry
	for i, u := range f.Users {
		if problems := checkUser(u); len(problems) > 0 {
			for _, err := range problems {
				errs = append(errs, fmt.Errorf("users[%d] (%q): %w", i, u.Username, err))
			}
			continue
		}
		key := identity.CanonicalUser(u.Username)
		if j, dup := first[key]; dup {
			errs = append(errs, fmt.Errorf("users[%d] (%q): duplicate username: users[%d] (%q) has the same name",
				i, u.Username, j, f.Users[j].Username))
			continue
		}
		first[key] = i
	}
	return errors.Join(errs...)
}

// checkUser returns every problem of one user.
func checkUser(u User) []error {
	var errs []error
	if err := checkUsername(u.Username); err != nil {
		errs = append(errs, err)
	}
	if u.Password == "" {
		errs = append(errs, errors.New("password hash is missing"))
	} else if err := password.Check(u.Password); err != nil {
		errs = append(errs, fmt.Errorf("password: %w", err))
	}
	if u.Email != "" && strings.Count(u.Email, "@") != 1 {
		errs = append(errs, fmt.Errorf("email %q must have exactly one '@'", u.Email))
	}
	if err := checkNames("groups", u.Groups); err != nil {
		errs = append(errs, err)
	}
	if err := checkNames("roles", u.Roles); err != nil {
		errs = append(errs, err)
	}
	if u.TOTPSecret != "" {
		if _, err := decodeTOTPSecret(u.TOTPSecret); err != nil {
			errs = append(errs, fmt.Errorf("totp_secret: %w", err))
		}
	}
	return errs
}

// checkUsername accepts 1 to 128 characters with no spaces or control characters.
func checkUsername(name string) error {
	switch {
	case name == "":
		return errors.New("username is empty")
	case !utf8.ValidString(name):
		return errors.New("username is not valid UTF-8")
	case utf8.RuneCountInString(name) > maxUsernameLen:
		return fmt.Errorf("username is longer than %d characters", maxUsernameLen)
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return errors.New("username contains whitespace or control characters")
	}
	return nil
}

// checkNames rejects empty group or role names.
func checkNames(field string, names []string) error {
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			return fmt.Errorf("%s[%d] is empty", field, i)
		}
	}
	return nil
}

// decodeTOTPSecret decodes a base32 secret in either case, with or without padding.
func decodeTOTPSecret(secret string) ([]byte, error) {
	if strings.ContainsFunc(secret, unicode.IsSpace) {
		return nil, errors.New("base32 secret contains spaces")
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	if strings.Contains(secret, "=") {
		enc = base32.StdEncoding
	}
	key, err := enc.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return nil, errors.New("not valid base32")
	}
	if len(key) < minTOTPSecretLen {
		return nil, fmt.Errorf("secret is %d bytes, want at least %d", len(key), minTOTPSecretLen)
	}
	return key, nil
}
