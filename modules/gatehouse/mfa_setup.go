package gatehouse

import (
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehousehq/gatehouse/caddyauth/mfa"
	"github.com/gatehousehq/gatehouse/caddyauth/session"
	"github.com/gatehousehq/gatehouse/web"
)

// sensitiveOK tells whether the session's second factor is fresh enough to change factors.
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
		Account: st.active.User, WebAuthn: a.mfa.webauthn != nil, Digits: a.totpDigits(),
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
