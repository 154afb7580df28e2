package gatehouse

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehousehq/gatehouse/caddyauth/mfa"
	"github.com/gatehousehq/gatehouse/caddyauth/ratelimit"
	"github.com/gatehousehq/gatehouse/caddyauth/session"
	"github.com/gatehousehq/gatehouse/web"
)

// Second-factor limits and windows.
var (
	// mfaFailureLimit locks a user's second-factor prompt after repeated wrong codes.
	mfaFailureLimit = ratelimit.FailureLimit{Name: "mfa", Max: 5, Window: 15 * time.Minute}
)

const (
	// sensitiveMFAAge is how fresh a second factor must be to change factors (add one when
	// one exists, regenerate backup codes): a stolen session alone cannot do it.
	sensitiveMFAAge = 5 * time.Minute
	// pendingTOTPLifetime is how long an enrollment's secret waits for its first code.
	pendingTOTPLifetime = 10 * time.Minute
	// ceremonyCookieSuffix names the cookie that carries a WebAuthn ceremony id.
	ceremonyCookieSuffix = "_wa"
)

// mfaRuntime is what the app builds from MFAConfig at provision.
type mfaRuntime struct {
	totp     *mfa.TOTP
	sealer   *mfa.Sealer
	factors  *mfa.Factors
	webauthn *WebAuthnConfig
}

// provisionMFA builds the second-factor machinery (no I/O).
func (a *App) provisionMFA() error {
	if a.MFA == nil {
		return nil
	}
	sealer, err := mfa.NewSealer(a.secret)
	if err != nil {
		return fmt.Errorf("mfa: %w", err)
	}
	rt := &mfaRuntime{sealer: sealer, factors: mfa.NewFactors(a.store, sealer), webauthn: a.MFA.WebAuthn}
	if t := a.MFA.TOTP; t != nil {
		rt.totp = &mfa.TOTP{Issuer: t.Issuer, Digits: t.Digits, Period: time.Duration(t.Period)}
		if err := rt.totp.Validate(); err != nil {
			return fmt.Errorf("mfa totp: %w", err)
		}
	}
	a.mfa = rt
	return nil
}

