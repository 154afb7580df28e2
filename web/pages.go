package web

import "html/template"

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
	// Nonce is a per-response nonce; unused for now: the pages have no inline script, and the
	// second-factor pages load their one script from the static folder.
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

// MFAPage is the data of the "mfa" page, which asks for a second factor. It offers the factors
// whose flags are set; with none set it says that no second factor is available. The page
// loads static/webauthn.js, so Render sends it with a policy that allows same-site script.
type MFAPage struct {
	Base
	// Digits is the length of TOTP codes, for the label ("the 6-digit code"). Default: 6.
	Digits int
	// RD is the return URL, posted back in the hidden field "rd".
	RD string
	// CSRF is the form token, posted back in the hidden field "csrf" and sent by the script
	// in the X-Gatehouse-CSRF header.
	CSRF string
	// Error is shown in the alert region, e.g. "That code is not valid."
	Error string
	// Notice is a neutral message, e.g. "Your authenticator app is set up."
	Notice string
	// TOTP shows the form that posts the authenticator app's code in the field "code".
	TOTP bool
	// WebAuthn shows the "Use a security key or passkey" button, run by the script.
	WebAuthn bool
	// Backup shows a "Use a backup code" disclosure that posts the field "backup_code".
	Backup bool
	// BeginURL is where the script POSTs to start a WebAuthn sign-in. It answers
	// {"publicKey": PublicKeyCredentialRequestOptions} with base64url challenge and ids, as
	// go-webauthn marshals protocol.CredentialAssertion.
	BeginURL string
	// FinishURL is where the script POSTs the credential as JSON. It answers
	// {"redirect": "<url>"} on success, or a 4xx status with {"error": "<sentence>"}.
	FinishURL string
}

// MFASetupPage is the data of the "mfa_setup" page, where people enroll second factors: an
// authenticator app, security keys and passkeys, and backup codes. Like MFAPage it loads
// static/webauthn.js.
type MFASetupPage struct {
	Base
	// Digits is the length of TOTP codes, for the label. Default: 6.
	Digits int
	// RD is the return URL, posted back in the hidden field "rd".
	RD string
	// CSRF is the form token, posted back in the hidden field "csrf" and sent by the script
	// in the X-Gatehouse-CSRF header.
	CSRF string
	// Error is shown in the alert region, e.g. "That code is not valid."
	Error string
	// Notice is a neutral message, e.g. "Your security key is registered."
	Notice string
	// QR is the authenticator app enrollment's QR code, a data:image/png;base64,... URL. When
	// it is not empty the page shows it, the Secret in text and a form that posts "code" to
	// <prefix>/mfa/setup to confirm the enrollment. Like Provider.Icon, a URL that is neither
	// data:image/ nor a same-site path is not shown.
	QR template.URL
	// Secret is the TOTP secret in base32; the page shows it in groups of four.
	Secret string
	// Account is the account name the authenticator app shows, e.g. "alice".
	Account string
	// Issuer is the name the authenticator app shows above the account, e.g. "Acme".
	Issuer string
	// WebAuthn shows the "Register a security key or passkey" button, run by the script.
	WebAuthn bool
	// RegisterBeginURL is where the script POSTs to start a registration. It answers
	// {"publicKey": PublicKeyCredentialCreationOptions}, as go-webauthn marshals
	// protocol.CredentialCreation.
	RegisterBeginURL string
	// RegisterFinishURL is where the script POSTs the new credential as JSON. It answers
	// {"redirect": "<url>"} on success, or a 4xx status with {"error": "<sentence>"}.
	RegisterFinishURL string
	// BackupCodes are backup codes that were just generated. They are shown this once, with
	// the advice to store them; the section is hidden when the list is empty.
	BackupCodes []string
	// TOTPEnrolled tells whether the user has an authenticator app set up.
	TOTPEnrolled bool
	// Keys is the number of security keys and passkeys the user has registered.
	Keys int
	// BackupLeft is the number of unused backup codes the user has.
	BackupLeft int
	// Enrolled tells whether the user has any second factor. It shows the summary of the
	// user's factors, the form that regenerates backup codes (a POST with "csrf" and "rd" to
	// <prefix>/mfa/backup-codes) and the Continue link.
	Enrolled bool
	// Continue is where the "Continue" link leads once a factor is enrolled; hidden when empty.
	Continue string
	// TOTPRemovable shows a "Remove" button for the authenticator app (a POST with
	// factor=totp, "csrf" and "rd" to <prefix>/mfa/remove); false for a secret the admin
	// provisioned.
	TOTPRemovable bool
	// KeysRemovable shows a "Remove" button for the security keys (factor=keys).
	KeysRemovable bool
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
	case *MFAPage:
		if d != nil {
			return withDefaults(*d, status)
		}
	case *MFASetupPage:
		if d != nil {
			return withDefaults(*d, status)
		}
	case LoginPage:
		d.Base = d.Base.withDefaults()
		return d
	case LogoutPage:
		d.Base = d.Base.withDefaults()
		return d
	case MFAPage:
		d.Base = d.Base.withDefaults()
		return d
	case MFASetupPage:
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
