// Package web renders Gatehouse's portal pages (sign in, sign out, errors, second factors) from
// embedded html/template files and serves their stylesheet and script. Only the second-factor
// pages run script: one small same-site file for security keys and passkeys. No page loads
// anything from other sites. A folder of templates can replace the embedded ones by file name.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

//go:embed templates/*.html static/*
var files embed.FS

// layoutFile is the template file that holds the page skeleton shared by every page.
const layoutFile = "layout.html"

// pageNames are the pages Render accepts; each is also the template file page + ".html".
var pageNames = []string{"error", "login", "logout", "mfa", "mfa_setup"}

// scriptPages are the pages that load static/webauthn.js; see policyFor.
var scriptPages = []string{"mfa", "mfa_setup"}

// contentSecurityPolicy allows the pages nothing but their own stylesheet, images and forms.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// scriptContentSecurityPolicy adds same-site script files (no inline script) and same-site
// fetch to contentSecurityPolicy, for the pages that talk to the WebAuthn endpoints.
const scriptContentSecurityPolicy = "default-src 'none'; script-src 'self'; connect-src 'self'; " +
	"style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// policyFor returns the Content-Security-Policy header of page.
func policyFor(page string) string {
	if slices.Contains(scriptPages, page) {
		return scriptContentSecurityPolicy
	}
	return contentSecurityPolicy
}

// Renderer renders the portal pages. It is safe for concurrent use.
type Renderer struct {
	pages  map[string]*template.Template // by page name
	static map[string]staticFile         // by file name under static/
}

// Pages returns the page names that Render accepts: "error", "login", "logout", "mfa" and
// "mfa_setup". Each page comes from the template file of the same name plus ".html", wrapped
// in layout.html.
func Pages() []string {
	return slices.Clone(pageNames)
}

// templateFileNames returns the file names a template override folder may hold.
func templateFileNames() []string {
	names := []string{layoutFile}
	for _, p := range pageNames {
		names = append(names, p+".html")
	}
	slices.Sort(names)
	return names
}

// New parses the embedded templates. When overrideDir is not empty, every file in it replaces
// the embedded template of the same name (layout.html, error.html, login.html, logout.html,
// mfa.html, mfa_setup.html); any other file name is an error, to catch typos. Hidden files (".name") are ignored. Each
// page is executed once with sample data, so a template that refers to a missing field fails
// here rather than on a request. Errors name the offending file and line.
func New(overrideDir string) (*Renderer, error) {
	assets, err := loadStatic()
	if err != nil {
		return nil, err
	}
	sources, err := loadTemplates(overrideDir)
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: make(map[string]*template.Template), static: assets}
	funcs := templateFuncs(assets)
	for _, page := range pageNames {
		set := template.New(page).Funcs(funcs)
		for _, name := range []string{layoutFile, page + ".html"} {
			src := sources[name]
			if _, err := set.New(name).Parse(src.text); err != nil {
				return nil, fmt.Errorf("parsing template %s: %w", src.origin, err)
			}
		}
		t := set.Lookup(page + ".html")
		for _, sample := range samples(page) {
			if err := t.Execute(io.Discard, sample); err != nil {
				return nil, fmt.Errorf("checking page %q (from %s): %w", page, sources[page+".html"].origin, err)
			}
		}
		r.pages[page] = t
	}
	return r, nil
}

// Render writes page (one of Pages) with data of the page's type (LoginPage, LogoutPage,
// ErrorPage, MFAPage, MFASetupPage, or a pointer to one) and the given status. The page is
// executed into a buffer first: on error nothing is written and the caller answers instead.
// Status 0 means 200. An ErrorPage with Status 0 shows status; an empty Prefix means
// DefaultPrefix. The "mfa" and "mfa_setup" pages get a Content-Security-Policy that also allows
// same-site script and fetch; the others allow no script at all.
func (r *Renderer) Render(w http.ResponseWriter, status int, page string, data any) error {
	t, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("rendering unknown page %q: valid pages are %s", page, strings.Join(pageNames, ", "))
	}
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 999 {
		return fmt.Errorf("rendering page %q: invalid status %d", page, status)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, withDefaults(data, status)); err != nil {
		return fmt.Errorf("rendering page %q: %w", page, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer, browsers send `Origin: null` on
	// the portal's own form posts, which the same-origin check must refuse.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", policyFor(page))
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing page %q: %w", page, err)
	}
	return nil
}

// templateSource is the text of one template file and where it came from, for errors.
type templateSource struct {
	text   string
	origin string // "embedded login.html" or the override file's path
}

// loadTemplates reads the embedded templates, then replaces those found in overrideDir.
func loadTemplates(overrideDir string) (map[string]templateSource, error) {
	sources := make(map[string]templateSource)
	for _, name := range templateFileNames() {
		b, err := files.ReadFile("templates/" + name)
		if err != nil {
			return nil, fmt.Errorf("reading embedded template %s: %w", name, err)
		}
		sources[name] = templateSource{text: string(b), origin: "embedded " + name}
	}
	if overrideDir == "" {
		return sources, nil
	}
	entries, err := os.ReadDir(overrideDir)
	if err != nil {
		return nil, fmt.Errorf("reading template folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(overrideDir, name)
		if _, known := sources[name]; !known || e.IsDir() {
			return nil, fmt.Errorf("unknown template file %s: a template folder may only hold %s",
				path, strings.Join(templateFileNames(), ", "))
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading template: %w", err)
		}
		sources[name] = templateSource{text: string(b), origin: path}
	}
	return sources, nil
}

// samples returns data that takes every branch of page's template, to check it in New.
func samples(page string) []any {
	base := Base{Title: "Title", Prefix: DefaultPrefix, User: "alice", Nonce: "nonce"}
	switch page {
	case "login":
		return []any{LoginPage{Base: Base{Prefix: DefaultPrefix}}, LoginPage{
			Base: base, RD: "/", CSRF: "token", Username: "alice", Error: "Error.", Notice: "Notice.",
			Providers:  []Provider{{Name: "example", DisplayName: "Example", Icon: "/icon.svg", StartURL: "/start"}},
			LocalLogin: true,
		}}
	case "logout":
		return []any{LogoutPage{Base: Base{Prefix: DefaultPrefix}}, LogoutPage{Base: base, RD: "/", CSRF: "token"}}
	case "error":
		return []any{ErrorPage{Base: Base{Prefix: DefaultPrefix}}, ErrorPage{
			Base: base, Status: http.StatusForbidden, Heading: "Heading", Message: "Message.",
			SignOut: true, CSRF: "token", RD: "/",
		}}
	case "mfa":
		return []any{MFAPage{Base: Base{Prefix: DefaultPrefix}}, MFAPage{
			Base: base, RD: "/", CSRF: "token", Error: "Error.", Notice: "Notice.",
			TOTP: true, WebAuthn: true, Backup: true, BeginURL: "/begin", FinishURL: "/finish",
		}}
	case "mfa_setup":
		return []any{MFASetupPage{Base: Base{Prefix: DefaultPrefix}}, MFASetupPage{
			Base: base, RD: "/", CSRF: "token", Error: "Error.", Notice: "Notice.",
			QR: "data:image/png;base64,AAAA", Secret: "JBSWY3DPEHPK3PXP", Account: "alice", Issuer: "Acme",
			WebAuthn: true, RegisterBeginURL: "/begin", RegisterFinishURL: "/finish",
			BackupCodes: []string{"code"}, TOTPEnrolled: true, Keys: 1, BackupLeft: 1,
			Enrolled: true, Continue: "/",
		}}
	}
	return nil
}
