package ratelimit

import (
	"net/netip"
	"testing"
)

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ addr, key string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"}, // an IPv4 client on a dual-stack socket
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"::1", "::/64"},
	} {
		if got := AddressKey(netip.MustParseAddr(tc.addr)); got != tc.key {
			t.Errorf("AddressKey(%s) = %s, want %s", tc.addr, got, tc.key)
		}
	}
}
