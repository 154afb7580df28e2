package gatehouse

import (
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parseProvider parses
//
//	provider <name> oidc|github|google|gitlab|discord|microsoft {
//		client_id <id>
//		client_secret <secret>
//		scopes <scope>...
//		issuer <url>
//		auth_url|token_url|userinfo_url|jwks_url|api_url|end_session_url <url>
//		groups_claim|roles_claim <claim.path>
//		signing_algs <alg>...
//		orgs|teams|domains|guilds <value>...
//		tenant <id>
//		display_name <text>
//		icon <path or data: URL>
//	}
func (a *App) parseProvider(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	if len(args) != 2 {
		return d.Err("provider needs a name and a type: provider <name> oidc|github|google|gitlab|discord|microsoft { ... }")
	}
	name, typ := args[0], args[1]
	head := d.Token() // the provider line, named by the errors found after the block
	if _, ok := providerTypes[typ]; !ok {
		return d.Errf("provider %q: unknown type %q (want oidc, github, google, gitlab, discord or microsoft)", name, typ)
	}
	if !validLimitName(name) {
		return d.Errf("provider name %q: use letters, digits, '_', '-' and '.'", name)
	}
	if _, dup := a.Providers[name]; dup {
		return d.Errf("provider %q declared twice", name)
	}
	pc := ProviderConfig{Type: typ}
	single := map[string]*string{
		"client_id": &pc.ClientID, "client_secret": &pc.ClientSecret, "issuer": &pc.Issuer,
		"auth_url": &pc.AuthURL, "token_url": &pc.TokenURL, "userinfo_url": &pc.UserInfoURL,
		"jwks_url": &pc.JWKSURL, "api_url": &pc.APIURL, "end_session_url": &pc.EndSessionURL,
		"groups_claim": &pc.GroupsClaim, "roles_claim": &pc.RolesClaim, "tenant": &pc.Tenant,
		"display_name": &pc.DisplayName, "icon": &pc.Icon,
	}
	lists := map[string]*[]string{
		"scopes": &pc.Scopes, "signing_algs": &pc.SigningAlgs, "orgs": &pc.Orgs, "teams": &pc.Teams,
		"domains": &pc.Domains, "domain": &pc.Domains, "guilds": &pc.Guilds,
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if dst, ok := single[opt]; ok {
			if err := oneArg(d, dst); err != nil {
				return err
			}
			if strings.HasSuffix(opt, "_url") || opt == "issuer" {
				if u, err := url.Parse(*dst); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					return d.Errf("provider %q: %s %q is not an http(s) URL", name, opt, *dst)
				}
			}
			continue
		}
		if dst, ok := lists[opt]; ok {
			vals := d.RemainingArgs()
			if len(vals) == 0 {
				return d.ArgErr()
			}
			if opt == "signing_algs" {
				for _, alg := range vals {
					if strings.EqualFold(alg, "none") || strings.HasPrefix(strings.ToUpper(alg), "HS") {
						return d.Errf("provider %q: signing algorithm %q is refused (ID tokens must be signed with the provider's private key)", name, alg)
					}
				}
			}
			*dst = append(*dst, vals...)
			continue
		}
		return d.Errf("provider %q: unrecognized option %q", name, opt)
	}
	hd := caddyfile.NewDispenser([]caddyfile.Token{head})
	hd.Next()
	if pc.ClientID == "" || pc.ClientSecret == "" {
		return hd.Errf("provider %q: client_id and client_secret are required", name)
	}
	if typ == "oidc" && pc.Issuer == "" && (pc.AuthURL == "" || pc.TokenURL == "" || pc.JWKSURL == "") {
		return hd.Errf("provider %q: an oidc provider needs an issuer (or auth_url, token_url and jwks_url)", name)
	}
	if a.Providers == nil {
		a.Providers = map[string]ProviderConfig{}
	}
	a.Providers[name] = pc
	return nil
}
