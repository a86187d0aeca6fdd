package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"pelote/internal/config"
	"pelote/internal/identity"
	"pelote/internal/secret"
	"pelote/internal/store"
)

// Exit codes: 0 done, 1 failed, 2 the command line was wrong.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the VCS revision recorded by the Go toolchain is used.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

// cli is one invocation: its streams and environment.
type cli struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	env    []string
	// table is the CLI's commands and cmd the one running.
	table []command
	cmd   *command
	// app is what open built; keys and db are its keyring and database.
	app  *app
	keys *secret.Keyring
	db   *store.DB
}

// usageError is a wrong command line: printed with a hint, exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// What the CLI prints comes partly from the database: nothing in it
	// may drive the terminal (see termSafe).
	safeOut, safeErr := newTermSafe(stdout), newTermSafe(stderr)
	defer safeOut.Flush()
	defer safeErr.Flush()
	stdout, stderr = safeOut, safeErr
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, env: env}
	c.table = commands()
	var err error
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, c.overview())
		return exitUsage
	case args[0] == "-h" || args[0] == "--help":
		err = c.help(args[1:])
	case args[0] == "--version":
		fmt.Fprintln(stdout, "pelote", buildVersion())
	default:
		var rest []string
		c.cmd, rest, err = find(c.table, args)
		if err == nil {
			err = c.cmd.run(c, rest)
		}
	}
	var ue usageError
	var ec exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ec):
		return ec.code
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "pelote: %v\nRun \"pelote help\" for the list of commands.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "pelote: %v\n", err)
		return exitFail
	}
}

// flags is a verb's flag set with the configuration flags bound.
type flags struct {
	*flag.FlagSet
	conf *config.Flags
	json *bool
}

// flagSet is a verb's bare flag set, for a verb that reads no
// configuration (pelote run, on a machine without one).
func (c *cli) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("pelote "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	if c.cmd != nil {
		cmd, out := *c.cmd, c.stderr
		fs.Usage = func() { cmd.usage(out, fs) }
	}
	return fs
}

var flagErrHelp = flag.ErrHelp

func (c *cli) flags(name string, listing bool) *flags {
	fs := c.flagSet(name)
	var keys []string
	if c.cmd != nil {
		keys = c.cmd.keys
	}
	f := &flags{FlagSet: fs, conf: config.BindFlags(fs, keys...)}
	if listing {
		f.json = fs.Bool("json", false, "print JSON")
	}
	return f
}

// parse parses flags anywhere among the arguments (Go's flag package stops
// at the first positional one) and checks the positional count.
func (f *flags) parse(args []string, want int, names string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if f.NArg() == 0 {
			break
		}
		pos = append(pos, f.Arg(0))
		args = f.Args()[1:]
	}
	if len(pos) != want {
		return nil, usagef("%s takes %s", f.Name(), names)
	}
	return pos, nil
}

// given reports whether the command line set the named flag.
func (f *flags) given(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// with parses a verb's arguments, opens the database, runs fn on the
// positional arguments and closes the database.
func (c *cli) with(f *flags, args []string, want int, names string, fn func(pos []string, ids *identity.Store) error) error {
	pos, err := f.parse(args, want, names)
	if err != nil {
		return err
	}
	_, db, ids, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(pos, ids)
}

// readPassword reads one line from standard input: a password never goes on
// the command line, where other users of the machine can read it.
func (c *cli) readPassword() (string, error) {
	r := bufio.NewReaderSize(io.LimitReader(c.stdin, 4096), 4096)
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input (pipe it in: printf '%s\\n' \"$PASSWORD\" | pelote …)")
	}
	return line, nil
}

// printJSON writes v as indented JSON.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
