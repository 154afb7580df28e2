package redirect

import (
	"strings"
)

// hostPort is a parsed host[:port].
type hostPort struct {
	// host is the host as written, without its trailing dot; compare it case-insensitively.
	host string
	// port is the explicit port, or the default given to parseHostPort when none is written.
	port int
}

// parseHostPort parses s as host[:port], where host is an ASCII name of letters, digits,
// '-', '_' and '.' (one trailing dot allowed, dropped) or a bracketed IPv6 address, and
// port is 1 to 65535. def is the port reported when s names none. Anything a browser could
// read differently (percent escapes, non-ASCII, empty ports, empty hosts) is refused.
func parseHostPort(s string, def int) (hostPort, bool) {
	var host, rest string
	switch {
	case s == "":
		return hostPort{}, false
	case s[0] == '[':
		end := strings.IndexByte(s, ']')
		if end < 0 || !validIPv6Literal(s[1:end]) {
			return hostPort{}, false
		}
		host, rest = s[:end+1], s[end+1:]
	default:
		host, rest = s, ""
		if i := strings.IndexByte(s, ':'); i >= 0 {
			host, rest = s[:i], s[i:]
		}
		host = strings.TrimSuffix(host, ".")
		if !validHostName(host) {
			return hostPort{}, false
		}
	}
	if rest == "" {
		return hostPort{host: host, port: def}, true
	}
	port, ok := parsePort(rest[1:])
	if rest[0] != ':' || !ok {
		return hostPort{}, false
	}
	return hostPort{host: host, port: port}, true
}

// validHostName reports whether h is a non-empty ASCII host name that starts with a letter
// or digit and holds only letters, digits, '-', '_' and '.'.
func validHostName(h string) bool {
	if h == "" || h[0] == '.' || h[0] == '-' {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// validIPv6Literal reports whether s (the text between brackets) is made of hex digits,
// ':' and '.' only, with at least one ':'.
func validIPv6Literal(s string) bool {
	if strings.IndexByte(s, ':') < 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F', c == ':', c == '.':
		default:
			return false
		}
	}
	return true
}

// parsePort parses a decimal port from 1 to 65535 (leading zeros allowed, as browsers do).
func parsePort(s string) (int, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 1 && n <= 65535
}

// hostAllowed reports whether an absolute URL of the given scheme to t may be followed from
// a request to currentHost.
func (p Policy) hostAllowed(t hostPort, scheme, currentHost string) bool {
	def := defaultPort(scheme)
	cur, curOK := parseHostPort(currentHost, 0)
	if curOK && strings.EqualFold(t.host, cur.host) {
		curPort := cur.port
		if curPort == 0 {
			curPort = def
		}
		if t.port == curPort {
			return true
		}
	}
	if d := cookieDomain(p.CookieDomain); d != "" && inDomain(t.host, d) {
		if t.port == def || (curOK && cur.port != 0 && t.port == cur.port) {
			return true
		}
	}
	for _, entry := range p.Allowed {
		if matchEntry(entry, t, def) {
			return true
		}
	}
	return false
}

// cookieDomain returns a cookie Domain attribute without its leading and trailing dots.
func cookieDomain(d string) string {
	return strings.TrimSuffix(strings.TrimPrefix(d, "."), ".")
}

// inDomain reports whether host is domain or a name below it, case-insensitively.
func inDomain(host, domain string) bool {
	if strings.EqualFold(host, domain) {
		return true
	}
	return below(host, domain)
}

// below reports whether host is a name strictly below domain, case-insensitively: it ends
// in "." + domain.
func below(host, domain string) bool {
	n := len(host) - len(domain)
	return n > 1 && host[n-1] == '.' && strings.EqualFold(host[n:], domain)
}

// allowedEntry is a parsed entry of Policy.Allowed.
type allowedEntry struct {
	hostPort
	wildcard bool // "*.example.com": names below example.com
	anyPort  bool // "host:*"
}

// parseEntry parses an entry of Policy.Allowed: [*.]host[:port|:*].
func parseEntry(e string) (allowedEntry, bool) {
	var a allowedEntry
	if rest, ok := strings.CutPrefix(e, "*."); ok {
		a.wildcard, e = true, rest
	}
	if rest, ok := strings.CutSuffix(e, ":*"); ok {
		a.anyPort, e = true, rest
	}
	hp, ok := parseHostPort(e, 0)
	if !ok || (a.anyPort && hp.port != 0) || (a.wildcard && hp.host[0] == '[') {
		return allowedEntry{}, false
	}
	a.hostPort = hp
	return a, true
}

// matchEntry reports whether t is allowed by the Policy.Allowed entry e for a URL whose
// scheme's default port is def. Malformed entries match nothing.
func matchEntry(e string, t hostPort, def int) bool {
	a, ok := parseEntry(e)
	if !ok {
		return false
	}
	switch {
	case a.anyPort:
	case a.port == 0:
		if t.port != def {
			return false
		}
	case t.port != a.port:
		return false
	}
	if a.wildcard {
		return below(t.host, a.host)
	}
	return strings.EqualFold(t.host, a.host)
}
