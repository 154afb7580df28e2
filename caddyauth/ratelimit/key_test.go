package ratelimit

import (
	"strings"
	"testing"
)

func TestClientKey(t *testing.T) {
	tests := []struct {
		name   string
		ip     string
		prefix int
		want   string
		ok     bool
	}{
		{"IPv4", "203.0.113.7", 64, "203.0.113.7", true},
		{"IPv4 ignores the IPv6 prefix", "203.0.113.7", 128, "203.0.113.7", true},
		{"IPv4-mapped IPv6 is the IPv4 address", "::ffff:1.2.3.4", 64, "1.2.3.4", true},
		{"IPv4-mapped IPv6 in hex", "::ffff:102:304", 64, "1.2.3.4", true},
		{"IPv6 /64", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "2001:db8:1:2::/64", true},
		{"IPv6 /64, another host of the same /64", "2001:db8:1:2::1", 64, "2001:db8:1:2::/64", true},
		{"IPv6 /64, next /64", "2001:db8:1:3::1", 64, "2001:db8:1:3::/64", true},
		{"IPv6 /56", "2001:db8:1:2ff:1:2:3:4", 56, "2001:db8:1:200::/56", true},
		{"IPv6 /128 keeps the address", "2001:db8::1", 128, "2001:db8::1/128", true},
		{"IPv6 uppercase and long form", "2001:0DB8:0001:0002:0000:0000:0000:0001", 64, "2001:db8:1:2::/64", true},
		{"IPv6 prefix 0 means the default /64", "2001:db8:1:2::1", 0, "2001:db8:1:2::/64", true},
		{"IPv6 loopback", "::1", 64, "::/64", true},
		{"zone id dropped", "fe80::1%eth0", 64, "fe80::/64", true},
		{"zone id dropped at /128", "fe80::1%eth0", 128, "fe80::1/128", true},
		{"empty", "", 64, "", false},
		{"garbage", "not-an-ip", 64, "", false},
		{"with port", "203.0.113.7:443", 64, "", false},
		{"bracketed IPv6", "[2001:db8::1]", 64, "", false},
		{"CIDR given as ip", "203.0.113.0/24", 64, "", false},
		{"spaces", " 203.0.113.7", 64, "", false},
		{"IPv4 with leading zeros", "203.000.113.007", 64, "", false},
		{"overlong", strings.Repeat("1", 1000), 64, "", false},
		{"X-Forwarded-For list", "203.0.113.7, 10.0.0.1", 64, "", false},
		{"prefix too long", "2001:db8::1", 129, "", false},
		{"prefix negative", "2001:db8::1", -1, "", false},
		{"prefix invalid even for IPv4", "203.0.113.7", 200, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ClientKey(tt.ip, tt.prefix)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ClientKey(%q, %d) = %q, %v, want %q, %v", tt.ip, tt.prefix, got, ok, tt.want, tt.ok)
			}
		})
	}
}
