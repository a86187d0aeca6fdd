// Package monitor runs the supervision checks: it schedules them, probes
// their targets (http, tcp, tls with STARTTLS, dns, smtp, imap, heartbeat,
// backup), keeps each check's state machine and incident history, rolls
// raw results up into hourly figures and tells operators through a
// notify.Enqueuer.
//
// Invariants:
//   - A check is down after Retries consecutive failures and up again after
//     Recovery consecutive successes; a check whose dependency is down is
//     blocked and sends nothing of its own.
//   - A state change and the notifications it causes are committed in one
//     transaction: both happen, or neither does.
//   - Checks run only on the node holding the "monitor" lease, so with
//     several nodes each check runs once per interval.
//   - Raw results are kept RawRetention (48 h); hourly roll-ups keep the
//     figures (uptime over 24 h, 7 d, 90 d) after that.
//   - Probes never log a target's credentials; a failure's reason is an
//     i18n key with its arguments, translated when shown or sent.
package monitor
