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
	level   slog.Level
}

// parse fills c.parsed; Validate has accepted every value, so an error
// here is a mistake of this package's.
func (c *Config) parse() error {
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	c.parsed.url = u
	c.parsed.proxies = nil
	for _, p := range c.TrustedProxies {
		pr, err := ParsePrefix(p)
		if err != nil {
			return fmt.Errorf("trusted_proxies: %w", err)
		}
		c.parsed.proxies = append(c.parsed.proxies, pr)
	}
	if err := c.parsed.level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("log_level: %w", err)
	}
	return nil
}

// PublicURL is url, parsed; nil for a Config that Load did not build.
func (c Config) PublicURL() *url.URL { return c.parsed.url }

// Proxies are trusted_proxies as address ranges.
func (c Config) Proxies() []netip.Prefix { return c.parsed.proxies }

// Level is log_level.
func (c Config) Level() slog.Level { return c.parsed.level }

// Lifetimes are the OpenID provider's lifetimes.
func (c Config) Lifetimes() openid.Lifetimes {
	o := c.OIDC
	return openid.Lifetimes{Code: time.Duration(o.CodeLifetime), IDToken: time.Duration(o.IDTokenLifetime),
		AccessToken: time.Duration(o.AccessTokenLifetime), Refresh: time.Duration(o.RefreshTokenLifetime), KeyRotation: time.Duration(o.KeyRotation)}
}
