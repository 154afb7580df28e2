package web

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

func newRenderer(t *testing.T, overrideDir string) *Renderer {
	t.Helper()
	r, err := New(overrideDir)
	if err != nil {
		t.Fatalf("New(%q): %v", overrideDir, err)
	}
	return r
}

// render renders page and returns the response recorder, failing the test on error.
func render(t *testing.T, r *Renderer, status int, page string, data any) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := r.Render(rec, status, page, data); err != nil {
		t.Fatalf("Render(%q): %v", page, err)
	}
	return rec
}

var (
	forAttr   = regexp.MustCompile(`\bfor="([^"]*)"`)
	describe  = regexp.MustCompile(`\baria-describedby="([^"]*)"`)
	labelled  = regexp.MustCompile(`\baria-labelledby="([^"]*)"`)
	scriptTag = regexp.MustCompile(`<script[^>]*>`)
	// theScript is the only script a page may have: the WebAuthn file, versioned, deferred.
	theScript = regexp.MustCompile(`^<script src="/\.gatehouse/static/webauthn\.js\?v=[0-9a-f]{12}" defer>$`)
)

// checkReferences fails when a label's for=, an aria-describedby= or an aria-labelledby=
// names no element id.
func checkReferences(t *testing.T, body string) {
	t.Helper()
	for _, re := range []*regexp.Regexp{forAttr, describe, labelled} {
		for _, m := range re.FindAllStringSubmatch(body, -1) {
			if !strings.Contains(body, `id="`+m[1]+`"`) {
				t.Errorf("%s refers to id %q, which is not on the page", m[0], m[1])
			}
		}
	}
}

// checkScripts fails unless the page's only script is the WebAuthn file, on the pages that
// need it, and nothing else could run script: no inline script, no event handler attributes.
func checkScripts(t *testing.T, page, body string) {
	t.Helper()
	tags := scriptTag.FindAllString(body, -1)
	switch {
	case !slices.Contains(scriptPages, page) && len(tags) != 0:
		t.Errorf("page %q has script %v", page, tags)
	case slices.Contains(scriptPages, page) && (len(tags) != 1 || !theScript.MatchString(tags[0])):
		t.Errorf("page %q has scripts %v, want only webauthn.js", page, tags)
	}
	if strings.Count(body, "<script") != len(tags) || strings.Count(body, "</script>") != len(tags) ||
		strings.Contains(body, "defer></script>") != (len(tags) == 1) {
		t.Errorf("page %q has an inline script", page)
	}
	if handler := regexp.MustCompile(`\son[a-z]+=`).FindString(body); handler != "" {
		t.Errorf("page %q has an event handler attribute %q", page, handler)
	}
}

