package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// GitHub defaults. GitHub Enterprise Server serves the API at https://HOST/api/v3 and
// OAuth at https://HOST/login/oauth/...
const (
	githubAuthURL  = "https://github.com/login/oauth/authorize"
	githubTokenURL = "https://github.com/login/oauth/access_token"
	githubAPIURL   = "https://api.github.com"
	githubAccept   = "application/vnd.github+json"
	githubMaxPages = 10 // pages of 100 orgs or teams read at most
)

// githubProvider signs people in with GitHub (or GitHub Enterprise Server) OAuth apps:
// the user from /user, the primary verified email from /user/emails, and, when orgs or
// teams restrict sign-in, the groups from /user/orgs and /user/teams.
type githubProvider struct {
	oauth *socialOAuth2
	api   *url.URL // API base, e.g. https://api.github.com or https://HOST/api/v3
	orgs  []string // lower case
	teams []string // lower case "org/team-slug"
	rule  string   // the restriction as shown to a refused user
}

// githubUser is the part of GET /user that Gatehouse uses.
type githubUser struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
	Name  string `json:"name"`
}

// githubEmail is one entry of GET /user/emails.
type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// githubOrg is one entry of GET /user/orgs.
type githubOrg struct {
	Login string `json:"login"`
}

// githubTeam is one entry of GET /user/teams.
type githubTeam struct {
	Slug         string    `json:"slug"`
	Organization githubOrg `json:"organization"`
}

// newGitHub returns the GitHub provider for cfg. When APIURL ends in /api/v3 (GitHub
// Enterprise Server) and AuthURL or TokenURL is empty, they default to the same host's
// /login/oauth/authorize and /login/oauth/access_token. Scopes default to
// "read:user user:email"; "read:org" is added when Orgs or Teams are set.
func newGitHub(cfg Config) (Provider, error) {
	apiRaw := strings.TrimRight(cfg.APIURL, "/")
	if apiRaw == "" {
		apiRaw = githubAPIURL
	}
	api, err := socialParseURL(apiRaw)
	if err != nil {
		return nil, fmt.Errorf("provider %q: %w", cfg.Name, err)
	}
	authURL, tokenURL := githubAuthURL, githubTokenURL
	if base, ok := strings.CutSuffix(api.Path, "/api/v3"); ok {
		host := api.Scheme + "://" + api.Host + base
		authURL, tokenURL = host+"/login/oauth/authorize", host+"/login/oauth/access_token"
	}
	if cfg.AuthURL != "" {
		authURL = cfg.AuthURL
	}
	if cfg.TokenURL != "" {
		tokenURL = cfg.TokenURL
	}

	var required []string
	if len(cfg.Orgs) > 0 || len(cfg.Teams) > 0 {
		required = []string{"read:org"}
	}
	scopes := socialScopes(cfg.Scopes, []string{"read:user", "user:email"}, required...)
	oauth, err := newSocialOAuth2(cfg, authURL, tokenURL, scopes, oauth2.AuthStyleInParams, "application/json")
	if err != nil {
		return nil, err
	}

	g := &githubProvider{oauth: oauth, api: api, orgs: socialLower(cfg.Orgs), teams: socialLower(cfg.Teams)}
	for _, t := range g.teams {
		org, slug, ok := strings.Cut(t, "/")
		if !ok || org == "" || slug == "" || strings.Contains(slug, "/") {
			return nil, fmt.Errorf("provider %q: team %q must be written org/team", cfg.Name, t)
		}
	}
	var rules []string
	if len(cfg.Orgs) > 0 {
		rules = append(rules, "orgs "+strings.Join(g.orgs, " "))
	}
	if len(cfg.Teams) > 0 {
		rules = append(rules, "teams "+strings.Join(g.teams, " "))
	}
	g.rule = strings.Join(rules, ", ")
	return g, nil
}

// Name returns the configured name.
func (g *githubProvider) Name() string { return g.oauth.name }

// AuthURL returns GitHub's authorization URL for req (state, redirect_uri, PKCE S256).
func (g *githubProvider) AuthURL(_ context.Context, req AuthRequest) (string, error) {
	return g.oauth.authURL(req)
}

