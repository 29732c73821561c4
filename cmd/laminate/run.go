package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/laminate/laminate/internal/cli"
	"github.com/laminate/laminate/node"
)

// usageText is the main help.
const usageText = cli.Usage

// defaultData is the data folder without --data or LAMINATE_DATA.
const defaultData = "laminate-data"

// globals are the flags every command accepts.
type globals struct {
	data           string
	passphraseFile string
	store          string // store URL; "" is the data folder's SQLite file
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.data, "data", g.data, "data folder (env LAMINATE_DATA)")
	fs.StringVar(&g.passphraseFile, "passphrase-file", g.passphraseFile, "file holding the key passphrase (env LAMINATE_KEY_PASSPHRASE)")
	fs.StringVar(&g.store, "store", g.store, "database: sqlite:PATH or postgres://USER@HOST/DB (default: the data folder's laminate.db; env LAMINATE_STORE)")
}

// command is one command of the table below. The table is the one list of
// commands and subcommands: dispatch refuses a subcommand it does not name,
// and the help (and TestHelp, which walks it) is made from it.
type command struct {
	name    string
	args    string // positional arguments, for the usage line (e.g. "SERIAL")
	summary string
	subs    []subcommand // nil for a command without subcommands
	run     func(ctx context.Context, a *app, args []string) error
}

// subcommand is one subcommand of a command ("tokens create").
type subcommand struct {
	name, args, summary string
}

var commands []command

