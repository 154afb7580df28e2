package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

const (
	dcClientID     = "123456789"
	dcClientSecret = "dc-secret"
	dcRedirect     = "https://gate.example/.gatehouse/callback/dc"
)

// dcAccount is one user of the fake Discord.
type dcAccount struct {
	User   discordUser
	Guilds []discordGuild
}

// dcFake is a fake Discord: the token endpoint (client credentials in Basic auth, as
// configured) and the API endpoints Gatehouse reads, under /api/v10.
type dcFake struct {
	t        *testing.T
	srv      *httptest.Server
	accounts map[string]dcAccount // by access token

	mu     sync.Mutex
	grants map[string][2]string // code → access token and PKCE challenge, single use
	fail   map[string]int       // path → status to answer
	hits   map[string]int       // path → requests
}

func newDcFake(t *testing.T) *dcFake {
	t.Helper()
	f := &dcFake{
		t: t, grants: map[string][2]string{}, fail: map[string]int{}, hits: map[string]int{},
		accounts: map[string]dcAccount{
			"tok-dana": {
				User:   discordUser{ID: "80351110224678912", Username: "Dana", GlobalName: "Dana D.", Email: "dana@example.com", Verified: true},
				Guilds: []discordGuild{{ID: "999"}, {ID: "222"}, {ID: "111"}},
			},
			"tok-erin": {
				User:   discordUser{ID: "80351110224678913", Username: "erin", Email: "erin@example.com", Verified: true},
				Guilds: []discordGuild{{ID: "999"}},
			},
			"tok-finn": {
				User:   discordUser{ID: "80351110224678914", Username: "finn", GlobalName: "Finn", Email: "finn@example.com", Verified: false},
				Guilds: []discordGuild{{ID: "111"}},
			},
		},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/oauth2/token", f.token)
	mux.HandleFunc("GET /api/v10/users/@me", f.api(func(a dcAccount) any { return a.User }))
	mux.HandleFunc("GET /api/v10/users/@me/guilds", f.api(func(a dcAccount) any { return a.Guilds }))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// grant issues a code for the account of token, bound to the S256 challenge of verifier
// (as the authorization endpoint would).
func (f *dcFake) grant(token, verifier string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := "code-" + token
	f.grants[code] = [2]string{token, ghS256(verifier)}
	return code
}

func (f *dcFake) hitCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *dcFake) token(w http.ResponseWriter, r *http.Request) {
	f.count(r)
	if st := f.failing(r); st != 0 {
		http.Error(w, "down", st)
		return
	}
	id, secret, ok := r.BasicAuth()
	if err := r.ParseForm(); err != nil || !ok || id != dcClientID || secret != dcClientSecret {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
		return
	}
	f.mu.Lock()
	g, known := f.grants[r.PostForm.Get("code")]
	delete(f.grants, r.PostForm.Get("code"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !known || ghS256(r.PostForm.Get("code_verifier")) != g[1] || r.PostForm.Get("redirect_uri") != dcRedirect {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": g[0], "token_type": "Bearer", "expires_in": 604800, "scope": "identify email"})
}

func (f *dcFake) api(doc func(dcAccount) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.count(r)
		if st := f.failing(r); st != 0 {
			http.Error(w, `{"message":"failing"}`, st)
			return
		}
		if r.URL.Path == "/api/v10/users/@me/guilds" && r.URL.Query().Get("limit") != "200" {
			f.t.Errorf("guilds limit = %q, want 200", r.URL.Query().Get("limit"))
		}
		a, ok := f.accounts[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		if !ok || r.Header.Get("User-Agent") != "gatehouse" {
			http.Error(w, `{"message":"401: Unauthorized","code":0}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc(a))
	}
}

func (f *dcFake) count(r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[r.URL.Path]++
}

func (f *dcFake) failing(r *http.Request) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[r.URL.Path]
}

func (f *dcFake) config() Config {
	return Config{
		Name: "dc", Type: TypeDiscord, ClientID: dcClientID, ClientSecret: dcClientSecret,
		AuthURL:  f.srv.URL + "/oauth2/authorize",
		TokenURL: f.srv.URL + "/api/oauth2/token",
		APIURL:   f.srv.URL + "/api/v10",
	}
}

func TestDiscordSignIn(t *testing.T) {
	tests := []struct {
		name     string
		token    string
		guilds   []string
		want     *Result
		wantRule string
	}{
		{
			name: "member of an allowed guild", token: "tok-dana", guilds: []string{"111", "222", "333"},
			want: &Result{Subject: "80351110224678912", Identity: identity.Identity{
				User: "dana", Name: "Dana D.", Email: "dana@example.com", EmailVerified: true,
				Groups: []string{"guild:111", "guild:222"}, Provider: "dc",
			}},
		},
		{name: "outside the allowed guilds", token: "tok-erin", guilds: []string{"111", "222"}, wantRule: "guilds 111 222"},
		{
			name: "unverified email", token: "tok-finn", guilds: []string{"111"},
			want: &Result{Subject: "80351110224678914", Identity: identity.Identity{
				User: "finn", Name: "Finn", Email: "finn@example.com", EmailVerified: false,
				Groups: []string{"guild:111"}, Provider: "dc",
			}},
		},
		{
			name: "no restriction, name from username", token: "tok-erin",
			want: &Result{Subject: "80351110224678913", Identity: identity.Identity{
				User: "erin", Name: "erin", Email: "erin@example.com", EmailVerified: true, Provider: "dc",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDcFake(t)
			cfg := f.config()
			cfg.Guilds = tt.guilds
			p, err := newDiscord(cfg)
			if err != nil {
				t.Fatal(err)
			}
			req := AuthRequest{State: "s", Verifier: ghVerifier(t), RedirectURL: dcRedirect}
			got, err := p.Exchange(context.Background(), f.grant(tt.token, req.Verifier), req)
			if tt.wantRule != "" {
				var refused *RefusedError
				if !errors.As(err, &refused) || refused.Rule != tt.wantRule || refused.User != "erin" {
					t.Fatalf("err = %v, want a RefusedError for erin by %q", err, tt.wantRule)
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("result\n got %+v\nwant %+v", got, tt.want)
			}
			if len(tt.guilds) == 0 && f.hitCount("/api/v10/users/@me/guilds") != 0 {
				t.Fatal("guilds read although sign-in is not restricted")
			}
		})
	}
}

func TestDiscordFailures(t *testing.T) {
	tests := []struct {
		name            string
		fail            map[string]int
		code            string
		verifier        string
		secret          string
		wantUnavailable bool
	}{
		{name: "API down", fail: map[string]int{"/api/v10/users/@me": http.StatusServiceUnavailable}, wantUnavailable: true},
		{name: "guilds rate limited", fail: map[string]int{"/api/v10/users/@me/guilds": http.StatusTooManyRequests}, wantUnavailable: true},
		{name: "token endpoint down", fail: map[string]int{"/api/oauth2/token": http.StatusBadGateway}, wantUnavailable: true},
		{name: "API refuses the token", fail: map[string]int{"/api/v10/users/@me": http.StatusUnauthorized}},
		{name: "wrong code", code: "code-bogus"},
		{name: "tampered verifier", verifier: "another-verifier"},
		{name: "wrong client secret", secret: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDcFake(t)
			f.fail = tt.fail
			cfg := f.config()
			cfg.Guilds = []string{"111"}
			if tt.secret != "" {
				cfg.ClientSecret = tt.secret
			}
			p, err := newDiscord(cfg)
			if err != nil {
				t.Fatal(err)
			}
			req := AuthRequest{State: "s", Verifier: ghVerifier(t), RedirectURL: dcRedirect}
			code := f.grant("tok-dana", req.Verifier)
			if tt.code != "" {
				code = tt.code
			}
			if tt.verifier != "" {
				req.Verifier = tt.verifier
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
		})
	}
}

func TestDiscordAuthURL(t *testing.T) {
	tests := []struct {
		name      string
		guilds    []string
		wantScope string
	}{
		{name: "defaults", wantScope: "identify email"},
		{name: "guilds add the guilds scope", guilds: []string{"111"}, wantScope: "identify email guilds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newDiscord(Config{Name: "dc", ClientID: "id", ClientSecret: "secret", Guilds: tt.guilds})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := p.AuthURL(context.Background(), AuthRequest{State: "st", Verifier: "v1", RedirectURL: dcRedirect})
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(raw)
			if base := u.Scheme + "://" + u.Host + u.Path; base != "https://discord.com/oauth2/authorize" {
				t.Fatalf("endpoint %q", base)
			}
			want := url.Values{
				"client_id": {"id"}, "response_type": {"code"}, "state": {"st"}, "redirect_uri": {dcRedirect},
				"scope": {tt.wantScope}, "code_challenge": {ghS256("v1")}, "code_challenge_method": {"S256"},
			}
			if !reflect.DeepEqual(u.Query(), want) {
				t.Fatalf("query\n got %v\nwant %v", u.Query(), want)
			}
		})
	}
}

func TestDiscordConfigErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no client id":      {Name: "dc", ClientSecret: "s"},
		"no client secret":  {Name: "dc", ClientID: "id"},
		"guild by name":     {Name: "dc", ClientID: "id", ClientSecret: "s", Guilds: []string{"my server"}},
		"API URL not https": {Name: "dc", ClientID: "id", ClientSecret: "s", APIURL: "discord.com/api"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := newDiscord(cfg); err == nil {
				t.Fatal("newDiscord accepted the config")
			}
		})
	}
	p, err := newDiscord(Config{Name: "dc", ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if p.EndSessionURL(context.Background(), "", "") != "" {
		t.Fatal("Discord offers no end-session URL")
	}
	if _, _, err := p.VerifyLogoutToken(context.Background(), "t"); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("VerifyLogoutToken err = %v, want ErrNotSupported", err)
	}
}
