package notify

import (
	"fmt"
	"slices"
)

// Route sends the messages it matches to its channels. Every matching
// route contributes its channels (each channel gets a message once); a
// message no route matches goes to the default channels.
type Route struct {
	// MatchTags must all be among the message's tags (none: any message).
	MatchTags []string `yaml:"match_tags"`
	// MatchSources, when set, must include the message's source (check,
	// heartbeat, alertmanager, release).
	MatchSources []string `yaml:"match_sources"`
	// MinSeverity is the least severity the route takes (info when empty).
	MinSeverity Severity `yaml:"min_severity"`
	// Channels are the channels' names.
	Channels []string `yaml:"channels"`
	// Owner also mails the members of the message's owner group through
	// the route's e-mail channels.
	Owner bool `yaml:"owner"`
	// Line is where the route is written in the configuration file.
	Line int `yaml:"-"`
}

func (r Route) matches(m *Message) bool {
	if r.MinSeverity != "" && !m.Severity.AtLeast(r.MinSeverity) {
		return false
	}
	if len(r.MatchSources) > 0 && !slices.Contains(r.MatchSources, m.Source) {
		return false
	}
	for _, t := range r.MatchTags {
		if !slices.Contains(m.Tags, t) {
			return false
		}
	}
	return true
}

func (r Route) validate(channels map[string]*configured) []error {
	var errs []error
	if r.MinSeverity != "" && !r.MinSeverity.Valid() {
		errs = append(errs, fieldError("min_severity", "%q is not a severity: use info, warning or critical", r.MinSeverity))
	}
	if len(r.Channels) == 0 {
		errs = append(errs, fieldError("channels", "name at least one channel"))
	}
	mail := false
	for i, name := range r.Channels {
		c, ok := channels[name]
		if !ok {
			errs = append(errs, fieldError(fmt.Sprintf("channels[%d]", i), "no channel is named %q", name))
			continue
		}
		mail = mail || c.cfg.Kind == "email"
	}
	if r.Owner && !mail {
		errs = append(errs, fieldError("owner", "mails the owner group through the route's e-mail channels, and the route names none"))
	}
	return errs
}

// target is one delivery a message gets.
type target struct {
	channel string
	toOwner bool
}

// route lists the deliveries m gets: every matching route's channels, or
// the default channels when none matches. An e-mail channel without fixed
// recipients only serves owner groups.
func (s *setup) route(m *Message) []target {
	var out []target
	add := func(name string, owner bool) {
		c := s.channels[name]
		toOwner := owner && m.Owner != "" && c.cfg.Kind == "email"
		for i := range out {
			if out[i].channel == name {
				out[i].toOwner = out[i].toOwner || toOwner
				return
			}
		}
		out = append(out, target{channel: name, toOwner: toOwner})
	}
	matched := false
	for _, r := range s.routes {
		if r.matches(m) {
			matched = true
			for _, name := range r.Channels {
				add(name, r.Owner)
			}
		}
	}
	if !matched {
		for _, name := range s.defaults {
			add(name, false)
		}
	}
	return slices.DeleteFunc(out, func(t target) bool {
		c := s.channels[t.channel].cfg
		return c.Kind == "email" && len(c.To) == 0 && len(c.Groups) == 0 && !t.toOwner
	})
}
