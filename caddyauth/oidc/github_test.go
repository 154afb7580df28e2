package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

const (
	ghClientID     = "gh-client"
	ghClientSecret = "gh-secret"
	ghRedirect     = "https://gate.example/.gatehouse/callback/gh"
)

// ghS256 is the PKCE S256 challenge of verifier (RFC 7636 section 4.2), computed here
// independently of the code under test.
func ghS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ghVerifier returns a fresh random PKCE verifier.
func ghVerifier(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ghAccount is one user of the fake GitHub. Orgs and Teams are pages of the list.
type ghAccount struct {
	User   githubUser
	Emails []githubEmail
	Orgs   [][]githubOrg
	Teams  [][]githubTeam
}

// ghGrant is an authorization code the fake issued.
type ghGrant struct {
	login, challenge, redirect string
}

// ghFake is a fake GitHub (or GitHub Enterprise Server when apiPrefix is "/api/v3"):
// the authorize and token endpoints and the REST API endpoints Gatehouse reads.
type ghFake struct {
	t          *testing.T
	srv        *httptest.Server
	apiPrefix  string
	accounts   map[string]ghAccount // by login
	foreignURL string               // when set, the first orgs page links "next" there

	mu     sync.Mutex
	grants map[string]ghGrant // by code
	tokens map[string]string  // access token → login
	fail   map[string]int     // path → status to answer
	hits   map[string]int     // path → requests
	codeNo int
}

func newGhFake(t *testing.T, apiPrefix string) *ghFake {
	t.Helper()
	f := &ghFake{
		t: t, apiPrefix: apiPrefix, accounts: ghAccounts(),
		grants: map[string]ghGrant{}, tokens: map[string]string{}, fail: map[string]int{}, hits: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", f.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", f.token)
	mux.HandleFunc("GET "+apiPrefix+"/user", f.api(func(a ghAccount, _ *http.Request) any { return a.User }))
	mux.HandleFunc("GET "+apiPrefix+"/user/emails", f.api(func(a ghAccount, _ *http.Request) any { return a.Emails }))
	mux.HandleFunc("GET "+apiPrefix+"/user/orgs", f.paged(func(a ghAccount) []any { return ghPagesOf(a.Orgs) }))
	mux.HandleFunc("GET "+apiPrefix+"/user/teams", f.paged(func(a ghAccount) []any { return ghPagesOf(a.Teams) }))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func ghPagesOf[T any](pages [][]T) []any {
	out := make([]any, len(pages))
	for i, p := range pages {
		out[i] = p
	}
	return out
}

// ghAccounts are the fake's users:
//   - Alice: in orgs Other and Acme (two pages), teams acme/ops and beta/dev (two pages);
//     several emails, one primary and verified.
//   - bob: in org Beta, teams beta/dev and acme/ops (the latter on page two).
//   - carol: in org Other and team other/qa only.
//   - dave: no verified primary email, no orgs.
func ghAccounts() map[string]ghAccount {
	return map[string]ghAccount{
		"Alice": {
			User: githubUser{Login: "Alice", ID: 1001, Name: "Alice Liddell"},
			Emails: []githubEmail{
				{Email: "old@alice.example", Primary: false, Verified: true},
				{Email: "alice@acme.example", Primary: true, Verified: true},
				{Email: "alice@spam.example", Primary: false, Verified: false},
			},
			Orgs:  [][]githubOrg{{{Login: "Other"}}, {{Login: "Acme"}}},
			Teams: [][]githubTeam{{{Slug: "ops", Organization: githubOrg{Login: "Acme"}}}, {{Slug: "dev", Organization: githubOrg{Login: "Beta"}}}},
		},
		"bob": {
			User:   githubUser{Login: "bob", ID: 1002, Name: "Bob"},
			Emails: []githubEmail{{Email: "bob@beta.example", Primary: true, Verified: true}},
			Orgs:   [][]githubOrg{{{Login: "Beta"}}},
			Teams:  [][]githubTeam{{{Slug: "dev", Organization: githubOrg{Login: "Beta"}}}, {{Slug: "ops", Organization: githubOrg{Login: "acme"}}}},
		},
		"carol": {
			User:   githubUser{Login: "carol", ID: 1003},
			Emails: []githubEmail{{Email: "carol@other.example", Primary: true, Verified: true}},
			Orgs:   [][]githubOrg{{{Login: "Other"}}},
			Teams:  [][]githubTeam{{{Slug: "qa", Organization: githubOrg{Login: "Other"}}}},
		},
		"dave": {
			User: githubUser{Login: "dave", ID: 1004, Name: "Dave"},
			Emails: []githubEmail{
				{Email: "dave@primary.example", Primary: true, Verified: false},
				{Email: "dave@verified.example", Primary: false, Verified: true},
			},
		},
	}
}

// authorize plays the user approving the app: it redirects to redirect_uri with a code
// bound to the user named by the X-Fake-User header, the challenge and the redirect URI.
func (f *ghFake) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != ghClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.codeNo++
	code := fmt.Sprintf("code-%d", f.codeNo)
	f.grants[code] = ghGrant{login: r.Header.Get("X-Fake-User"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	f.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token answers like GitHub: errors are 200 with an "error" member.
func (f *ghFake) token(w http.ResponseWriter, r *http.Request) {
	f.count(r)
	if st := f.failing(r); st != 0 {
		http.Error(w, "down", st)
		return
	}
	if r.Header.Get("Accept") != "application/json" {
		f.t.Errorf("token request Accept = %q, want application/json", r.Header.Get("Accept"))
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.PostForm.Get("client_id") != ghClientID || r.PostForm.Get("client_secret") != ghClientSecret {
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "incorrect_client_credentials"})
		return
	}
	f.mu.Lock()
	g, ok := f.grants[r.PostForm.Get("code")]
	delete(f.grants, r.PostForm.Get("code"))
	f.mu.Unlock()
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" || g.redirect != r.PostForm.Get("redirect_uri") ||
		ghS256(r.PostForm.Get("code_verifier")) != g.challenge {
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "bad_verification_code"})
		return
	}
	tok := "gho_" + g.login + strconv.Itoa(len(g.challenge))
	f.mu.Lock()
	f.tokens[tok] = g.login
	f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "token_type": "bearer", "scope": "read:user,user:email"})
}

