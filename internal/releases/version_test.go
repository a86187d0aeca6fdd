package releases

import (
	"errors"
	"regexp"
	"testing"
)

func TestVersion(t *testing.T) {
	tests := []struct {
		in, pattern, want string
		err               bool
	}{
		{in: "v29.0.1", want: "v29.0.1"},
		{in: "29.0.1", want: "v29.0.1"},
		{in: "V4.2", want: "v4.2.0"},
		{in: "9", want: "v9.0.0"},
		{in: "1.100.0rc1", err: true},
		{in: "2.0.0-rc.1", want: "v2.0.0-rc.1"},
		{in: "1.2.3+build.5", want: "v1.2.3"},
		{in: "2024.01.15", want: "v2024.1.15"},
		{in: "release-1.5.2", pattern: `^release-(.*)$`, want: "v1.5.2"},
		{in: "desktop-1.5.2", pattern: `^release-(.*)$`, err: true},
		{in: "Etherpad v2.0.3", pattern: `\d+\.\d+\.\d+`, want: "v2.0.3"},
		{in: "1.2.3.4", err: true},
		{in: "2024-02-06a", err: true},
		{in: "latest", err: true},
		{in: "", err: true},
		{in: "99999999999999999999.1", err: true},
	}
	for _, tc := range tests {
		var re *regexp.Regexp
		if tc.pattern != "" {
			re = regexp.MustCompile(tc.pattern)
		}
		got, err := Version(tc.in, re)
		if tc.err {
			if !errors.Is(err, ErrNotSemver) {
				t.Errorf("Version(%q) = %q, %v; want ErrNotSemver", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Version(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if Compare("v29.0.10", "v29.0.9") <= 0 || Compare("v2.0.0", "v2.0.0-rc.1") <= 0 || !Prerelease("v2.0.0-rc.1") {
		t.Error("semver order")
	}
}

func TestMentionsSecurity(t *testing.T) {
	for notes, want := range map[string]bool{
		"Fixes CVE-2024-12345 in the share API":       true,
		"See GHSA-abcd-efgh-2345 for details":         true,
		"This is a security release, please upgrade":  true,
		"Correctif de sécurité":                       true,
		"Performance improvements; securityless text": false,
		"New dark theme":                              false,
	} {
		if MentionsSecurity(notes) != want {
			t.Errorf("MentionsSecurity(%q) != %v", notes, want)
		}
	}
}

func FuzzVersion(f *testing.F) {
	for _, s := range []string{"v1.2.3", "2024.01.15", "1.0.0-rc.1+b", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Version(s, nil)
		if err == nil && Compare(v, v) != 0 {
			t.Fatalf("%q gave %q, which does not compare equal to itself", s, v)
		}
	})
}
