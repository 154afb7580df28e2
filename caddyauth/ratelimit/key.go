package ratelimit

import "net/netip"

// DefaultIPv6Prefix is the prefix length IPv6 clients are keyed by when none is configured:
// a /64 is what one host or one home network usually gets.
const DefaultIPv6Prefix = 64

// ClientKey returns the rate-limit key of a client IP (Caddy's client_ip, without a port).
// IPv4 addresses, and IPv4-mapped IPv6 addresses such as ::ffff:1.2.3.4, are keyed by the
// address itself ("1.2.3.4"). IPv6 addresses are masked to ipv6Prefix bits and keyed by the
// prefix ("2001:db8:1:2::/64"), so one host cannot rotate through its addresses to escape;
// a zone (fe80::1%eth0) is dropped. An ipv6Prefix of 0 means DefaultIPv6Prefix.
//
// It returns false for an empty or unparsable ip, or an ipv6Prefix outside 0..128, so that
// the caller fails closed rather than sharing one key among all such clients.
func ClientKey(ip string, ipv6Prefix int) (string, bool) {
	if ipv6Prefix == 0 {
		ipv6Prefix = DefaultIPv6Prefix
	}
	if ipv6Prefix < 0 || ipv6Prefix > 128 {
		return "", false
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "", false
	}
	addr = addr.WithZone("").Unmap()
	if addr.Is4() {
		return addr.String(), true
	}
	prefix, err := addr.Prefix(ipv6Prefix)
	if err != nil {
		return "", false
	}
	return prefix.String(), true
}
