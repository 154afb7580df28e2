// Package redirect validates return URLs: the `rd` parameter of the portal endpoints and the
// target of a logout.
//
// A return URL is accepted only as a path that starts with a single "/" or as an absolute
// http(s) URL to the current host, to a host inside the session cookie domain, or to a host
// listed in allowed_redirects. Anything else falls back to "/". The checks are written for
// what browsers do with a Location header, not only for what net/url parses: browsers strip
// tabs and newlines, read "\" as "/", read "https:/x" and "https:x" as "https://x", and treat
// "//x" as a host, so all of those are refused.
package redirect

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fallback is the return URL used in place of any target that is not acceptable.
const Fallback = "/"

// Policy says which return URLs are acceptable.
//
// The zero Policy accepts relative paths and absolute URLs to the current host only.
type Policy struct {
	// CookieDomain is the session cookie's Domain ("" when host-only); hosts equal to it or
	// below it are accepted, on the scheme's default port or on the current host's port.
	CookieDomain string
	// Allowed lists extra hosts (exact, case-insensitive, optionally "*.example.com" for
	// subdomains, which does not include example.com itself) that absolute URLs may point to.
	// An entry may end in ":port" to allow that port or ":*" to allow any port; without one,
	// only the scheme's default port is allowed.
	Allowed []string
}

// Safe returns target when it is an acceptable return URL for a request to currentHost
// (host[:port] as in r.Host), else "/".
//
// target is the already-decoded query value. It is returned unchanged (never re-encoded)
// when accepted.
func (p Policy) Safe(target, currentHost string) string {
	if p.acceptable(target, currentHost) {
		return target
	}
	return Fallback
}

// acceptable reports whether target may be used as a return URL.
func (p Policy) acceptable(target, currentHost string) bool {
	if target == "" || !cleanChars(target) {
		return false
	}
	if target[0] == '/' {
		return safePath(target)
	}
	return p.safeAbsolute(target, currentHost)
}

// cleanChars reports whether s is valid UTF-8 free of control characters (C0, DEL, C1),
// whitespace of any kind and backslashes: browsers strip some of these and read others as
// "/", so that what they follow differs from what was checked.
func cleanChars(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == ' ' || c == '\\' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
		i += size
	}
	return true
}

// safePath reports whether target, which starts with "/", is a path on the current site.
// It checks the path both as given and decoded once more, so that "/%2F%2Fevil.com" is
// refused like "//evil.com" (some servers and apps decode it again before redirecting).
func safePath(target string) bool {
	if len(target) == 1 {
		return true
	}
	raw := target
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	if startsWithEmptySegment(raw) {
		return false
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Opaque != "" || u.User != nil || u.Host != "" {
		return false
	}
	// u.Path is raw decoded once more (url.Parse unescapes the path as url.PathUnescape does).
	if u.Path == "" || u.Path[0] != '/' || startsWithEmptySegment(u.Path) {
		return false
	}
	for i := 0; i < len(u.Path); i++ {
		if c := u.Path[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// startsWithEmptySegment reports whether path, which starts with "/", begins with an empty
// segment once its leading "." and ".." segments are dropped: "//x", "/\x", "/./\x",
// "/../..//x". Browsers, and servers that normalise paths, read such paths as "//host".
func startsWithEmptySegment(path string) bool {
	i := 1
	for {
		j := i
		for j < len(path) && path[j] != '/' && path[j] != '\\' {
			j++
		}
		if j == i {
			return j < len(path)
		}
		if seg := path[i:j]; seg != "." && seg != ".." {
			return false
		}
		if j == len(path) {
			return false
		}
		i = j + 1
	}
}

// safeAbsolute reports whether target is an absolute http(s) URL to an acceptable host.
func (p Policy) safeAbsolute(target, currentHost string) bool {
	scheme, rest, ok := cutScheme(target)
	if !ok {
		return false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	if strings.IndexByte(authority, '@') >= 0 {
		return false
	}
	t, ok := parseHostPort(authority, defaultPort(scheme))
	if !ok {
		return false
	}
	// Cross-check with net/url so that the host this package checked is the one the rest of
	// Gatehouse (and Go's HTTP client) would see.
	u, err := url.Parse(target)
	if err != nil || u.User != nil || u.Opaque != "" || u.Host != authority ||
		!strings.EqualFold(u.Scheme, scheme) {
		return false
	}
	return p.hostAllowed(t, scheme, currentHost)
}

// cutScheme splits an absolute URL that starts with "http://" or "https://" (in any case)
// into its lower-case scheme and what follows the "//". Anything else, including
// "https:/x" and "https:x" which browsers read as "https://x", is refused.
func cutScheme(s string) (scheme, rest string, ok bool) {
	for _, sc := range [...]string{"https", "http"} {
		if len(s) > len(sc)+3 && strings.EqualFold(s[:len(sc)], sc) && s[len(sc):len(sc)+3] == "://" {
			return sc, s[len(sc)+3:], true
		}
	}
	return "", "", false
}

// defaultPort returns the port a URL of the given lower-case scheme uses when it names none.
func defaultPort(scheme string) int {
	if scheme == "https" {
		return 443
	}
	return 80
}
