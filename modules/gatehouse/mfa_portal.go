package gatehouse

import (
	"context"
	"errors"
	"fmt"
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
		Digits:   a.totpDigits(),
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

func orUnknown(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// totpDigits is the configured TOTP code length (0 when TOTP is off).
func (a *App) totpDigits() int {
	if a.mfa.totp == nil {
		return 0
	}
	return a.mfa.totp.Digits
}