// serveMFA answers /.gatehouse/mfa and below. Every endpoint needs a session.
func (a *App) serveMFA(w http.ResponseWriter, r *http.Request, st *requestState, p string) error {
	if a.mfa == nil {
		return a.fail(w, r, http.StatusNotFound, errors.New("no second factors are configured"), st)
	}
	if !st.signedIn {
		if wantsHTML(r) {
			http.Redirect(w, r, portalPrefix+"/login?rd="+url.QueryEscape(originalURI(r)), http.StatusFound)
			return nil
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
		return caddyhttp.Error(http.StatusUnauthorized, errNotSignedIn)
	}
	rec, err := a.factorsOf(r.Context(), &st.active)
	if err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	switch {
	case p == "/mfa" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		if !rec.Enrolled() {
			http.Redirect(w, r, portalPrefix+"/mfa/setup?rd="+url.QueryEscape(a.returnURL(r)), http.StatusFound)
			return nil
		}
		return a.mfaPage(w, r, st, rec, http.StatusOK, "")
	case p == "/mfa" && r.Method == http.MethodPost:
		return a.mfaVerify(w, r, st, rec)
	case p == "/mfa/setup" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		return a.setupPage(w, r, st, rec, nil, http.StatusOK, "")
	case p == "/mfa/setup" && r.Method == http.MethodPost:
		return a.setupTOTP(w, r, st, rec)
	case p == "/mfa/backup-codes" && r.Method == http.MethodPost:
		return a.regenerateBackupCodes(w, r, st, rec)
	case p == "/mfa/remove" && r.Method == http.MethodPost:
		return a.removeFactor(w, r, st, rec)
	case strings.HasPrefix(p, "/mfa/webauthn/") && r.Method == http.MethodPost:
		return a.serveWebAuthn(w, r, st, rec, strings.TrimPrefix(p, "/mfa/webauthn/"))
	}
	return a.fail(w, r, http.StatusNotFound, fmt.Errorf("no portal endpoint %q", r.URL.Path), st)
}

// factorOwner is whose factors a session uses: the user name at its identity source, so
// that "alice" at a provider can never use or change the factors of the local "alice"
// (provider names cannot contain ':').
func factorOwner(s *session.Active) string { return s.Provider + ":" + s.User }

// factorsOf loads a user's factors, adding the users file's admin-provisioned TOTP secret.
func (a *App) factorsOf(ctx context.Context, s *session.Active) (*mfa.Record, error) {
	rec, err := a.mfa.factors.Load(ctx, factorOwner(s))
	if err != nil {
		return nil, err
	}
	if rec.TOTP == nil && s.Provider == "local" && a.users != nil && a.mfa.totp != nil {
		if u, ok := a.users.Lookup(s.User); ok && u.TOTPSecret != "" {
			rec.TOTP = &mfa.TOTPFactor{Secret: strings.ToUpper(strings.TrimRight(u.TOTPSecret, "=")), Confirmed: true, Provisioned: true}
		}
	}
	return rec, nil
}

func (a *App) mfaPage(w http.ResponseWriter, r *http.Request, st *requestState, rec *mfa.Record, status int, msg string) error {
	page := web.MFAPage{
		Base: a.base(r, st), RD: a.returnURL(r), CSRF: a.formToken(w, r), Error: msg,
		TOTP:     a.mfa.totp != nil && rec.TOTP != nil && rec.TOTP.Confirmed,
		WebAuthn: a.mfa.webauthn != nil && len(rec.Credentials) > 0,
		Backup:   len(rec.BackupCodes) > 0,
	}
	rdq := "?rd=" + url.QueryEscape(page.RD)
	page.BeginURL, page.FinishURL = portalPrefix+"/mfa/webauthn/login/begin"+rdq, portalPrefix+"/mfa/webauthn/login/finish"+rdq
	return a.render(w, status, "mfa", page)
}

// mfaVerify checks a TOTP or backup code posted from the prompt.
func (a *App) mfaVerify(w http.ResponseWriter, r *http.Request, st *requestState, rec *mfa.Record) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return caddyhttp.Error(http.StatusBadRequest, fmt.Errorf("reading second-factor form: %w", err))
	}
	if !a.checkForm(r) {
		return a.mfaPage(w, r, st, rec, http.StatusForbidden, "Your form expired. Please try again.")
	}
	ctx := r.Context()
	user := factorOwner(&st.active)
	logger := a.logger.With(zap.String("user", st.active.User), zap.String("client_ip", clientIP(r)))
	locked, err := a.failures.Locked(ctx, mfaFailureLimit, user)
	if err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	if locked {
		mfaTotal.WithLabelValues("any", "throttled").Inc()
		w.Header().Set("Retry-After", fmt.Sprint(int(mfaFailureLimit.Window.Seconds())))
		return a.mfaPage(w, r, st, rec, http.StatusTooManyRequests, "Too many wrong codes. Please wait a few minutes and try again.")
	}
	method, ok := "", false
	if code := strings.TrimSpace(r.PostFormValue("code")); code != "" && a.mfa.totp != nil && rec.TOTP != nil && rec.TOTP.Confirmed {
		method = "totp"
		if counter, match := a.mfa.totp.Check(rec.TOTP.Secret, code, now()); match {
			first, err := mfa.Used(ctx, a.store, user, counter, a.mfa.totp.Period)
			if err != nil {
				return a.fail(w, r, http.StatusServiceUnavailable, err, st)
			}
			ok = first // a code already used is refused (RFC 6238 §5.2)
		}
	} else if code := r.PostFormValue("backup_code"); code != "" && len(rec.BackupCodes) > 0 {
		method = "backup"
		var left []string
		if left, ok = mfa.UseBackupCode(a.mfa.sealer.BackupKey(), rec.BackupCodes, code); ok {
			// Claim the code atomically first: two requests holding the same record must not
			// both spend it.
			first, err := mfa.UsedBackupCode(ctx, a.store, a.mfa.sealer.BackupKey(), user, code)
			if err != nil {
				return a.fail(w, r, http.StatusServiceUnavailable, err, st)
			}
			ok = first
		}
		if ok {
			rec.BackupCodes = left
			if err := a.mfa.factors.Save(ctx, user, rec); err != nil {
				return a.fail(w, r, http.StatusServiceUnavailable, err, st)
			}
		}
	}
	if !ok {
		if _, err := a.failures.Fail(ctx, mfaFailureLimit, user); err != nil {
			return a.fail(w, r, http.StatusServiceUnavailable, err, st)
		}
		mfaTotal.WithLabelValues(orUnknown(method), "failure").Inc()
		logger.Warn("second factor failed", zap.String("method", orUnknown(method)))
		return a.mfaPage(w, r, st, rec, http.StatusUnauthorized, "That code is not valid. Please try again.")
	}
	mfaTotal.WithLabelValues(method, "success").Inc()
	logger.Info("second factor done", zap.String("method", method))
	if err := a.completeSecondFactor(w, r, st, "otp"); err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	http.Redirect(w, r, a.returnURL(r), http.StatusSeeOther)
	return nil
}

