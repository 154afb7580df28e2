package gatehouse

import (
	"fmt"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// MFAConfig enables second factors (`mfa { ... }` in the app).
type MFAConfig struct {
	// TOTP enables authenticator-app codes (RFC 6238).
	TOTP *TOTPConfig `json:"totp,omitempty"`
	// WebAuthn enables security keys and passkeys.
	WebAuthn *WebAuthnConfig `json:"webauthn,omitempty"`
	// BackupCodes is how many one-time backup codes a user gets (0: none).
	BackupCodes int `json:"backup_codes,omitempty"`
}

// TOTPConfig sets authenticator-app codes.
type TOTPConfig struct {
	// Issuer is the name authenticator apps show. Default: "Gatehouse".
	Issuer string `json:"issuer,omitempty"`
	// Digits is the code length, 6 or 8. Default: 6.
	Digits int `json:"digits,omitempty"`
	// Period is how long a code lasts. Default: 30s.
	Period caddy.Duration `json:"period,omitempty"`
}

// WebAuthnConfig sets security keys and passkeys.
type WebAuthnConfig struct {
	// RPID is the relying party id: the domain credentials are bound to. Default: the host
	// of the first origin, or of the request when no origin is given.
	RPID string `json:"rp_id,omitempty"`
	// Origins lists the origins (https://app.example.com) allowed to use the credentials.
	// Default: the origin of the request.
	Origins []string `json:"origins,omitempty"`
}

// defaultBackupCodes is the number of backup codes `backup_codes` without a count gives.
const defaultBackupCodes = 10

// parseMFA parses
//
//	mfa {
//		totp [issuer <name>] [digits <6|8>] [period <duration>]
//		webauthn [rp_id <domain>] [origins <origin>...]
//		backup_codes [<count>]
//	}
func (a *App) parseMFA(d *caddyfile.Dispenser) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	cfg := new(MFAConfig)
	errNoFactor := d.Err("mfa needs totp or webauthn (backup codes alone are not a second factor)")
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "totp":
			t := new(TOTPConfig)
			args := d.RemainingArgs()
			for len(args) > 0 {
				if len(args) < 2 {
					return d.Errf("totp: %q needs a value", args[0])
				}
				switch args[0] {
				case "issuer":
					t.Issuer = args[1]
				case "digits":
					n, err := strconv.Atoi(args[1])
					if err != nil || (n != 6 && n != 8) {
						return d.Errf("totp digits %q: want 6 or 8", args[1])
					}
					t.Digits = n
				case "period":
					p, err := caddy.ParseDuration(args[1])
					if err != nil || p < 15*time.Second || p > 2*time.Minute || p%time.Second != 0 {
						return d.Errf("totp period %q: want whole seconds from 15s to 2m", args[1])
					}
					t.Period = caddy.Duration(p)
				default:
					return d.Errf("totp: unknown option %q (want issuer, digits or period)", args[0])
				}
				args = args[2:]
			}
			cfg.TOTP = t
		case "webauthn":
			w := new(WebAuthnConfig)
			args := d.RemainingArgs()
			for len(args) > 0 {
				switch {
				case args[0] == "rp_id" && len(args) >= 2:
					w.RPID, args = args[1], args[2:]
				case args[0] == "origins" && len(args) >= 2:
					w.Origins, args = append(w.Origins, args[1:]...), nil
				default:
					return d.Errf("webauthn: want [rp_id <domain>] [origins <origin>...], got %q", args[0])
				}
			}
			cfg.WebAuthn = w
		case "backup_codes":
			cfg.BackupCodes = defaultBackupCodes
			if d.NextArg() {
				n, err := strconv.Atoi(d.Val())
				if err != nil || n < 1 || n > 50 {
					return d.Errf("backup_codes %q: want a count from 1 to 50", d.Val())
				}
				cfg.BackupCodes = n
			}
			if d.NextArg() {
				return d.ArgErr()
			}
		default:
			return d.Errf("unrecognized mfa option %q (want totp, webauthn or backup_codes)", d.Val())
		}
	}
	if cfg.TOTP == nil && cfg.WebAuthn == nil {
		return errNoFactor
	}
	a.MFA = cfg
	return nil
}

// validate checks the configuration and fills in defaults.
func (m *MFAConfig) provision() error {
	if m.TOTP == nil && m.WebAuthn == nil {
		return fmt.Errorf("mfa needs totp or webauthn")
	}
	if t := m.TOTP; t != nil {
		if t.Issuer == "" {
			t.Issuer = "Gatehouse"
		}
		if t.Digits == 0 {
			t.Digits = 6
		}
		if t.Period == 0 {
			t.Period = caddy.Duration(30 * time.Second)
		}
		if t.Digits != 6 && t.Digits != 8 {
			return fmt.Errorf("totp digits %d: want 6 or 8", t.Digits)
		}
	}
	if m.BackupCodes < 0 || m.BackupCodes > 50 {
		return fmt.Errorf("backup_codes %d: want 0 to 50", m.BackupCodes)
	}
	return nil
}
