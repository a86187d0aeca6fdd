package config

import (
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"time"

	"pelote/internal/openid"
)

// parsed holds the values Load read out of the settings' text once they
// were validated, so that no caller parses them again.
type parsed struct {
	url     *url.URL
	proxies []netip.Prefix
	// applications are ldap.applications.
	applications []netip.Prefix
	level        slog.Level
}

// parse fills c.parsed; Validate has accepted every value, so an error
// here is a mistake of this package's.
func (c *Config) parse() error {
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	c.parsed.url = u
	if c.parsed.proxies, err = prefixes("trusted_proxies", c.TrustedProxies); err != nil {
		return err
	}
	if c.parsed.applications, err = prefixes("ldap.applications", c.LDAP.Applications); err != nil {
		return err
	}
	if err := c.parsed.level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("log_level: %w", err)
	}
	return nil
}

// prefixes parses a setting's addresses and CIDR ranges.
func prefixes(key string, ranges []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, r := range ranges {
		p, err := ParsePrefix(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// PublicURL is url, parsed; nil for a Config that Load did not build.
func (c Config) PublicURL() *url.URL { return c.parsed.url }

// Proxies are trusted_proxies as address ranges.
func (c Config) Proxies() []netip.Prefix { return c.parsed.proxies }

// LDAPApplications are ldap.applications as address ranges.
func (c Config) LDAPApplications() []netip.Prefix { return c.parsed.applications }

// Level is log_level.
func (c Config) Level() slog.Level { return c.parsed.level }

// Lifetimes are the OpenID provider's lifetimes.
func (c Config) Lifetimes() openid.Lifetimes {
	o := c.OIDC
	return openid.Lifetimes{Code: time.Duration(o.CodeLifetime), IDToken: time.Duration(o.IDTokenLifetime),
		AccessToken: time.Duration(o.AccessTokenLifetime), Refresh: time.Duration(o.RefreshTokenLifetime), KeyRotation: time.Duration(o.KeyRotation)}
}
