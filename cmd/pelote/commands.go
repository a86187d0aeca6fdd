package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"pelote/internal/config"
	"pelote/internal/identity"
)

// command is one verb of the CLI: the table below is the only list of
// them. `pelote help`, each verb's -h and the README's command list (a
// test compares them) come from it.
type command struct {
	// path is the verb's words, "group member add".
	path string
	// args is the synopsis after the path: positional arguments and the
	// flags that matter, as the README shows them.
	args    string
	summary string
	// keys are the settings the verb takes as flags besides the global
	// ones (config.Global); config.AllKeys() for serve.
	keys []string
	run  func(c *cli, args []string) error
}

// Settings some verbs take as flags.
var (
	hashKeys      = []string{"password.memory_kib", "password.time", "password.threads"}
	notifyKeys    = []string{"notify.language"}
	inventoryKeys = []string{"inventory_dir"}
	oidcKeyKeys   = []string{"oidc.key_rotation", "oidc.id_token_lifetime"}
	ldapKeys      = []string{"ldap.base_dn"}
)

// commands is the CLI, in the order `pelote help` and the README list it.
func commands() []command {
	return []command{
		{path: "serve", summary: "run the web server, the directory and the background work", keys: config.AllKeys(),
			run: (*cli).serve},
		{path: "user add", args: "NAME --email E [--admin] [--name N] [--locale en|fr|de|nl] --password-stdin", summary: "create an account", keys: hashKeys,
			run: (*cli).userAdd},
		{path: "user list", args: "[--search S] [--state active|disabled|pending] [--json]", summary: "list accounts",
			run: (*cli).userList},
		{path: "user show", args: "NAME [--json]", summary: "one account with its groups and profiles",
			run: (*cli).userShow},
		{path: "user email", args: "NAME ADDRESS", summary: "set the address, vouched for by you (counts as confirmed)",
			run: (*cli).userEmail},
		{path: "user disable", args: "NAME", summary: "block logins (ends sessions)",
			run: func(c *cli, a []string) error { return c.userState(a, "disable", identity.Disabled) }},
		{path: "user enable", args: "NAME", summary: "allow logins again",
			run: func(c *cli, a []string) error { return c.userState(a, "enable", identity.Active) }},
		{path: "user passwd", args: "NAME --password-stdin|--hash-stdin", summary: "set a new password, or keep a hash from another system (ends sessions)", keys: hashKeys,
			run: (*cli).userPasswd},
		{path: "user totp-reset", args: "NAME", summary: "remove a lost second factor; the member enrols again",
			run: (*cli).userTOTPReset},
		{path: "import", args: "FILE [--dry-run] [--json] [--skip-invalid] [--allow-admin]", summary: "accounts and groups from a CSV or an OpenLDAP LDIF, all or nothing",
			run: (*cli).importFile},
		{path: "mail test", args: "ADDRESS [--lang en|fr|de|nl]", summary: "send a test message with the mail.* settings",
			run: (*cli).mailTest},
		{path: "invite create", args: "[--group G] [--ttl 168h] [--note N]", summary: "a single-use sign-up link",
			run: (*cli).inviteCreate},
		{path: "invite list", args: "[--json]", summary: "invitations, used or not",
			run: (*cli).inviteList},
		{path: "invite revoke", args: "ID", summary: "withdraw an unused invitation",
			run: (*cli).inviteRevoke},
		{path: "signup list", args: "[--json]", summary: "sign-ups waiting (registration.mode moderated)",
			run: (*cli).signUpList},
		{path: "signup approve", args: "NAME [--message M]", summary: "approve a sign-up; the person is told by mail",
			run: func(c *cli, a []string) error { return c.signUpDecide(string(identity.Approve), a) }},
		{path: "signup refuse", args: "NAME [--message M]", summary: "refuse a sign-up; the person is told by mail",
			run: func(c *cli, a []string) error { return c.signUpDecide(string(identity.Refuse), a) }},
		{path: "group add", args: "NAME [--description D]", summary: "create a group",
			run: (*cli).groupAdd},
		{path: "group set", args: "NAME --require-totp=true|false", summary: "require two-step verification of the members",
			run: (*cli).groupSet},
		{path: "group list", args: "[--json]", summary: "list groups",
			run: (*cli).groupList},
		{path: "group show", args: "NAME [--json]", summary: "a group and its members",
			run: (*cli).groupShow},
		{path: "group rm", args: "NAME", summary: "delete a group",
			run: (*cli).groupRemove},
		{path: "group member add", args: "GROUP USER", summary: "add a member",
			run: func(c *cli, a []string) error { return c.groupMember(a, true) }},
		{path: "group member rm", args: "GROUP USER", summary: "remove a member",
			run: func(c *cli, a []string) error { return c.groupMember(a, false) }},
		{path: "service add", args: "NAME [--quota N] [--extra refuse|approval]", summary: "create a service (a profile namespace)",
			run: func(c *cli, a []string) error { return c.serviceSave(a, true) }},
		{path: "service set", args: "NAME [--quota N] [--extra refuse|approval]", summary: "change a service's quota and policy",
			run: func(c *cli, a []string) error { return c.serviceSave(a, false) }},
		{path: "service list", args: "[--json]", summary: "list services",
			run: (*cli).serviceList},
		{path: "profile add", args: "USER SERVICE NAME", summary: "give an account a profile (as administrator: no quota)",
			run: (*cli).profileAdd},
		{path: "profile list", args: "[--user U] [--service S] [--pending] [--json]", summary: "list profiles",
			run: (*cli).profileList},
		{path: "profile approve", args: "ID", summary: "approve a pending profile",
			run: func(c *cli, a []string) error { return c.profileDecide(a, "approve") }},
		{path: "profile reject", args: "ID", summary: "reject a pending profile",
			run: func(c *cli, a []string) error { return c.profileDecide(a, "reject") }},
		{path: "client add", args: "ID --redirect-uri URI [...] [--service S] [--public] [--first-party] [--json]", summary: "register an OpenID client; prints its secret once",
			run: func(c *cli, a []string) error { return c.clientSave(a, true) }},
		{path: "client set", args: "ID [same flags as add]", summary: "change the flags given",
			run: func(c *cli, a []string) error { return c.clientSave(a, false) }},
		{path: "client list", args: "[--json]", summary: "list clients",
			run: (*cli).clientList},
		{path: "client show", args: "ID [--json]", summary: "one client",
			run: (*cli).clientShow},
		{path: "client rm", args: "ID", summary: "delete a client with its grants and tokens",
			run: (*cli).clientRm},
		{path: "client rotate-secret", args: "ID [--json]", summary: "a new secret; the old one stops working",
			run: (*cli).clientRotateSecret},
		{path: "oidc keys", args: "[--json]", summary: "signing keys and their schedule", keys: oidcKeyKeys,
			run: (*cli).oidcKeys},
		{path: "oidc rotate-keys", summary: "switch to new signing keys now", keys: oidcKeyKeys,
			run: (*cli).oidcRotateKeys},
		{path: "ldap bind-user add", args: "NAME [--description D] --password-stdin", summary: "a read-only LDAP account for an application", keys: append(ldapKeys, hashKeys...),
			run: (*cli).bindUserAdd},
		{path: "ldap bind-user list", args: "[--json]", summary: "the applications' LDAP accounts", keys: ldapKeys,
			run: (*cli).bindUserList},
		{path: "ldap bind-user rm", args: "NAME", summary: "delete an application's LDAP account",
			run: (*cli).bindUserRemove},
		{path: "apppass add", args: "USER NAME", summary: "a named app password (LDAP binds); printed once", keys: hashKeys,
			run: (*cli).apppassAdd},
		{path: "apppass list", args: "USER [--json]", summary: "a member's app passwords",
			run: (*cli).apppassList},
		{path: "apppass rm", args: "USER NAME", summary: "revoke an app password",
			run: (*cli).apppassRm},
		{path: "host add", args: "NAME [--group G]", summary: "a machine that asks for SSH keys; prints its token once",
			run: (*cli).hostAdd},
		{path: "host list", args: "[--json]", summary: "hosts and who may reach them",
			run: (*cli).hostList},
		{path: "host rm", args: "NAME", summary: "delete a host",
			run: (*cli).hostRm},
		{path: "access grant", args: "ACCOUNT|GROUP HOST [--group]", summary: "let an account or a group reach a host",
			run: func(c *cli, a []string) error { return c.accessChange(a, true) }},
		{path: "access revoke", args: "ACCOUNT|GROUP HOST [--group]", summary: "no longer let them",
			run: func(c *cli, a []string) error { return c.accessChange(a, false) }},
		{path: "access list", args: "[--json]", summary: "hosts and who may reach them",
			run: (*cli).hostList},
		{path: "ssh-keys", args: "--server URL (--token-file FILE | --token TOKEN) USER", summary: "for sshd's AuthorizedKeysCommand",
			run: (*cli).sshKeys},
		{path: "notify list", args: "[--json]", summary: "notification channels and the outbox", keys: notifyKeys,
			run: (*cli).notifyList},
		{path: "notify test", args: "CHANNEL", summary: "send a test message through a channel now", keys: notifyKeys,
			run: (*cli).notifyTest},
		{path: "notify retry", args: "ID", summary: "put a failed delivery back in line", keys: notifyKeys,
			run: (*cli).notifyRetry},
		{path: "inventory check", args: "[--json]", summary: "validate the inventory; every problem with its file and line", keys: inventoryKeys,
			run: (*cli).inventoryCheck},
		{path: "releases list", args: "[--json]", summary: "running and latest versions of every service, and problems", keys: append(inventoryKeys, notifyKeys...),
			run: func(c *cli, a []string) error { return c.releasesCmd(a, "list") }},
		{path: "releases poll", args: "[--json]", summary: "ask every upstream now (conditional requests)", keys: append(inventoryKeys, notifyKeys...),
			run: func(c *cli, a []string) error { return c.releasesCmd(a, "poll") }},
		{path: "export chatonsinfos", args: "DIR [--base-url URL]", summary: "the CHATONS collective's ChatonsInfos files of the inventory", keys: inventoryKeys,
			run: (*cli).exportChatonsInfos},
		{path: "check list", args: "[--json]", summary: "the configured checks and their state", keys: notifyKeys,
			run: (*cli).checkList},
		{path: "check run", args: "NAME [--json]", summary: "run a check now and print the result (exit 1 when it fails)", keys: notifyKeys,
			run: (*cli).checkRun},
		{path: "heartbeat list", args: "[--json]", summary: "heartbeats, their last ping and deadline",
			run: (*cli).heartbeatList},
		{path: "run", args: "--ping URL -- COMMAND [ARGS...]", summary: "run a job, pinging its heartbeat at start and end with its exit code and output",
			run: (*cli).runCmd},
		{path: "version", summary: "print the version",
			run: func(c *cli, a []string) error {
				if len(a) != 0 {
					return usagef("version takes no argument")
				}
				fmt.Fprintln(c.stdout, "pelote", buildVersion())
				return nil
			}},
		{path: "help", args: "[COMMAND]", summary: "this list, or one command's synopsis and flags",
			run: (*cli).help},
	}
}

