package users

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
	"github.com/gatehousehq/gatehouse/caddyauth/password"
)

// ErrUserExists is returned by Add when a user of that canonical name is already in the file.
var ErrUserExists = errors.New("user already exists")

// ErrNoSuchUser is returned by Remove and SetPassword when no user has that canonical name.
var ErrNoSuchUser = errors.New("no such user")

// Add appends u after checking it (as Validate would) and that no user of the same
// canonical name exists.
func (f *File) Add(u User) error {
	if err := errors.Join(checkUser(u)...); err != nil {
		return fmt.Errorf("adding user %q: %w", u.Username, err)
	}
	if f.index(u.Username) >= 0 {
		return fmt.Errorf("adding user %q: %w", u.Username, ErrUserExists)
	}
	f.Users = append(f.Users, u)
	return nil
}

// Remove deletes the user whose canonical name is that of username.
func (f *File) Remove(username string) error {
	i := f.index(username)
	if i < 0 {
		return fmt.Errorf("removing user %q: %w", username, ErrNoSuchUser)
	}
	f.Users = slices.Delete(f.Users, i, i+1)
	return nil
}

// SetPassword replaces the password hash of the user whose canonical name is that of
// username. hash must pass password.Check.
func (f *File) SetPassword(username, hash string) error {
	i := f.index(username)
	if i < 0 {
		return fmt.Errorf("setting password of %q: %w", username, ErrNoSuchUser)
	}
	if err := password.Check(hash); err != nil {
		return fmt.Errorf("setting password of %q: %w", username, err)
	}
	f.Users[i].Password = hash
	return nil
}

// index returns the position of the user whose canonical name is that of username, or -1.
func (f *File) index(username string) int {
	key := identity.CanonicalUser(username)
	return slices.IndexFunc(f.Users, func(u User) bool { return identity.CanonicalUser(u.Username) == key })
}
