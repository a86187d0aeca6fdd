// Package config reads Pelote's configuration once, at start: defaults, then
// a YAML file, then PELOTE_* environment variables, then command-line flags,
// each overriding the one before. Unknown keys and variables are refused and
// every invalid value is reported at once, each naming its key, its variable
// and its flag and saying how to fix it. Only cmd imports this package;
// domain packages receive plain values.
package config
