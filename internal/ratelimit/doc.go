// Package ratelimit counts failures per key (an account, a client address)
// over a fixed window and says when a key has had too many (Failures), and
// bounds request rates per key with token buckets (Buckets).
//
// On one node (SQLite) both live in memory. Nodes sharing a PostgreSQL
// database count in it instead (Limits), so that N nodes do not give an
// attacker N times the budget: failures are one row per key and window;
// token buckets are one row per key, from which each node takes tokens in
// small batches, so that the token endpoint's hot path costs a database
// round trip per batch rather than per request. When the database fails,
// each node falls back to its own count in memory.
//
// Memory is bounded (maxKeys per limiter); when it is full of live
// counters, new keys share one counter rather than push out another's.
package ratelimit