// completeSecondFactor records a second factor in a NEW session (the old one is ended), so
// a session id seen before the step-up is worth nothing after it.
func (a *App) completeSecondFactor(w http.ResponseWriter, r *http.Request, st *requestState, amr string) error {
	id := st.active.Identity
	id.MFATime = now()
	if !slices.Contains(id.AMR, amr) {
		id.AMR = append(slices.Clone(id.AMR), amr)
	}
	token, sess, err := a.sessions.Create(r.Context(), id, st.active.Device, st.active.Upstream)
	if err != nil {
		return err
	}
	if err := a.sessions.Delete(r.Context(), st.token); err != nil {
		return err
	}
	a.setSessionCookie(w, r, token, sess.Expires)
	// The rest of this request sees the new session.
	st.token = token
	st.active.Session = sess
	return nil
}

// sensitive tells whether the session's second factor is fresh enough to change factors.
// A user with no factor yet may enroll the first one without.
func sensitiveOK(st *requestState, rec *mfa.Record) bool {
	return !rec.Enrolled() || mfaFresh(st.active.MFATime, sensitiveMFAAge)
}

// setupPage shows enrollment: a pending TOTP secret with its QR code (kept sealed in the
// store until confirmed), security keys, backup codes.
func (a *App) setupPage(w http.ResponseWriter, r *http.Request, st *requestState, rec *mfa.Record, codes []string, status int, msg string) error {
	if !sensitiveOK(st, rec) {
		http.Redirect(w, r, portalPrefix+"/mfa?rd="+url.QueryEscape(portalPrefix+"/mfa/setup?rd="+url.QueryEscape(a.returnURL(r))), http.StatusFound)
		return nil
	}
	page := web.MFASetupPage{
		Base: a.base(r, st), RD: a.returnURL(r), CSRF: a.formToken(w, r), Error: msg,
		Account: st.active.User, WebAuthn: a.mfa.webauthn != nil,
		BackupCodes: codes, TOTPEnrolled: rec.TOTP != nil && rec.TOTP.Confirmed, Keys: len(rec.Credentials),
		BackupLeft: len(rec.BackupCodes), Enrolled: rec.Enrolled(),
		TOTPRemovable: rec.TOTP != nil && rec.TOTP.Confirmed && !rec.TOTP.Provisioned,
		KeysRemovable: len(rec.Credentials) > 0,
	}
	if page.Enrolled {
		page.Continue = page.RD
	}
	rdq := "?rd=" + url.QueryEscape(page.RD)
	page.RegisterBeginURL = portalPrefix + "/mfa/webauthn/register/begin" + rdq
	page.RegisterFinishURL = portalPrefix + "/mfa/webauthn/register/finish" + rdq
	if a.mfa.totp != nil && !page.TOTPEnrolled {
		secret, err := a.pendingTOTP(r.Context(), &st.active, true)
		if err != nil {
			return a.fail(w, r, http.StatusServiceUnavailable, err, st)
		}
		uri := a.mfa.totp.KeyURI(st.active.User, secret)
		png, err := a.mfa.totp.QRCodePNG(uri)
		if err != nil {
			return caddyhttp.Error(http.StatusInternalServerError, fmt.Errorf("rendering QR code: %w", err))
		}
		page.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
		page.Secret, page.Issuer = secret, a.mfa.totp.Issuer
	}
	return a.render(w, status, "mfa_setup", page)
}

