package gatehouse

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"go.uber.org/zap"

	"github.com/gatehousehq/gatehouse/caddyauth/mfa"
	"github.com/gatehousehq/gatehouse/caddyauth/session"
)

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