func TestRenderPages(t *testing.T) {
	base := Base{Prefix: "/.gatehouse"}
	signedIn := Base{Prefix: "/.gatehouse", User: "alice"}
	const (
		begin  = `data-begin="/.gatehouse/mfa/webauthn/begin" data-finish="/.gatehouse/mfa/webauthn/finish" data-csrf="tok"`
		secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
		qr     = "data:image/png;base64,iVBORw0KGgo="
	)
	mfa := func(p MFAPage) MFAPage {
		p.Base, p.RD, p.CSRF = signedIn, "/admin/", "tok"
		p.BeginURL, p.FinishURL = "/.gatehouse/mfa/webauthn/begin", "/.gatehouse/mfa/webauthn/finish"
		return p
	}
	setup := func(p MFASetupPage) MFASetupPage {
		p.Base, p.RD, p.CSRF = signedIn, "/admin/", "tok"
		p.RegisterBeginURL, p.RegisterFinishURL = "/.gatehouse/mfa/webauthn/begin", "/.gatehouse/mfa/webauthn/finish"
		return p
	}
	tests := []struct {
		name    string
		status  int
		page    string
		data    any
		want    []string
		notWant []string
		count   map[string]int // substrings that must occur exactly so many times
	}{
		{
			name: "login with error", status: http.StatusUnauthorized, page: "login",
			data: LoginPage{Base: base, RD: "/app?x=1", CSRF: "tok123", Username: "alice",
				Error: "Wrong username or password.", LocalLogin: true},
			want: []string{
				`<html lang="en">`, `<main`, `<title>Sign in · Gatehouse</title>`,
				`href="/.gatehouse/static/gatehouse.css?v=`, `<h1>Sign in</h1>`,
				`<form class="stack" method="post" action="/.gatehouse/login">`,
				`<input type="hidden" name="rd" value="/app?x=1">`,
				`<input type="hidden" name="csrf" value="tok123">`,
				`<label for="username">Username</label>`, `id="username" name="username"`,
				`<label for="password">Password</label>`, `id="password" name="password" type="password"`,
				`autocomplete="username"`, `autocomplete="current-password"`, `value="alice"`,
				`role="alert">Wrong username or password.</p>`, `aria-describedby="login-error"`,
				`aria-invalid="true"`, `<button class="button primary" type="submit">Sign in</button>`,
			},
			notWant: []string{`class="divider"`, `class="providers"`, `role="status"`},
		},
		{
			name: "login without error", status: http.StatusOK, page: "login",
			data: LoginPage{Base: base, RD: "/", CSRF: "tok", Notice: "You have signed out.", LocalLogin: true},
			want: []string{
				`role="status">You have signed out.</p>`, `action="/.gatehouse/login"`,
				`name="csrf" value="tok"`, `name="rd" value="/"`,
			},
			notWant: []string{`role="alert"`, `aria-describedby`, `aria-invalid`},
		},
		{
			name: "login with providers", status: http.StatusOK, page: "login",
			data: LoginPage{Base: base, LocalLogin: true, Providers: []Provider{
				{Name: "google", DisplayName: "Google", StartURL: "/.gatehouse/start/google?rd=%2F"},
				{Name: "github", Icon: "data:image/png;base64,AAAA", StartURL: "/.gatehouse/start/github"},
				{Name: "evil", Icon: "javascript:alert(1)", StartURL: "/.gatehouse/start/evil"},
			}},
			want: []string{
				`<p class="divider"><span>or</span></p>`,
				`href="/.gatehouse/start/google?rd=%2F"`, `Sign in with Google`, `Sign in with github`,
				`<img src="data:image/png;base64,AAAA" alt=""`,
			},
			notWant: []string{`javascript:`},
		},
		{
			name: "providers only", status: http.StatusOK, page: "login",
			data:    LoginPage{Base: base, Providers: []Provider{{Name: "google", DisplayName: "Google", StartURL: "/s"}}},
			want:    []string{`Sign in with Google`},
			notWant: []string{`<form`, `class="divider"`},
		},
		{
			name: "no way to sign in", status: http.StatusOK, page: "login",
			data:    LoginPage{Base: base},
			want:    []string{`No way to sign in is set up`},
			notWant: []string{`<form`},
		},
		{
			name: "logout", status: http.StatusOK, page: "logout",
			data: LogoutPage{Base: signedIn, RD: "/app", CSRF: "tok"},
			want: []string{
				`<title>Sign out · Gatehouse</title>`, `Sign out of Gatehouse?`, `<strong>alice</strong>`,
				`method="post" action="/.gatehouse/logout"`, `name="rd" value="/app"`, `name="csrf" value="tok"`,
				`<button class="button primary" type="submit">Sign out</button>`,
				`<a class="button secondary" href="/app">Cancel</a>`,
			},
		},
		{
			name: "logout cancel defaults to home", status: http.StatusOK, page: "logout",
			data: LogoutPage{Base: base, CSRF: "tok"},
			want: []string{`<a class="button secondary" href="/">Cancel</a>`},
		},
		{
			name: "403 with sign out", status: http.StatusForbidden, page: "error",
			data: ErrorPage{Base: signedIn, Status: http.StatusForbidden,
				Message: "Signed in as alice. This area needs the admin role.", SignOut: true, CSRF: "tok", RD: "/admin"},
			want: []string{
				`<title>You don&#39;t have access to this page · Gatehouse</title>`, `Error 403`,
				`You don&#39;t have access to this page</h1>`, `This area needs the admin role.`,
				`<a class="button primary" href="/">Go to the home page</a>`,
				`action="/.gatehouse/logout"`, `name="csrf" value="tok"`, `name="rd" value="/admin"`,
				`<button class="button secondary" type="submit">Sign in as someone else</button>`,
			},
		},
		{
			name: "429 defaults", status: http.StatusTooManyRequests, page: "error",
			data:    ErrorPage{Base: base, Status: http.StatusTooManyRequests},
			want:    []string{`Too many attempts</h1>`, `Please wait a moment`, `Go to the home page`},
			notWant: []string{`Sign in as someone else`, `<form`},
		},
		{
			name: "custom heading and title", status: http.StatusServiceUnavailable, page: "error",
			data: ErrorPage{Base: Base{Prefix: "/.gatehouse", Title: "Maintenance"},
				Status: http.StatusServiceUnavailable, Heading: "Back soon"},
			want: []string{`<title>Maintenance · Gatehouse</title>`, `Back soon</h1>`, `Error 503`},
		},
		{
			name: "mfa with every factor", status: http.StatusOK, page: "mfa",
			data: mfa(MFAPage{TOTP: true, WebAuthn: true, Backup: true}),
			want: []string{
				`<title>Confirm it's you · Gatehouse</title>`, `<main class="card wide">`,
				`<h1>Confirm it's you</h1>`, `You are signed in as <strong>alice</strong>.`,
				`<form class="stack" method="post" action="/.gatehouse/mfa">`,
				`<label for="code">Enter the 6-digit code from your authenticator app</label>`,
				`id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}"`,
				`<button class="button primary" type="submit">Verify</button>`,
				`<p class="divider"><span>or</span></p>`,
				`<button class="button secondary" type="button" data-webauthn="login" ` + begin + `>`,
				`<span>Use a security key or passkey</span></button>`,
				`<noscript><p class="hint">Security keys and passkeys need JavaScript`,
				`<summary>Use a backup code</summary>`,
				`<label for="backup_code">Backup code</label>`, `id="backup_code" name="backup_code" type="text" autocomplete="off"`,
				`<button class="button secondary" type="submit">Use backup code</button>`,
				`<a href="/.gatehouse/logout">Sign out</a>`,
			},
			notWant: []string{`role="alert"`, `aria-invalid`, `No second factor`},
			count: map[string]int{
				`action="/.gatehouse/mfa"`: 2, `<input type="hidden" name="rd" value="/admin/">`: 2,
				`<input type="hidden" name="csrf" value="tok">`: 2,
			},
		},
		{
			name: "mfa code with error", status: http.StatusUnauthorized, page: "mfa",
			data: mfa(MFAPage{TOTP: true, Error: "That code is not valid."}),
			want: []string{
				`<p class="alert" id="mfa-error" role="alert">That code is not valid.</p>`,
				`required autofocus aria-invalid="true" aria-describedby="mfa-error">`,
			},
			notWant: []string{`data-webauthn`, `<details`, `class="divider"`, `backup_code`},
		},
		{
			name: "mfa security key only", status: http.StatusOK, page: "mfa",
			data:    mfa(MFAPage{WebAuthn: true, Notice: "Your security key is registered."}),
			want:    []string{`<button class="button primary" type="button" data-webauthn="login" ` + begin + `>`, `role="status">Your security key is registered.</p>`},
			notWant: []string{`name="code"`, `class="divider"`, `<form`},
		},
		{
			name: "mfa with no factor", status: http.StatusOK, page: "mfa",
			data:    MFAPage{Base: base},
			want:    []string{`No second factor is available for your account.`},
			notWant: []string{`<form`, `data-webauthn`, `Sign out`, `<strong>`},
		},
		{
			name: "setup an authenticator app", status: http.StatusOK, page: "mfa_setup",
			data: setup(MFASetupPage{QR: qr, Secret: secret, Account: "alice", Issuer: "Acme", WebAuthn: true}),
			want: []string{
				`<title>Set up a second factor · Gatehouse</title>`, `<main class="card wide">`,
				`<h1>Set up a second factor</h1>`, `with your phone or a security key.`,
				`<h2 id="totp-heading">Authenticator app</h2>`,
				`<img class="qr" src="` + qr + `" alt="QR code that adds alice to an authenticator app" width="200" height="200">`,
				`<code class="secret" id="totp-secret"><span>JBSW</span><wbr><span>Y3DP</span><wbr><span>EHPK</span>`,
				`<dt>Account</dt><dd>alice</dd>`, `<dt>Issuer</dt><dd>Acme</dd>`, `<dt>Type</dt><dd>Time-based</dd>`,
				`<form class="stack" method="post" action="/.gatehouse/mfa/setup">`,
				`<input type="hidden" name="rd" value="/admin/">`, `<input type="hidden" name="csrf" value="tok">`,
				`<label for="code">Enter the 6-digit code the app shows</label>`,
				`id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}"`,
				`<button class="button primary" type="submit">Turn on</button>`,
				`<button class="button secondary" type="button" data-webauthn="register" ` + begin + `>`,
				`<span>Register a security key or passkey</span></button>`,
			},
			notWant: []string{`class="codes"`, `Your second factors`, `/mfa/backup-codes`, `Continue`, `autofocus`, `role="alert"`},
		},
		{
			name: "setup just done, backup codes shown once", status: http.StatusOK, page: "mfa_setup",
			data: setup(MFASetupPage{Notice: "Your authenticator app is set up.", WebAuthn: true,
				BackupCodes: []string{"7k2m-9qxd", "p4fz-a8wn"}, TOTPEnrolled: true, BackupLeft: 2,
				Enrolled: true, Continue: "/admin/"}),
			want: []string{
				`role="status">Your authenticator app is set up.</p>`,
				`<h2 id="codes-heading">Save your backup codes</h2>`, `This is the only time they are shown.`,
				"<ol class=\"codes\">\n<li><code>7k2m-9qxd</code></li>\n<li><code>p4fz-a8wn</code></li>\n</ol>",
				`<h2 id="factors-heading">Your second factors</h2>`,
				`<dt>Authenticator app</dt><dd>Set up</dd>`, `<dt>Security keys and passkeys</dt><dd>None</dd>`,
				`<dt>Backup codes</dt><dd>2 left</dd>`,
				`<a class="button primary continue" href="/admin/">Continue</a>`,
				`data-webauthn="register"`,
			},
			// No "new codes" button right under codes that were just shown.
			notWant: []string{`class="qr"`, `/mfa/backup-codes`, `name="code"`},
		},
		{
			name: "setup managing factors", status: http.StatusOK, page: "mfa_setup",
			data: setup(MFASetupPage{Keys: 2, BackupLeft: 7, Enrolled: true}),
			want: []string{
				`Your account has a second factor.`,
				`<dt>Authenticator app</dt><dd>Not set up</dd>`, `<dt>Security keys and passkeys</dt><dd>2</dd>`,
				`<dt>Backup codes</dt><dd>7 left</dd>`,
				`<form class="stack tight" method="post" action="/.gatehouse/mfa/backup-codes">`,
				`<button class="button secondary" type="submit" aria-describedby="regenerate-hint">Get new backup codes</button>`,
			},
			notWant: []string{`class="codes"`, `data-webauthn`, `Continue`, `class="qr"`, `name="code"`},
		},
		{
			name: "setup with a wrong code", status: http.StatusBadRequest, page: "mfa_setup",
			data: setup(MFASetupPage{QR: qr, Secret: secret, Error: "That code is not valid."}),
			want: []string{
				`<p class="alert" id="setup-error" role="alert">That code is not valid.</p>`,
				`required autofocus aria-invalid="true" aria-describedby="setup-error">`,
				`alt="QR code that adds your account to an authenticator app"`, `with an app on your phone.`,
			},
			notWant: []string{`<dt>Account</dt>`, `<dt>Issuer</dt>`, `data-webauthn`},
		},
		{
			name: "setup with nothing to set up", status: http.StatusOK, page: "mfa_setup",
			data:    MFASetupPage{Base: base},
			want:    []string{`No second factor can be set up for your account here.`},
			notWant: []string{`<form`, `<section`, `data-webauthn`},
		},
	}
	r := newRenderer(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := render(t, r, tt.status, tt.page, tt.data)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			body := rec.Body.String()
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %s", s)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(body, s) {
					t.Errorf("page has %s", s)
				}
			}
			for s, n := range tt.count {
				if got := strings.Count(body, s); got != n {
					t.Errorf("page has %s %d times, want %d", s, got, n)
				}
			}
			checkReferences(t, body)
			checkScripts(t, tt.page, body)
			// The Content-Security-Policy blocks inline styles and other sites.
			for _, s := range []string{`style=`, `<style`, `http://`, `https://`, `ZgotmplZ`} {
				if strings.Contains(body, s) {
					t.Errorf("page has %s", s)
				}
			}
			if t.Failed() {
				t.Log(body)
			}
		})
	}
}

