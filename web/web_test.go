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
	forAttr  = regexp.MustCompile(`\bfor="([^"]*)"`)
	describe = regexp.MustCompile(`\baria-describedby="([^"]*)"`)
)

// checkReferences fails when a label's for= or an aria-describedby= names no element id.
func checkReferences(t *testing.T, body string) {
	t.Helper()
	for _, re := range []*regexp.Regexp{forAttr, describe} {
		for _, m := range re.FindAllStringSubmatch(body, -1) {
			if !strings.Contains(body, `id="`+m[1]+`"`) {
				t.Errorf("%s refers to id %q, which is not on the page", m[0], m[1])
			}
		}
	}
}

func TestRenderPages(t *testing.T) {
	base := Base{Prefix: "/.gatehouse"}
	signedIn := Base{Prefix: "/.gatehouse", User: "alice"}
	tests := []struct {
		name    string
		status  int
		page    string
		data    any
		want    []string
		notWant []string
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
			checkReferences(t, body)
			// The Content-Security-Policy blocks inline styles, scripts and other sites.
			for _, s := range []string{`<script`, `style=`, `<style`, `http://`, `https://`, `ZgotmplZ`} {
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
}

func TestRenderSecurityHeaders(t *testing.T) {
	r := newRenderer(t, "")
	rec := render(t, r, http.StatusForbidden, "error", ErrorPage{Status: http.StatusForbidden})
	want := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if rec.Code != http.StatusForbidden {
		t.Errorf("status = %d, want 403", rec.Code)
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
	if want := []string{"error", "login", "logout"}; !slices.Equal(got, want) {
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
			want:  []string{"signin.html", "error.html", "layout.html", "login.html", "logout.html"},
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
