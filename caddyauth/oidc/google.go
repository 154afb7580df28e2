package oidc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gatehousehq/gatehouse/caddyauth/identity"
)

// googleIssuer is Google's issuer; its ID tokens sometimes carry it without the scheme.
const (
	googleIssuer         = "https://accounts.google.com"
	googleIssuerNoScheme = "accounts.google.com"
)

// newGoogle returns a Google provider: OpenID Connect at accounts.google.com (or
// Config.Issuer), and, when Domains is set, only users of those Google Workspace
// domains: the ID token's hd claim must be one of Domains, the email verified, and the
// email's domain equal to hd.
func newGoogle(cfg Config) (Provider, error) {
	domains := make([]string, 0, len(cfg.Domains))
	for _, d := range cfg.Domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" || strings.ContainsAny(d, "@/ ") {
			return nil, fmt.Errorf("provider %q: invalid domain %q", cfg.Name, d)
		}
		domains = append(domains, d)
	}
	o := oidcOptions{
		issuer:   googleIssuer,
		issuerOK: googleIssuerOK,
	}
	if len(domains) > 0 {
		o.restrict = googleDomains(domains)
		if len(domains) == 1 {
			o.authParams = map[string]string{"hd": domains[0]} // a hint for the account chooser; checked below
		}
	}
	return newOIDC(cfg, o)
}

// googleIssuerOK accepts the issuer, and for Google's own issuer its scheme-less form.
func googleIssuerOK(kind, issuer string) func(string, claims) error {
	exact := exactIssuer(kind, issuer)
	return func(iss string, c claims) error {
		if issuer == googleIssuer && iss == googleIssuerNoScheme {
			return nil
		}
		return exact(iss, c)
	}
}

// googleDomains returns the Domains restriction.
func googleDomains(domains []string) func(claims, identity.Identity) error {
	rule := "domains " + strings.Join(domains, " ")
	return func(c claims, id identity.Identity) error {
		hd, _ := c.str("hd")
		hd = strings.ToLower(hd)
		_, emailDomain, _ := strings.Cut(strings.ToLower(id.Email), "@")
		if hd == "" || !slices.Contains(domains, hd) || !id.EmailVerified || emailDomain != hd {
			return &RefusedError{User: id.User, Rule: rule}
		}
		return nil
	}
}