func init() {
	commands = []command{
		{name: "init", summary: "create the data folder, keyring and database", run: cmdInit},
		{name: "demo", summary: "set up a sample event, issue and verify sample passes", run: cmdDemo},
		{name: "keys", summary: "manage signing keys", run: cmdKeys, subs: []subcommand{
			{"list", "", "every key with its kid, algorithm, creation time and state"},
			{"rotate", "", "a new active key; older keys keep verifying"},
			{"retire", "KID", "the key stops verifying (rotate first if it is the active one)"},
			{"jwks", "", "the JWKS (RFC 7517) of the verifying keys"},
		}},
		{name: "event", summary: "define events (schedule, policy, branding)", run: cmdEvent, subs: []subcommand{
			{"create", "", "define an event: schedule, access policy, gates, branding"},
			{"update", "ID", "change an event: name, venue, time zone, schedule, policy, branding (logo, accent, tour line, short name, contact)"},
			{"capacity", "ID", "cap a zone (--zone, --max, --when-full deny|attention); --max 0 removes the cap"},
			{"list", "", "the events"},
			{"show", "ID", "an event's schedule, gates and what each pass type may enter when"},
		}},
		{name: "issue", summary: "issue one pass (--type, --name) or a guest list (--csv)", run: cmdIssue},
		{name: "revoke", args: "SERIAL", summary: "revoke a pass (--reason lost|stolen|replaced|misuse|other; the --note is for staff only)", run: cmdRevoke},
		{name: "reissue", args: "SERIAL", summary: "a new pass in place of one lost or damaged, or with a new name or photo (--reason lost|damaged|name_change|new_photo); the old one is superseded", run: cmdReissue},
		{name: "verify", args: "TOKEN|-", summary: "verify a pass (exit 0 valid, 1 not, 2 usage); --offline FILE decides from a bundle, with no database", run: cmdVerify},
		{name: "bundle", summary: "signed offline bundles for doors", run: cmdBundle, subs: []subcommand{
			{"export", "", "a signed offline bundle for doors (keys, revocations, event)"},
		}},
		{name: "passes", summary: "list and inspect issued passes", run: cmdPasses, subs: []subcommand{
			{"list", "", "issued passes with their state"},
			{"show", "SERIAL", "one pass with its token and revocation"},
		}},
		{name: "render", summary: "print passes on sheets (PDF)", run: cmdRender},
		{name: "templates", summary: "the sheet templates", run: cmdTemplates, subs: []subcommand{
			{"list", "", "the shipped templates"},
			{"show", "NAME", "one template, shipped (NAME) or a FILE, as JSON: a starting point for a custom one"},
		}},
		{name: "artwork", args: "SERIAL", summary: "a pass's unique artwork, to compare with the print", run: cmdArtwork},
		{name: "serve", summary: "run the HTTP service (sets up a fresh data folder)", run: cmdServe},
		{name: "tokens", summary: "API bearer tokens (roles admin, issuer, scanner, stage, printer)", run: cmdTokens, subs: []subcommand{
			{"create", "", "a new token, shown once (--role, --name; --event and --gate bind it)"},
			{"list", "", "every token's ID, role, name, binding and state, never a token"},
			{"revoke", "ID", "the token stops working (within a second on a running server)"},
		}},
		{name: "devices", summary: "door devices: enrol one by QR code, list them, revoke one", run: cmdDevices, subs: []subcommand{
			{"enroll", "", "a one-time QR code (10 minutes) that makes a phone a door scanner for --event and --gate"},
			{"list", "", "every door device: gate, state (online, offline, revoked), last seen, app version, scans queued"},
			{"revoke", "ID", "the device stops at its next request (within a second on a running server)"},
		}},
		{name: "users", summary: "staff accounts of the office (roles admin, issuer, printer, scanner, stage)", run: cmdUsers, subs: []subcommand{
			{"create", "", "a new account (--username, --name, --role; --events limits it); the password is asked for, or read with --password-stdin"},
			{"list", "", "every account's username, role, name, events and state, never a password"},
			{"disable", "USERNAME", "the account can no longer sign in; its sessions end now"},
			{"enable", "USERNAME", "the account can sign in again (a lockout is lifted too)"},
			{"reset-password", "USERNAME", "a new password (asked for, or --password-stdin); its sessions end"},
		}},
		{name: "export", args: "scans|passes|alerts|audit|inside", summary: "an event's scans, passes, alerts, audit log or who is inside, as CSV or JSON lines", run: cmdExport},
		{name: "webhooks", summary: "signed webhooks to receivers an admin enters", run: cmdWebhooks, subs: []subcommand{
			{"add", "", "a receiver (--url, --events; --allow-private for your own network); its secret is shown once"},
			{"list", "", "the receivers, never their secrets"},
			{"remove", "ID", "stop sending to a receiver; its pending deliveries go too"},
			{"deliveries", "ID", "the newest deliveries: state, attempts, last status, next try"},
		}},
		{name: "backup", summary: "the data folder, keys included, in one archive (safe while serving)", run: cmdBackup},
		{name: "restore", args: "FILE", summary: "put a backup into a new or empty data folder (--data DIR)", run: cmdRestore},
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	u := &ui{stdin: stdin, stdout: stdout, stderr: stderr}
	g := &globals{data: os.Getenv("LAMINATE_DATA"), store: os.Getenv("LAMINATE_STORE")}
	if g.data == "" {
		g.data = defaultData
	}
	fs := newFlagSet("laminate", u)
	g.register(fs.FlagSet)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			return exitOK
		}
		return u.report(usagef("%v", err))
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	name := rest[0]
	if name == "-h" || name == "--help" {
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	help := name == "help"
	if help {
		// "help COMMAND [SUBCOMMAND]" is "COMMAND [SUBCOMMAND] --help".
		if len(rest) == 1 {
			fmt.Fprint(stdout, usageText)
			return exitOK
		}
		if len(rest) > 3 {
			return u.report(usagef("help: want a command and at most a subcommand, got %q", strings.Join(rest[1:], " ")))
		}
		name = rest[1]
		rest = append(slices.Clone(rest[1:]), "--help")
	}
	c := lookup(name)
	if c == nil {
		return u.report(withHint(usagef("unknown command %q", name), "%s", suggest(name)))
	}
	args = rest[1:]
	if help && c.subs == nil && len(args) > 1 {
		return u.report(usagef("help: %s has no subcommands", c.name))
	}
	if c.subs != nil {
		if len(args) > 0 && cli.IsHelpFlag(args[0]) {
			c.printHelp(stdout, g)
			return exitOK
		}
		if err := c.checkSub(args); err != nil {
			return u.report(err)
		}
	}
	a := &app{ui: u, g: g}
	defer a.close()
	err := c.run(context.Background(), a, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return u.report(err)
}

// lookup finds a command of the table by name; nil if there is none.
func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// checkSub refuses a missing subcommand, or one the table does not name.
func (c *command) checkSub(args []string) error {
	if len(args) == 0 {
		return subcommandError(c.name, "")
	}
	for _, s := range c.subs {
		if s.name == args[0] {
			return nil
		}
	}
	return subcommandError(c.name, args[0])
}

// subcommandError is the usage error for a missing (sub == "") or unknown
// subcommand of the command name, listing the table's subcommands.
func subcommandError(name, sub string) error {
	var want []string
	if c := lookup(name); c != nil {
		for _, s := range c.subs {
			want = append(want, strings.TrimSpace(s.name+" "+s.args))
		}
	}
	if sub == "" {
		return usagef("%s: missing subcommand (%s)", name, strings.Join(want, ", "))
	}
	return usagef("%s: unknown subcommand %q (want %s)", name, sub, strings.Join(want, ", "))
}

// printHelp prints the help of a command with subcommands.
func (c *command) printHelp(w io.Writer, g *globals) {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	(&globals{data: g.data, store: g.store}).register(fs)
	subs := make([]cli.Sub, len(c.subs))
	for i, s := range c.subs {
		subs[i] = cli.Sub{Name: s.name, Args: s.args, Summary: s.summary}
	}
	cli.PrintSubHelp(w, c.name, c.summary, subs, fs, redactDefault)
}

// synopsis returns the positional arguments and summary of the command or
// subcommand named by a flag set's name ("tokens revoke").
func synopsis(name string) (args, summary string) {
	cmd, sub, _ := strings.Cut(name, " ")
	c := lookup(cmd)
	if c == nil {
		return "", ""
	}
	if sub == "" {
		return c.args, c.summary
	}
	for _, s := range c.subs {
		if s.name == sub {
			return s.args, s.summary
		}
	}
	return "", ""
}

// redactDefault hides a password in the --store default (from
// LAMINATE_STORE) that help shows.
func redactDefault(fs *flag.FlagSet) {
	if f := fs.Lookup("store"); f != nil && f.DefValue != "" {
		f.DefValue = node.RedactURL(f.DefValue)
	}
}

func suggest(name string) string {
	for _, c := range commands {
		if strings.HasPrefix(c.name, name) || strings.HasPrefix(name, c.name) {
			return fmt.Sprintf("did you mean %q?", c.name)
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return "commands are " + strings.Join(names, ", ")
}

type flagSet = cli.FlagSet

var (
	parseArgs = cli.ParseArgs
	setFlags  = cli.SetFlags
	required  = cli.Required
)

func newFlagSet(name string, u *ui) *flagSet {
	return cli.NewFlagSet(name, u.stdout, synopsis, redactDefault)
}

// flags is the flag set of a command (or "command sub") with the global flags.
func (a *app) flags(name string) *flagSet {
	fs := newFlagSet(name, a.ui)
	a.g.register(fs.FlagSet)
	return fs
}

// sub splits off the subcommand, which run checked against the table, and
// returns it with its flag set and the rest of the arguments.
func (a *app) sub(cmd string, args []string) (string, *flagSet, []string) {
	return args[0], a.flags(cmd + " " + args[0]), args[1:]
}

// parseFlags parses flags with no positional argument and checks that the
// required ones were given.
func parseFlags(fs *flagSet, args []string, req ...string) error {
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	return required(fs, req...)
}

// openFlags is parseFlags, then opens the node (app.open).
func (a *app) openFlags(ctx context.Context, fs *flagSet, args []string, req ...string) error {
	if err := parseFlags(fs, args, req...); err != nil {
		return err
	}
	return a.open(ctx)
}

// openArgs is parseArgs, then opens the node (app.open).
func (a *app) openArgs(ctx context.Context, fs *flagSet, args []string, minPos, maxPos int, posNames string) ([]string, error) {
	pos, err := parseArgs(fs, args, minPos, maxPos, posNames)
	if err != nil {
		return nil, err
	}
	return pos, a.open(ctx)
}
