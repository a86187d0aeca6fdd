package heartbeat

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Spec is a heartbeat's schedule and bounds, as configured.
type Spec struct {
	// UUID is the secret part of the ping URL.
	UUID string
	// Period is how often the job runs; or Cron (five fields, or a
	// descriptor like @daily) in time zone TZ.
	Period time.Duration
	Cron   string
	TZ     string
	// Grace is how late a ping may be before the job counts as missed.
	Grace time.Duration
	// MaxRuntime fails a run still going after it; MinRuntime fails a run
	// that ended sooner (a backup that "succeeds" in two seconds backed up
	// nothing). Zero for no bound.
	MaxRuntime, MinRuntime time.Duration
}

// FieldError names an invalid setting of a Spec.
type FieldError struct{ Field, Reason string }

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ValidUUID reports whether s looks like a uuid (any version).
func ValidUUID(s string) bool { return uuidRE.MatchString(s) }

// cronParser reads standard five-field expressions and descriptors.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// FieldErrors lists what is wrong with s.
func FieldErrors(s Spec) []FieldError {
	var out []FieldError
	bad := func(f, format string, args ...any) {
		out = append(out, FieldError{Field: f, Reason: fmt.Sprintf(format, args...)})
	}
	if !ValidUUID(s.UUID) {
		bad("uuid", "%q is not a uuid (make one with uuidgen)", s.UUID)
	}
	switch {
	case s.Period == 0 && s.Cron == "":
		bad("period", "give a period (e.g. 24h) or a cron expression")
	case s.Period != 0 && s.Cron != "":
		bad("cron", "give a period or a cron expression, not both")
	case s.Period < 0 || (s.Period > 0 && s.Period < time.Minute):
		bad("period", "must be at least 1m")
	case s.Cron != "":
		if _, err := cronParser.Parse(s.Cron); err != nil {
			bad("cron", "%q is not a cron expression: %v", s.Cron, err)
		}
	}
	if _, err := time.LoadLocation(s.TZ); err != nil {
		bad("tz", "%q is not a time zone (e.g. Europe/Paris)", s.TZ)
	} else if strings.HasPrefix(s.Cron, "TZ=") || strings.HasPrefix(s.Cron, "CRON_TZ=") {
		bad("cron", "put the time zone in tz, not in the expression")
	}
	if s.Grace < 0 {
		bad("grace", "must not be negative")
	}
	if s.MaxRuntime < 0 || s.MinRuntime < 0 || (s.MaxRuntime > 0 && s.MinRuntime >= s.MaxRuntime) {
		bad("min_runtime", "bounds must be positive, the minimum below the maximum")
	}
	return out
}

// Next is when the run after one at (or the configuration time) is due,
// grace not included.
func (s Spec) Next(after time.Time) time.Time {
	if s.Cron == "" {
		return after.Add(s.Period)
	}
	sched, err := cronParser.Parse(s.Cron)
	if err != nil {
		return time.Time{} // refused by FieldErrors
	}
	loc, err := time.LoadLocation(s.TZ)
	if err != nil {
		loc = time.UTC
	}
	return sched.Next(after.In(loc)).UTC()
}
