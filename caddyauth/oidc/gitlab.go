package oidc

// gitlabIssuer is GitLab.com's issuer; self-managed GitLab sets Config.Issuer.
const gitlabIssuer = "https://gitlab.com"

// newGitLab returns a GitLab provider: OpenID Connect at gitlab.com (or Config.Issuer
// for a self-managed instance), scopes "openid profile email", and groups from the
// "groups" claim (GitLab's userinfo lists the full paths of the user's groups;
// "groups_direct" in the ID token lists direct memberships only).
func newGitLab(cfg Config) (Provider, error) {
	return newOIDC(cfg, oidcOptions{
		issuer:      gitlabIssuer,
		scopes:      []string{"openid", "profile", "email"},
		groupsClaim: "groups",
	})
}
