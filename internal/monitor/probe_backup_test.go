package monitor

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackupProbe makes real Borg and restic repositories, each with one
// archive, and checks them fresh and, with a clock moved two days on,
// stale.
func TestBackupProbe(t *testing.T) {
	for _, tool := range []string{"borg", "restic"} {
		t.Run(tool, func(t *testing.T) {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("%s is not installed (test.sh installs it)", tool)
			}
			dir := t.TempDir()
			repo, data := filepath.Join(dir, "repo"), filepath.Join(dir, "data")
			os.MkdirAll(data, 0o700)
			os.WriteFile(filepath.Join(data, "db.sql"), []byte("important"), 0o600)
			const pass = "repository passphrase"
			env := append(os.Environ(), "BORG_PASSPHRASE="+pass, "RESTIC_PASSWORD="+pass, "HOME="+dir,
				"BORG_BASE_DIR="+dir, "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
			sh := func(args ...string) {
				t.Helper()
				cmd := exec.Command(args[0], args[1:]...)
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			if tool == "borg" {
				sh("borg", "init", "--encryption=repokey", repo)
				sh("borg", "create", repo+"::nightly-1", data)
			} else {
				sh("restic", "init", "-r", repo)
				sh("restic", "backup", "-r", repo, data)
			}
			t.Setenv("HOME", dir)
			t.Setenv("BORG_BASE_DIR", dir)
			t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
			spec := BackupSpec{Tool: tool, Repository: repo, Passphrase: pass, MaxAge: 26 * time.Hour}
			p := NewProber(nil)
			r := run(t, p, Check{Name: "backup", Kind: KindBackup, Backup: &spec})
			wantOK(t, r)
			stale := NewProber(nil)
			stale.Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
			wantFail(t, run(t, stale, Check{Name: "backup", Kind: KindBackup, Backup: &spec}), "monitor.reason.backup_old")
			spec.Passphrase = "wrong"
			r = run(t, p, Check{Name: "backup", Kind: KindBackup, Backup: &spec})
			wantFail(t, r, "monitor.reason.backup_tool")
			if r.Detail == "" || strings.Contains(r.Detail, pass) {
				t.Fatalf("detail %q", r.Detail)
			}
			spec.Binary = "/nonexistent/" + tool
			wantFail(t, run(t, p, Check{Name: "backup", Kind: KindBackup, Backup: &spec}), "monitor.reason.backup_missing")
		})
	}
}
