// Package web serves Pelote's pages: login, the member's account page, the
// administrators' pages and the first-start setup, server-rendered without
// JavaScript, plus the health endpoints.
//
// Invariants:
//   - Every state change is a POST behind the standard library's
//     cross-origin protection; no page runs inline script (strict CSP).
//   - Request bodies are capped; an oversized form gets 413 and changes
//     nothing.
//   - Errors shown to people are translated messages; the underlying error
//     is logged with the request id, never sent.
//   - Logs carry no username, address or user agent.
package web
