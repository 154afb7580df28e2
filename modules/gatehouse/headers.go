package gatehouse

import (
	"net/http"
	"strings"
)

// Identity headers Gatehouse sets for the upstream, in canonical form.
const (
	headerUser   = "Remote-User"
	headerEmail  = "Remote-Email"
	headerName   = "Remote-Name"
	headerGroups = "Remote-Groups"
	headerRoles  = "Remote-Roles"
)

// identityHeaders are every header name Gatehouse owns; client copies are always removed.
var identityHeaders = []string{headerUser, headerEmail, headerName, headerGroups, headerRoles, "Gatehouse-Assertion"}

// sameHeader tells whether the field names a and b are the same once case is ignored and
// '_' and '.' are read as '-': the spellings that CGI, FastCGI, WSGI and some proxies fold
// together (Remote_User, remote.user, REMOTE-USER all reach an app as HTTP_REMOTE_USER).
func sameHeader(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if foldHeaderByte(a[i]) != foldHeaderByte(b[i]) {
			return false
		}
	}
	return true
}

func foldHeaderByte(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c + ('a' - 'A')
	case c == '_' || c == '.':
		return '-'
	}
	return c
}

func isIdentityHeader(name string) bool {
	for _, h := range identityHeaders {
		if sameHeader(name, h) {
			return true
		}
	}
	return false
}

// stripHeaders removes from h every field whose name is one of names in any spelling, and
// those names (and the Cookie field) from the Connection field's tokens, so that a proxy
// hop cannot be told to drop the values Gatehouse sets. It does not allocate when there is
// nothing to remove.
func stripHeaders(h http.Header, names []string) {
	for k := range h {
		if matchAny(k, names) {
			delete(h, k)
		}
	}
	conn, ok := h["Connection"]
	if !ok {
		return
	}
	for _, v := range conn {
		if hasOwnToken(v, names) {
			h["Connection"] = filterConnection(conn, names)
			if len(h["Connection"]) == 0 {
				delete(h, "Connection")
			}
			return
		}
	}
}

// matchAny tells whether name is one of names in any spelling.
func matchAny(name string, names []string) bool {
	for _, n := range names {
		if sameHeader(name, n) {
			return true
		}
	}
	return false
}

func hasOwnToken(v string, names []string) bool {
	for v != "" {
		var tok string
		tok, v, _ = strings.Cut(v, ",")
		tok = strings.TrimSpace(tok)
		if matchAny(tok, names) || sameHeader(tok, "Cookie") {
			return true
		}
	}
	return false
}

func filterConnection(conn []string, names []string) []string {
	var kept []string
	for _, v := range conn {
		for _, tok := range strings.Split(v, ",") {
			tok = strings.TrimSpace(tok)
			if tok == "" || matchAny(tok, names) || sameHeader(tok, "Cookie") {
				continue
			}
			kept = append(kept, tok)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return []string{strings.Join(kept, ", ")}
}
