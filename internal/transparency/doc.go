// Package transparency turns the inventory and what Pelote knows (accounts,
// groups, machine grants, sign-ins per service, running versions, uptime
// when supervision gives it) into the public transparency report, its
// services graph, and the CHATONS collective's ChatonsInfos files.
//
// Invariants:
//   - The report carries counts, never a person's name, unless the
//     inventory's access.show_names says to publish names.
//   - A report is built at most once per CacheFor and shared: the public
//     page costs no query per visit.
//   - Text from the inventory is escaped where it is written (SVG, the
//     properties files); the graph is built from no other input.
package transparency
