package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// claims are the decoded claims of a token or a userinfo response. They come from the
// network, so every read below checks the type of what it finds: a claim of the wrong
// type counts as absent (or, for the claims a check needs, fails the check).
type claims map[string]any

// decodeClaims decodes a JSON object of claims; numbers are kept as json.Number.
func decodeClaims(data []byte) (claims, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var c claims
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decoding claims: %w", err)
	}
	if c == nil {
		return nil, errors.New("decoding claims: not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decoding claims: data after the JSON object")
	}
	return c, nil
}

// has reports whether the claim name is present (with any value, even null).
func (c claims) has(name string) bool {
	_, ok := c[name]
	return ok
}

// str returns the claim name when it is a string.
func (c claims) str(name string) (string, bool) {
	s, ok := c[name].(string)
	return s, ok
}

// object returns the claim name when it is a JSON object.
func (c claims) object(name string) (map[string]any, bool) {
	m, ok := c[name].(map[string]any)
	return m, ok
}

// stringList returns the claim name when it is a JSON array of strings only.
func (c claims) stringList(name string) ([]string, bool) {
	list, ok := c[name].([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// audience returns the aud claim: a string, or an array of strings only.
func (c claims) audience() ([]string, bool) {
	if s, ok := c.str("aud"); ok {
		return []string{s}, true
	}
	return c.stringList("aud")
}

// isTrue reports whether the claim name is the boolean true or the string "true"
// (some providers send email_verified as a string). Anything else, absence included,
// is false.
func (c claims) isTrue(name string) bool {
	switch v := c[name].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// maxNumericDate bounds NumericDate values so that conversions cannot overflow.
const maxNumericDate = 1 << 40

// numericDate returns the claim name as a time when it is a JSON number (seconds since
// the epoch, fractions dropped) within a sane range.
func (c claims) numericDate(name string) (time.Time, bool) {
	n, ok := c[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	if i, err := n.Int64(); err == nil {
		if i < -maxNumericDate || i > maxNumericDate {
			return time.Time{}, false
		}
		return time.Unix(i, 0), true
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f < -maxNumericDate || f > maxNumericDate {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// lookup returns the value at a claim path such as "realm_access.roles". A path
// segment may itself contain dots (namespaced claims like "https://acme.com/roles", or
// "resource_access.my.app.roles" for a client named "my.app"): at each level the whole
// remaining path is tried as a member name first, then each split at a dot from the
// left. Each object of the claims is visited at most once, so arbitrary claims cannot
// make the search blow up.
func (c claims) lookup(path string) (any, bool) {
	if path == "" {
		return nil, false
	}
	return lookupPath(map[string]any(c), path)
}

func lookupPath(obj map[string]any, path string) (any, bool) {
	if v, ok := obj[path]; ok {
		return v, true
	}
	for i := 0; i < len(path); i++ {
		if path[i] != '.' {
			continue
		}
		child, ok := obj[path[:i]].(map[string]any)
		if !ok || i+1 >= len(path) {
			continue
		}
		if v, ok := lookupPath(child, path[i+1:]); ok {
			return v, true
		}
	}
	return nil, false
}

// pathStrings returns the strings at a claim path: the value itself when it is a
// string, or the string entries of an array (other entries are ignored). Empty strings
// and duplicates are dropped; anything else gives nil.
func (c claims) pathStrings(path string) []string {
	v, ok := c.lookup(path)
	if !ok {
		return nil
	}
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	switch v := v.(type) {
	case string:
		add(v)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				add(s)
			}
		}
	}
	return out
}

// protectedClaims are taken from the ID token only: userinfo cannot override them.
var protectedClaims = []string{"iss", "sub", "aud", "azp", "exp", "iat", "nbf", "nonce", "sid", "amr", "acr", "auth_time", "jti", "at_hash", "c_hash"}

// merge returns the ID token claims overlaid with the userinfo claims, except the
// protected claims, which stay those of the ID token.
func (c claims) merge(userinfo claims) claims {
	out := make(claims, len(c)+len(userinfo))
	for k, v := range c {
		out[k] = v
	}
	for k, v := range userinfo {
		if !slices.Contains(protectedClaims, k) {
			out[k] = v
		}
	}
	return out
}

// identityOf builds the identity of a signed-in user from verified claims: User is
// preferred_username, else email, else sub (canonical form); the email is verified only
// when email_verified is true (or "true"); groups and roles come from the claim paths
// (none when a path is empty); AMR from the amr claim when it is a list of strings.
func identityOf(provider string, c claims, groupsClaim, rolesClaim string) identity.Identity {
	id := identity.Identity{Provider: provider}
	email, _ := c.str("email")
	id.Email = strings.TrimSpace(email)
	id.EmailVerified = id.Email != "" && c.isTrue("email_verified")
	id.Name, _ = c.str("name")
	user, _ := c.str("preferred_username")
	if strings.TrimSpace(user) == "" {
		user = id.Email
	}
	if strings.TrimSpace(user) == "" {
		user, _ = c.str("sub")
	}
	id.User = identity.CanonicalUser(user)
	if groupsClaim != "" {
		id.Groups = c.pathStrings(groupsClaim)
	}
	if rolesClaim != "" {
		id.Roles = c.pathStrings(rolesClaim)
	}
	if amr, ok := c.stringList("amr"); ok && len(amr) > 0 {
		id.AMR = amr
	}
	return id
}
