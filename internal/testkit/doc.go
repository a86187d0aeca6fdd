// Package testkit holds what the tests of several packages share: a clock
// they move by hand, argon2id parameters cheap enough for tests, a quiet
// logger, certificates for TLS on 127.0.0.1, and a browser that keeps
// cookies and follows redirects. Only tests and test helpers import it.
package testkit
