package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"pelote/internal/heartbeat"
	"pelote/internal/i18n"
	"pelote/internal/monitor"
)

// check is `pelote check list|run`.

type checkJSON struct {
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	Since     time.Time `json:"since,omitzero"`
	LastAt    time.Time `json:"last_at,omitzero"`
	OK        bool      `json:"ok"`
	Reason    string    `json:"reason,omitempty"`
	LatencyMS float64   `json:"latency_ms"`
	CertDays  *float64  `json:"certificate_days,omitempty"`
	Tags      []string  `json:"tags,omitempty"`
	Public    bool      `json:"public"`
}

func (c *cli) checkList(args []string) error {
	f := c.flags("check list", true)
	if _, err := f.parse(args, 0, "no argument"); err != nil {
		return err
	}
	cfg, db, _, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	checks, err := cfg.MonitorChecks()
	if err != nil {
		return err
	}
	states, err := monitor.NewStore(db).States(c.ctx)
	if err != nil {
		return err
	}
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	var out []checkJSON
	for _, ch := range checks {
		st := states[ch.Name].State
		j := checkJSON{Name: ch.Name, Kind: string(ch.Kind), Status: string(st.Status), Since: st.Since, LastAt: st.Last.At, OK: st.Last.OK,
			LatencyMS: float64(st.Last.Latency.Microseconds()) / 1000, CertDays: st.Last.CertDays, Tags: ch.Tags, Public: ch.Public}
		if j.Status == "" {
			j.Status = string(monitor.Pending)
		}
		if !st.Last.At.IsZero() {
			j.Reason = monitor.Explain(cat, cfg.Notify.Language, st.Last)
		}
		out = append(out, j)
	}
	if *f.json {
		if out == nil {
			out = []checkJSON{}
		}
		return c.printJSON(out)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSTATUS\tSINCE\tLAST RESULT")
	for _, j := range out {
		since := "-"
		if !j.Since.IsZero() {
			since = j.Since.UTC().Format("2006-01-02 15:04")
		}
		last := "not run yet"
		if !j.LastAt.IsZero() {
			last = j.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", j.Name, j.Kind, j.Status, since, last)
	}
	return tw.Flush()
}

// checkRun runs one check now and prints its result; the exit code is 1
// when it fails. Nothing is recorded: the running serve does that.
func (c *cli) checkRun(args []string) error {
	f := c.flags("check run", true)
	pos, err := f.parse(args, 1, "the name of a check")
	if err != nil {
		return err
	}
	cfg, db, _, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	checks, err := cfg.MonitorChecks()
	if err != nil {
		return err
	}
	var ch *monitor.Check
	for i := range checks {
		if checks[i].Name == pos[0] {
			ch = &checks[i]
		}
	}
	if ch == nil {
		return fmt.Errorf("no check is called %q in the configuration (see pelote check list)", pos[0])
	}
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	r := monitor.NewProber(heartbeat.NewStore(db)).Run(c.ctx, *ch)
	if *f.json {
		j := checkJSON{Name: ch.Name, Kind: string(ch.Kind), LastAt: r.At, OK: r.OK, Reason: monitor.Explain(cat, cfg.Notify.Language, r),
			LatencyMS: float64(r.Latency.Microseconds()) / 1000, CertDays: r.CertDays, Status: map[bool]string{true: "ok", false: "failed"}[r.OK]}
		if err := c.printJSON(j); err != nil {
			return err
		}
	} else {
		word := "ok"
		if !r.OK {
			word = "FAILED"
		}
		fmt.Fprintf(c.stdout, "%s: %s in %v: %s\n", ch.Name, word, r.Latency.Round(time.Microsecond), monitor.Explain(cat, cfg.Notify.Language, r))
		if r.CertDays != nil {
			fmt.Fprintf(c.stdout, "certificate: %.1f days left\n", *r.CertDays)
		}
		if r.Detail != "" {
			fmt.Fprintf(c.stdout, "%s\n", r.Detail)
		}
	}
	if !r.OK {
		return exitCode{code: exitFail}
	}
	return nil
}

// heartbeatCmd is `pelote heartbeat list`.
func (c *cli) heartbeatList(args []string) error {
	f := c.flags("heartbeat list", true)
	if _, err := f.parse(args, 0, "no argument"); err != nil {
		return err
	}
	cfg, db, _, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	checks, err := cfg.MonitorChecks()
	if err != nil {
		return err
	}
	hb := heartbeat.NewStore(db)
	type hbJSON struct {
		Name        string    `json:"name"`
		UUID        string    `json:"uuid"`
		Schedule    string    `json:"schedule"`
		LastPing    string    `json:"last_ping,omitempty"`
		LastAt      time.Time `json:"last_at,omitzero"`
		ExitCode    *int      `json:"exit_code,omitempty"`
		LastSuccess time.Time `json:"last_success,omitzero"`
		Deadline    time.Time `json:"deadline,omitzero"`
		OK          bool      `json:"ok"`
	}
	var out []hbJSON
	now := time.Now()
	for _, ch := range checks {
		if ch.Heartbeat == nil {
			continue
		}
		s := ch.Heartbeat
		j := hbJSON{Name: ch.Name, UUID: s.UUID, Schedule: s.Period.String()}
		if s.Cron != "" {
			j.Schedule = s.Cron + " " + s.TZ
		}
		st, err := hb.State(c.ctx, s.UUID)
		if err != nil {
			st = heartbeat.State{UUID: s.UUID, Registered: now}
		}
		j.LastPing, j.LastSuccess = st.LastKind, st.LastSuccess
		if !st.LastStart.IsZero() {
			j.LastPing, j.LastAt = heartbeat.Start, st.LastStart
		} else if !st.LastEnd.IsZero() {
			j.LastAt = st.LastEnd
			if st.LastExit >= 0 {
				code := st.LastExit
				j.ExitCode = &code
			}
		}
		v := heartbeat.Evaluate(*s, st, now)
		j.Deadline, j.OK = v.Deadline, v.OK
		out = append(out, j)
	}
	if *f.json {
		if out == nil {
			out = []hbJSON{}
		}
		return c.printJSON(out)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tUUID\tSCHEDULE\tLAST PING\tDEADLINE\tSTATE")
	for _, j := range out {
		last := "never"
		if !j.LastAt.IsZero() {
			last = j.LastPing + " " + j.LastAt.UTC().Format("2006-01-02 15:04")
			if j.ExitCode != nil {
				last += " (exit " + strconv.Itoa(*j.ExitCode) + ")"
			}
		}
		state := "ok"
		if !j.OK {
			state = "failing"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.Name, j.UUID, j.Schedule, last, j.Deadline.UTC().Format("2006-01-02 15:04"), state)
	}
	return tw.Flush()
}

// exitCode ends pelote with a given code and no message.
type exitCode struct{ code int }

func (e exitCode) Error() string { return "exit code " + strconv.Itoa(e.code) }

// runCmd is `pelote run --ping URL -- COMMAND ARGS...`: it pings start,
// runs the command with its streams passed through, then pings its exit
// code with the tail of its output, and exits as the command did. When
// Pelote cannot be reached the command still runs, with a warning.
func (c *cli) runCmd(args []string) error {
	f := c.flagSet("run")
	ping := f.String("ping", "", "the heartbeat's ping URL, e.g. https://id.example.org/ping/UUID")
	timeout := f.Duration("ping-timeout", 10*time.Second, "how long a ping may take")
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flagErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	cmdArgs := f.Args()
	if *ping == "" || len(cmdArgs) == 0 {
		return usagef("run takes --ping URL -- COMMAND [ARGS...]")
	}
	base := strings.TrimRight(*ping, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return usagef("--ping %q is not an http(s) URL", *ping)
	}
	client := &http.Client{Timeout: *timeout}
	send := func(suffix string, body []byte) {
		res, err := client.Post(base+suffix, "text/plain; charset=utf-8", bytes.NewReader(body))
		if err != nil {
			fmt.Fprintf(c.stderr, "pelote run: warning: Pelote could not be reached (%v); the job runs anyway, but this run is not recorded\n", redactURL(err, base))
			return
		}
		io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			fmt.Fprintf(c.stderr, "pelote run: warning: Pelote answered %s to the ping; check the URL\n", res.Status)
		}
	}
	send("/start", nil)
	tail := &tailBuffer{max: heartbeat.MaxBody}
	cmd := exec.Command(cmdArgs[0], cmdArgs[1:]...)
	cmd.Stdin = c.stdin
	cmd.Stdout = io.MultiWriter(c.stdout, tail)
	cmd.Stderr = io.MultiWriter(c.stderr, tail)
	code := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			code = ee.ExitCode()
			if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
				code = 128 + int(st.Signal())
			}
		default:
			// Not started (not found, not executable): as a shell says it.
			code = 127
			msg := fmt.Sprintf("pelote run: %s: %v\n", cmdArgs[0], err)
			io.WriteString(c.stderr, msg)
			tail.Write([]byte(msg))
		}
	}
	send("/"+strconv.Itoa(code), tail.Bytes())
	if code != 0 {
		return exitCode{code: code}
	}
	return nil
}

// redactURL keeps the ping URL's uuid out of messages: it is the secret.
func redactURL(err error, url string) string {
	s := err.Error()
	if i := strings.LastIndex(url, "/ping/"); i >= 0 {
		s = strings.ReplaceAll(s, url[i+len("/ping/"):], "…")
	}
	return s
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf)
}
