package web

import (
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
)

// templateFuncs are the functions available to the templates, including overrides.
//
//	asset "gatehouse.css"   the static file's name with a version query, for long caching
//	statusHeading 403       a default heading for a status ("You don't have access to this page")
//	statusMessage 403       a default sentence for a status
//	iconURL .Icon           the icon URL when it is a same-site path or a data:image/ URL, else ""
//	groups 4 .Secret        the string cut into pieces of 4 characters (the last may be shorter)
func templateFuncs(assets map[string]staticFile) template.FuncMap {
	return template.FuncMap{
		"asset": func(name string) (string, error) {
			f, ok := assets[name]
			if !ok {
				return "", fmt.Errorf("unknown static file %q", name)
			}
			return name + "?v=" + f.version, nil
		},
		"statusHeading": statusHeading,
		"statusMessage": statusMessage,
		"iconURL":       iconURL,
		"groups":        groups,
	}
}

// statusHeading returns a plain-language heading for an HTTP status.
func statusHeading(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "That request didn't work"
	case http.StatusUnauthorized:
		return "Please sign in"
	case http.StatusForbidden:
		return "You don't have access to this page"
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusMethodNotAllowed:
		return "That action isn't allowed here"
	case http.StatusTooManyRequests:
		return "Too many attempts"
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return "Temporarily unavailable"
	}
	return "Something went wrong"
}

// statusMessage returns one plain-language sentence for an HTTP status.
func statusMessage(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "The request was incomplete or has expired. Go back and try again."
	case http.StatusUnauthorized:
		return "You need to sign in to open this page."
	case http.StatusForbidden:
		return "Your account isn't allowed to open this page. If you think it should be, ask the site's administrator."
	case http.StatusNotFound:
		return "There is nothing at this address."
	case http.StatusMethodNotAllowed:
		return "Go back and try again from the previous page."
	case http.StatusTooManyRequests:
		return "Please wait a moment before trying again."
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return "This service can't be reached right now. Please try again in a moment."
	}
	return "An unexpected error happened. Please try again in a moment."
}

// dataImage matches the data: URLs that are safe as an <img> source.
var dataImage = regexp.MustCompile(`^data:image/(png|jpeg|gif|webp|svg\+xml)(;base64)?,`)

// iconURL returns u when the page's Content-Security-Policy lets it load as an image and it
// cannot run script there: a same-site absolute path or a data:image/ URL. Otherwise "".
func iconURL(u string) template.URL {
	sameSite := strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") && !strings.HasPrefix(u, `/\`)
	if sameSite || dataImage.MatchString(u) {
		return template.URL(u)
	}
	return ""
}

// groups cuts s into pieces of size characters, the last one possibly shorter, so that a long
// secret can be shown in groups that are easy to read aloud and type. Size below 1 means 1.
func groups(size int, s string) []string {
	size = max(size, 1)
	var out []string
	for r := []rune(s); len(r) > 0; {
		n := min(size, len(r))
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	return out
}