// pendingTOTP returns the session's enrollment secret, making one when create is set.
func (a *App) pendingTOTP(ctx context.Context, s *session.Active, create bool) (string, error) {
	key := "mfa-pending:" + s.Key
	sealed, err := a.store.Get(ctx, key)
	if err == nil {
		secret, err := a.mfa.sealer.Open(sealed, s.Key)
		if err == nil {
			return string(secret), nil
		}
	}
	if !create {
		return "", nil
	}
	secret := mfa.GenerateSecret()
	sealed, err = a.mfa.sealer.Seal([]byte(secret), s.Key)
	if err != nil {
		return "", err
	}
	if err := a.store.Set(ctx, key, sealed, pendingTOTPLifetime); err != nil {
		return "", fmt.Errorf("saving enrollment: %w", err)
	}
	return secret, nil
}

// setupTOTP confirms an enrollment with a first code; the factor is active from then on. The
// first enrollment also hands out backup codes, shown once.
func (a *App) setupTOTP(w http.ResponseWriter, r *http.Request, st *requestState, rec *mfa.Record) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return caddyhttp.Error(http.StatusBadRequest, fmt.Errorf("reading enrollment form: %w", err))
	}
	if !a.checkForm(r) {
		return a.setupPage(w, r, st, rec, nil, http.StatusForbidden, "Your form expired. Please try again.")
	}
	if !sensitiveOK(st, rec) || a.mfa.totp == nil {
		return a.setupPage(w, r, st, rec, nil, http.StatusForbidden, "")
	}
	ctx := r.Context()
	user := factorOwner(&st.active)
	locked, err := a.failures.Locked(ctx, mfaFailureLimit, user)
	if err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	if locked {
		return a.setupPage(w, r, st, rec, nil, http.StatusTooManyRequests, "Too many wrong codes. Please wait a few minutes and try again.")
	}
	secret, err := a.pendingTOTP(ctx, &st.active, false)
	if err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	counter, ok := int64(0), false
	if secret != "" {
		counter, ok = a.mfa.totp.Check(secret, strings.TrimSpace(r.PostFormValue("code")), now())
	}
	if ok {
		ok, err = mfa.Used(ctx, a.store, user, counter, a.mfa.totp.Period)
		if err != nil {
			return a.fail(w, r, http.StatusServiceUnavailable, err, st)
		}
	}
	if !ok {
		if _, err := a.failures.Fail(ctx, mfaFailureLimit, user); err != nil {
			return a.fail(w, r, http.StatusServiceUnavailable, err, st)
		}
		return a.setupPage(w, r, st, rec, nil, http.StatusUnauthorized, "That code is not valid. Check the time on your device and try again.")
	}
	rec.TOTP = &mfa.TOTPFactor{Secret: secret, Confirmed: true, Added: now()}
	var codes []string
	if a.MFA.BackupCodes > 0 && len(rec.BackupCodes) == 0 {
		codes, rec.BackupCodes = mfa.NewBackupCodes(a.mfa.sealer.BackupKey(), a.MFA.BackupCodes)
	}
	rec.Updated = now()
	if err := a.mfa.factors.Save(ctx, user, rec); err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	_ = a.store.Delete(ctx, "mfa-pending:"+st.active.Key)
	a.logger.Info("second factor enrolled", zap.String("user", user), zap.String("method", "totp"))
	if err := a.completeSecondFactor(w, r, st, "otp"); err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	return a.setupPage(w, r, st, rec, codes, http.StatusOK, "")
}

