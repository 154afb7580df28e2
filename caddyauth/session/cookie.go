package session

import "strings"

// CookieValue returns the value of the first cookie called name in a Cookie request header
// (RFC 6265 §5.4 syntax: "a=1; b=2"). It does not allocate, and it does not trust the
// value: callers check it with ValidToken. ok is false when the cookie is absent.
func CookieValue(header, name string) (value string, ok bool) {
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ";")
		part = strings.TrimLeft(part, " \t")
		k, v, found := strings.Cut(part, "=")
		if !found || strings.TrimRight(k, " \t") != name {
			continue
		}
		v = strings.TrimRight(v, " \t")
		if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		return v, true
	}
	return "", false
}

// WithoutCookie returns a Cookie request header with every cookie called name removed,
// keeping the others in order. It returns header itself (no allocation) when no such
// cookie is present, and "" when nothing is left.
func WithoutCookie(header, name string) string {
	if !strings.Contains(header, name) {
		return header
	}
	var b strings.Builder
	rest := header
	removed := false
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		trimmed := strings.TrimLeft(part, " \t")
		if k, _, found := strings.Cut(trimmed, "="); found && strings.TrimRight(k, " \t") == name {
			removed = true
			continue
		}
		if strings.TrimSpace(trimmed) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(strings.TrimRight(trimmed, " \t"))
	}
	if !removed {
		return header
	}
	return b.String()
}
