package monitor

import (
	"slices"
	"strings"
	"time"

	"pelote/internal/notify"
)

// message is what operators hear of a transition of check c.
func message(tr Translator, lang, baseURL string, c Check, t Transition, now time.Time) notify.Message {
	r := t.State.Last
	source := "check"
	if c.Kind == KindHeartbeat {
		source = "heartbeat"
	}
	sev := notify.Critical
	switch t.Event {
	case EventUp:
		sev = notify.Info
	case EventFlapping:
		sev = notify.Warning
	case EventStable:
		if t.State.Status == Up {
			sev = notify.Info
		}
	}
	event := t.Event
	titleKey := "monitor.msg." + t.Event
	if t.Event == EventStable {
		// Stable again: told as the state it settled in.
		event, titleKey = string(t.State.Status), "monitor.msg.stable_"+string(t.State.Status)
	}
	var text strings.Builder
	if reason := Explain(tr, lang, r); reason != "" && !(t.Event == EventUp || event == EventUp) {
		text.WriteString(reason)
	}
	if t.Event == EventUp || event == EventUp {
		text.WriteString(tr.T(lang, "monitor.msg.up_after", t.State.Since.Sub(downSince(t)).Round(time.Second).String()))
	}
	if t.Event == EventReminder {
		text.WriteString("\n" + tr.T(lang, "monitor.msg.down_since", t.State.Since.UTC().Format("2006-01-02 15:04 UTC")))
	}
	if r.Detail != "" && event != EventUp {
		text.WriteString("\n\n" + tr.T(lang, "monitor.msg.output") + "\n" + r.Detail)
	}
	// The owner group routes as a tag, as Alertmanager's labels do: a
	// route may send "owner=GROUP" messages to that group's members.
	tags := c.Tags
	if c.Owner != "" {
		tags = append(slices.Clip(tags), "owner="+c.Owner)
	}
	url := ""
	if baseURL != "" {
		url = strings.TrimRight(baseURL, "/") + "/admin/monitor/" + c.Name
	}
	return notify.Message{
		Source: source, Subject: c.Name, Event: event, Severity: sev, Tags: tags,
		Title: tr.T(lang, titleKey, c.Name), Text: strings.TrimSpace(text.String()), URL: url, At: now,
	}
}

// downSince is when the check went down, for "up after …": the previous
// status's start is not kept, so the transition carries it.
func downSince(t Transition) time.Time {
	if !t.downAt.IsZero() {
		return t.downAt
	}
	return t.State.Since
}
