// Package releases watches upstream forges for new versions of the
// software the inventory's services run: GitHub, Gitea and Forgejo, GitLab
// releases or tags, and any Atom or RSS feed. It compares them with the
// running versions (fixed in the inventory or read from the service) and
// hands one notification per new version per service to the notifier.
//
// Invariants:
//   - Every forge is asked with a conditional request (the ETag and
//     Last-Modified of its last answer): an unchanged project costs one
//     request and no body.
//   - A forge that says to slow down (403 or 429 with Retry-After,
//     X-RateLimit-Remaining: 0) is not asked again before it said.
//   - A version Pelote cannot compare (not semver after the tag pattern)
//     is a warning on the operators' page, never a "new version".
//   - A notice row per (service, version) is written in the transaction
//     that enqueues its message: one message per new version per service,
//     across restarts and nodes.
//   - A forge's token is only ever sent to that forge's host.
package releases
