package gatehouse

// Second factors in Chromium: TOTP enrollment read from the page and step-up, and a security
// key registered and used through Chrome's virtual authenticator (DevTools WebAuthn domain).

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// mfBrowserTimeout bounds each browser test.
const mfBrowserTimeout = 90 * time.Second

// mfWaitLocation waits until the page's path and query start with prefix.
func mfWaitLocation(t *testing.T, ctx context.Context, prefix string) {
	t.Helper()
	var loc string
	ok := itPoll(15*time.Second, func() bool {
		l, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			return false
		}
		loc = strings.TrimPrefix(l, itBase)
		return strings.HasPrefix(loc, prefix)
	})
	if !ok {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("the browser is on %s, want %s…; the page says: %s", loc, prefix, oiShort(body))
	}
}

// mfBrowserSignIn opens the admin area and signs in as name on the page it is sent to; it
// returns where the browser lands.
func mfBrowserSignIn(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(itBase+"/admin/ui")); err != nil {
		t.Fatalf("opening the admin area: %v", err)
	}
	mfWaitLocation(t, ctx, "/.gatehouse/login?rd=")
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), mfPassword(t, name)),
	); err != nil {
		t.Fatalf("filling the sign-in form: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action$="/login"] button[type=submit]`))); err != nil {
		t.Fatalf("submitting the sign-in form: %v", err)
	}
	return itLocation(t, ctx)
}

// mfBrowserSignOut signs out from the confirm page.
func mfBrowserSignOut(t *testing.T, ctx context.Context) {
	t.Helper()
	itOpenSignOut(t, ctx)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action$="/logout"] button[type=submit]`))); err != nil {
		t.Fatalf("confirming sign-out: %v", err)
	}
	mfWaitLocation(t, ctx, "/.gatehouse/login")
}

// mfExpectAdminPage checks that the browser shows the admin area's page as user.
func mfExpectAdminPage(t *testing.T, ctx context.Context, user string) {
	t.Helper()
	mfWaitLocation(t, ctx, "/admin/ui")
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("remote-user")))
	if err != nil || got != user {
		t.Fatalf("the admin page shows Remote-User %q (%v), want %s", got, err, user)
	}
}

// TestMFABrowserTOTP: a person enrolls an authenticator app from the QR page's secret, sees
// backup codes, reaches the admin area; after signing in again, a code steps up.
func TestMFABrowserTOTP(t *testing.T) {
	mfSetup(t, itConf{})
	ctx := itNewBrowser(t, mfBrowserTimeout)

	if loc := mfBrowserSignIn(t, ctx, "bob"); !strings.HasPrefix(loc, mfSetupPath("/admin/ui")) {
		t.Fatalf("after sign-in the browser is on %s, want enrollment %s", loc, mfSetupPath("/admin/ui"))
	}
	src, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("img.qr"), "src"))
	if err != nil || !strings.HasPrefix(src.Value, "data:image/png;base64,") {
		t.Errorf("the QR image's src is %.40q (%v), want a data:image/png URL", src.Value, err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("totp-secret")))
	if err != nil {
		t.Fatalf("reading the secret: %v", err)
	}
	secret := strings.Join(strings.Fields(shown), "")
	if len(secret) < 26 {
		t.Fatalf("the page shows secret %q", shown)
	}

	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("code"), mfCode(t, secret, mfNextStep()))); err != nil {
		t.Fatalf("typing the code: %v", err)
	}
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action$="/mfa/setup"] button[type=submit]`)))
	if err != nil || res.Status != 200 {
		t.Fatalf("turning on the authenticator app: %v (status %v)", err, res)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("ol.codes li code").length`))
	if err != nil || n != mfBackupCount {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("the page shows %d backup codes (%v), want %d: %s", n, err, mfBackupCount, oiShort(body))
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("a.continue"))); err != nil {
		t.Fatalf("continuing: %v", err)
	}
	mfExpectAdminPage(t, ctx, "bob")

	// A new sign-in asks for a code (of another time step: the first one is used up).
	mfBrowserSignOut(t, ctx)
	if loc := mfBrowserSignIn(t, ctx, "bob"); !strings.HasPrefix(loc, mfPromptPath("/admin/ui")) {
		t.Fatalf("after signing in again the browser is on %s, want the prompt %s", loc, mfPromptPath("/admin/ui"))
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("code"), mfCode(t, secret, mfNextStep()))); err != nil {
		t.Fatalf("typing the code: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form:has(#code) button[type=submit]`))); err != nil {
		t.Fatalf("submitting the code: %v", err)
	}
	mfExpectAdminPage(t, ctx, "bob")
}

// mfVirtualAuthenticator enables the page's WebAuthn domain with a virtual platform
// authenticator that verifies the user and is always touched.
func mfVirtualAuthenticator() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return fmt.Errorf("WebAuthn.enable: %w", err)
		}
		_, err := cdp.Call(ctx, t, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport:      webauthn.AuthenticatorTransportInternal,
				HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
		if err != nil {
			return fmt.Errorf("WebAuthn.addVirtualAuthenticator: %w", err)
		}
		return nil
	})
}

// TestMFABrowserWebAuthn: a person registers a security key (Chrome's virtual
// authenticator) as their second factor, then steps up with it after signing in again.
func TestMFABrowserWebAuthn(t *testing.T) {
	mfSetup(t, itConf{app: fmt.Sprintf(`
		mfa {
			webauthn rp_id localhost origins http://localhost:%d
		}`, itSitePort)})
	ctx := itNewBrowser(t, mfBrowserTimeout)
	if loc := mfBrowserSignIn(t, ctx, "bob"); !strings.HasPrefix(loc, mfSetupPath("/admin/ui")) {
		t.Fatalf("after sign-in the browser is on %s, want enrollment %s", loc, mfSetupPath("/admin/ui"))
	}
	if err := chromedp.Do(ctx, mfVirtualAuthenticator()); err != nil {
		t.Fatalf("adding the virtual authenticator: %v", err)
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-webauthn="register"]`))); err != nil {
		t.Fatalf("clicking register: %v", err)
	}
	// Registered: the setup page comes back listing one key.
	if err := mfWaitFor(ctx, chromedp.WaitVisible(chromedp.CSS("dl.summary"))); err != nil {
		alert, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("after registering, no list of factors (%v); the page says: %s", err, oiShort(alert))
	}
	summary, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("dl.summary")))
	if err != nil || !strings.Contains(summary, "Security keys and passkeys\n1") && !strings.Contains(summary, "Security keys and passkeys 1") {
		t.Errorf("after registering the page lists %q (%v), want one security key", summary, err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(itBase+"/admin/ui")); err != nil {
		t.Fatalf("opening the admin area: %v", err)
	}
	mfExpectAdminPage(t, ctx, "bob")

	mfBrowserSignOut(t, ctx)
	if loc := mfBrowserSignIn(t, ctx, "bob"); !strings.HasPrefix(loc, mfPromptPath("/admin/ui")) {
		t.Fatalf("after signing in again the browser is on %s, want the prompt %s", loc, mfPromptPath("/admin/ui"))
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-webauthn="login"]`))); err != nil {
		t.Fatalf("clicking the security key button: %v", err)
	}
	mfExpectAdminPage(t, ctx, "bob")
}

// mfWaitFor runs a waiting action for at most 15 seconds (the browser context has run once).
func mfWaitFor(ctx context.Context, a chromedp.Action[chromedp.Void]) error {
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return chromedp.Do(wctx, a)
}
