package gatehouse

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestIntegrationOIDCBrowserSignIn drives Chromium through sign-in at an OpenID provider:
// the app sends the browser to the sign-in page, the person clicks the provider's button,
// the provider approves at once, and the browser lands on the page it asked for.
func TestIntegrationOIDCBrowserSignIn(t *testing.T) {
	e := itSetup(t)
	idp := oiNewIdP(t, "corp")
	idp.SetUser(oiErin)
	e.load(itConf{app: idp.block("\t\t\tdisplay_name \"Corp SSO\"") + oiRoles, site: oiSite})
	ctx := itNewBrowser(t, 60*time.Second)

	if err := chromedp.Do(ctx, chromedp.Navigate(itBase+"/ui/home?tab=2")); err != nil {
		t.Fatalf("opening the app: %v", err)
	}
	if loc := itLocation(t, ctx); !strings.HasPrefix(loc, "/.gatehouse/login?rd=") {
		t.Fatalf("opening the app landed on %s, want the sign-in page", loc)
	}
	button := chromedp.CSS(`a[href^="/.gatehouse/start/corp"]`)
	label, err := chromedp.Run(ctx, chromedp.Text(button))
	if err != nil {
		t.Fatalf("finding the provider's button: %v", err)
	}
	if !strings.Contains(label, "Sign in with Corp SSO") {
		t.Errorf("the provider's button says %q, want \"Sign in with Corp SSO\"", label)
	}

	res, err := chromedp.RunResponse(ctx, chromedp.Click(button))
	if err != nil {
		t.Fatalf("clicking the provider's button: %v", err)
	}
	if res.Status != 200 {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("after sign-in: status %d on %s: %s", res.Status, itLocation(t, ctx), body)
	}
	if loc := itLocation(t, ctx); loc != "/ui/home?tab=2" {
		t.Errorf("after sign-in the browser is on %s, want /ui/home?tab=2", loc)
	}
	user, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("remote-user")))
	if err != nil {
		t.Fatalf("reading the app page: %v", err)
	}
	if user != "erin" {
		t.Errorf("the app page shows Remote-User %q, want erin", user)
	}
	if groups, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("remote-groups"))); err != nil || groups != "engineering,ops" {
		t.Errorf("the app page shows Remote-Groups %q (%v), want engineering,ops", groups, err)
	}
	if idp.PKCEFailures() != 0 {
		t.Errorf("the provider saw %d PKCE failures", idp.PKCEFailures())
	}
}
