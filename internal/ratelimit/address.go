package ratelimit

import "net/netip"

// AddressKey is the key a client address is counted under: IPv6 clients
// by /64, since one host holds a whole /64 and would otherwise have as
// many counters as it likes. The web forms and the LDAP binds count the
// same way.
func AddressKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
