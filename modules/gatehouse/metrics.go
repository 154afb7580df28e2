package gatehouse

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Collectors are made once and registered into every config's registry, so their counts
// carry across reloads. Labels are bounded: provider names from the config, fixed results.
var (
	loginsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy", Subsystem: "gatehouse", Name: "logins_total",
		Help: "Sign-in attempts by provider and result (success, failure, throttled).",
	}, []string{"provider", "result"})
	authzTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy", Subsystem: "gatehouse", Name: "refusals_total",
		Help: "Signed-in requests refused by a route's rules, by decision.",
	}, []string{"decision"})
	mfaTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy", Subsystem: "gatehouse", Name: "mfa_total",
		Help: "Second-factor attempts by method (totp, backup, webauthn) and result.",
	}, []string{"method", "result"})
	rateLimitedTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy", Subsystem: "gatehouse", Name: "rate_limited_total",
		Help: "Requests refused by a rate limit, by limit name.",
	}, []string{"limit"})
)

// registerMetrics adds Gatehouse's collectors to reg (a config's registry).
func registerMetrics(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{loginsTotal, authzTotal, mfaTotal, rateLimitedTotal} {
		var already prometheus.AlreadyRegisteredError
		if err := reg.Register(c); err != nil && !errors.As(err, &already) {
			return fmt.Errorf("registering metrics: %w", err)
		}
	}
	return nil
}