func TestRenderEscapesUserValues(t *testing.T) {
	r := newRenderer(t, "")
	rec := render(t, r, http.StatusUnauthorized, "login", LoginPage{
		Base:       Base{Prefix: DefaultPrefix},
		RD:         `"><script>alert(1)</script>`,
		CSRF:       `x" onfocus="alert(1)`,
		Username:   `<script>alert(1)</script>`,
		Error:      `<b>bold</b>`,
		LocalLogin: true,
	})
	body := rec.Body.String()
	for _, s := range []string{`<script>`, `<b>`, `" onfocus="`} {
		if strings.Contains(body, s) {
			t.Errorf("page has unescaped %s", s)
		}
	}
	for _, s := range []string{`value="&lt;script&gt;alert(1)&lt;/script&gt;"`, `&lt;b&gt;bold&lt;/b&gt;`} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks escaped %s", s)
		}
	}

	rec = render(t, r, http.StatusOK, "logout", LogoutPage{Base: Base{User: "<i>mallory</i>"}, RD: "javascript:alert(1)"})
	body = rec.Body.String()
	if strings.Contains(body, "<i>mallory") || strings.Contains(body, `href="javascript:`) {
		t.Errorf("logout page has an unescaped user name or script link:\n%s", body)
	}

	evil := `"><script>alert(1)</script>`
	pages := []struct {
		page string
		data any
	}{
		{"mfa", MFAPage{CSRF: evil, RD: evil, BeginURL: evil, FinishURL: evil, Error: evil, TOTP: true, WebAuthn: true, Backup: true}},
		{"mfa_setup", MFASetupPage{CSRF: evil, RD: evil, QR: "javascript:alert(1)", Secret: evil, Account: evil, Issuer: evil,
			WebAuthn: true, RegisterBeginURL: evil, RegisterFinishURL: evil, BackupCodes: []string{evil}, Enrolled: true, Continue: "javascript:alert(1)"}},
	}
	for _, p := range pages {
		body := render(t, r, http.StatusOK, p.page, p.data).Body.String()
		for _, s := range []string{`"><script>`, `javascript:`, `<img`} {
			if strings.Contains(body, s) {
				t.Errorf("%s page has %s", p.page, s)
			}
		}
		checkScripts(t, p.page, body)
	}
}

