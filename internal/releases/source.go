package releases

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"pelote/internal/inventory"
)

// Release is one upstream release or tag.
type Release struct {
	Tag        string
	Notes      string
	URL        string
	Published  time.Time
	Prerelease bool
	Draft      bool
}

// source is one upstream to ask: the first page's URL says it all.
type source struct {
	forge string
	// first is the first page's URL; the key of the source's stored state.
	first string
	// host is the forge's host, for its token and its rate limit.
	host    string
	tags    bool
	pattern *regexp.Regexp
	pre     bool
	// web is the project's page, for people.
	web string
}

// perPage is how many releases one page asks for: enough that a
// project's last stable release is on the first page.
const perPage = 30

// newSource turns an inventory upstream into the source to ask. The
// inventory has checked the values.
func newSource(u *inventory.Upstream) (*source, error) {
	s := &source{forge: u.Forge, tags: u.Tags, pre: u.Prereleases}
	if u.TagPattern != "" {
		re, err := regexp.Compile(u.TagPattern)
		if err != nil {
			return nil, err
		}
		s.pattern = re
	}
	base := strings.TrimRight(u.URL, "/")
	kind := "releases"
	switch u.Forge {
	case inventory.ForgeGitHub:
		api := "https://api.github.com"
		s.web = "https://github.com/" + u.Repo
		if base != "" { // GitHub Enterprise Server
			api, s.web = base+"/api/v3", base+"/"+u.Repo
		}
		if u.Tags {
			kind = "tags"
		}
		s.first = fmt.Sprintf("%s/repos/%s/%s?per_page=%d", api, u.Repo, kind, perPage)
	case inventory.ForgeGitea, inventory.ForgeForgejo:
		if u.Tags {
			kind = "tags"
		}
		s.web = base + "/" + u.Repo
		s.first = fmt.Sprintf("%s/api/v1/repos/%s/%s?limit=%d", base, u.Repo, kind, perPage)
	case inventory.ForgeGitLab:
		if base == "" {
			base = "https://gitlab.com"
		}
		if u.Tags {
			kind = "repository/tags"
		}
		s.web = base + "/" + u.Repo
		s.first = fmt.Sprintf("%s/api/v4/projects/%s/%s?per_page=%d", base, url.PathEscape(u.Repo), kind, perPage)
	case inventory.ForgeFeed:
		s.first, s.web = u.URL, u.URL
	default:
		return nil, fmt.Errorf("unknown forge %q", u.Forge)
	}
	pu, err := url.Parse(s.first)
	if err != nil {
		return nil, err
	}
	s.host = strings.ToLower(pu.Host)
	if s.host == "api.github.com" {
		s.host = "github.com"
	}
	return s, nil
}

// settings is what, besides the answer, decides the latest version: when
// it changes, the stored answer no longer stands for the source.
func (s *source) settings() string {
	p := ""
	if s.pattern != nil {
		p = s.pattern.String()
	}
	return fmt.Sprintf("pre=%t pattern=%s", s.pre, p)
}

// errBadBody is an answer Pelote cannot read.
var errBadBody = errors.New("unreadable answer")

