// Package openid is Pelote's OpenID Connect provider: the storage behind
// zitadel/oidc's op package (clients, signing keys, authorization requests,
// grants and tokens), in the shared database.
//
// The protocol itself (parsing, validation, PKCE, token formats, JWKS and
// discovery documents) is the library's; this package decides who and what:
// which profile a token speaks for, what a client may do, when a token dies.
//
// Vocabulary: a grant is one sign-in of a profile to a client. Its access and
// refresh tokens live and die with it, so revoking a grant (from the account
// page, on refresh-token reuse, on a replayed code) ends every token at once.
// The `sub` a client sees is per profile, random and stable: two profiles of
// one account look like two people to a service, which is the point.
package openid
