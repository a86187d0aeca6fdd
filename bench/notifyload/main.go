// Command notifyload measures the notification outbox of one node: a burst
// of messages enqueued by concurrent producers, then delivered by the
// node's workers to a local webhook receiver running in another process.
// It prints enqueue and delivery rates, the outbox's cost per message
// (allocations, rows, bytes on disk) and the resident memory after the
// burst and after an idle period. bench/notify.sh runs it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"pelote/internal/notify"
	"pelote/internal/store"
)

// cpuProfile names the file of -cpuprofile.
var cpuProfile string

func main() {
	receive := flag.Bool("receive", false, "run as the webhook receiver: print the address, answer 200 to every POST")
	n := flag.Int("n", 10000, "messages in the burst")
	subjects := flag.Int("subjects", 64, "distinct subjects (each one's deliveries go in order)")
	producers := flag.Int("producers", 8, "concurrent producers")
	idle := flag.Duration("idle", 30*time.Second, "idle time before the last RSS reading")
	dsn := flag.String("database", "", "postgres:// URL (empty: SQLite in a temporary directory)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the delivery phase to this file")
	flag.Parse()
	cpuProfile = *profile
	if *receive {
		receiver()
		return
	}
	if err := run(*n, *subjects, *producers, *idle, *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "notifyload:", err)
		os.Exit(1)
	}
}

func receiver() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr().String())
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
}

func run(n, subjects, producers int, idle time.Duration, dsn string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	recv := exec.Command(self, "-receive")
	out, err := recv.StdoutPipe()
	if err != nil {
		return err
	}
	if err := recv.Start(); err != nil {
		return err
	}
	defer func() { recv.Process.Kill(); recv.Wait() }()
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}

	dir, err := os.MkdirTemp("", "notifyload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, store.Own(), notify.Migrations()); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	nt := notify.New(db, log, notify.Options{})
	if err := nt.Configure(notify.Settings{
		Channels: []notify.ChannelConfig{{Name: "hook", Kind: "webhook", URL: "http://" + strings.TrimSpace(addr) + "/hook"}},
		Default:  []string{"hook"},
	}); err != nil {
		return err
	}
	diskBefore := diskUsage(dir)

	// Enqueue: producers at once, each message in its own transaction.
	var m0, m1, m2 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p; i < n; i += producers {
				err := nt.Enqueue(ctx, nil, notify.Message{Source: "check", Subject: "check-" + strconv.Itoa(i%subjects), Event: "down",
					Severity: notify.Critical, Tags: []string{"http", "bench"}, Title: "check-" + strconv.Itoa(i%subjects) + " is down",
					Text: "GET https://example.org/: 502 Bad Gateway after 31 ms", URL: "https://id.example.org/admin/checks"})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	enqueued := time.Since(start)
	runtime.ReadMemStats(&m1)

	// Delivery: the node's workers drain the outbox.
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	start = time.Now()
	go func() { nt.Run(runCtx); close(done) }()
	for {
		var left int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM notify_deliveries WHERE state = 'pending'`).Scan(&left); err != nil {
			return err
		}
		if left == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	delivered := time.Since(start)
	runtime.ReadMemStats(&m2)
	rssBurst := rss()
	var msgs, rows int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM notify_messages`).Scan(&msgs)
	db.QueryRow(ctx, `SELECT COUNT(*) FROM notify_deliveries`).Scan(&rows)

	fmt.Printf("engine %s, %d messages over %d subjects, %d producers, %d workers\n", db.Dialect(), n, subjects, producers, nt.Workers)
	fmt.Printf("enqueue:  %8.0f messages/s   %6.0f allocs/msg  %7.0f B allocated/msg\n",
		float64(n)/enqueued.Seconds(), float64(m1.Mallocs-m0.Mallocs)/float64(n), float64(m1.TotalAlloc-m0.TotalAlloc)/float64(n))
	fmt.Printf("delivery: %8.0f deliveries/s %6.0f allocs/msg  %7.0f B allocated/msg (claim, read, POST, record)\n",
		float64(n)/delivered.Seconds(), float64(m2.Mallocs-m1.Mallocs)/float64(n), float64(m2.TotalAlloc-m1.TotalAlloc)/float64(n))
	fmt.Printf("outbox:   %.1f rows/msg (1 message + 1 delivery per channel)", float64(msgs+rows)/float64(msgs))
	if dsn == "" {
		fmt.Printf(", %.0f bytes on disk/msg (SQLite file and WAL)", float64(diskUsage(dir)-diskBefore)/float64(n))
	}
	fmt.Println()
	fmt.Printf("RSS after the burst: %.1f MB (Go heap in use %.1f MB)\n", float64(rssBurst)/1e6, float64(m2.HeapInuse)/1e6)
	time.Sleep(idle) // a benchmark waits on purpose: memory after a quiet period
	runtime.GC()
	var m3 runtime.MemStats
	runtime.ReadMemStats(&m3)
	fmt.Printf("RSS after %v idle: %.1f MB (Go heap in use %.1f MB)\n", idle, float64(rss())/1e6, float64(m3.HeapInuse)/1e6)
	stop()
	<-done
	return nil
}

// rss reads the resident set size from /proc.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func diskUsage(dir string) int64 {
	var total int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return errors.Unwrap(err)
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			total += info.Size()
		}
		return nil
	})
	return total
}