// api serves one JSON document of the signed-in account after checking the headers.
func (f *ghFake) api(doc func(ghAccount, *http.Request) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := f.authorized(w, r)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc(a, r))
	}
}

// paged serves a list one page at a time, linking to the next page like GitHub.
func (f *ghFake) paged(pages func(ghAccount) []any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := f.authorized(w, r)
		if !ok {
			return
		}
		if r.URL.Query().Get("per_page") != "100" {
			f.t.Errorf("%s per_page = %q, want 100", r.URL.Path, r.URL.Query().Get("per_page"))
		}
		all := pages(a)
		page := 1
		if p := r.URL.Query().Get("page"); p != "" {
			page, _ = strconv.Atoi(p)
		}
		var body any = []any{}
		if page >= 1 && page <= len(all) {
			body = all[page-1]
		}
		if page < len(all) {
			next := f.srv.URL + r.URL.Path + "?per_page=100&page=" + strconv.Itoa(page+1)
			if f.foreignURL != "" {
				next = f.foreignURL + r.URL.Path + "?per_page=100&page=2"
			}
			w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, next, next))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}
}

// authorized checks the headers GitHub wants and returns the token's account.
func (f *ghFake) authorized(w http.ResponseWriter, r *http.Request) (ghAccount, bool) {
	f.count(r)
	if st := f.failing(r); st != 0 {
		http.Error(w, `{"message":"failing"}`, st)
		return ghAccount{}, false
	}
	if r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("User-Agent") != "gatehouse" {
		f.t.Errorf("%s: Accept %q, User-Agent %q", r.URL.Path, r.Header.Get("Accept"), r.Header.Get("User-Agent"))
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	login, known := f.tokens[tok]
	f.mu.Unlock()
	if !ok || !known {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return ghAccount{}, false
	}
	return f.accounts[login], true
}

func (f *ghFake) count(r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[r.URL.Path]++
}

func (f *ghFake) failing(r *http.Request) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[r.URL.Path]
}

func (f *ghFake) hitCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// config returns a Config pointing at the fake with every endpoint set.
func (f *ghFake) config() Config {
	return Config{
		Name: "gh", Type: TypeGitHub, ClientID: ghClientID, ClientSecret: ghClientSecret,
		AuthURL:  f.srv.URL + "/login/oauth/authorize",
		TokenURL: f.srv.URL + "/login/oauth/access_token",
		APIURL:   f.srv.URL + f.apiPrefix,
	}
}

