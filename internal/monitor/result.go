package monitor

import (
	"fmt"
	"time"
)

// Result is one run of a check.
type Result struct {
	At      time.Time
	OK      bool
	Latency time.Duration
	// Reason says why it failed (or a note on success): an i18n key with
	// its Args, translated where shown.
	Reason string
	Args   []string
	// Detail is longer text for a failure, e.g. the tail of a job's
	// output; empty for none.
	Detail string
	// CertDays is the certificate's days left, when the check read one.
	CertDays *float64
}

// failed is a failed result with a reason.
func failed(reason string, args ...any) Result {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = fmt.Sprint(a)
	}
	return Result{OK: false, Reason: reason, Args: s}
}

// Translator turns a key and arguments into text in a language;
// *i18n.Catalog is one.
type Translator interface {
	T(locale, key string, args ...any) string
}

// Explain translates a result's reason.
func Explain(tr Translator, lang string, r Result) string {
	if r.Reason == "" {
		if r.OK {
			return tr.T(lang, "monitor.reason.ok")
		}
		return ""
	}
	args := make([]any, len(r.Args))
	for i, a := range r.Args {
		args[i] = a
	}
	return tr.T(lang, r.Reason, args...)
}
