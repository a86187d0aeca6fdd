// Package wire reads LDAP requests and writes LDAP responses (RFC 4511)
// for the directory: the LDAPMessage envelope, bind, search, extended
// operations (StartTLS, Who am I?), unbind, abandon, the paged results
// control (RFC 2696) and the result codes. BER itself is
// github.com/go-asn1-ber/asn1-ber's; the mapping of LDAP's messages onto
// it is this package's.
//
// Invariants: a request that does not decode is an error, never a panic,
// and the caller ends the session with a Notice of Disconnection, as RFC
// 4511 section 4.1.1 asks. A search's filter is handed over as its BER
// element, for the directory to compile into its own filter tree. The
// responses of one request are buffered and written together.
package wire