// ghAuthorize sends the browser of login to p's authorization URL and returns the code
// the fake hands back, checking the state and the S256 challenge on the way.
func ghAuthorize(t *testing.T, p Provider, req AuthRequest, login string) string {
	t.Helper()
	u, err := p.AuthURL(context.Background(), req)
	if err != nil {
		t.Fatalf("AuthURL: %v", err)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if got := parsed.Query().Get("code_challenge"); got != ghS256(req.Verifier) {
		t.Fatalf("code_challenge = %q, want S256 of the verifier", got)
	}
	hr, _ := http.NewRequest(http.MethodGet, u, nil)
	hr.Header.Set("X-Fake-User", login)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if back.Query().Get("state") != req.State {
		t.Fatalf("state came back as %q, want %q", back.Query().Get("state"), req.State)
	}
	return back.Query().Get("code")
}

// ghSignIn runs the whole flow for login against f with cfg.
func ghSignIn(t *testing.T, cfg Config, login string) (*Result, error) {
	t.Helper()
	p, err := newGitHub(cfg)
	if err != nil {
		t.Fatalf("newGitHub: %v", err)
	}
	req := AuthRequest{State: "state-" + login, Verifier: ghVerifier(t), RedirectURL: ghRedirect}
	code := ghAuthorize(t, p, req, login)
	return p.Exchange(context.Background(), code, req)
}

func TestGitHubSignIn(t *testing.T) {
	tests := []struct {
		name        string
		login       string
		orgs, teams []string
		want        *Result
		wantRule    string // a RefusedError with this rule
	}{
		{
			name: "member of an allowed org", login: "Alice", orgs: []string{"acme"},
			want: &Result{Subject: "1001", Identity: identity.Identity{
				User: "alice", Name: "Alice Liddell", Email: "alice@acme.example", EmailVerified: true,
				Groups: []string{"acme", "acme/ops", "beta/dev", "other"}, Provider: "gh",
			}},
		},
		{
			name: "member only through a team, any case", login: "bob", orgs: []string{"corp"}, teams: []string{"ACME/Ops"},
			want: &Result{Subject: "1002", Identity: identity.Identity{
				User: "bob", Name: "Bob", Email: "bob@beta.example", EmailVerified: true,
				Groups: []string{"acme/ops", "beta", "beta/dev"}, Provider: "gh",
			}},
		},
		{
			name: "outside the allowed org and team", login: "carol", orgs: []string{"acme"}, teams: []string{"acme/ops"},
			wantRule: "orgs acme, teams acme/ops",
		},
		{
			name: "teams only, refused", login: "carol", teams: []string{"acme/ops", "beta/dev"},
			wantRule: "teams acme/ops beta/dev",
		},
		{
			name: "no verified primary email, no restriction", login: "dave",
			want: &Result{Subject: "1004", Identity: identity.Identity{User: "dave", Name: "Dave", Provider: "gh"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGhFake(t, "")
			cfg := f.config()
			cfg.Orgs, cfg.Teams = tt.orgs, tt.teams
			got, err := ghSignIn(t, cfg, tt.login)
			if tt.wantRule != "" {
				var refused *RefusedError
				if !errors.As(err, &refused) {
					t.Fatalf("err = %v, want a RefusedError", err)
				}
				if refused.User != tt.login || refused.Rule != tt.wantRule {
					t.Fatalf("refused %+v, want user %q rule %q", refused, tt.login, tt.wantRule)
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("result\n got %+v\nwant %+v", got, tt.want)
			}
			if len(tt.orgs)+len(tt.teams) == 0 && f.hitCount("/user/orgs")+f.hitCount("/user/teams") != 0 {
				t.Fatal("orgs or teams read although sign-in is not restricted")
			}
		})
	}
}

func TestGitHubFailures(t *testing.T) {
	tests := []struct {
		name            string
		fail            map[string]int
		mutate          func(*Config, *AuthRequest, *string)
		wantUnavailable bool
	}{
		{name: "API down", fail: map[string]int{"/user": http.StatusServiceUnavailable}, wantUnavailable: true},
		{name: "orgs down", fail: map[string]int{"/user/orgs": http.StatusBadGateway}, wantUnavailable: true},
		{name: "rate limited", fail: map[string]int{"/user/teams": http.StatusTooManyRequests}, wantUnavailable: true},
		{name: "token endpoint down", fail: map[string]int{"/login/oauth/access_token": http.StatusServiceUnavailable}, wantUnavailable: true},
		{name: "API refuses the token", fail: map[string]int{"/user": http.StatusUnauthorized}},
		{name: "emails forbidden", fail: map[string]int{"/user/emails": http.StatusForbidden}},
		{name: "wrong code", mutate: func(_ *Config, _ *AuthRequest, code *string) { *code = "code-999" }},
		{name: "empty code", mutate: func(_ *Config, _ *AuthRequest, code *string) { *code = "" }},
		{name: "tampered verifier", mutate: func(_ *Config, r *AuthRequest, _ *string) { r.Verifier += "x" }},
		{name: "other redirect URL", mutate: func(_ *Config, r *AuthRequest, _ *string) { r.RedirectURL += "x" }},
		{name: "wrong client secret", mutate: func(c *Config, _ *AuthRequest, _ *string) { c.ClientSecret = "nope" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGhFake(t, "")
			f.fail = tt.fail
			cfg := f.config()
			cfg.Orgs = []string{"acme"}
			p, err := newGitHub(cfg)
			if err != nil {
				t.Fatal(err)
			}
			req := AuthRequest{State: "s", Verifier: ghVerifier(t), RedirectURL: ghRedirect}
			code := ghAuthorize(t, p, req, "Alice")
			if tt.mutate != nil {
				tt.mutate(&cfg, &req, &code)
				if p, err = newGitHub(cfg); err != nil {
					t.Fatal(err)
				}
			}
			res, err := p.Exchange(context.Background(), code, req)
			if err == nil {
				t.Fatalf("signed in as %+v, want an error", res)
			}
			var refused *RefusedError
			if errors.As(err, &refused) {
				t.Fatalf("err = %v, not a refusal", err)
			}
			if got := errors.Is(err, ErrUnavailable); got != tt.wantUnavailable {
				t.Fatalf("err = %v; ErrUnavailable %v, want %v", err, got, tt.wantUnavailable)
			}
			if strings.Contains(err.Error(), "gho_") || strings.Contains(err.Error(), ghClientSecret) {
				t.Fatalf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestGitHubUnreachable(t *testing.T) {
	f := newGhFake(t, "")
	cfg := f.config()
	p, err := newGitHub(cfg)
	if err != nil {
		t.Fatal(err)
	}
	req := AuthRequest{State: "s", Verifier: ghVerifier(t), RedirectURL: ghRedirect}
	code := ghAuthorize(t, p, req, "Alice")
	f.srv.Close()
	if _, err := p.Exchange(context.Background(), code, req); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestGitHubEnterpriseURLs(t *testing.T) {
	f := newGhFake(t, "/api/v3")
	cfg := Config{
		Name: "ghe", Type: TypeGitHub, ClientID: ghClientID, ClientSecret: ghClientSecret,
		APIURL: f.srv.URL + "/api/v3/", Orgs: []string{"Acme"},
	}
	p, err := newGitHub(cfg)
	if err != nil {
		t.Fatal(err)
	}
	req := AuthRequest{State: "s", Verifier: ghVerifier(t), RedirectURL: ghRedirect}
	u, _ := p.AuthURL(context.Background(), req)
	if !strings.HasPrefix(u, f.srv.URL+"/login/oauth/authorize?") {
		t.Fatalf("AuthURL = %q, want the enterprise host's /login/oauth/authorize", u)
	}
	res, err := p.Exchange(context.Background(), ghAuthorize(t, p, req, "Alice"), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if res.Identity.User != "alice" || res.Identity.Provider != "ghe" || res.Subject != "1001" {
		t.Fatalf("identity %+v subject %q", res.Identity, res.Subject)
	}
	for _, path := range []string{"/login/oauth/access_token", "/api/v3/user", "/api/v3/user/emails", "/api/v3/user/orgs", "/api/v3/user/teams"} {
		if f.hitCount(path) == 0 {
			t.Errorf("%s was not used", path)
		}
	}
}

func TestGitHubNextLinkStaysOnAPIHost(t *testing.T) {
	var foreign sync.Map
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.Store(r.URL.Path, r.Header.Get("Authorization"))
		_, _ = w.Write([]byte(`[{"login":"acme"}]`))
	}))
	defer evil.Close()
	f := newGhFake(t, "")
	f.foreignURL = evil.URL
	cfg := f.config()
	cfg.Orgs = []string{"other"}
	res, err := ghSignIn(t, cfg, "Alice")
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	foreign.Range(func(k, _ any) bool {
		t.Errorf("token sent to a foreign host for %v", k)
		return true
	})
	// Only the first pages were read: Acme (page two of the orgs) is not among the groups.
	if want := []string{"acme/ops", "other"}; !reflect.DeepEqual(res.Identity.Groups, want) {
		t.Fatalf("groups %v, want %v", res.Identity.Groups, want)
	}
}

func TestGitHubAuthURL(t *testing.T) {
	tests := []struct {
		name        string
		scopes      []string
		orgs, teams []string
		wantScope   string
	}{
		{name: "defaults", wantScope: "read:user user:email"},
		{name: "orgs add read:org", orgs: []string{"acme"}, wantScope: "read:user user:email read:org"},
		{name: "teams add read:org", teams: []string{"acme/ops"}, wantScope: "read:user user:email read:org"},
		{name: "configured scopes", scopes: []string{"user"}, teams: []string{"acme/ops"}, wantScope: "user read:org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newGitHub(Config{Name: "gh", ClientID: "id", ClientSecret: "secret", Scopes: tt.scopes, Orgs: tt.orgs, Teams: tt.teams})
			if err != nil {
				t.Fatal(err)
			}
			req := AuthRequest{State: "st", Nonce: "unused", Verifier: "v123", RedirectURL: ghRedirect}
			raw, err := p.AuthURL(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(raw)
			if base := u.Scheme + "://" + u.Host + u.Path; base != "https://github.com/login/oauth/authorize" {
				t.Fatalf("endpoint %q", base)
			}
			want := url.Values{
				"client_id": {"id"}, "response_type": {"code"}, "state": {"st"}, "redirect_uri": {ghRedirect},
				"scope": {tt.wantScope}, "code_challenge": {ghS256("v123")}, "code_challenge_method": {"S256"},
			}
			if !reflect.DeepEqual(u.Query(), want) {
				t.Fatalf("query\n got %v\nwant %v", u.Query(), want)
			}
		})
	}
	p, _ := newGitHub(Config{Name: "gh", ClientID: "id", ClientSecret: "secret"})
	if _, err := p.AuthURL(context.Background(), AuthRequest{State: "st", RedirectURL: ghRedirect}); err == nil {
		t.Fatal("AuthURL without a PKCE verifier succeeded")
	}
}

func TestGitHubConfigErrors(t *testing.T) {
	base := Config{Name: "gh", Type: TypeGitHub, ClientID: "id", ClientSecret: "secret"}
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"no client id", func(c *Config) { c.ClientID = "" }},
		{"no client secret", func(c *Config) { c.ClientSecret = "" }},
		{"team without org", func(c *Config) { c.Teams = []string{"ops"} }},
		{"team with two slashes", func(c *Config) { c.Teams = []string{"acme/ops/x"} }},
		{"API URL not http", func(c *Config) { c.APIURL = "ftp://ghe.example/api/v3" }},
		{"relative token URL", func(c *Config) { c.TokenURL = "/login/oauth/access_token" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mutate(&cfg)
			if _, err := newGitHub(cfg); err == nil {
				t.Fatal("newGitHub accepted the config")
			}
		})
	}
}

func TestGitHubNoLogout(t *testing.T) {
	p, err := newGitHub(Config{Name: "gh", ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "gh" {
		t.Fatalf("Name() = %q", p.Name())
	}
	if u := p.EndSessionURL(context.Background(), "tok", "https://gate.example/"); u != "" {
		t.Fatalf("EndSessionURL = %q, want none", u)
	}
	if _, _, err := p.VerifyLogoutToken(context.Background(), "x.y.z"); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("VerifyLogoutToken err = %v, want ErrNotSupported", err)
	}
}

func FuzzGitHubUserJSON(f *testing.F) {
	for _, seed := range []string{
		`{"login":"Alice","id":1001,"name":"Alice"}`,
		`{"login":"","id":1}`,
		`{"login":"a b","id":1}`,
		`{"login":"x","id":-4}`,
		`{"login":"x","id":1e400}`,
		`{"login":["x"],"id":"1"}`,
		`null`, `[]`, `"str"`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := decodeGitHubUser(strings.NewReader(string(body)))
		if err != nil {
			return
		}
		if u.ID <= 0 || identity.CanonicalUser(u.Login) == "" || strings.ContainsAny(u.Login, " \t\r\n") {
			t.Fatalf("accepted user %+v", u)
		}
	})
}
