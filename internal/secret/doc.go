// Package secret holds the node's master secret and what is derived from it.
//
// One random 32-byte value, kept in a file beside (not inside) the database,
// keys everything Pelote must keep from a database dump: signing keys and
// TOTP seeds are sealed with AES-256-GCM, client secrets and opaque tokens
// are HMAC'd. A stolen backup of the database alone then yields no usable
// credential. Every use derives its own key with HKDF, named by purpose, so
// one key never serves two ends. Several nodes sharing a PostgreSQL database
// must share the file too.
package secret