// synopsis is the command's line in the README and the help.
func (cmd command) synopsis() string {
	return strings.TrimSpace("pelote " + cmd.path + " " + cmd.args)
}

// find picks the command whose path is the longest run of leading words
// of args, and returns the rest; with none, the words that name no command.
func find(table []command, args []string) (*command, []string, error) {
	var best *command
	n := 0
	for i := range table {
		words := strings.Fields(table[i].path)
		if len(words) > len(args) || len(words) <= n {
			continue
		}
		match := true
		for j, w := range words {
			match = match && args[j] == w
		}
		if match {
			best, n = &table[i], len(words)
		}
	}
	if best == nil {
		if len(args) == 0 {
			return nil, nil, usagef("no command")
		}
		// Group words (pelote user, pelote group member): say which verbs
		// follow them.
		for k := len(args); k > 0; k-- {
			group := strings.Join(args[:k], " ") + " "
			var verbs []string
			for _, cmd := range table {
				if rest, ok := strings.CutPrefix(cmd.path, group); ok {
					verbs = append(verbs, rest)
				}
			}
			switch {
			case len(verbs) == 0:
				continue
			case k == len(args):
				return nil, nil, usagef("%sneeds a verb: %s", group, strings.Join(verbs, ", "))
			}
			return nil, nil, usagef("unknown verb %s%q (it has %s)", group, args[k], strings.Join(verbs, ", "))
		}
		return nil, nil, usagef("unknown command %q", args[0])
	}
	return best, args[n:], nil
}

