package session

import "strings"

// CookieValue returns the value of the first cookie called name in a Cookie request header
// (RFC 6265 §5.4 syntax: "a=1; b=2"). It does not allocate, and it does not trust the
// value: callers check it with ValidToken. ok is false when the cookie is absent.
func CookieValue(header, name string) (value string, ok bool) {
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ";")
		k, v, found := strings.Cut(trimSpace(part), "=")
		if found && trimSpace(k) == name {
			return unquote(trimSpace(v)), true
		}
	}
	return "", false
}

// WithoutCookie returns a Cookie request header with every cookie called name removed,
// keeping the others in order. It returns header itself when no such cookie is present, and
// "" when nothing is left. When the cookie is the first or the last one, the result is a
// substring of header (no allocation).
func WithoutCookie(header, name string) string {
	_, rest, _ := TakeCookie(header, name)
	return rest
}

// TakeCookie does CookieValue and WithoutCookie in one pass: the value of the first cookie
// called name, and the header without any cookie of that name.
func TakeCookie(header, name string) (value, rest string, found bool) {
	if !strings.Contains(header, name) {
		return "", header, false
	}
	// The byte span of the one matching cookie; a second match takes the general path.
	from, to := -1, -1
	for pos := 0; pos < len(header); {
		end := strings.IndexByte(header[pos:], ';')
		if end < 0 {
			end = len(header)
		} else {
			end += pos
		}
		k, v, ok := strings.Cut(trimSpace(header[pos:end]), "=")
		if ok && trimSpace(k) == name {
			if from >= 0 {
				return value, rebuildWithout(header, name), true
			}
			from, to = pos, end
			value, found = unquote(trimSpace(v)), true
		}
		pos = end + 1
	}
	if !found {
		return "", header, false
	}
	before := strings.TrimRight(header[:from], " \t;")
	after := ""
	if to < len(header) {
		after = strings.TrimLeft(header[to+1:], " \t;")
	}
	switch {
	case before == "":
		return value, after, true
	case after == "":
		return value, before, true
	}
	return value, before + "; " + after, true
}

// rebuildWithout is the general case of TakeCookie: several cookies to remove.
func rebuildWithout(header, name string) string {
	var b strings.Builder
	for rest := header; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		trimmed := trimSpace(part)
		if k, _, found := strings.Cut(trimmed, "="); (found && trimSpace(k) == name) || trimmed == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(trimmed)
	}
	return b.String()
}

// trimSpace removes spaces and tabs at both ends (cheaper than strings.Trim with a cutset).
func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func unquote(v string) string {
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}
