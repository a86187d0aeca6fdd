package notify

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	pmail "pelote/internal/mail"
	"pelote/internal/mail/mailtest"
	"pelote/internal/store"
)

// groups stands for the accounts' directory: group → active members'
// addresses.
func groups(m map[string][]string) Members {
	return func(_ context.Context, g string) ([]string, error) {
		list, ok := m[g]
		if !ok {
			return nil, store.ErrNotFound
		}
		return list, nil
	}
}

func sender(t *testing.T, sink *mailtest.Sink) *pmail.Sender {
	t.Helper()
	host, port, _ := net.SplitHostPort(sink.Addr)
	p, _ := strconv.Atoi(port)
	s, err := pmail.NewSender(pmail.Config{Host: host, Port: p, TLS: "starttls", RootCAs: sink.RootCAs,
		Username: sink.User, Password: sink.Password, From: "Pelote <id@example.org>", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEmailOverSTARTTLS(t *testing.T) {
	sink := mailtest.StartTLS(t)
	n, _ := newNotifier(t, nil, Options{Mail: sender(t, sink), Members: groups(map[string][]string{
		"sysadmins": {"alice@example.org", "Ops@example.org"},
		"webteam":   {"carol@example.org"},
	})}, Settings{
		Channels: []ChannelConfig{{Name: "ops-mail", Kind: "email", To: []string{"ops@example.org"}, Groups: []string{"sysadmins"}}},
		Routes:   []Route{{Channels: []string{"ops-mail"}, Owner: true}},
	})
	m := down
	m.Tags = append(m.Tags, "owner=webteam") // as Message.Owner
	m.Text = "borg create failed\nrepository locked"
	if err := n.Enqueue(t.Context(), nil, m); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, n)
	got := sink.Messages()
	var to []string
	for _, g := range got {
		if !g.TLS {
			t.Fatalf("a mail went in clear: %+v", g)
		}
		to = append(to, g.To...)
		for _, want := range []string{"Subject: [critical] web is down", "borg create failed", "repository locked",
			"https://id.example.org/admin/checks/web", "through the notification channel ops-mail"} {
			if !strings.Contains(g.Data, want) {
				t.Errorf("mail lacks %q:\n%s", want, g.Data)
			}
		}
	}
	slices.Sort(to)
	// ops@ and Ops@ are one mailbox; the owner group is added.
	if want := []string{"alice@example.org", "carol@example.org", "ops@example.org"}; !slices.Equal(to, want) {
		t.Fatalf("recipients %v, want %v", to, want)
	}
	o, _ := n.Overview(t.Context())
	if len(o.Delivered) != 1 {
		t.Fatalf("overview %+v", o)
	}
}

func TestEmailFailures(t *testing.T) {
	sink := mailtest.StartTLS(t)
	n, c := newNotifier(t, nil, Options{Mail: sender(t, sink), Members: groups(nil)}, Settings{
		Channels: []ChannelConfig{
			{Name: "refused", Kind: "email", To: []string{"refused@example.org", "bob@example.org"}},
			{Name: "nogroup", Kind: "email", Groups: []string{"ghosts"}},
		},
		Default: []string{"refused", "nogroup"},
	})
	if err := n.Enqueue(t.Context(), nil, down); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, n)
	c.Add(time.Hour)
	deliverAll(t, n)
	o, _ := n.Overview(t.Context())
	if len(o.Failed) != 2 {
		t.Fatalf("overview %+v", o)
	}
	errs := map[string]string{}
	for _, f := range o.Failed {
		errs[f.Channel] = f.LastError
		if f.Attempts != 1 {
			t.Errorf("%s tried %d times: a refusal is final", f.Channel, f.Attempts)
		}
	}
	if !strings.Contains(errs["refused"], "1 of 2 recipients refused") || !strings.Contains(errs["nogroup"], "group ghosts does not exist") {
		t.Fatalf("errors %v", errs)
	}
	if got := sink.Messages(); len(got) != 1 || got[0].To[0] != "bob@example.org" {
		t.Fatalf("the others did not get it: %+v", got)
	}
}

func TestEmailNeedsMail(t *testing.T) {
	err := Check(Settings{Channels: []ChannelConfig{{Name: "m", Kind: "email", To: []string{"ops@example.org"}}}}, false)
	if err == nil || !strings.Contains(err.Error(), "mail.host") {
		t.Fatalf("e-mail channel without mail: %v", err)
	}
	err = Check(Settings{Channels: []ChannelConfig{{Name: "m", Kind: "email", To: []string{"Ops <ops@example.org>"}}}}, true)
	if err == nil || !strings.Contains(err.Error(), "to[0]") {
		t.Fatalf("a display name in to: %v", err)
	}
}
