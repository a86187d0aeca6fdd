package notify

import (
	"embed"
	"log/slog"
	"sync/atomic"
	"time"

	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the outbox's tables.
func Migrations() store.Migrations { return store.Migrations{Owner: "notify", FS: migrations} }

// Translator is the message catalogue (internal/i18n's Catalog).
type Translator interface {
	T(locale, key string, args ...any) string
}

// Options are what a Notifier needs from the process.
type Options struct {
	// Mail sends the e-mail channels' mail; nil when Pelote has no
	// outgoing mail, and then e-mail channels are refused.
	Mail Mailer
	// Members resolves the groups e-mail channels and owners name.
	Members Members
	// Translator words Pelote's own parts of messages.
	Translator Translator
}

// Notifier routes messages into the outbox and delivers them. Every node
// runs one; each delivery is claimed by one node at a time.
type Notifier struct {
	db  *store.DB
	log *slog.Logger
	d   *deps
	tr  Translator
	// Now is injected so tests control time.
	Now func() time.Time
	// Workers is how many deliveries a node makes at once.
	Workers int
	// Poll is how often an idle worker looks for due deliveries.
	Poll time.Duration

	cur  atomic.Pointer[setup]
	wake chan struct{}
	// unrouted counts the messages no route selected since start.
	unrouted atomic.Int64
}

// New returns a notifier over a database migrated with Migrations, with no
// channel until Configure.
func New(db *store.DB, log *slog.Logger, o Options) *Notifier {
	n := &Notifier{db: db, log: log, tr: o.Translator, Now: time.Now, Workers: 4, Poll: 5 * time.Second,
		d: &deps{client: newClient(), mail: o.Mail, members: o.Members}, wake: make(chan struct{}, 16)}
	empty, _ := build(Settings{}, n.d)
	n.cur.Store(empty)
	return n
}

// Prepare validates s and readies its channels (secret files are read
// now) without changing what runs; apply switches to it. It is the
// notifier's part of a configuration reload.
func (n *Notifier) Prepare(s Settings) (apply func(), err error) {
	st, err := build(s, n.d)
	if err != nil {
		return nil, err
	}
	return func() { n.cur.Store(st); n.Wake() }, nil
}

// Configure validates and applies s at once.
func (n *Notifier) Configure(s Settings) error {
	apply, err := n.Prepare(s)
	if err != nil {
		return err
	}
	apply()
	return nil
}

// Wake makes idle workers look for deliveries now.
func (n *Notifier) Wake() {
	for range max(n.Workers, 1) {
		select {
		case n.wake <- struct{}{}:
		default:
			return
		}
	}
}

// t translates into the operators' language.
func (n *Notifier) t(st *setup) func(key string, args ...any) string {
	return func(key string, args ...any) string {
		if n.tr == nil {
			return key
		}
		return n.tr.T(st.lang, key, args...)
	}
}

// Unrouted counts the messages no route selected since the process
// started.
func (n *Notifier) Unrouted() int64 { return n.unrouted.Load() }

var _ Enqueuer = (*Notifier)(nil)
