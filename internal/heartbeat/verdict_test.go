package heartbeat

import (
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	daily := Spec{UUID: "x", Period: 24 * time.Hour, Grace: time.Hour, MinRuntime: time.Minute, MaxRuntime: 3 * time.Hour}
	cron := Spec{UUID: "x", Cron: "30 2 * * *", TZ: "Europe/Paris", Grace: 30 * time.Minute}
	tests := []struct {
		name   string
		spec   Spec
		st     State
		now    time.Time
		reason string
	}{
		{"never pinged, within period", daily, State{Registered: t0}, t0.Add(24 * time.Hour), ""},
		{"never pinged, past grace", daily, State{Registered: t0}, t0.Add(25*time.Hour + time.Second), "monitor.reason.hb_late"},
		{"succeeded yesterday", daily, State{Registered: t0, LastEnd: t0.Add(20 * time.Hour), LastSuccess: t0.Add(20 * time.Hour), LastKind: Success, LastDuration: time.Hour}, t0.Add(44 * time.Hour), ""},
		{"failed", daily, State{Registered: t0, LastEnd: t0.Add(time.Hour), LastKind: Fail, LastExit: 2}, t0.Add(2 * time.Hour), "monitor.reason.hb_failed"},
		{"too fast", daily, State{Registered: t0, LastEnd: t0.Add(time.Hour), LastSuccess: t0.Add(time.Hour), LastKind: Success, LastDuration: 2 * time.Second}, t0.Add(2 * time.Hour), "monitor.reason.hb_too_fast"},
		{"running too long", daily, State{Registered: t0, LastStart: t0.Add(time.Hour)}, t0.Add(5 * time.Hour), "monitor.reason.hb_too_long"},
		// 02:30 Paris is 01:30 UTC in March (CET).
		{"cron on time", cron, State{Registered: t0}, time.Date(2026, 3, 1, 1, 59, 0, 0, time.UTC), ""},
		{"cron late", cron, State{Registered: t0}, time.Date(2026, 3, 1, 2, 1, 0, 0, time.UTC), "monitor.reason.hb_late"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate(tc.spec, tc.st, tc.now)
			if v.Reason != tc.reason || v.OK != (tc.reason == "") {
				t.Fatalf("got %+v, want reason %q", v, tc.reason)
			}
		})
	}
}

func TestSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  Spec
		field string
	}{
		{"bad uuid", Spec{UUID: "nope", Period: time.Hour}, "uuid"},
		{"bad cron", Spec{UUID: "4b4f3c2e-1d0a-4c8b-9e7f-0a1b2c3d4e5f", Cron: "61 * * * *"}, "cron"},
		{"cron words", Spec{UUID: "4b4f3c2e-1d0a-4c8b-9e7f-0a1b2c3d4e5f", Cron: "every night"}, "cron"},
		{"no schedule", Spec{UUID: "4b4f3c2e-1d0a-4c8b-9e7f-0a1b2c3d4e5f"}, "period"},
		{"bad zone", Spec{UUID: "4b4f3c2e-1d0a-4c8b-9e7f-0a1b2c3d4e5f", Cron: "@daily", TZ: "Mars/Olympus"}, "tz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := FieldErrors(tc.spec)
			if len(errs) == 0 || errs[0].Field != tc.field {
				t.Fatalf("got %+v, want an error on %s", errs, tc.field)
			}
		})
	}
}
