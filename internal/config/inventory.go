package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"pelote/internal/inventory"
)

// Releases is how release watching polls the forges.
type Releases struct {
	// Interval is the time between two polls of every upstream; 0 turns
	// release watching off.
	Interval Duration `yaml:"interval"`
	// Forges give a token per forge, for higher rate limits and private
	// projects.
	Forges []ReleaseForge `yaml:"forges"`
}

// ReleaseForge is one forge's token.
type ReleaseForge struct {
	// URL is the forge's address as the inventory's upstream.url gives it
	// (https://codeberg.org), or https://github.com and https://gitlab.com.
	URL string `yaml:"url"`
	// TokenFile holds the token; it is never written in the file itself.
	TokenFile string `yaml:"token_file"`
}

// DefaultReleaseInterval is how often upstreams are polled by default.
const DefaultReleaseInterval = 6 * time.Hour

// LoadInventory reads the inventory: the file's inventory section, or the
// YAML files of inventory_dir (not both). It returns an empty inventory
// when neither is set. Call it again to reload: it reads the files anew.
func (c Config) LoadInventory() (*inventory.Inventory, error) {
	section := c.Inventory.Kind != 0 && !(c.Inventory.Kind == yaml.ScalarNode && c.Inventory.Tag == "!!null")
	switch {
	case section && c.InventoryDir != "":
		return nil, fmt.Errorf("%s: set the inventory section or inventory_dir, not both", describe("inventory_dir"))
	case c.InventoryDir != "":
		return inventory.LoadDir(c.InventoryDir)
	case section:
		return inventory.Parse(c.file, &c.Inventory)
	}
	return &inventory.Inventory{}, nil
}

// ReleaseTokens reads each forge's token, keyed by the forge's host.
func (c Config) ReleaseTokens() (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for i, f := range c.Releases.Forges {
		u, err := url.Parse(f.URL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			errs = append(errs, fmt.Errorf("releases.forges[%d].url: %q is not a forge's address like https://codeberg.org", i, f.URL))
			continue
		}
		if f.TokenFile == "" {
			errs = append(errs, fmt.Errorf("releases.forges[%d].token_file: name the file holding %s's token", i, u.Host))
			continue
		}
		b, err := os.ReadFile(f.TokenFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("releases.forges[%d].token_file: cannot read %s: %v", i, f.TokenFile, errors.Unwrap(err)))
			continue
		}
		token := strings.TrimSpace(string(b))
		if token == "" || strings.ContainsAny(token, "\r\n\x00 ") {
			errs = append(errs, fmt.Errorf("releases.forges[%d].token_file: %s must hold one token on one line", i, f.TokenFile))
			continue
		}
		out[strings.ToLower(u.Host)] = token
	}
	return out, errors.Join(errs...)
}

// validateInventory reports the inventory's and release watching's
// problems, each inventory problem with its file and line.
func (c Config) validateInventory() []error {
	var errs []error
	if _, err := c.LoadInventory(); err != nil {
		errs = append(errs, err)
	}
	if c.Releases.Interval < 0 || (c.Releases.Interval > 0 && time.Duration(c.Releases.Interval) < 5*time.Minute) {
		errs = append(errs, fmt.Errorf("%s: must be 0 (off) or at least 5m: forges limit how often they may be asked", describe("releases.interval")))
	}
	if _, err := c.ReleaseTokens(); err != nil {
		errs = append(errs, err)
	}
	return errs
}
