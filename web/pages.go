package web

// DefaultPrefix is the portal prefix used when a page's Base.Prefix is empty.
const DefaultPrefix = "/.gatehouse"

// Base is embedded in every page's data.
type Base struct {
	// Title is the page title; each page sets a default when it is empty.
	Title string
	// Prefix is the portal prefix, "/.gatehouse"; links and form actions start with it.
	// Render uses DefaultPrefix when it is empty.
	Prefix string
	// User is the signed-in user's name or username, "" when not signed in.
	User string
	// Nonce is a per-response nonce; unused for now because the pages need no script.
	Nonce string
}

// Provider is one "Sign in with X" button on the login page.
type Provider struct {
	// Name is the provider's configured name, e.g. "google".
	Name string
	// DisplayName is the label shown to people, e.g. "Google"; Name is used when it is empty.
	DisplayName string
	// Icon is an optional image URL for the button: a same-site path, an https URL, or a
	// data:image/ URL. Anything else is dropped.
	Icon string
	// StartURL is where the button leads, e.g. "/.gatehouse/start/google?rd=%2F".
	StartURL string
}

// LoginPage is the data of the "login" page.
type LoginPage struct {
	Base
	// RD is the return URL, posted back in the hidden field "rd".
	RD string
	// CSRF is the form token, posted back in the hidden field "csrf".
	CSRF string
	// Username prefills the username field after a failed attempt.
	Username string
	// Error is shown in the alert region, e.g. "Wrong username or password."
	Error string
	// Notice is a neutral message, e.g. "You have signed out."
	Notice string
	// Providers are the external sign-in buttons; the section is hidden when empty.
	Providers []Provider
	// LocalLogin shows the username and password form.
	LocalLogin bool
}

// LogoutPage is the data of the "logout" page, which asks to confirm signing out.
type LogoutPage struct {
	Base
	// RD is where to go after signing out, and where "Cancel" leads ("/" when empty).
	RD string
	// CSRF is the form token, posted back in the hidden field "csrf".
	CSRF string
}

// ErrorPage is the data of the "error" page.
type ErrorPage struct {
	Base
	// Status is the HTTP status shown, e.g. 403; Render fills it in when it is zero.
	Status int
	// Heading is the big heading; a status-appropriate default is used when it is empty.
	Heading string
	// Message is one or two sentences under the heading; a default is used when it is empty.
	Message string
	// SignOut shows a "Sign in as someone else" button that posts to the logout endpoint.
	SignOut bool
	// CSRF is the form token of the sign-out button.
	CSRF string
	// RD is posted with the sign-out button: where to go after signing out.
	RD string
}

// withDefaults returns a copy of data with an empty Prefix and a zero Status filled in.
// Data of other types is returned unchanged; pointers are copied, never written through.
func withDefaults(data any, status int) any {
	switch d := data.(type) {
	case *LoginPage:
		if d != nil {
			return withDefaults(*d, status)
		}
	case *LogoutPage:
		if d != nil {
			return withDefaults(*d, status)
		}
	case *ErrorPage:
		if d != nil {
			return withDefaults(*d, status)
		}
	case LoginPage:
		d.Base = d.Base.withDefaults()
		return d
	case LogoutPage:
		d.Base = d.Base.withDefaults()
		return d
	case ErrorPage:
		d.Base = d.Base.withDefaults()
		if d.Status == 0 {
			d.Status = status
		}
		return d
	}
	return data
}

func (b Base) withDefaults() Base {
	if b.Prefix == "" {
		b.Prefix = DefaultPrefix
	}
	return b
}
