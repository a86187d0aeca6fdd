package notify

import (
	"context"
	"time"

	"pelote/internal/store"
)

// Severity orders messages for routing.
type Severity string

// Severities, from the least to the most urgent.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Message is one thing operators should hear of. Producers write Title and
// Text in the operators' language; channels only format them.
type Message struct {
	// Source is what produced it: "check", "heartbeat", "alertmanager",
	// "release".
	Source string
	// Subject names the check, heartbeat, alert or software concerned.
	Subject string
	// Event is what happened to it: "down", "up", "reminder", "warning",
	// "firing", "resolved", "release".
	Event    string
	Severity Severity
	// Tags route the message (a check's tags, an alert's labels as
	// "name=value").
	Tags []string
	// Owner is the group that answers for the subject (a check's owner
	// group), "" for none: a route with owner: true also mails its
	// members. A tag "owner=GROUP" says the same when Owner is empty.
	Owner string
	// Title is one line; Text is plain text and may hold a job's output,
	// which channels shorten to what they accept.
	Title, Text string
	// URL links to the page that tells more, empty for none.
	URL string
	At  time.Time
}

// Enqueuer is what producers need: Enqueue stores the message for every
// channel its route selects, inside tx when tx is not nil, so that a
// notification is committed with the state change that caused it (and not
// at all when that change rolls back).
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *store.Tx, m Message) error
}
