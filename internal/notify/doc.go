// Package notify tells operators what happened: checks going down and up,
// heartbeats missed, alerts relayed from Prometheus, new upstream releases.
// Producers hand it a Message; it routes the message by tag and severity to
// the configured channels (chat webhooks, Matrix, e-mail, ntfy, plain JSON
// webhooks) through a durable outbox, so a notification survives a restart
// and a channel that is down gets it once it is back.
//
// Invariants:
//   - Enqueue never loses a message: it is stored with one delivery row per
//     channel its routes select, in the producer's transaction; a message no
//     route selects is stored as unrouted, logged and counted.
//   - A delivery is retried with exponential backoff and jitter until it is
//     delivered, refused for good (a 4xx), or expired; each attempt's error
//     is kept for the operators, never logged (it may quote an address).
//   - On one channel, the deliveries of one subject go in the order they
//     were enqueued: a recovery never overtakes the alert it ends.
//   - Secrets (webhook URLs, tokens, signing keys) are read from files named
//     in the configuration and are never stored, logged or shown.
package notify
