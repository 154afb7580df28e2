package redirect

import (
	"errors"
	"fmt"
)

// ErrInvalidHost is wrapped by the errors Validate returns for a malformed cookie domain or
// allowed_redirects entry.
var ErrInvalidHost = errors.New("invalid host")

// Validate checks the policy's configuration, so that a typo in allowed_redirects is reported
// at provisioning instead of silently matching nothing. Safe works on any Policy; it ignores
// entries that Validate would refuse.
func (p Policy) Validate() error {
	if p.CookieDomain != "" {
		d := cookieDomain(p.CookieDomain)
		hp, ok := parseHostPort(d, 0)
		if !ok || hp.port != 0 || hp.host != d {
			return fmt.Errorf("cookie domain %q: %w (want a host name without port)", p.CookieDomain, ErrInvalidHost)
		}
	}
	for _, e := range p.Allowed {
		if _, ok := parseEntry(e); !ok {
			return fmt.Errorf("allowed redirect %q: %w (want host, *.domain, host:port or host:*)", e, ErrInvalidHost)
		}
	}
	return nil
}
