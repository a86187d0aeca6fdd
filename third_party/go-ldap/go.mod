module github.com/go-ldap/ldap/v3

go 1.26.0

require (
	github.com/Azure/go-ntlmssp v0.1.1
	github.com/go-asn1-ber/asn1-ber v1.5.8
	github.com/google/uuid v1.6.0
	golang.org/x/crypto v0.54.0
)
