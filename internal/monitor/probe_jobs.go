package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	"pelote/internal/heartbeat"
)

// TailLines and TailBytes bound the output tail put into a message.
const (
	TailLines = 20
	TailBytes = 4 << 10
)

// Tail is the end of a job's output: its last TailLines lines, at most
// TailBytes.
func Tail(b []byte) string {
	b = bytes.TrimRight(b, "\r\n\t ")
	if len(b) > TailBytes {
		b = b[len(b)-TailBytes:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > TailLines {
		lines = lines[len(lines)-TailLines:]
	}
	return strings.ToValidUTF8(string(bytes.Join(lines, []byte("\n"))), "?")
}

func (p *Prober) heartbeat(ctx context.Context, s *heartbeat.Spec) Result {
	if p.Heartbeats == nil {
		return failed("monitor.reason.error", "no heartbeat store")
	}
	st, err := p.Heartbeats.State(ctx, s.UUID)
	if err != nil {
		return failed("monitor.reason.error", err)
	}
	v := heartbeat.Evaluate(*s, st, p.now())
	r := Result{OK: v.OK, Reason: v.Reason, Args: v.Args, Latency: st.LastDuration}
	if v.LogPing != 0 {
		if body, size, err := p.Heartbeats.Body(ctx, v.LogPing); err == nil {
			r.Detail = Tail(body)
			if size > int64(len(body)) && len(body) < TailBytes {
				r.Detail += "\n[…]"
			}
		}
	}
	return r
}

// backup reads the newest archive of a Borg or restic repository.
func (p *Prober) backup(ctx context.Context, s *BackupSpec) Result {
	bin := s.Binary
	if bin == "" {
		bin = s.Tool
	}
	var cmd *exec.Cmd
	env := append(os.Environ(), "LC_ALL=C.UTF-8")
	if s.Tool == "borg" {
		cmd = exec.CommandContext(ctx, bin, "list", "--last", "1", "--json", s.Repository)
		env = append(env, "BORG_PASSPHRASE="+s.Passphrase, "BORG_RELOCATED_REPO_ACCESS_IS_OK=yes", "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=no")
	} else {
		cmd = exec.CommandContext(ctx, bin, "snapshots", "--latest", "1", "--json", "--no-lock", "-r", s.Repository)
		env = append(env, "RESTIC_PASSWORD="+s.Passphrase)
	}
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := p.now()
	err := cmd.Run()
	lat := p.now().Sub(start)
	if err != nil {
		r := failed("monitor.reason.backup_tool", s.Tool, exitText(err))
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			r = failed("monitor.reason.backup_missing", bin)
		}
		r.Detail, r.Latency = Tail(stderr.Bytes()), lat
		return r
	}
	newest, err := newestArchive(s.Tool, stdout.Bytes())
	if err != nil {
		r := failed("monitor.reason.backup_output", s.Tool, err)
		r.Latency = lat
		return r
	}
	if newest.IsZero() {
		r := failed("monitor.reason.backup_empty", s.Repository)
		r.Latency = lat
		return r
	}
	age := p.now().Sub(newest)
	if age > s.MaxAge {
		r := failed("monitor.reason.backup_old", newest.UTC().Format("2006-01-02 15:04 UTC"), age.Round(time.Minute), s.MaxAge)
		r.Latency = lat
		return r
	}
	return Result{OK: true, Latency: lat}
}

func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.String()
	}
	return err.Error()
}

// newestArchive reads `borg list --json` or `restic snapshots --json`.
func newestArchive(tool string, out []byte) (time.Time, error) {
	var newest time.Time
	if tool == "borg" {
		var v struct {
			Archives []struct {
				Time  string `json:"time"`
				Start string `json:"start"`
			} `json:"archives"`
		}
		if err := json.Unmarshal(out, &v); err != nil {
			return newest, err
		}
		for _, a := range v.Archives {
			ts := a.Start
			if ts == "" {
				ts = a.Time
			}
			// Borg writes local time without a zone.
			t, err := time.ParseInLocation("2006-01-02T15:04:05.999999", ts, time.Local)
			if err != nil {
				return newest, err
			}
			if t.After(newest) {
				newest = t
			}
		}
		return newest, nil
	}
	var snaps []struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(out, &snaps); err != nil {
		return newest, err
	}
	for _, s := range snaps {
		if s.Time.After(newest) {
			newest = s.Time
		}
	}
	return newest, nil
}
