package oidc

import (
	"context"
	"errors"
	"testing"
)

const (
	rpTenantA = "11111111-2222-3333-4444-555555555555"
	rpTenantB = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

func TestMicrosoftTenants(t *testing.T) {
	clock := rpNewClock()
	tests := []struct {
		name      string
		tenant    string
		docIssuer string // "%s" is replaced by the server URL; the tenant segment follows
		tid       any    // nil: no tid claim
		issTenant string // tenant segment of the token's iss
		check     string // failing TokenError check; "" for success
		discovery bool   // discovery must fail
	}{
		{"common, any tenant", "common", "{tenantid}", rpTenantA, rpTenantA, "", false},
		{"common, iss of another tenant", "common", "{tenantid}", rpTenantA, rpTenantB, "iss", false},
		{"common, iss template", "common", "{tenantid}", rpTenantA, "{tenantid}", "iss", false},
		{"common, no tid", "common", "{tenantid}", nil, rpTenantA, "tid", false},
		{"common, tid not a GUID", "common", "{tenantid}", "../x", "../x", "tid", false},
		{"common, tid a number", "common", "{tenantid}", 5, rpTenantA, "tid", false},
		{"organizations, work account", "organizations", "{tenantid}", rpTenantA, rpTenantA, "", false},
		{"organizations, personal account", "organizations", "{tenantid}", microsoftConsumersTenant, microsoftConsumersTenant, "tid", false},
		{"consumers, personal account", "consumers", microsoftConsumersTenant, microsoftConsumersTenant, microsoftConsumersTenant, "", false},
		{"consumers, work account", "consumers", microsoftConsumersTenant, rpTenantA, rpTenantA, "tid", false},
		{"single tenant", rpTenantA, rpTenantA, rpTenantA, rpTenantA, "", false},
		{"single tenant, other tenant", rpTenantA, rpTenantA, rpTenantB, rpTenantB, "iss", false},
		{"common, document issuer not the template", "common", "common", rpTenantA, rpTenantA, "", true},
		{"single tenant, document of another tenant", rpTenantA, rpTenantB, rpTenantA, rpTenantA, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := rpNewIdP(t)
			base := idp.URL()
			c := rpClaims(base+"/"+tt.issTenant+"/v2.0", clock.Now())
			if tt.tid != nil {
				c["tid"] = tt.tid
			}
			idp.set(func(p *rpIdP) {
				p.issuer = base + "/" + tt.docIssuer + "/v2.0"
				p.idToken = p.keys[0].sign(t, c, nil)
			})
			cfg := rpConfig(idp, clock)
			cfg.Type, cfg.Tenant, cfg.Issuer = TypeMicrosoft, tt.tenant, base+"/"+tt.tenant+"/v2.0"
			res, err := rpProvider(t, cfg).Exchange(context.Background(), rpCode, rpRequest)
			switch {
			case tt.discovery:
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("err = %v, want a discovery failure", err)
				}
			case tt.check == "":
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				if res.Subject != rpSub {
					t.Errorf("subject = %q", res.Subject)
				}
			default:
				var te *TokenError
				if !errors.As(err, &te) || te.Check != tt.check {
					t.Fatalf("err = %v, want check %q", err, tt.check)
				}
			}
		})
	}
}

func TestMicrosoftDefaults(t *testing.T) {
	for tenant, want := range map[string]string{
		"":              "https://login.microsoftonline.com/common/v2.0",
		"organizations": "https://login.microsoftonline.com/organizations/v2.0",
		rpTenantA:       "https://login.microsoftonline.com/" + rpTenantA + "/v2.0",
	} {
		prov, err := New(Config{Name: "ms", Type: TypeMicrosoft, ClientID: "id", ClientSecret: "s", Tenant: tenant})
		if err != nil {
			t.Fatalf("tenant %q: %v", tenant, err)
		}
		p := prov.(*oidcProvider)
		if p.cfg.Issuer != want || p.cfg.GroupsClaim != "groups" {
			t.Errorf("tenant %q: issuer %q groups claim %q", tenant, p.cfg.Issuer, p.cfg.GroupsClaim)
		}
	}
	for _, cfg := range []Config{
		{Tenant: "contoso.onmicrosoft.com"},
		{Tenant: "common", Issuer: "https://login.example.com/v2.0"},
	} {
		cfg.Name, cfg.Type, cfg.ClientID, cfg.ClientSecret = "ms", TypeMicrosoft, "id", "s"
		if _, err := New(cfg); err == nil {
			t.Errorf("New accepted tenant %q issuer %q", cfg.Tenant, cfg.Issuer)
		}
	}
}

func TestMicrosoftSkipsDiscoveredUserInfo(t *testing.T) {
	clock := rpNewClock()
	idp := rpNewIdP(t)
	base := idp.URL()
	c := rpClaims(base+"/"+rpTenantA+"/v2.0", clock.Now())
	c["tid"] = rpTenantA
	idp.set(func(p *rpIdP) {
		p.issuer = base + "/{tenantid}/v2.0"
		p.idToken = p.keys[0].sign(t, c, nil)
		p.userinfoCode = 500 // would fail the sign-in if called
	})
	cfg := rpConfig(idp, clock)
	cfg.Type, cfg.Issuer = TypeMicrosoft, base+"/common/v2.0"
	if _, err := rpProvider(t, cfg).Exchange(context.Background(), rpCode, rpRequest); err != nil {
		t.Fatalf("Exchange: %v", err)
	}
}