func TestRenderSecurityHeaders(t *testing.T) {
	const (
		noScript = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
		script   = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	)
	tests := []struct {
		page string
		data any
		csp  string
	}{
		{"error", ErrorPage{Status: http.StatusForbidden}, noScript},
		{"login", LoginPage{LocalLogin: true}, noScript},
		{"logout", LogoutPage{}, noScript},
		{"mfa", MFAPage{TOTP: true, WebAuthn: true}, script},
		{"mfa_setup", MFASetupPage{WebAuthn: true}, script},
	}
	r := newRenderer(t, "")
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			rec := render(t, r, http.StatusForbidden, tt.page, tt.data)
			want := map[string]string{
				"Content-Type":            "text/html; charset=utf-8",
				"Cache-Control":           "no-store",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "same-origin",
				"X-Frame-Options":         "DENY",
				"Content-Security-Policy": tt.csp,
			}
			for k, v := range want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if rec.Code != http.StatusForbidden {
				t.Errorf("status = %d, want 403", rec.Code)
			}
		})
	}
}

func TestRenderDefaults(t *testing.T) {
	r := newRenderer(t, "")
	tests := []struct {
		name   string
		status int
		data   any
		want   []string
	}{
		{"zero status comes from Render", http.StatusNotFound, ErrorPage{}, []string{"Error 404", "Page not found</h1>"}},
		{"pointer data", http.StatusInternalServerError, &ErrorPage{}, []string{"Error 500", "Something went wrong</h1>"}},
		{"empty prefix", http.StatusOK, &LoginPage{LocalLogin: true}, []string{`action="/.gatehouse/login"`, `href="/.gatehouse/static/gatehouse.css?v=`}},
		{"mfa pointer", http.StatusOK, &MFAPage{TOTP: true}, []string{`action="/.gatehouse/mfa"`, `src="/.gatehouse/static/webauthn.js?v=`}},
		{"mfa setup pointer", http.StatusOK, &MFASetupPage{QR: "data:image/png;base64,AAAA"}, []string{`action="/.gatehouse/mfa/setup"`, `src="/.gatehouse/static/webauthn.js?v=`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := render(t, r, tt.status, pageOf(tt.data), tt.data).Body.String()
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %s\n%s", s, body)
				}
			}
		})
	}
	// The caller's data is not changed.
	p := &ErrorPage{}
	render(t, r, http.StatusNotFound, "error", p)
	if p.Status != 0 || p.Prefix != "" {
		t.Errorf("Render changed the caller's data: %+v", p)
	}
}

