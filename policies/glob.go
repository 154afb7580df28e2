package policies

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// matchGlob reports whether s matches pattern, where "*" matches any run of bytes (empty
// included) and every other byte matches itself, ASCII letters case-insensitively. Non-ASCII
// letters are not folded: U+212A (Kelvin sign) in an address is not "k", so a look-alike
// internationalised domain never matches an ASCII pattern.
//
// The literal text before the first "*" and after the last one is compared directly, so the
// usual "*@example.com" costs one suffix comparison. What remains is matched iteratively,
// remembering only the last "*": O(len(pattern)·len(s)) in the worst case, with no recursion
// and no allocation.
func matchGlob(pattern, s string) bool {
	first := strings.IndexByte(pattern, '*')
	if first < 0 {
		return len(pattern) == len(s) && equalFoldASCII(pattern, s)
	}
	if len(s) < first || !equalFoldASCII(pattern[:first], s[:first]) {
		return false
	}
	pattern, s = pattern[first:], s[first:]
	last := strings.LastIndexByte(pattern, '*')
	suffix := pattern[last+1:]
	if len(s) < len(suffix) || !equalFoldASCII(suffix, s[len(s)-len(suffix):]) {
		return false
	}
	pattern, s = pattern[:last+1], s[:len(s)-len(suffix)]

	// pattern now starts and ends with "*".
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pattern) && lowerASCII(pattern[pi]) == lowerASCII(s[si]):
			pi++
			si++
		case star >= 0:
			// Let the last "*" swallow one more byte and retry from there.
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// equalFoldASCII reports whether a and b, of the same length, are equal with ASCII letters
// compared case-insensitively.
func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// lowerASCII returns c in lower case when it is an ASCII capital letter.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// validGlob checks an email glob: "*" alone (any verified address), or a pattern with exactly
// one "@" such as "*@acme.com", "alice@*" or "*@*.acme.com", in valid UTF-8 without spaces or
// control characters. A pattern without "@" is refused because "*acme.com" would also match
// "eve@notacme.com".
func validGlob(p string) error {
	if p == "*" {
		return nil
	}
	if !utf8.ValidString(p) {
		return fmt.Errorf("%w %q: not valid UTF-8", ErrBadGlob, p)
	}
	for _, r := range p {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("%w %q: contains a space or control character", ErrBadGlob, p)
		}
	}
	if strings.Count(p, "@") != 1 {
		return fmt.Errorf("%w %q: want exactly one @ (such as *@example.com)", ErrBadGlob, p)
	}
	return nil
}
