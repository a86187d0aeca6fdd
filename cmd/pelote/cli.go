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

	"pelote/internal/access"
	"pelote/internal/config"
	"pelote/internal/heartbeat"
	"pelote/internal/identity"
	"pelote/internal/ldap"
	"pelote/internal/monitor"
	"pelote/internal/notify"
	"pelote/internal/openid"
	"pelote/internal/pow"
	"pelote/internal/queue"
	"pelote/internal/ratelimit"
	"pelote/internal/releases"
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
	// keys is the master secret's keyring and db the database, both set
	// by open.
	keys *secret.Keyring
	db   *store.DB
}

// usageError is a wrong command line: printed with a hint, exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const usage = `Usage: pelote COMMAND [ARGS] [FLAGS]

Commands:
  serve                                  run the web server and background work
  user add NAME --email E [--admin] [--name N] [--locale L] --password-stdin
  user list [--search S] [--state S]     list accounts
  user show NAME                         one account with groups and profiles
  user email NAME ADDRESS                set the address, vouched for by you (counts as confirmed)
  user disable|enable NAME               block or allow logins (ends sessions)
  user passwd NAME --password-stdin      set a new password (ends sessions)
  user passwd NAME --hash-stdin          keep a hash from another system (bcrypt, {SSHA}, {CRYPT}…)
  invite create [--group G] [--ttl 168h] [--note N]  a single-use sign-up link
  invite list                            invitations, used or not
  invite revoke ID                       withdraw an unused invitation
  signup list                            sign-ups waiting (registration.mode moderated)
  signup approve|refuse NAME [--message M]  decide; the person is told by mail
  mail test ADDRESS [--lang fr]          send a test message with the mail.* settings
  import FILE [--dry-run] [--json] [--skip-invalid] [--allow-admin]
                                         accounts and groups from a CSV or an OpenLDAP LDIF, all or nothing
  user totp-reset NAME                   remove a lost second factor; the member enrols again
  group add NAME [--description D]       create a group
  group set NAME --require-totp=true|false  require two-step verification of members
  group list                             list groups
  group show NAME                        a group and its members
  group rm NAME                          delete a group
  group member add|rm GROUP USER         manage membership
  service add NAME [--quota N] [--extra refuse|approval]
  service set NAME [--quota N] [--extra refuse|approval]
  service list                           list services (profile namespaces)
  profile add USER SERVICE NAME          give an account a profile (as administrator)
  profile list [--user U] [--service S] [--pending]
  profile approve|reject ID              decide on a pending profile
  client add ID --redirect-uri URI [--redirect-uri URI...] [--public] [--service S]
         [--scopes S] [--group G] [--first-party] [--signing-alg RS256|ES256|EdDSA]
         [--backchannel-logout-uri URI] [--post-logout-uri URI] [--machine]
                                         register an OpenID client; prints its secret once
  client set ID [same flags]             change the flags given
  client list | show ID | rm ID          list, show or delete clients
  client rotate-secret ID                new secret, the old one stops working
  oidc keys                              signing keys and their schedule
  oidc rotate-keys                       switch to new signing keys now
  ldap bind-user add NAME [--description D] --password-stdin
                                         a read-only LDAP account for an application
  ldap bind-user list | ldap bind-user rm NAME
  apppass add USER NAME                  a named app password (LDAP binds); printed once
  apppass list USER | apppass rm USER NAME
  host add NAME [--group G]              a machine that asks for SSH keys; prints its token once
  host list | host rm NAME
  access grant|revoke ACCOUNT|GROUP HOST [--group]  who may reach a host
  access list                            hosts and who may reach them
  ssh-keys --server URL --token-file F USER  for sshd's AuthorizedKeysCommand
  notify list                            notification channels and the outbox
  notify test CHANNEL                    send a test message through a channel now
  notify retry ID                        put a failed delivery back in line
  inventory check                        validate the inventory; every problem with its file and line
  releases list [--json]                 running and latest versions of every service, and problems
  releases poll                          ask every upstream now (conditional requests)
  export chatonsinfos DIR [--base-url U] the CHATONS collective's ChatonsInfos files of the inventory
  check list [--json]                    the configured checks and their state
  check run NAME [--json]                run a check now and print the result (exit 1 when it fails)
  heartbeat list [--json]                heartbeats, their last ping and deadline
  run --ping URL -- COMMAND [ARGS...]    run a job, pinging its heartbeat at start and end with its exit code and output
  version                                print the version

