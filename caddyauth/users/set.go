package users

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// Set is a validated, read-only collection of users indexed by canonical username. It is
// safe for concurrent use.
type Set struct {
	byName map[string]User
}

// Load reads, parses and validates the users file at path and indexes its users. Every
// error names the path and, for a bad entry, its index, username and what is wrong.
func Load(path string) (*Set, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return index(f), nil
}

// ReadFile reads, parses and validates the users file at path, for callers that edit it.
// Its errors are those of Load; a missing file's error wraps fs.ErrNotExist.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading users file %q: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("loading users file %q: %w", path, err)
	}
	if err := Validate(f); err != nil {
		return nil, fmt.Errorf("loading users file %q: %w", path, err)
	}
	return f, nil
}

// NewSet validates f and indexes its users, for callers that build a users file in memory.
func NewSet(f *File) (*Set, error) {
	if err := Validate(f); err != nil {
		return nil, err
	}
	return index(f), nil
}

// index builds the Set of a validated file.
func index(f *File) *Set {
	s := &Set{byName: make(map[string]User, len(f.Users))}
	for _, u := range f.Users {
		s.byName[identity.CanonicalUser(u.Username)] = cloneUser(u)
	}
	return s
}

// Lookup returns the user whose canonical name is that of username ("Alice " finds
// "alice"). The user's Username is as written in the file.
func (s *Set) Lookup(username string) (User, bool) {
	u, ok := s.byName[identity.CanonicalUser(username)]
	if !ok {
		return User{}, false
	}
	return cloneUser(u), true
}

// Len returns the number of users.
func (s *Set) Len() int { return len(s.byName) }

// Users returns every user, sorted by canonical username.
func (s *Set) Users() []User {
	out := make([]User, 0, len(s.byName))
	for _, u := range s.byName {
		out = append(out, cloneUser(u))
	}
	slices.SortFunc(out, func(a, b User) int {
		return strings.Compare(identity.CanonicalUser(a.Username), identity.CanonicalUser(b.Username))
	})
	return out
}

// cloneUser copies u's slices, so that callers cannot change the Set's users.
func cloneUser(u User) User {
	u.Groups = slices.Clone(u.Groups)
	u.Roles = slices.Clone(u.Roles)
	return u
}
