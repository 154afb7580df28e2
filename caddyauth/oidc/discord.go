package oidc

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// Discord defaults. The API is pinned to version 10: the unversioned path routes to a
// deprecated default version.
const (
	discordAuthURL  = "https://discord.com/oauth2/authorize"
	discordTokenURL = "https://discord.com/api/oauth2/token"
	discordAPIURL   = "https://discord.com/api/v10"
	discordAccept   = "application/json"
)

// discordProvider signs people in with Discord: the user from /users/@me and, when
// guilds restrict sign-in, the user's guilds from /users/@me/guilds.
type discordProvider struct {
	oauth  *socialOAuth2
	api    string   // API base without a trailing slash
	guilds []string // allowed guild IDs
}

// discordUser is the part of GET /users/@me that Gatehouse uses.
type discordUser struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name"`
	Email      string `json:"email"`
	Verified   bool   `json:"verified"`
}

// discordGuild is one entry of GET /users/@me/guilds.
type discordGuild struct {
	ID string `json:"id"`
}

// newDiscord returns the Discord provider for cfg. Scopes default to "identify email";
// "guilds" is added when Guilds is set. Guild IDs must be numeric snowflakes.
func newDiscord(cfg Config) (Provider, error) {
	api := strings.TrimRight(cfg.APIURL, "/")
	if api == "" {
		api = discordAPIURL
	}
	if _, err := socialParseURL(api); err != nil {
		return nil, fmt.Errorf("provider %q: %w", cfg.Name, err)
	}
	authURL, tokenURL := discordAuthURL, discordTokenURL
	if cfg.AuthURL != "" {
		authURL = cfg.AuthURL
	}
	if cfg.TokenURL != "" {
		tokenURL = cfg.TokenURL
	}
	for _, g := range cfg.Guilds {
		if g == "" || strings.Trim(g, "0123456789") != "" {
			return nil, fmt.Errorf("provider %q: guild %q is not a numeric guild ID", cfg.Name, g)
		}
	}
	var required []string
	if len(cfg.Guilds) > 0 {
		required = []string{"guilds"}
	}
	scopes := socialScopes(cfg.Scopes, []string{"identify", "email"}, required...)
	oauth, err := newSocialOAuth2(cfg, authURL, tokenURL, scopes, oauth2.AuthStyleInHeader, "")
	if err != nil {
		return nil, err
	}
	return &discordProvider{oauth: oauth, api: api, guilds: slices.Clone(cfg.Guilds)}, nil
}

// Name returns the configured name.
func (d *discordProvider) Name() string { return d.oauth.name }

// AuthURL returns Discord's authorization URL for req (state, redirect_uri, PKCE S256).
func (d *discordProvider) AuthURL(_ context.Context, req AuthRequest) (string, error) {
	return d.oauth.authURL(req)
}

// Exchange trades code for a token, reads the user and, when sign-in is restricted to
// guilds, checks that the user is in one; each allowed guild the user is in becomes the
// group "guild:<id>".
func (d *discordProvider) Exchange(ctx context.Context, code string, req AuthRequest) (*Result, error) {
	token, err := d.oauth.exchange(ctx, code, req)
	if err != nil {
		return nil, err
	}
	var user discordUser
	if _, err := d.oauth.getJSON(ctx, token, d.api+"/users/@me", discordAccept, &user); err != nil {
		return nil, err
	}
	if user.ID == "" || !socialValidName(user.Username) {
		return nil, fmt.Errorf("provider %q: discord user without a valid id or username", d.oauth.name)
	}
	id := identity.Identity{
		User:          identity.CanonicalUser(user.Username),
		Name:          user.GlobalName,
		Email:         user.Email,
		EmailVerified: user.Verified && user.Email != "",
		Provider:      d.oauth.name,
	}
	if id.Name == "" {
		id.Name = user.Username
	}
	if len(d.guilds) > 0 {
		groups, err := d.memberGuilds(ctx, token)
		if err != nil {
			return nil, err
		}
		if len(groups) == 0 {
			return nil, &RefusedError{User: user.Username, Rule: "guilds " + strings.Join(d.guilds, " ")}
		}
		id.Groups = groups
	}
	return &Result{Identity: id, Subject: user.ID}, nil
}

// EndSessionURL returns "": Discord has no RP-initiated logout.
func (d *discordProvider) EndSessionURL(context.Context, string, string) string { return "" }

// VerifyLogoutToken returns ErrNotSupported: Discord has no back-channel logout.
func (d *discordProvider) VerifyLogoutToken(context.Context, string) (string, string, error) {
	return "", "", ErrNotSupported
}

// memberGuilds returns "guild:<id>" for each allowed guild the user is in, sorted and
// unique. A user is in at most 200 guilds, which one page of the API holds.
func (d *discordProvider) memberGuilds(ctx context.Context, token string) ([]string, error) {
	var guilds []discordGuild
	q := url.Values{"limit": {"200"}}
	if _, err := d.oauth.getJSON(ctx, token, d.api+"/users/@me/guilds?"+q.Encode(), discordAccept, &guilds); err != nil {
		return nil, err
	}
	var groups []string
	for _, g := range guilds {
		if slices.Contains(d.guilds, g.ID) {
			groups = append(groups, "guild:"+g.ID)
		}
	}
	slices.Sort(groups)
	return slices.Compact(groups), nil
}

// Interface guards
var _ Provider = (*discordProvider)(nil)
