package gatehouse

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// itChromium is Debian's Chromium, which the browser tests drive.
const itChromium = "/usr/bin/chromium"

// itNewBrowser starts a headless Chromium with a fresh profile, bounded by timeout.
func itNewBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(itChromium); err != nil {
		t.Fatalf("the browser tests need Chromium at %s (apt-get install chromium): %v", itChromium, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(itChromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
	})
	return browserCtx
}

// itLocation returns the page's URL path and query.
func itLocation(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("reading the location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("location %q: %v", loc, err)
	}
	return u.RequestURI()
}

// TestIntegrationBrowserSignIn drives Chromium through sign-in, a refused admin page and
// sign-out, as a person would.
func TestIntegrationBrowserSignIn(t *testing.T) {
	e := itSetup(t)
	e.load(itConf{app: itRoles, site: itSiteDefault})
	ctx := itNewBrowser(t, 60*time.Second)
	bob := itAccountByName(t, "bob")

	// The app sends the browser to the sign-in page.
	if err := chromedp.Do(ctx, chromedp.Navigate(itBase+"/ui/home?tab=1")); err != nil {
		t.Fatalf("opening the app: %v", err)
	}
	if loc := itLocation(t, ctx); !strings.HasPrefix(loc, "/.gatehouse/login?rd=") {
		t.Fatalf("opening the app landed on %s, want the sign-in page", loc)
	}

	// The person types their name and password and submits the form.
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), bob.name),
		chromedp.SendKeys(chromedp.ID("password"), bob.pass),
	); err != nil {
		t.Fatalf("filling the sign-in form: %v", err)
	}
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action$="/login"] button[type=submit]`)))
	if err != nil {
		t.Fatalf("submitting the sign-in form: %v", err)
	}
	if res.Status != 200 {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("after sign-in: status %d, on %s: %s", res.Status, itLocation(t, ctx), body)
	}
	if loc := itLocation(t, ctx); loc != "/ui/home?tab=1" {
		t.Errorf("after sign-in the browser is on %s, want /ui/home?tab=1", loc)
	}
	user, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("remote-user")))
	if err != nil {
		t.Fatalf("reading the app page: %v", err)
	}
	if user != "bob" {
		t.Errorf("the app page shows Remote-User %q, want bob", user)
	}
	roles, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("remote-roles")))
	if err != nil || roles != "editor" {
		t.Errorf("the app page shows Remote-Roles %q (%v), want editor", roles, err)
	}

	// The admin area is refused with a page saying so.
	res, err = chromedp.Run(ctx, chromedp.NavigateResponse(itBase+"/admin/ui"))
	if err != nil {
		t.Fatalf("opening the admin area: %v", err)
	}
	if res.Status != 403 {
		t.Errorf("the admin area answered %d, want 403", res.Status)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatalf("reading the 403 page: %v", err)
	}
	if !strings.Contains(heading, "access") {
		t.Errorf("the 403 page says %q, want a heading about access", heading)
	}

	// Sign out from the confirm page; opening it alone does not sign out.
	itOpenSignOut(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(itBase+"/ui/home")); err != nil {
		t.Fatalf("opening the app: %v", err)
	}
	if user, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("remote-user"))); err != nil || user != "bob" {
		t.Errorf("after opening the sign-out page the app shows %q (%v), want bob still signed in", user, err)
	}
	itOpenSignOut(t, ctx)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action$="/logout"] button[type=submit]`))); err != nil {
		t.Fatalf("confirming sign-out: %v", err)
	}
	if loc := itLocation(t, ctx); !strings.HasPrefix(loc, "/.gatehouse/login") {
		t.Errorf("after sign-out the browser is on %s, want the sign-in page", loc)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("password"))); err != nil {
		t.Errorf("no sign-in form after sign-out: %v", err)
	}

	// The app asks for sign-in again.
	if err := chromedp.Do(ctx, chromedp.Navigate(itBase+"/ui/home")); err != nil {
		t.Fatalf("opening the app after sign-out: %v", err)
	}
	if loc := itLocation(t, ctx); !strings.HasPrefix(loc, "/.gatehouse/login?rd=") {
		t.Errorf("after sign-out the app landed on %s, want the sign-in page", loc)
	}
}

// itOpenSignOut opens the sign-out confirm page.
func itOpenSignOut(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(itBase+"/.gatehouse/logout")); err != nil {
		t.Fatalf("opening the sign-out page: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || !strings.Contains(heading, "Sign out") {
		t.Errorf("the sign-out page says %q (%v)", heading, err)
	}
}
