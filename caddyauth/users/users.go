// Package users reads, validates and writes the local users file: the JSON list of local
// accounts with their password hashes, profile, groups, roles and optional TOTP secret.
//
//	{"users": [
//	  {"username": "alice", "password": "$argon2id$v=19$m=19456,t=2,p=1$...",
//	   "email": "alice@acme.com", "name": "Alice", "groups": ["ops"], "roles": ["admin"],
//	   "totp_secret": "JBSWY3DPEHPK3PXP"}
//	]}
package users

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// File is the users file as written on disk.
type File struct {
	// Users are the local accounts, in file order.
	Users []User `json:"users"`
}

// User is one local account.
type User struct {
	// Username is the login name as written in the file; it is matched case-insensitively
	// (see identity.CanonicalUser) and may not contain spaces or control characters.
	Username string `json:"username"`
	// Password is an argon2id PHC string or a bcrypt hash (see package password).
	Password string `json:"password"`
	// Email is the user's address; optional, but it must contain '@' when set.
	Email string `json:"email,omitempty"`
	// Name is the display name; optional.
	Name string `json:"name,omitempty"`
	// Groups are the groups the user belongs to; optional.
	Groups []string `json:"groups,omitempty"`
	// Roles are roles given to the user directly; optional.
	Roles []string `json:"roles,omitempty"`
	// TOTPSecret is a base32 TOTP secret provisioned by an admin; optional. Upper or lower
	// case, with or without '=' padding, no spaces, at least 10 bytes once decoded.
	TOTPSecret string `json:"totp_secret,omitempty"`
}

// Parse decodes a users file without validating it (see Validate). Unknown fields are
// errors, so that a misspelt "totp_secert" is not silently ignored; syntax errors give the
// line and column.
func Parse(data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("invalid JSON: the file is empty")
		}
		return nil, fmt.Errorf("invalid JSON at %s: %w", position(data, errorOffset(err, dec)), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid JSON at %s: unexpected data after the users object",
			position(data, dec.InputOffset()))
	}
	return &f, nil
}

// errorOffset returns the byte offset a decoding error refers to.
func errorOffset(err error, dec *json.Decoder) int64 {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return syntaxErr.Offset
	case errors.As(err, &typeErr):
		return typeErr.Offset
	default:
		return dec.InputOffset()
	}
}

// position returns "line L, column C" (both from 1) of the byte at offset in data.
func position(data []byte, offset int64) string {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	column := int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return fmt.Sprintf("line %d, column %d", line, column)
}
