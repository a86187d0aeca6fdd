package web

import (
	"context"
	"errors"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"pelote/internal/pow"
)

// TestPoWScriptInChromium has a real browser run static/pow.js on the
// sign-up page, under the page's own CSP, and checks its answer with the
// server's code: the script and the server agree on the computation.
func TestPoWScriptInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (test.sh installs it)")
	}
	e := newEnv(t, "http://pelote.test", openSignUp(t, &letters{}, 12, 30))
	puzzles := e.srv.opts.PoW

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	var out []byte
	for try := 1; ; try++ {
		out, err = exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--user-data-dir="+t.TempDir(), "--virtual-time-budget=60000", "--dump-dom", e.url+"/signup").Output()
		var exit *exec.ExitError
		if err == nil || !errors.As(err, &exit) || exit.Exited() || try == 3 {
			break
		}
		// Killed by a signal: the browser crashed, which headless
		// Chromium now and then does on its own; the page is not at fault.
		t.Logf("chromium crashed (%v), trying again", err)
	}
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	token := regexp.MustCompile(`name="pow_token" value="([^"]+)"`).FindStringSubmatch(dom)
	answer := regexp.MustCompile(`name="pow_solution" value="(\d+)"`).FindStringSubmatch(dom)
	if token == nil || answer == nil {
		t.Fatalf("the script left no answer:\n%s", dom)
	}
	if _, _, err := puzzles.Check(token[1], answer[1]); err != nil {
		t.Fatalf("the script's answer %s is refused: %v", answer[1], err)
	}
	if want := pow.Solve(pow.Challenge{Token: token[1], Bits: 12}); answer[1] != want {
		t.Fatalf("the script found %s, the first answer is %s", answer[1], want)
	}
}
