package gatehouse

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestMFARemoveFactor: removing a factor needs a second factor done in the last five
// minutes (a stolen session alone cannot strip a user's factors, the Authelia GHSA-6849
// class); once removed, the route sends the user back to enrollment.
func TestMFARemoveFactor(t *testing.T) {
	e := mfSetup(t, itConf{})
	c := e.client()
	c.mfSignIn("carol", "/")
	const route = "/admin/x"
	secret, _ := c.mfEnroll(route)
	remove := func() itResp {
		t.Helper()
		csrf := c.formToken(mfPromptPath(route)) // any portal page gives the browser's form token
		return c.do(http.MethodPost, "/.gatehouse/mfa/remove", url.Values{"factor": {"totp"}, "rd": {route}, "csrf": {csrf}}, nil)
	}

	// Six minutes after enrolling, the factor is no longer fresh enough to remove it.
	clockSkew.Add(int64(6 * time.Minute))
	t.Cleanup(func() { clockSkew.Store(0) })
	r := remove()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != mfPromptPath(mfSetupPath(route)) {
		t.Fatalf("removal without a fresh factor: status %d Location %q, want 303 to the prompt", r.Status, r.Header.Get("Location"))
	}
	itExpectStatus(t, "the route still passes (mfa without max age in this session)", c.get(route, nil), http.StatusOK)

	// A fresh code allows it.
	c.mfStepUp(mfCode(t, secret, mfNextStep()), route)
	itExpectStatus(t, "removal with a fresh factor", remove(), http.StatusOK)

	// The user has no factor any more: a new session is sent to enrollment.
	later := e.client()
	later.mfSignIn("carol", "/")
	r = later.get(mfPromptPath(route), itBrowser())
	if r.Status != http.StatusFound || r.Header.Get("Location") != mfSetupPath(route) {
		t.Fatalf("the prompt after removal: status %d Location %q, want 302 to enrollment", r.Status, r.Header.Get("Location"))
	}
}
