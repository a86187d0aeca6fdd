package heartbeat

import (
	"strconv"
	"time"
)

// Verdict is what a heartbeat's state says at a moment. Reason is an i18n
// key ("" when OK) with its Args.
type Verdict struct {
	OK     bool
	Reason string
	Args   []string
	// LogPing is the ping whose log explains a failure, 0 for none.
	LogPing int64
	// Deadline is when the next ping is due, grace included.
	Deadline time.Time
}

// Evaluate tells whether the job behind s is healthy at now.
func Evaluate(s Spec, st State, now time.Time) Verdict {
	base := st.Registered
	if !st.LastSuccess.IsZero() {
		base = st.LastSuccess
	}
	// The deadline follows the last end, success or not: a failed run is
	// told as failed, not also as late.
	if st.LastEnd.After(base) {
		base = st.LastEnd
	}
	v := Verdict{OK: true, Deadline: s.Next(base).Add(s.Grace)}
	running := !st.LastStart.IsZero()
	switch {
	case running && s.MaxRuntime > 0 && now.Sub(st.LastStart) > s.MaxRuntime:
		v = fail(v, "monitor.reason.hb_too_long", round(now.Sub(st.LastStart)), s.MaxRuntime.String())
	case st.LastKind == Fail:
		code := "?"
		if st.LastExit >= 0 {
			code = strconv.Itoa(st.LastExit)
		}
		v = fail(v, "monitor.reason.hb_failed", code)
		v.LogPing = st.LastPingID
	case st.LastKind == Success && s.MinRuntime > 0 && st.LastDuration > 0 && st.LastDuration < s.MinRuntime:
		v = fail(v, "monitor.reason.hb_too_fast", round(st.LastDuration), s.MinRuntime.String())
		v.LogPing = st.LastPingID
	case now.After(v.Deadline) && !(running && s.MaxRuntime == 0 && now.Sub(st.LastStart) < s.Grace):
		last := "-"
		if !st.LastSuccess.IsZero() {
			last = st.LastSuccess.UTC().Format("2006-01-02 15:04 UTC")
		}
		v = fail(v, "monitor.reason.hb_late", v.Deadline.UTC().Format("2006-01-02 15:04 UTC"), last)
	}
	return v
}

func fail(v Verdict, reason string, args ...string) Verdict {
	v.OK, v.Reason, v.Args = false, reason, args
	return v
}

func round(d time.Duration) string { return d.Round(time.Second).String() }