// globalFlags are the flags every verb that reads the configuration takes.
func globalFlags() map[string]bool {
	g := map[string]bool{"config": true}
	for _, k := range config.Global {
		g[config.FlagName(k)] = true
	}
	return g
}

const globalHelp = `Global flags: --config FILE, --data DIR, --database URL, --log-level debug|info|warn|error
(or the PELOTE_* variables; the other settings come from the file and the environment).
`

// usage writes the command's synopsis, summary and own flags (fs's, less
// the global ones).
func (cmd command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n", cmd.synopsis(), strings.ToUpper(cmd.summary[:1])+cmd.summary[1:])
	if fs == nil {
		return
	}
	global := globalFlags()
	own := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	own.SetOutput(w)
	hasGlobal := false
	fs.VisitAll(func(f *flag.Flag) {
		if global[f.Name] {
			hasGlobal = true
			return
		}
		own.Var(f.Value, f.Name, f.Usage)
		own.Lookup(f.Name).DefValue = f.DefValue
	})
	n := 0
	own.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		own.PrintDefaults()
	}
	if hasGlobal {
		fmt.Fprint(w, "\n"+globalHelp)
	}
}

// help is `pelote help [COMMAND]`.
func (c *cli) help(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stdout, c.overview())
		return nil
	}
	cmd, rest, err := find(c.table, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unknown command %q", strings.Join(args, " "))
	}
	if cmd.path == "version" || cmd.path == "help" {
		cmd.usage(c.stdout, nil)
		return nil
	}
	// The verb's own flags: run it with -h, which prints its usage on
	// standard output here and stops.
	c.cmd, c.stderr = cmd, c.stdout
	return cmd.run(c, []string{"-h"})
}

// overview is `pelote help`: every command with its summary.
func (c *cli) overview() string {
	var b strings.Builder
	b.WriteString("Usage: pelote COMMAND [ARGS] [FLAGS]\n\nCommands:\n")
	for _, cmd := range c.table {
		fmt.Fprintf(&b, "  %s\n      %s\n", cmd.synopsis(), cmd.summary)
	}
	b.WriteString("\n" + globalHelp + "Listing commands take --json. Run \"pelote COMMAND -h\" for a command's flags.\n")
	return b.String()
}
