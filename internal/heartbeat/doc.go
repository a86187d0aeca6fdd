// Package heartbeat receives the pings of cron and backup jobs
// (Healthchecks-style: start, success, failure, exit code, with the run's
// output as body) and tells whether a job is on time and healthy.
//
// Invariants:
//   - Deadlines are computed from the stored last ping (and the stored
//     time a heartbeat was first configured), never from the process's
//     start: a restart of Pelote never resets them.
//   - A ping's body is stored up to MaxBody bytes; a longer body is cut,
//     and the run says so with the size it had.
//   - A ping for a uuid no heartbeat has is refused before anything is
//     stored.
//   - Each heartbeat keeps its last KeepRuns pings.
package heartbeat