Every command takes --config, --data and --database (or PELOTE_* variables);
listing commands take --json. Run "pelote COMMAND -h" for its flags.
`

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
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = c.serve(args[1:])
	case "user":
		err = c.user(args[1:])
	case "group":
		err = c.group(args[1:])
	case "service":
		err = c.service(args[1:])
	case "client":
		err = c.client(args[1:])
	case "oidc":
		err = c.oidc(args[1:])
	case "ldap":
		err = c.ldap(args[1:])
	case "apppass":
		err = c.apppass(args[1:])
	case "import":
		err = c.importFile(args[1:])
	case "mail":
		err = c.mailCmd(args[1:])
	case "invite":
		err = c.inviteCmd(args[1:])
	case "signup":
		err = c.signUpCmd(args[1:])
	case "host":
		err = c.host(args[1:])
	case "access":
		err = c.access(args[1:])
	case "ssh-keys":
		err = c.sshKeys(args[1:])
	case "profile":
		err = c.profile(args[1:])
	case "notify":
		err = c.notifyCmd(args[1:])
	case "inventory":
		err = c.inventoryCmd(args[1:])
	case "releases":
		err = c.releasesCmd(args[1:])
	case "export":
		err = c.export(args[1:])
	case "check":
		err = c.check(args[1:])
	case "heartbeat":
		err = c.heartbeatCmd(args[1:])
	case "run":
		err = c.runCmd(args[1:])
	case "version", "--version":
		fmt.Fprintln(stdout, "pelote", buildVersion())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usagef("unknown command %q", args[0])
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
	return fs
}

var flagErrHelp = flag.ErrHelp

func (c *cli) flags(name string, listing bool) *flags {
	fs := flag.NewFlagSet("pelote "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	f := &flags{FlagSet: fs, conf: config.BindFlags(fs, name == "serve")}
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

// open loads the configuration and opens the migrated database.
func (c *cli) open(f *flags) (config.Config, *store.DB, *identity.Store, error) {
	cfg, err := f.conf.Load(c.env)
	if err != nil {
		return cfg, nil, nil, err
	}
	db, err := store.Open(c.ctx, cfg.Database, cfg.Data)
	if err != nil {
		return cfg, nil, nil, err
	}
	if err := db.Migrate(c.ctx, store.Own(), identity.Migrations(), openid.Migrations(), queue.Migrations(), ldap.Migrations(), access.Migrations(), pow.Migrations(),
		notify.Migrations(), releases.Migrations(), monitor.Migrations(), heartbeat.Migrations(), ratelimit.Migrations()); err != nil {
		db.Close()
		return cfg, nil, nil, err
	}
	keys, err := secret.LoadOrCreate(cfg.SecretPath())
	if err != nil {
		db.Close()
		return cfg, nil, nil, err
	}
	c.keys, c.db = keys, db
	log := c.logger(cfg.LogLevel)
	hasher := identity.NewHasher(cfg.Argon2())
	hasher.Log = log
	ids := identity.NewStore(db, hasher)
	ids.Sessions = cfg.Sessions()
	ids.Seal = keys.Sealer("totp")
	// Sessions a verb ends (user disable, user passwd) reach their
	// applications through the queue that serve's worker delivers.
	st := openid.NewStore(db, ids, keys, log)
	st.Queue = queue.New(db, log)
	ids.SessionsEnded = st.SessionsEnded
	ids.PasswordChanged = st.RevokeAccountGrants
	return cfg, db, ids, nil
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
