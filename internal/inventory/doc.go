// Package inventory is the hoster's description of itself, written as YAML
// and kept in git: the organisation, its machines and the services they run
// (software, upstream source, how to read the running version, backups,
// registration). Pelote's release watching, public transparency page and
// CHATONS export all read it.
//
// Invariants:
//   - An Inventory that Parse returns is valid: names are unique, every
//     machine a service or a machine names exists, machines do not run on
//     themselves through any chain, and enumerations hold known values.
//     Every problem is reported with the file and line it comes from.
//   - The running inventory is swapped whole (Holder): readers never see
//     half of a reload.
package inventory