func pageOf(data any) string {
	switch data.(type) {
	case LoginPage, *LoginPage:
		return "login"
	case LogoutPage, *LogoutPage:
		return "logout"
	case MFAPage, *MFAPage:
		return "mfa"
	case MFASetupPage, *MFASetupPage:
		return "mfa_setup"
	}
	return "error"
}

func TestRenderFailureWritesNothing(t *testing.T) {
	r := newRenderer(t, "")
	tests := []struct {
		name   string
		status int
		page   string
		data   any
	}{
		{"unknown page", http.StatusOK, "signin", LoginPage{}},
		{"wrong data type", http.StatusOK, "login", struct{ Prefix string }{"/x"}},
		{"data of another page", http.StatusOK, "mfa_setup", MFAPage{}},
		{"invalid status", 42, "login", LoginPage{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := r.Render(rec, tt.status, tt.page, tt.data); err == nil {
				t.Fatal("Render succeeded, want an error")
			}
			if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
				t.Errorf("Render wrote %d bytes and headers %v", rec.Body.Len(), rec.Header())
			}
		})
	}
}

func TestRenderConcurrent(t *testing.T) {
	r := newRenderer(t, "")
	data := map[string]any{
		"login":  LoginPage{LocalLogin: true, Error: "Wrong username or password."},
		"logout": LogoutPage{},
		"error":  ErrorPage{Status: http.StatusForbidden},
		"mfa":    MFAPage{TOTP: true, WebAuthn: true, Backup: true},
		"mfa_setup": MFASetupPage{QR: "data:image/png;base64,AAAA", Secret: "JBSWY3DPEHPK3PXP", WebAuthn: true,
			BackupCodes: []string{"a", "b"}, Enrolled: true},
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, page := range Pages() {
				if err := r.Render(httptest.NewRecorder(), http.StatusOK, page, data[page]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

func TestPages(t *testing.T) {
	got := Pages()
	if want := []string{"error", "login", "logout", "mfa", "mfa_setup"}; !slices.Equal(got, want) {
		t.Fatalf("Pages() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if Pages()[0] != "error" {
		t.Error("Pages() returns a slice that changes the package's list")
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestNewOverride(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"login.html": `{{template "layout" .}}{{define "title"}}Welcome{{end}}` +
			`{{define "content"}}<h1>Welcome to ACME</h1><p>{{.Username}}</p>{{end}}`,
		".DS_Store": "ignored",
	})
	r := newRenderer(t, dir)

	body := render(t, r, http.StatusOK, "login", LoginPage{Username: "bob"}).Body.String()
	for _, s := range []string{"<title>Welcome · Gatehouse</title>", "Welcome to ACME", "<p>bob</p>", "gatehouse.css"} {
		if !strings.Contains(body, s) {
			t.Errorf("overridden login page lacks %s\n%s", s, body)
		}
	}
	body = render(t, r, http.StatusOK, "logout", LogoutPage{}).Body.String()
	if !strings.Contains(body, "Sign out of Gatehouse?") {
		t.Errorf("logout page is not the embedded one:\n%s", body)
	}
}

func TestNewOverrideErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error
	}{
		{
			name:  "unknown file name",
			files: map[string]string{"signin.html": "<p>hi</p>"},
			want:  []string{"signin.html", "error.html", "layout.html", "login.html", "logout.html", "mfa.html", "mfa_setup.html"},
		},
		{
			name:  "broken template",
			files: map[string]string{"login.html": "{{template \"layout\" .}}\n{{define \"content\"}}\n{{if .Error}}\n{{end}"},
			want:  []string{filepath.Join("DIR", "login.html"), "login.html:4"},
		},
		{
			name:  "missing field",
			files: map[string]string{"error.html": `{{template "layout" .}}{{define "content"}}{{.Headline}}{{end}}`},
			want:  []string{"error.html", "Headline"},
		},
		{
			name:  "broken layout",
			files: map[string]string{"layout.html": `{{define "layout"}}{{.Prefix`},
			want:  []string{"layout.html:1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := New(dir)
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			for _, s := range tt.want {
				s = strings.Replace(s, "DIR", dir, 1)
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}

	if _, err := New(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("New with a missing folder succeeded, want an error")
	}
}

func TestStatic(t *testing.T) {
	r := newRenderer(t, "")
	css := r.static["gatehouse.css"]
	tests := []struct {
		name        string
		method      string
		target      string
		header      map[string]string
		wantStatus  int
		wantType    string
		wantCaching string
	}{
		{name: "stylesheet", target: "/gatehouse.css", wantStatus: 200, wantType: "text/css; charset=utf-8", wantCaching: cacheUnversioned},
		{name: "versioned stylesheet", target: "/gatehouse.css?v=" + css.version, wantStatus: 200, wantType: "text/css; charset=utf-8", wantCaching: cacheVersioned},
		{name: "stale version", target: "/gatehouse.css?v=old", wantStatus: 200, wantCaching: cacheUnversioned},
		{name: "favicon", target: "/favicon.svg", wantStatus: 200, wantType: "image/svg+xml"},
		{name: "script", target: "/webauthn.js", wantStatus: 200, wantType: "text/javascript; charset=utf-8", wantCaching: cacheUnversioned},
		{name: "versioned script", target: "/webauthn.js?v=" + r.static["webauthn.js"].version, wantStatus: 200, wantType: "text/javascript; charset=utf-8", wantCaching: cacheVersioned},
		{name: "head", method: http.MethodHead, target: "/gatehouse.css", wantStatus: 200, wantType: "text/css; charset=utf-8"},
		{name: "not modified", target: "/gatehouse.css", header: map[string]string{"If-None-Match": `"` + css.version + `"`}, wantStatus: 304},
		{name: "post", method: http.MethodPost, target: "/gatehouse.css", wantStatus: 405},
		{name: "traversal", target: "/../embed.go", wantStatus: 404},
		{name: "root", target: "/", wantStatus: 404},
		{name: "directory prefix", target: "/static/gatehouse.css", wantStatus: 404},
		{name: "template", target: "/templates/login.html", wantStatus: 404},
		{name: "unknown", target: "/app.js", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, "/", nil)
			// Set the path directly: the caller hands over paths after prefix stripping, and
			// NewRequest would clean "/../embed.go".
			req.URL.Path, req.URL.RawQuery, _ = strings.Cut(tt.target, "?")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			r.Static().ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantType != "" && rec.Header().Get("Content-Type") != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", rec.Header().Get("Content-Type"), tt.wantType)
			}
			if tt.wantCaching != "" && rec.Header().Get("Cache-Control") != tt.wantCaching {
				t.Errorf("Cache-Control = %q, want %q", rec.Header().Get("Cache-Control"), tt.wantCaching)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("X-Content-Type-Options is not nosniff")
			}
			if tt.wantStatus == 200 && method == http.MethodGet && rec.Body.Len() == 0 {
				t.Error("empty body")
			}
		})
	}
}

// TestStylesheetIsSelfContained guards the "no external assets" rule.
func TestStylesheetIsSelfContained(t *testing.T) {
	css, err := files.ReadFile("static/gatehouse.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"@import", "url(", "@font-face", "http:", "https:"} {
		if strings.Contains(string(css), s) {
			t.Errorf("gatehouse.css contains %s", s)
		}
	}
	for _, s := range []string{"prefers-color-scheme: dark", ":focus-visible"} {
		if !strings.Contains(string(css), s) {
			t.Errorf("gatehouse.css lacks %s", s)
		}
	}
}

// TestSetupSecret checks that the TOTP key reads in groups of four yet copies as one string:
// the groups are separate elements with no spaces between them.
func TestSetupSecret(t *testing.T) {
	tag := regexp.MustCompile(`<[^>]*>`)
	key := regexp.MustCompile(`<code class="secret" id="totp-secret">(.*?)</code>`)
	r := newRenderer(t, "")
	for _, secret := range []string{"JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE"} {
		body := render(t, r, http.StatusOK, "mfa_setup", MFASetupPage{QR: "data:image/png;base64,AAAA", Secret: secret}).Body.String()
		m := key.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no key on the page:\n%s", body)
		}
		if got := tag.ReplaceAllString(m[1], ""); got != secret {
			t.Errorf("key text = %q, want %q", got, secret)
		}
		if got, want := strings.Count(m[1], "<span>"), (len(secret)+3)/4; got != want {
			t.Errorf("key %s has %d groups, want %d", secret, got, want)
		}
	}
}

func TestGroups(t *testing.T) {
	tests := []struct {
		size int
		in   string
		want []string
	}{
		{4, "", nil},
		{4, "ABC", []string{"ABC"}},
		{4, "JBSWY3DP", []string{"JBSW", "Y3DP"}},
		{4, "JBSWY3DPE", []string{"JBSW", "Y3DP", "E"}},
		{2, "äöüß", []string{"äö", "üß"}},
		{0, "AB", []string{"A", "B"}},
	}
	for _, tt := range tests {
		if got := groups(tt.size, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("groups(%d, %q) = %q, want %q", tt.size, tt.in, got, tt.want)
		}
	}
}

// TestScriptIsSmallAndSelfContained guards the rules of webauthn.js: hand-written and short,
// nothing loaded from elsewhere, no HTML built from strings (server messages go in as text).
func TestScriptIsSmallAndSelfContained(t *testing.T) {
	js, err := files.ReadFile("static/webauthn.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(js)
	if n := strings.Count(src, "\n"); n >= 150 {
		t.Errorf("webauthn.js has %d lines, want fewer than 150", n)
	}
	for _, s := range []string{"http://", "https://", "import ", "require(", "eval(", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"} {
		if strings.Contains(src, s) {
			t.Errorf("webauthn.js contains %s", s)
		}
	}
	for _, s := range []string{`data-webauthn="login"`, `data-webauthn="register"`, "X-Gatehouse-CSRF", "navigator.credentials",
		`credentials: "same-origin"`, "location.assign", "textContent", `"role", "alert"`} {
		if !strings.Contains(src, s) {
			t.Errorf("webauthn.js lacks %s", s)
		}
	}
}

// TestCodeLabelFollowsDigits: with `totp digits 8` the labels ask for an 8-digit code.
func TestCodeLabelFollowsDigits(t *testing.T) {
	r := newRenderer(t, "")
	for _, tc := range []struct {
		page string
		data any
	}{
		{"mfa", MFAPage{TOTP: true, Digits: 8}},
		{"mfa_setup", MFASetupPage{QR: "data:image/png;base64,iVBORw0KGgo=", Secret: "JBSWY3DPEHPK3PXP", Digits: 8}},
	} {
		body := render(t, r, 200, tc.page, tc.data).Body.String()
		if !strings.Contains(body, "8-digit code") || strings.Contains(body, "6-digit") {
			t.Errorf("%s page with Digits 8 does not ask for an 8-digit code", tc.page)
		}
	}
}