// Exchange trades code for a token, reads the user, their primary verified email and,
// when sign-in is restricted, their orgs and teams, and applies the restriction.
func (g *githubProvider) Exchange(ctx context.Context, code string, req AuthRequest) (*Result, error) {
	token, err := g.oauth.exchange(ctx, code, req)
	if err != nil {
		return nil, err
	}
	var user githubUser
	decodeUser := func(r io.Reader) (err error) {
		user, err = decodeGitHubUser(r)
		return err
	}
	if _, err := g.oauth.get(ctx, token, g.endpoint("/user"), githubAccept, decodeUser); err != nil {
		return nil, err
	}
	var emails []githubEmail
	if _, err := g.oauth.getJSON(ctx, token, g.endpoint("/user/emails"), githubAccept, &emails); err != nil {
		return nil, err
	}
	id := identity.Identity{
		User:     identity.CanonicalUser(user.Login),
		Name:     user.Name,
		Provider: g.oauth.name,
	}
	for _, e := range emails {
		if e.Primary && e.Verified && e.Email != "" {
			id.Email, id.EmailVerified = e.Email, true
			break
		}
	}
	if g.rule != "" {
		groups, err := g.groups(ctx, token)
		if err != nil {
			return nil, err
		}
		if !g.allowed(groups) {
			return nil, &RefusedError{User: user.Login, Rule: g.rule}
		}
		id.Groups = groups
	}
	return &Result{Identity: id, Subject: strconv.FormatInt(user.ID, 10)}, nil
}

// EndSessionURL returns "": GitHub has no RP-initiated logout.
func (g *githubProvider) EndSessionURL(context.Context, string, string) string { return "" }

// VerifyLogoutToken returns ErrNotSupported: GitHub has no back-channel logout.
func (g *githubProvider) VerifyLogoutToken(context.Context, string) (string, string, error) {
	return "", "", ErrNotSupported
}

// groups returns the user's orgs ("org") and teams ("org/team-slug"), lower case,
// sorted and unique.
func (g *githubProvider) groups(ctx context.Context, token string) ([]string, error) {
	orgs, err := githubPages[githubOrg](ctx, g, token, "/user/orgs")
	if err != nil {
		return nil, err
	}
	teams, err := githubPages[githubTeam](ctx, g, token, "/user/teams")
	if err != nil {
		return nil, err
	}
	groups := make([]string, 0, len(orgs)+len(teams))
	for _, o := range orgs {
		if o.Login != "" {
			groups = append(groups, strings.ToLower(o.Login))
		}
	}
	for _, t := range teams {
		if t.Organization.Login != "" && t.Slug != "" {
			groups = append(groups, strings.ToLower(t.Organization.Login+"/"+t.Slug))
		}
	}
	slices.Sort(groups)
	return slices.Compact(groups), nil
}

// allowed reports whether groups include one of the allowed orgs or teams.
func (g *githubProvider) allowed(groups []string) bool {
	for _, grp := range groups {
		if slices.Contains(g.orgs, grp) || slices.Contains(g.teams, grp) {
			return true
		}
	}
	return false
}

// endpoint returns the API URL of path (which may carry a query).
func (g *githubProvider) endpoint(path string) string {
	return strings.TrimRight(g.api.String(), "/") + path
}

// githubPages reads every page (100 entries each, at most githubMaxPages) of a GitHub
// list endpoint, following Link rel="next" only to the API's own scheme and host, so the
// token never leaves for another server.
func githubPages[T any](ctx context.Context, g *githubProvider, token, path string) ([]T, error) {
	var all []T
	next := g.endpoint(path + "?per_page=100")
	for page := 0; page < githubMaxPages && next != ""; page++ {
		var items []T
		h, err := g.oauth.getJSON(ctx, token, next, githubAccept, &items)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		next = githubNextLink(h, g.api)
	}
	return all, nil
}

// githubNextLink returns the rel="next" URL of a Link header when it is on api's scheme
// and host, else "".
func githubNextLink(h http.Header, api *url.URL) string {
	for _, link := range h.Values("Link") {
		for part := range strings.SplitSeq(link, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			if !githubRelNext(params) {
				continue
			}
			u, err := api.Parse(strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">"))
			if err != nil || u.Scheme != api.Scheme || u.Host != api.Host {
				return ""
			}
			return u.String()
		}
	}
	return ""
}

// githubRelNext reports whether the parameters of one Link entry include rel="next".
func githubRelNext(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "rel") && slices.Contains(strings.Fields(strings.Trim(v, `"`)), "next") {
			return true
		}
	}
	return false
}

// decodeGitHubUser decodes a GET /user body (at most socialMaxBody bytes) and checks
// that it has a positive id and a usable login.
func decodeGitHubUser(r io.Reader) (githubUser, error) {
	var u githubUser
	if err := json.NewDecoder(io.LimitReader(r, socialMaxBody)).Decode(&u); err != nil {
		return githubUser{}, err
	}
	if u.ID <= 0 || !socialValidName(u.Login) {
		return githubUser{}, errors.New("github user without a valid login or id")
	}
	return u, nil
}

// Interface guards
var _ Provider = (*githubProvider)(nil)
