package identity_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"pelote/internal/identity"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// TestCrashLosesNoCommit runs a writer in another process, kills it with
// SIGKILL in the middle of its writes, and checks that every account it
// reported as committed is there, in a database that passes its checks.
func TestCrashLosesNoCommit(t *testing.T) {
	if os.Getenv("PELOTE_TEST_CRASH_WRITER") != "" {
		crashWriter()
		return
	}
	dsn, dir := storetest.DSN(t), t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashLosesNoCommit$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PELOTE_TEST_CRASH_WRITER=1", "PELOTE_TEST_CRASH_DSN="+dsn, "PELOTE_TEST_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var committed []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(committed) < 200 {
		committed = append(committed, sc.Text())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(committed) < 200 {
		t.Fatalf("the writer stopped after %d accounts", len(committed))
	}

	db, err := store.Open(context.Background(), dsn, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect() == store.SQLite {
		var check string
		if err := db.QueryRow(context.Background(), "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Fatalf("integrity check: %q %v", check, err)
		}
	}
	s := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	for _, name := range committed {
		if _, err := s.Account(context.Background(), name); err != nil {
			t.Fatalf("account %s was committed before the crash and is lost: %v", name, err)
		}
	}
}

// crashWriter creates accounts until killed, printing each name once its
// transaction has committed.
func crashWriter() {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("PELOTE_TEST_CRASH_DSN"), os.Getenv("PELOTE_TEST_CRASH_DIR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if err := db.Migrate(ctx, store.Own(), identity.Migrations()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	s := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	for i := 0; ; i++ {
		name := fmt.Sprintf("member%05d", i)
		if _, err := s.CreateAccount(ctx, identity.NewAccount{Username: name, Email: name + "@example.org", Password: "correct horse battery"}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Println(name)
	}
}
