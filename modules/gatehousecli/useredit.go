package gatehousecli

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/gatehousehq/gatehouse/caddyauth/password"
	"github.com/gatehousehq/gatehouse/caddyauth/users"
)

// addRequest is what `user add` is asked to add; Password is nil when it must be asked for.
type addRequest struct {
	Username, Email, Name string
	Groups, Roles         []string
	TOTPSecret            string
	Password              *string
}

// placeholderHash stands for the password while the other fields are checked, so that a
// typo in --email is reported before the password is asked for.
const placeholderHash = "$2a$04$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"

// runUserAdd adds a user to the users file at path, creating the file if missing.
func runUserAdd(s streams, path string, r addRequest) error {
	if path == "" {
		return errors.New("user add: --file is required")
	}
	f, err := readForEdit(path, true)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	u := users.User{
		Username: r.Username, Email: r.Email, Name: r.Name,
		Groups: r.Groups, Roles: r.Roles, TOTPSecret: r.TOTPSecret,
		Password: placeholderHash,
	}
	probe := users.File{Users: slices.Clone(f.Users)}
	if err := probe.Add(u); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	if u.Password, err = hashNewPassword(s, r.Password); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	if err := f.Add(u); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	if err := users.Write(path, f); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	_, err = fmt.Fprintf(s.out, "added user %q to %s\n", u.Username, path)
	return err
}

// runUserRemove removes a user from the users file at path.
func runUserRemove(s streams, path, username string) error {
	if path == "" {
		return errors.New("user remove: --file is required")
	}
	f, err := readForEdit(path, false)
	if err != nil {
		return fmt.Errorf("user remove: %w", err)
	}
	if err := f.Remove(username); err != nil {
		return fmt.Errorf("user remove: %w", err)
	}
	if err := users.Write(path, f); err != nil {
		return fmt.Errorf("user remove: %w", err)
	}
	_, err = fmt.Fprintf(s.out, "removed user %q from %s\n", username, path)
	return err
}

// runUserPasswd sets the password of a user of the users file at path.
func runUserPasswd(s streams, path, username string, flag *string) error {
	if path == "" {
		return errors.New("user passwd: --file is required")
	}
	f, err := readForEdit(path, false)
	if err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	// Fail on an unknown user before asking for a password.
	if err := f.SetPassword(username, placeholderHash); err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	hash, err := hashNewPassword(s, flag)
	if err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	if err := f.SetPassword(username, hash); err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	if err := users.Write(path, f); err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	_, err = fmt.Fprintf(s.out, "changed the password of %q in %s\n", username, path)
	return err
}

// readForEdit reads and validates the users file at path. A missing file is an empty one
// when mayCreate is set.
func readForEdit(path string, mayCreate bool) (*users.File, error) {
	f, err := users.ReadFile(path)
	if mayCreate && errors.Is(err, fs.ErrNotExist) {
		return &users.File{}, nil
	}
	return f, err
}

// hashNewPassword gets the new password (from flag or asked for) and hashes it.
func hashNewPassword(s streams, flag *string) (string, error) {
	pw, err := s.newPassword(flag)
	if err != nil {
		return "", err
	}
	return password.Hash(pw)
}
