package notify

import (
	"fmt"
	"strings"
)

// rank orders severities; 0 is unknown.
func (s Severity) rank() int {
	switch s {
	case Info:
		return 1
	case Warning:
		return 2
	case Critical:
		return 3
	}
	return 0
}

// Valid reports whether s is one of Info, Warning and Critical.
func (s Severity) Valid() bool { return s.rank() > 0 }

// AtLeast reports whether s is min or more urgent.
func (s Severity) AtLeast(min Severity) bool { return s.rank() >= min.rank() }

// ParseSeverity reads a configured severity.
func ParseSeverity(v string) (Severity, error) {
	s := Severity(strings.ToLower(strings.TrimSpace(v)))
	if !s.Valid() {
		return "", fmt.Errorf("%q is not a severity: use info, warning or critical", v)
	}
	return s, nil
}

// severityOfLabel maps the severity label of a Prometheus alert, whose
// values vary between rule sets, to a Severity; an alert without one is a
// warning.
func severityOfLabel(v string) Severity {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "critical", "crit", "error", "page", "high", "emergency", "alert", "fatal", "disaster":
		return Critical
	case "info", "informational", "none", "low", "notice", "debug", "ok":
		return Info
	}
	return Warning
}

// recovery reports whether an event ends a problem: it then goes wherever
// the problem's message went, whatever the routes say of its severity.
func recovery(event string) bool { return event == "up" || event == "resolved" }
