package releases

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/semver"
)

// ErrNotSemver is a version string Pelote cannot compare.
var ErrNotSemver = errors.New("not a semantic version")

// looseRE is what a version may look like before it is made canonical:
// one to three numbers (calendar versions' leading zeros allowed), then a
// pre-release and build metadata as semver writes them.
var looseRE = regexp.MustCompile(`^(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// Version reads a tag or version string: the tag pattern's first group
// (or its whole match) when a pattern is given, then a leading v or V
// dropped, then semver's canonical form (v1.2.0 for 1.2). Leading zeros
// of calendar versions are dropped (2024.01.5 → v2024.1.5).
func Version(s string, pattern *regexp.Regexp) (string, error) {
	s = strings.TrimSpace(s)
	if pattern != nil {
		m := pattern.FindStringSubmatch(s)
		if m == nil {
			return "", ErrNotSemver
		}
		s = m[0]
		if len(m) > 1 {
			s = m[1]
		}
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	g := looseRE.FindStringSubmatch(s)
	if g == nil || (g[4] != "" && g[2] == "") {
		// A suffix right after one number is a date (2024-02-06a), not
		// a pre-release.
		return "", ErrNotSemver
	}
	parts := []string{g[1], g[2], g[3]}
	for i, p := range parts {
		if p == "" {
			p = "0"
		}
		n, err := strconv.ParseUint(p, 10, 63)
		if err != nil {
			return "", ErrNotSemver
		}
		parts[i] = strconv.FormatUint(n, 10)
	}
	v := "v" + strings.Join(parts, ".") + g[4] + g[5]
	if !semver.IsValid(v) {
		return "", ErrNotSemver
	}
	return semver.Canonical(v), nil
}

// Compare orders two versions returned by Version.
func Compare(a, b string) int { return semver.Compare(a, b) }

// Prerelease reports whether v (from Version) is a pre-release.
func Prerelease(v string) bool { return semver.Prerelease(v) != "" }

// Display is v as people write it, without the leading v.
func Display(v string) string { return strings.TrimPrefix(v, "v") }

// securityRE finds what release notes say of security fixes.
var securityRE = regexp.MustCompile(`(?i)\bCVE-\d{4}-\d{4,}\b|\bGHSA(?:-[0-9a-z]{4}){3}\b|\bsecurity\b|\bvulnerabilit(?:y|ies)\b|\bs[ée]curit[ée]|\bsicherheit`)

// MentionsSecurity reports whether release notes mention a security fix or
// a CVE.
func MentionsSecurity(notes string) bool { return securityRE.MatchString(notes) }
