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
// keeping the others in order. It returns header itself when no such cookie is present, and
// "" when nothing is left. When the cookie is the first or the last one, the result is a
// substring of header (no allocation).
func WithoutCookie(header, name string) string {
	if !strings.Contains(header, name) {
		return header
	}
	// Find the byte span of every cookie called name.
	type span struct{ from, to int }
	var found [2]span
	n := 0
	for pos := 0; pos < len(header); {
		end := strings.IndexByte(header[pos:], ';')
		if end < 0 {
			end = len(header)
		} else {
			end += pos
		}
		part := strings.TrimLeft(header[pos:end], " \t")
		if k, _, ok := strings.Cut(part, "="); ok && strings.TrimRight(k, " \t") == name {
			if n == len(found) {
				return rebuildWithout(header, name)
			}
			found[n] = span{pos, end}
			n++
		}
		pos = end + 1
	}
	switch {
	case n == 0:
		return header
	case n > 1:
		return rebuildWithout(header, name)
	}
	before := strings.TrimRight(header[:found[0].from], " \t;")
	after := ""
	if found[0].to < len(header) {
		after = strings.TrimLeft(header[found[0].to+1:], " \t;")
	}
	switch {
	case before == "":
		return after
	case after == "":
		return before
	}
	return before + "; " + after
}

// rebuildWithout is the general case of WithoutCookie: several cookies to remove.
func rebuildWithout(header, name string) string {
	var b strings.Builder
	for rest := header; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		trimmed := strings.Trim(part, " \t")
		if k, _, found := strings.Cut(trimmed, "="); (found && strings.TrimRight(k, " \t") == name) || trimmed == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(trimmed)
	}
	return b.String()
}
