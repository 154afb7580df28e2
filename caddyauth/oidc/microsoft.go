package oidc

import (
	"errors"
	"fmt"
	"strings"
)

// Microsoft identity platform (Entra ID) constants.
const (
	microsoftLogin = "https://login.microsoftonline.com"
	// microsoftConsumersTenant is the tenant of personal Microsoft accounts.
	microsoftConsumersTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
	// tenantPlaceholder stands for the user's tenant in a multi-tenant issuer.
	tenantPlaceholder = "{tenantid}"
)

// newMicrosoft returns a Microsoft (Entra ID) provider, v2.0 endpoints, groups from the
// "groups" claim (object IDs, or names when the app is configured so).
//
// Tenant (default "common") is a tenant ID (a GUID) or one of "common",
// "organizations", "consumers"; the issuer is
// https://login.microsoftonline.com/<tenant>/v2.0 unless Config.Issuer is set.
//
//   - With a tenant ID, the iss claim must equal the issuer exactly: only that tenant's
//     users sign in.
//   - With common, organizations or consumers, the discovery document publishes the
//     template https://login.microsoftonline.com/{tenantid}/v2.0 and every token its
//     user's tenant: the token's tid claim must be a tenant ID and its iss must equal
//     the template with {tenantid} replaced by that tid. organizations refuses the
//     personal-accounts tenant, consumers accepts only it.
//
// Microsoft's discovered userinfo endpoint (Microsoft Graph) is not called: the ID
// token carries the claims, and a configured UserInfoURL is still used. Note that
// Microsoft does not vouch for the email claim (no email_verified), so the email is
// never verified.
func newMicrosoft(cfg Config) (Provider, error) {
	tenant := strings.ToLower(strings.TrimSpace(cfg.Tenant))
	if tenant == "" {
		tenant = "common"
	}
	multi := tenant == "common" || tenant == "organizations" || tenant == "consumers"
	if !multi && !isGUID(tenant) {
		return nil, fmt.Errorf("provider %q: tenant %q must be a tenant ID (GUID), common, organizations or consumers", cfg.Name, cfg.Tenant)
	}
	issuer := cfg.Issuer
	if issuer == "" {
		issuer = microsoftLogin + "/" + tenant + "/v2.0"
	}
	o := oidcOptions{
		issuer:                 issuer,
		groupsClaim:            "groups",
		skipDiscoveredUserInfo: true,
	}
	if multi {
		seg := "/" + tenant + "/"
		i := strings.LastIndex(issuer, seg)
		if i < 0 {
			return nil, fmt.Errorf("provider %q: issuer %q must contain the tenant segment %q", cfg.Name, issuer, seg)
		}
		template := issuer[:i] + "/" + tenantPlaceholder + "/" + issuer[i+len(seg):]
		o.docIssuerOK = microsoftDocIssuer(template)
		o.issuerOK = microsoftTenantIssuer(tenant, template)
	}
	return newOIDC(cfg, o)
}

// errIssuerTemplate is a multi-tenant discovery document whose issuer is not the
// expected template.
var errIssuerTemplate = errors.New("discovery document's issuer is not the expected multi-tenant issuer")

// microsoftDocIssuer accepts a discovery document whose issuer is the template, or the
// template filled with one tenant ID (the consumers endpoint publishes its tenant).
func microsoftDocIssuer(template string) func(string) error {
	prefix, suffix, _ := strings.Cut(template, tenantPlaceholder)
	return func(doc string) error {
		if doc == template {
			return nil
		}
		if strings.HasPrefix(doc, prefix) && strings.HasSuffix(doc, suffix) && len(doc) >= len(prefix)+len(suffix) &&
			isGUID(doc[len(prefix):len(doc)-len(suffix)]) {
			return nil
		}
		return errIssuerTemplate
	}
}

// microsoftTenantIssuer returns the iss check of a multi-tenant provider: tid is a
// tenant ID allowed by tenant, and iss is template filled with it.
func microsoftTenantIssuer(tenant, template string) func(kind, issuer string) func(string, claims) error {
	return func(kind, _ string) func(string, claims) error {
		return func(iss string, c claims) error {
			tid, ok := c.str("tid")
			if !ok || !isGUID(tid) {
				return tokenError(kind, "tid", "missing or not a tenant ID")
			}
			consumer := strings.EqualFold(tid, microsoftConsumersTenant)
			if tenant == "organizations" && consumer {
				return tokenError(kind, "tid", "personal accounts are not accepted by the organizations tenant")
			}
			if tenant == "consumers" && !consumer {
				return tokenError(kind, "tid", "only personal accounts are accepted by the consumers tenant")
			}
			if iss != strings.Replace(template, tenantPlaceholder, tid, 1) {
				return tokenError(kind, "iss", "is not the issuer of the token's tenant")
			}
			return nil
		}
	}
}

// isGUID reports whether s has the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex).
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