// regenerateBackupCodes replaces the backup codes; it needs a fresh second factor.
func (a *App) regenerateBackupCodes(w http.ResponseWriter, r *http.Request, st *requestState, rec *mfa.Record) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return caddyhttp.Error(http.StatusBadRequest, err)
	}
	if !a.checkForm(r) || !rec.Enrolled() || a.MFA.BackupCodes == 0 {
		return a.setupPage(w, r, st, rec, nil, http.StatusForbidden, "Your form expired. Please try again.")
	}
	if !mfaFresh(st.active.MFATime, sensitiveMFAAge) {
		http.Redirect(w, r, portalPrefix+"/mfa?rd="+url.QueryEscape(portalPrefix+"/mfa/setup?rd="+url.QueryEscape(a.returnURL(r))), http.StatusSeeOther)
		return nil
	}
	var codes []string
	codes, rec.BackupCodes = mfa.NewBackupCodes(a.mfa.sealer.BackupKey(), a.MFA.BackupCodes)
	rec.Updated = now()
	if err := a.mfa.factors.Save(r.Context(), factorOwner(&st.active), rec); err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	a.logger.Info("backup codes regenerated", zap.String("user", st.active.User))
	return a.setupPage(w, r, st, rec, codes, http.StatusOK, "")
}

// removeFactor removes the authenticator app or every security key; it needs a fresh
// second factor (a stolen session alone cannot strip a user's factors). Backup codes go
// with the last real factor.
func (a *App) removeFactor(w http.ResponseWriter, r *http.Request, st *requestState, rec *mfa.Record) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return caddyhttp.Error(http.StatusBadRequest, err)
	}
	if !a.checkForm(r) {
		return a.setupPage(w, r, st, rec, nil, http.StatusForbidden, "Your form expired. Please try again.")
	}
	if !mfaFresh(st.active.MFATime, sensitiveMFAAge) {
		http.Redirect(w, r, portalPrefix+"/mfa?rd="+url.QueryEscape(portalPrefix+"/mfa/setup?rd="+url.QueryEscape(a.returnURL(r))), http.StatusSeeOther)
		return nil
	}
	switch factor := r.PostFormValue("factor"); {
	case factor == "totp" && rec.TOTP != nil && !rec.TOTP.Provisioned:
		rec.TOTP = nil
	case factor == "keys" && len(rec.Credentials) > 0:
		rec.Credentials = nil
	default:
		return a.setupPage(w, r, st, rec, nil, http.StatusBadRequest, "That factor cannot be removed here.")
	}
	if (rec.TOTP == nil || !rec.TOTP.Confirmed) && len(rec.Credentials) == 0 {
		rec.BackupCodes = nil
	}
	rec.Updated = now()
	if err := a.mfa.factors.Save(r.Context(), factorOwner(&st.active), rec); err != nil {
		return a.fail(w, r, http.StatusServiceUnavailable, err, st)
	}
	a.logger.Info("second factor removed", zap.String("user", st.active.User), zap.String("factor", r.PostFormValue("factor")))
	return a.setupPage(w, r, st, rec, nil, http.StatusOK, "")
}

