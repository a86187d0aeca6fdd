package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"pelote/internal/store"
)

// Errors of the Alertmanager endpoint.
var (
	// ErrAlertmanagerOff: no token is configured, the endpoint is off.
	ErrAlertmanagerOff = errors.New("notify: the Alertmanager endpoint is off (notify.alertmanager.token is not set)")
	// ErrUnauthorized: the bearer token is missing or wrong.
	ErrUnauthorized = errors.New("notify: wrong or missing bearer token")
)

// PayloadError is an Alertmanager payload that cannot be read; its
// message says why, for Alertmanager's log.
type PayloadError struct{ Reason string }

func (e *PayloadError) Error() string { return "notify: alertmanager payload: " + e.Reason }

// amPayload is Alertmanager's webhook body, version 4.
type amPayload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []amAlert         `json:"alerts"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// maxAlerts bounds the alerts one payload may carry.
const maxAlerts = 1000

// ParseAlertmanager reads an Alertmanager webhook payload (version 4) into
// one message per alert: event firing or resolved, severity from the
// severity label, the labels as "name=value" tags, the generator's URL as
// link. t words the titles in the operators' language.
func ParseAlertmanager(body []byte, t func(key string, args ...any) string) ([]Message, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var p amPayload
	if err := dec.Decode(&p); err != nil {
		return nil, &PayloadError{Reason: jsonReason(body, err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &PayloadError{Reason: "data after the JSON object"}
	}
	if p.Version != "4" {
		return nil, &PayloadError{Reason: fmt.Sprintf("version %q is not supported: Pelote reads version 4, which Alertmanager has sent since 0.8", p.Version)}
	}
	if len(p.Alerts) == 0 {
		return nil, &PayloadError{Reason: "no alerts"}
	}
	if len(p.Alerts) > maxAlerts {
		return nil, &PayloadError{Reason: fmt.Sprintf("%d alerts, more than %d: set max_alerts in Alertmanager's webhook_config", len(p.Alerts), maxAlerts)}
	}
	out := make([]Message, 0, len(p.Alerts))
	for i, a := range p.Alerts {
		if a.Status != "firing" && a.Status != "resolved" {
			return nil, &PayloadError{Reason: fmt.Sprintf("alerts[%d]: status %q is neither firing nor resolved", i, a.Status)}
		}
		labels := map[string]string{}
		maps.Copy(labels, p.CommonLabels)
		maps.Copy(labels, a.Labels)
		annotations := map[string]string{}
		maps.Copy(annotations, p.CommonAnnotations)
		maps.Copy(annotations, a.Annotations)
		if labels["alertname"] == "" {
			return nil, &PayloadError{Reason: fmt.Sprintf("alerts[%d]: no alertname label", i)}
		}
		out = append(out, alertMessage(a, labels, annotations, t))
	}
	return out, nil
}

func alertMessage(a amAlert, labels, annotations map[string]string, t func(string, ...any) string) Message {
	subject := labels["alertname"]
	if inst := labels["instance"]; inst != "" {
		subject += " (" + inst + ")"
	}
	m := Message{Source: "alertmanager", Subject: subject, Event: a.Status, Severity: severityOfLabel(labels["severity"]),
		URL: a.GeneratorURL, At: a.StartsAt}
	state := t("notify.am.firing")
	if a.Status == "resolved" {
		state = t("notify.am.resolved")
		if !a.EndsAt.IsZero() {
			m.At = a.EndsAt
		}
	}
	summary := annotations["summary"]
	if summary == "" {
		summary = annotations["description"]
	}
	if summary != "" {
		m.Title = t("notify.am.title", state, subject, summary)
	} else {
		m.Title = t("notify.am.title_bare", state, subject)
	}
	var text []string
	if d := annotations["description"]; d != "" && d != summary {
		text = append(text, d)
	}
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		if k != "summary" && k != "description" {
			text = append(text, k+": "+annotations[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		m.Tags = append(m.Tags, k+"="+labels[k])
	}
	text = append(text, strings.Join(m.Tags, ", "))
	m.Text = strings.Join(text, "\n")
	return m
}

// jsonReason says where the JSON went wrong.
func jsonReason(body []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(body, syn.Offset)
		return fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, syn)
	case errors.As(err, &typ):
		line, col := position(body, typ.Offset)
		return fmt.Sprintf("invalid JSON at line %d, column %d: %s should be %s, not %s", line, col, typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON object is empty or cut short"
	}
	return "invalid JSON: " + err.Error()
}

func position(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

// AlertmanagerAuth checks an Authorization header as Alertmanager does,
// so that a caller without the token is turned away before its body is
// read.
func (n *Notifier) AlertmanagerAuth(authorization string) error {
	return n.cur.Load().authorize(authorization)
}

func (st *setup) authorize(authorization string) error {
	if st.amToken == "" {
		return ErrAlertmanagerOff
	}
	given, ok := strings.CutPrefix(authorization, "Bearer ")
	// Hashed first, so the comparison takes the same time whatever the
	// length of what was sent.
	a, b := sha256.Sum256([]byte(strings.TrimSpace(given))), sha256.Sum256([]byte(st.amToken))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 || !ok {
		return ErrUnauthorized
	}
	return nil
}

// Alertmanager takes a webhook call: the Authorization header must carry
// the configured bearer token; then the payload's alerts are enqueued, all
// in one transaction, and their number returned. Nothing is stored on any
// error.
func (n *Notifier) Alertmanager(ctx context.Context, authorization string, body []byte) (int, error) {
	st := n.cur.Load()
	if err := st.authorize(authorization); err != nil {
		return 0, err
	}
	msgs, err := ParseAlertmanager(body, n.t(st))
	if err != nil {
		return 0, err
	}
	err = n.db.InTx(ctx, func(tx *store.Tx) error {
		for _, m := range msgs {
			if err := n.Enqueue(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(msgs), nil
}
