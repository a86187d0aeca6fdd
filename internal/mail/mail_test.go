package mail_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pelote/internal/mail"
	"pelote/internal/mail/mailtest"
	"pelote/internal/queue"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

func config(t *testing.T, addr string) mail.Config {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return mail.Config{Host: host, Port: p, TLS: "none", Username: "pelote", Password: "relay password", From: "Pelote <id@example.org>", Timeout: 5 * time.Second}
}

func TestSend(t *testing.T) {
	sink := mailtest.Start(t)
	s, err := mail.NewSender(config(t, sink.Addr))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Send(ctx, mail.Message{To: "alice@example.org", Subject: "Hello, Alice – ça va ?", Text: "Line one.\nLigne deux, accentuée."}); err != nil {
		t.Fatal(err)
	}
	got := sink.Messages()
	if len(got) != 1 || got[0].From != "id@example.org" || got[0].To[0] != "alice@example.org" ||
		!strings.Contains(got[0].Data, "Content-Type: text/plain") || !strings.Contains(got[0].Data, "Subject: =?UTF-8?") {
		t.Fatalf("delivered: %+v", got)
	}

	// A recipient the server refuses is final; a wrong relay password or
	// a server that is down is worth retrying.
	err = s.Send(ctx, mail.Message{To: "refused@example.org", Subject: "x", Text: "x"})
	if err == nil || !queue.IsPermanent(err) {
		t.Errorf("refused recipient: %v", err)
	}
	cfg := config(t, sink.Addr)
	cfg.Password = "wrong"
	bad, _ := mail.NewSender(cfg)
	if err := bad.Send(ctx, mail.Message{To: "alice@example.org", Subject: "x", Text: "x"}); err == nil {
		t.Error("a wrong relay password sent mail")
	}
	if _, err := mail.NewSender(mail.Config{Host: "localhost", From: "not an address"}); err == nil {
		t.Error("a bad From was accepted")
	}
}

// TestQueueRetries: a mail queued while the relay is down is delivered
// once it is up, and nothing is lost.
func TestQueueRetries(t *testing.T) {
	db := storetest.Open(t, store.Own(), queue.Migrations())
	log := testkit.Quiet
	q := queue.New(db, log)
	var mu sync.Mutex
	now := time.Now()
	q.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	// A port nothing listens on: the relay is down.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := ln.Addr().String()
	ln.Close()
	sender, _ := mail.NewSender(config(t, down))
	q.Handle(mail.Job, mail.Policy, sender.Deliver)
	ctx := context.Background()
	if err := mail.Queue(ctx, q, db, mail.Message{To: "alice@example.org", Subject: "Reset", Text: "Your link."}); err != nil {
		t.Fatal(err)
	}
	if n, err := q.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("first attempt: %d %v", n, err)
	}
	jobs, _ := q.Jobs(ctx, "", 10)
	if len(jobs) != 1 || jobs[0].State == "done" || jobs[0].Attempts != 1 {
		t.Fatalf("after a failed attempt: %+v", jobs)
	}

	// The relay comes back; once the backoff has passed, the mail goes.
	sink := mailtest.Start(t)
	up, _ := mail.NewSender(config(t, sink.Addr))
	q2 := queue.New(db, log)
	q2.Now = q.Now
	q2.Handle(mail.Job, mail.Policy, up.Deliver)
	mu.Lock()
	now = now.Add(mail.Policy.MaxBackoff)
	mu.Unlock()
	if n, err := q2.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	if got := sink.Messages(); len(got) != 1 || !strings.Contains(got[0].Data, "Your link.") {
		t.Fatalf("delivered: %+v", got)
	}
}

// TestSendSTARTTLS: with starttls (the default), the message goes over TLS
// to a server whose certificate is checked.
func TestSendSTARTTLS(t *testing.T) {
	sink := mailtest.StartTLS(t)
	cfg := config(t, sink.Addr)
	cfg.TLS, cfg.RootCAs = "starttls", sink.RootCAs
	s, err := mail.NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), mail.Message{To: "alice@example.org", Subject: "x", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if got := sink.Messages(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("delivered: %+v", got)
	}
	// An untrusted certificate is refused: nothing goes in clear instead.
	cfg.RootCAs = nil
	s, _ = mail.NewSender(cfg)
	if err := s.Send(context.Background(), mail.Message{To: "alice@example.org", Subject: "x", Text: "x"}); err == nil || len(sink.Messages()) != 1 {
		t.Fatalf("sent to a server with an unknown certificate: %v", err)
	}
}
