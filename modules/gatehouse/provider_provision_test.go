package gatehouse

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/gatehousehq/gatehouse/caddyauth/oidc"
)

// Provider checks that only fail (or only show) at Provision: the oidc package's
// per-type option checks, placeholders, no network I/O, and the shared provider pool.

// ppRefusedAddr is a local address nothing listens on: a connection to it is refused.
const ppRefusedAddr = "http://127.0.0.1:1"

// ppApp is a provisioned App whose Cleanup runs once: Cleanup releases the shared store
// and limiter, which a second call would release again.
type ppApp struct {
	*App
	cleaned bool
}

// cleanup calls the App's Cleanup the first time only.
func (p *ppApp) cleanup() error {
	if p.cleaned {
		return nil
	}
	p.cleaned = true
	return p.App.Cleanup()
}

// ppProvision provisions an App on the memory store with providers and returns it with
// Provision's error. Its Cleanup runs when the test ends, also after a failed Provision
// (as Caddy does), unless the test already called it.
func ppProvision(t *testing.T, providers map[string]ProviderConfig) (*ppApp, error) {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	a := &ppApp{App: &App{
		Secret:    "pp-secret-0123456789abcdef0123456789abcdef",
		Store:     &StoreConfig{Type: "memory"},
		Providers: providers,
	}}
	err := a.Provision(ctx)
	t.Cleanup(func() {
		if err := a.cleanup(); err != nil {
			t.Errorf("Cleanup: %v", err)
		}
	})
	return a, err
}

// ppMustProvision is ppProvision for configurations that must be accepted.
func ppMustProvision(t *testing.T, providers map[string]ProviderConfig) *ppApp {
	t.Helper()
	a, err := ppProvision(t, providers)
	if err != nil {
		t.Fatalf("Provision: %v", err)
	}
	return a
}

// ppGitHub is a valid github provider whose client id tells tests apart in the pool.
func ppGitHub(clientID string) ProviderConfig {
	return ProviderConfig{Type: "github", ClientID: clientID, ClientSecret: "pp-client-secret"}
}

func TestPPWrongTypeOptionRefused(t *testing.T) {
	issuer := ppRefusedAddr + "/realms/pp"
	for _, tc := range []struct {
		name   string
		pc     ProviderConfig
		option string
	}{
		{"orgs on oidc", ProviderConfig{Type: "oidc", Issuer: issuer, Orgs: []string{"acme"}}, "orgs"},
		{"teams on oidc", ProviderConfig{Type: "oidc", Issuer: issuer, Teams: []string{"acme/ops"}}, "teams"},
		{"guilds on oidc", ProviderConfig{Type: "oidc", Issuer: issuer, Guilds: []string{"123"}}, "guilds"},
		{"api_url on oidc", ProviderConfig{Type: "oidc", Issuer: issuer, APIURL: ppRefusedAddr + "/api"}, "api_url"},
		{"domains on github", ProviderConfig{Type: "github", Domains: []string{"acme.com"}}, "domains"},
		{"issuer on github", ProviderConfig{Type: "github", Issuer: issuer}, "issuer"},
		{"signing_algs on discord", ProviderConfig{Type: "discord", SigningAlgs: []string{"RS256"}}, "signing_algs"},
		{"groups_claim on github", ProviderConfig{Type: "github", GroupsClaim: "groups"}, "groups_claim"},
		{"tenant on google", ProviderConfig{Type: "google", Tenant: "common"}, "tenant"},
		{"orgs on google", ProviderConfig{Type: "google", Orgs: []string{"acme"}}, "orgs"},
		{"teams on microsoft", ProviderConfig{Type: "microsoft", Teams: []string{"acme/ops"}}, "teams"},
		{"guilds on gitlab", ProviderConfig{Type: "gitlab", Guilds: []string{"123"}}, "guilds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.pc.ClientID, tc.pc.ClientSecret = "pp-wrong-type", "pp-client-secret"
			_, err := ppProvision(t, map[string]ProviderConfig{"corp": tc.pc})
			if err == nil {
				t.Fatalf("Provision accepted %s on a %s provider; a restriction that is not applied is a hole", tc.option, tc.pc.Type)
			}
			msg := err.Error()
			want := tc.option + " does not apply to the " + tc.pc.Type + " type"
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
			if n := strings.Count(msg, `provider "corp"`); n != 1 {
				t.Errorf("error %q names the provider %d times, want once", msg, n)
			}
		})
	}
}

func TestPPTypeValuesRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		pc   ProviderConfig
		want string
	}{
		{"discord guild not numeric", ProviderConfig{Type: "discord", Guilds: []string{"acme"}}, `guild "acme"`},
		{"microsoft tenant not a GUID", ProviderConfig{Type: "microsoft", Tenant: "acme.com"}, `tenant "acme.com"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.pc.ClientID, tc.pc.ClientSecret = "pp-values", "pp-client-secret"
			_, err := ppProvision(t, map[string]ProviderConfig{"corp": tc.pc})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Provision error = %v, want one about %s", err, tc.want)
			}
		})
	}
}

func TestPPUnsetEnvSecret(t *testing.T) {
	const variable = "PP_GATEHOUSE_UNSET_SECRET"
	t.Setenv(variable, "") // restored when the test ends
	for _, tc := range []struct {
		name, field string
		pc          ProviderConfig
	}{
		{"client_secret", "client_secret", ProviderConfig{Type: "github", ClientID: "pp-env", ClientSecret: "{env." + variable + "}"}},
		{"client_id", "client_id", ProviderConfig{Type: "github", ClientID: "{env." + variable + "}", ClientSecret: "pp-client-secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ppProvision(t, map[string]ProviderConfig{"gh": tc.pc})
			if err == nil {
				t.Fatalf("Provision accepted a %s from an unset environment variable", tc.field)
			}
			msg := err.Error()
			for _, want := range []string{`provider "gh"`, tc.field, variable} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestPPEnvSecretReplaced(t *testing.T) {
	t.Setenv("PP_GATEHOUSE_GH_ID", "pp-env-id")
	t.Setenv("PP_GATEHOUSE_GH_SECRET", "pp-env-secret")
	a := ppMustProvision(t, map[string]ProviderConfig{"gh": {
		Type: "github", ClientID: "{env.PP_GATEHOUSE_GH_ID}", ClientSecret: "{env.PP_GATEHOUSE_GH_SECRET}",
	}})
	u, err := a.providers["gh"].AuthURL(context.Background(), oidc.AuthRequest{
		State: "s", Verifier: strings.Repeat("v", 43), RedirectURL: "https://app.example.com/.gatehouse/callback/gh",
	})
	if err != nil {
		t.Fatalf("AuthURL: %v", err)
	}
	if !strings.Contains(u, "client_id=pp-env-id") {
		t.Errorf("authorization URL %q does not carry the client id from the environment", u)
	}
	if strings.Contains(u, "PP_GATEHOUSE") || strings.Contains(u, "pp-env-secret") {
		t.Errorf("authorization URL %q carries a placeholder or the secret", u)
	}
}

// TestPPProvisionNoNetwork points every type at a provider that refuses connections:
// Provision must not reach it (discovery happens at the first sign-in).
func TestPPProvisionNoNetwork(t *testing.T) {
	a := ppMustProvision(t, map[string]ProviderConfig{
		"corp": {Type: "oidc", ClientID: "pp-nonet", ClientSecret: "s", Issuer: ppRefusedAddr + "/realms/pp"},
	})
	if a.providers["corp"] == nil {
		t.Fatal("provider corp not loaded")
	}
	// Discovery runs on use, and reports the provider as unavailable (the portal's 503).
	_, err := a.providers["corp"].AuthURL(context.Background(), oidc.AuthRequest{
		State: "s", Nonce: "n", Verifier: strings.Repeat("v", 43), RedirectURL: "https://app.example.com/.gatehouse/callback/corp",
	})
	if !errors.Is(err, oidc.ErrUnavailable) {
		t.Errorf("AuthURL on an unreachable issuer: err = %v, want one wrapping oidc.ErrUnavailable", err)
	}
}

// TestPPProvisionNoRequest counts the requests Provision makes to each type's endpoints:
// there must be none.
func TestPPProvisionNoRequest(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	ppMustProvision(t, map[string]ProviderConfig{
		"oidc":   {Type: "oidc", ClientID: "pp-count", ClientSecret: "s", Issuer: srv.URL + "/realms/pp"},
		"gitlab": {Type: "gitlab", ClientID: "pp-count", ClientSecret: "s", Issuer: srv.URL},
		"google": {Type: "google", ClientID: "pp-count", ClientSecret: "s", Issuer: srv.URL, Domains: []string{"acme.com"}},
		"microsoft": {Type: "microsoft", ClientID: "pp-count", ClientSecret: "s",
			Tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", Issuer: srv.URL + "/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"},
		"github": {Type: "github", ClientID: "pp-count", ClientSecret: "s", Orgs: []string{"acme"},
			APIURL: srv.URL + "/api/v3", AuthURL: srv.URL + "/login/oauth/authorize", TokenURL: srv.URL + "/login/oauth/access_token"},
		"discord": {Type: "discord", ClientID: "pp-count", ClientSecret: "s", Guilds: []string{"123456789012345678"},
			APIURL: srv.URL + "/api", AuthURL: srv.URL + "/oauth2/authorize", TokenURL: srv.URL + "/api/oauth2/token"},
	})
	if n := hits.Load(); n != 0 {
		t.Errorf("Provision made %d requests to the identity provider, want none", n)
	}
}

func TestPPProvidersShared(t *testing.T) {
	cfg := map[string]ProviderConfig{"gh": ppGitHub("pp-shared")}
	a1 := ppMustProvision(t, cfg)
	a2 := ppMustProvision(t, cfg)
	if len(a1.providerKeys) != 1 || len(a2.providerKeys) != 1 || a1.providerKeys[0] != a2.providerKeys[0] {
		t.Fatalf("pool keys %q and %q: want one, the same, for the same configuration", a1.providerKeys, a2.providerKeys)
	}
	key := a1.providerKeys[0]
	if a1.providers["gh"].Provider != a2.providers["gh"].Provider {
		t.Error("two configs with the same provider got two instances; discovery and JWKS caches would not carry over a reload")
	}
	if refs, ok := providers.References(key); !ok || refs != 2 {
		t.Errorf("References = %d, %v after two Provisions; want 2, true", refs, ok)
	}
	if err := a1.cleanup(); err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
	if refs, ok := providers.References(key); !ok || refs != 1 {
		t.Errorf("References = %d, %v after one Cleanup; want 1, true", refs, ok)
	}
	if err := a2.cleanup(); err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
	if refs, ok := providers.References(key); ok || refs != 0 {
		t.Errorf("References = %d, %v after both Cleanups; want the provider released", refs, ok)
	}
}

func TestPPProvidersNotSharedWhenConfigDiffers(t *testing.T) {
	const variable = "PP_GATEHOUSE_ROTATED_SECRET"
	base := ProviderConfig{Type: "github", ClientID: "pp-differ", ClientSecret: "{env." + variable + "}"}
	t.Setenv(variable, "old-secret")
	old := ppMustProvision(t, map[string]ProviderConfig{"gh": base})
	t.Setenv(variable, "new-secret")
	rotated := ppMustProvision(t, map[string]ProviderConfig{"gh": base})
	orgs := base
	orgs.Orgs = []string{"acme"}
	restricted := ppMustProvision(t, map[string]ProviderConfig{"gh": orgs})
	renamed := ppMustProvision(t, map[string]ProviderConfig{"github": base})

	for _, tc := range []struct {
		name string
		a    *ppApp
		p    string
	}{
		{"rotated secret in the environment", rotated, "gh"},
		{"orgs added", restricted, "gh"},
		{"other name", renamed, "github"},
	} {
		if tc.a.providers[tc.p].Provider == old.providers["gh"].Provider {
			t.Errorf("%s: the old provider instance was reused; the change would not apply until restart", tc.name)
		}
	}
}

// TestPPFailedProvisionReleases checks that a Provision that fails on a later provider
// gives back the earlier one when Caddy cleans the App up.
func TestPPFailedProvisionReleases(t *testing.T) {
	good := ppGitHub("pp-release")
	keep := ppMustProvision(t, map[string]ProviderConfig{"a": good})
	key := keep.providerKeys[0]

	failed, err := ppProvision(t, map[string]ProviderConfig{
		"a": good,
		"b": {Type: "oidc", ClientID: "pp-release", ClientSecret: "s", Issuer: ppRefusedAddr, Orgs: []string{"acme"}},
	})
	if err == nil {
		t.Fatal("Provision accepted orgs on an oidc provider")
	}
	if err := failed.cleanup(); err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
	if refs, ok := providers.References(key); !ok || refs != 1 {
		t.Errorf("References = %d, %v after a failed Provision was cleaned up; want 1, true (only the live App)", refs, ok)
	}
}