// serveWebAuthn runs the security-key ceremonies (JSON in and out, called by webauthn.js).
func (a *App) serveWebAuthn(w http.ResponseWriter, r *http.Request, st *requestState, rec *mfa.Record, op string) error {
	w.Header().Set("Cache-Control", "no-store")
	if a.mfa.webauthn == nil {
		return jsonError(w, http.StatusNotFound, "Security keys are not enabled on this site.")
	}
	if !sameOrigin(r) {
		return jsonError(w, http.StatusForbidden, "This request did not come from this site.")
	}
	binding, ok := a.formBinding(r)
	if !ok || !session.CheckFormToken(a.secret, binding, r.Header.Get("X-Gatehouse-CSRF")) {
		return jsonError(w, http.StatusForbidden, "This page has expired. Reload it and try again.")
	}
	wa, err := a.webAuthnFor(r)
	if err != nil {
		return jsonError(w, http.StatusInternalServerError, "Security keys are not set up correctly on this site.")
	}
	ctx := r.Context()
	user := factorOwner(&st.active)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		return jsonError(w, http.StatusBadRequest, "The request was too large.")
	}
	switch op {
	case "register/begin", "login/begin":
		var opts []byte
		var ceremony string
		if op == "register/begin" {
			if !sensitiveOK(st, rec) {
				return jsonError(w, http.StatusForbidden, "Confirm it's you with your current second factor first.")
			}
			opts, ceremony, err = wa.BeginRegistration(ctx, a.store, user, rec.Credentials)
		} else {
			if len(rec.Credentials) == 0 {
				return jsonError(w, http.StatusBadRequest, "No security key is registered for your account.")
			}
			opts, ceremony, err = wa.BeginLogin(ctx, a.store, user, rec.Credentials)
		}
		if err != nil {
			return jsonError(w, http.StatusServiceUnavailable, "Could not start. Please try again.")
		}
		http.SetCookie(w, &http.Cookie{Name: a.cookie.name + ceremonyCookieSuffix, Value: ceremony, Path: portalPrefix + "/",
			MaxAge: 300, HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
		w.Header().Set("Content-Type", "application/json")
		_, err = w.Write(opts)
		return err
	case "register/finish", "login/finish":
		ceremony := ""
		for _, v := range r.Header.Values("Cookie") {
			if c, ok := session.CookieValue(v, a.cookie.name+ceremonyCookieSuffix); ok {
				ceremony = c
			}
		}
		if op == "register/finish" {
			if !sensitiveOK(st, rec) {
				return jsonError(w, http.StatusForbidden, "Confirm it's you with your current second factor first.")
			}
			cred, err := wa.FinishRegistration(ctx, a.store, user, ceremony, rec.Credentials, body)
			if err != nil {
				a.logger.Warn("security key registration failed", zap.String("user", user), zap.Error(err))
				return jsonError(w, http.StatusBadRequest, "The security key could not be registered.")
			}
			// Backup codes are not made here (a JSON answer cannot show them): the setup page
			// the browser goes to next offers them.
			rec.Credentials = append(rec.Credentials, *cred)
			rec.Updated = now()
			if err := a.mfa.factors.Save(ctx, user, rec); err != nil {
				return jsonError(w, http.StatusServiceUnavailable, "Could not save. Please try again.")
			}
			a.logger.Info("second factor enrolled", zap.String("user", user), zap.String("method", "webauthn"))
			if err := a.completeSecondFactor(w, r, st, "hwk"); err != nil {
				return jsonError(w, http.StatusServiceUnavailable, "Could not save. Please try again.")
			}
			return jsonRedirect(w, portalPrefix+"/mfa/setup?rd="+url.QueryEscape(a.returnURL(r)))
		}
		if locked, err := a.failures.Locked(ctx, mfaFailureLimit, user); err != nil || locked {
			return jsonError(w, http.StatusTooManyRequests, "Too many failed attempts. Please wait a few minutes.")
		}
		updated, err := wa.FinishLogin(ctx, a.store, user, ceremony, rec.Credentials, body)
		if err != nil {
			_, _ = a.failures.Fail(ctx, mfaFailureLimit, user)
			mfaTotal.WithLabelValues("webauthn", "failure").Inc()
			a.logger.Warn("security key sign-in failed", zap.String("user", user), zap.Error(err))
			return jsonError(w, http.StatusUnauthorized, "The security key was not accepted.")
		}
		rec.UpdateCredential(*updated)
		if err := a.mfa.factors.Save(ctx, user, rec); err != nil {
			return jsonError(w, http.StatusServiceUnavailable, "Could not save. Please try again.")
		}
		mfaTotal.WithLabelValues("webauthn", "success").Inc()
		if err := a.completeSecondFactor(w, r, st, "hwk"); err != nil {
			return jsonError(w, http.StatusServiceUnavailable, "Could not save. Please try again.")
		}
		return jsonRedirect(w, a.returnURL(r))
	}
	return jsonError(w, http.StatusNotFound, "Unknown operation.")
}

// webAuthnFor returns the relying party for r: configured, or this request's origin.
func (a *App) webAuthnFor(r *http.Request) (*mfa.WebAuthn, error) {
	cfg := a.mfa.webauthn
	origins := cfg.Origins
	if len(origins) == 0 {
		origins = []string{originOf(r)}
	}
	rpID := cfg.RPID
	if rpID == "" {
		u, err := url.Parse(origins[0])
		if err != nil {
			return nil, err
		}
		rpID = u.Hostname()
	}
	return mfa.NewWebAuthn(rpID, "Gatehouse", origins)
}

func jsonError(w http.ResponseWriter, status int, msg string) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func jsonRedirect(w http.ResponseWriter, to string) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]string{"redirect": to})
}

func orUnknown(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