// parse reads one page of the source's answer.
func (s *source) parse(body []byte) ([]Release, error) {
	switch {
	case s.forge == inventory.ForgeFeed:
		return parseFeed(body)
	case s.tags && s.forge == inventory.ForgeGitLab:
		var tags []struct {
			Name    string `json:"name"`
			Release *struct {
				Description string `json:"description"`
			} `json:"release"`
			Commit struct {
				CreatedAt time.Time `json:"created_at"`
			} `json:"commit"`
		}
		if err := decodeJSON(body, &tags); err != nil {
			return nil, err
		}
		out := make([]Release, 0, len(tags))
		for _, t := range tags {
			r := Release{Tag: t.Name, Published: t.Commit.CreatedAt}
			if t.Release != nil {
				r.Notes = t.Release.Description
			}
			out = append(out, r)
		}
		return out, nil
	case s.tags:
		var tags []struct {
			Name string `json:"name"`
		}
		if err := decodeJSON(body, &tags); err != nil {
			return nil, err
		}
		out := make([]Release, 0, len(tags))
		for _, t := range tags {
			out = append(out, Release{Tag: t.Name, URL: s.web + "/releases/tag/" + url.PathEscape(t.Name)})
		}
		return out, nil
	case s.forge == inventory.ForgeGitLab:
		var rels []struct {
			TagName     string    `json:"tag_name"`
			Description string    `json:"description"`
			ReleasedAt  time.Time `json:"released_at"`
			Upcoming    bool      `json:"upcoming_release"`
			Links       struct {
				Self string `json:"self"`
			} `json:"_links"`
		}
		if err := decodeJSON(body, &rels); err != nil {
			return nil, err
		}
		out := make([]Release, 0, len(rels))
		for _, r := range rels {
			out = append(out, Release{Tag: r.TagName, Notes: r.Description, URL: r.Links.Self, Published: r.ReleasedAt, Draft: r.Upcoming})
		}
		return out, nil
	default: // GitHub, Gitea and Forgejo releases share one shape
		var rels []struct {
			TagName     string    `json:"tag_name"`
			Name        string    `json:"name"`
			Body        string    `json:"body"`
			Draft       bool      `json:"draft"`
			Prerelease  bool      `json:"prerelease"`
			HTMLURL     string    `json:"html_url"`
			PublishedAt time.Time `json:"published_at"`
		}
		if err := decodeJSON(body, &rels); err != nil {
			return nil, err
		}
		out := make([]Release, 0, len(rels))
		for _, r := range rels {
			out = append(out, Release{Tag: r.TagName, Notes: r.Name + "\n" + r.Body, URL: r.HTMLURL, Published: r.PublishedAt, Draft: r.Draft, Prerelease: r.Prerelease})
		}
		return out, nil
	}
}

func decodeJSON(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("%w: invalid JSON at byte %d", errBadBody, se.Offset)
		case errors.As(err, &te):
			return fmt.Errorf("%w: expected a list of releases, found %s at %s", errBadBody, te.Value, orTop(te.Field))
		}
		return fmt.Errorf("%w: %v", errBadBody, err)
	}
	return nil
}

func orTop(field string) string {
	if field == "" {
		return "the top"
	}
	return field
}

// errNoDates marks a feed whose entries carry no date: versions are then
// compared by number only, which the operators' page says.
var errNoDates = errors.New("the feed gives no dates")

// parseFeed reads an Atom or RSS feed: each entry's title is a version (a
// GitHub release feed's entries are), else the last part of its link.
func parseFeed(body []byte) ([]Release, error) {
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: not an Atom or RSS feed (%v)", errBadBody, firstLine(err.Error()))
	}
	out := make([]Release, 0, len(feed.Items))
	dated := false
	for _, it := range feed.Items {
		r := Release{Tag: strings.TrimSpace(it.Title), URL: it.Link, Notes: it.Description + "\n" + it.Content}
		switch {
		case it.PublishedParsed != nil:
			r.Published, dated = *it.PublishedParsed, true
		case it.UpdatedParsed != nil:
			r.Published, dated = *it.UpdatedParsed, true
		}
		if _, err := Version(r.Tag, nil); err != nil && it.Link != "" {
			if u, err := url.Parse(it.Link); err == nil {
				if last := path.Base(u.Path); last != "." && last != "/" {
					r.Tag = r.Tag + "\n" + last
				}
			}
		}
		out = append(out, r)
	}
	if len(out) > 0 && !dated {
		return out, errNoDates
	}
	return out, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// pick returns the highest version among releases that count: not drafts,
// not pre-releases unless asked for, tags matching the pattern.
func (s *source) pick(rels []Release) (best Release, version string, ok bool) {
	for _, r := range rels {
		if r.Draft || (r.Prerelease && !s.pre) {
			continue
		}
		v := ""
		for _, cand := range strings.Split(r.Tag, "\n") { // a feed entry's title, then its link's last part
			if got, err := Version(cand, s.pattern); err == nil {
				v = got
				break
			}
		}
		if v == "" || (Prerelease(v) && !s.pre) {
			continue
		}
		if !ok || Compare(v, version) > 0 {
			best, version, ok = r, v, true
		}
	}
	if ok {
		best.Tag, _, _ = strings.Cut(best.Tag, "\n")
	}
	return best, version, ok
}
