package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usageText = `laminate issues, prints and checks signed backstage passes.

Usage: laminate [--data DIR] [--passphrase-file FILE] COMMAND [ARGS]

Commands:
  serve [--addr HOST:PORT]   run the HTTP service (sets up a fresh data folder)
  tokens create|list|revoke  API bearer tokens (roles admin, issuer, scanner, stage)
  init                       create the data folder, keyring and database
  demo                       set up a sample event, issue and verify sample passes
  keys list|rotate|retire KID|jwks
                             manage signing keys
  event create|list|show     define events (schedule, policy)
  issue                      issue one pass (--type, --name) or a guest list (--csv)
  revoke SERIAL --reason lost|stolen|replaced|misuse|other [--note TEXT]
                             revoke a pass (the note is for staff only)
  verify TOKEN|-             verify a pass (exit 0 valid, 1 not, 2 usage);
                             --offline FILE decides from a bundle, with no database
  bundle export --event ID --out FILE [--fresh-for 12h] [--clone-window 10s]
                             a signed offline bundle for doors (keys, revocations, event)
  passes list|show SERIAL    list and inspect issued passes
  render --event ID --template T --out FILE.pdf (--all | --serial S ...)
                             print passes on sheets
  templates list|show NAME   the sheet templates
  artwork SERIAL --out FILE.svg|png
                             a pass's unique artwork, to compare with the print
  backup --out FILE [--force]
                             the data folder, keys included, in one archive (safe while serving)
  restore FILE               put a backup into a new or empty data folder (--data DIR)

Global flags (before or after the command):
  --data DIR                 data folder (default ./laminate-data, env LAMINATE_DATA)
  --passphrase-file FILE     file holding the key passphrase (else env LAMINATE_KEY_PASSPHRASE)
  --store URL                database shared by several nodes: postgres://USER@HOST/DB or
                             sqlite:PATH (default: DIR/laminate.db; env LAMINATE_STORE)

Run "laminate COMMAND --help" for a command's flags.
`

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

// command is one subcommand.
type command struct {
	name string
	run  func(ctx context.Context, a *app, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"init", cmdInit},
		{"demo", cmdDemo},
		{"keys", cmdKeys},
		{"event", cmdEvent},
		{"issue", cmdIssue},
		{"revoke", cmdRevoke},
		{"verify", cmdVerify},
		{"bundle", cmdBundle},
		{"passes", cmdPasses},
		{"render", cmdRender},
		{"templates", cmdTemplates},
		{"artwork", cmdArtwork},
		{"serve", cmdServe},
		{"tokens", cmdTokens},
		{"backup", cmdBackup},
		{"restore", cmdRestore},
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	u := &ui{stdin: stdin, stdout: stdout, stderr: stderr}
	g := &globals{data: os.Getenv("LAMINATE_DATA"), store: os.Getenv("LAMINATE_STORE")}
	if g.data == "" {
		g.data = "laminate-data"
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
	if name == "help" || name == "-h" || name == "--help" {
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	for _, c := range commands {
		if c.name == name {
			a := &app{ui: u, g: g}
			defer a.close()
			err := c.run(context.Background(), a, rest[1:])
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return u.report(err)
		}
	}
	return u.report(withHint(usagef("unknown command %q", name), "%s", suggest(name)))
}

func suggest(name string) string {
	for _, c := range commands {
		if strings.HasPrefix(c.name, name) || strings.HasPrefix(name, c.name) {
			return fmt.Sprintf("did you mean %q?", c.name)
		}
	}
	return "commands are serve, tokens, init, demo, keys, event, issue, revoke, verify, bundle, passes, render, templates, artwork, backup, restore"
}

// flagSet is a flag set that prints nothing by itself: a bad flag is one
// line of error, and the flag list is printed only for --help.
type flagSet struct {
	*flag.FlagSet
	out io.Writer
}

func newFlagSet(name string, u *ui) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{fs, u.stdout}
}

func (fs *flagSet) printHelp() {
	fmt.Fprintf(fs.out, "Usage: laminate %s [flags]\n\nFlags:\n", fs.Name())
	fs.SetOutput(fs.out)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parseArgs parses flags and positional arguments in any order
// ("verify TOKEN --zone stage" as well as "verify --zone stage TOKEN"), and
// checks the number of positional arguments. "--" ends the flags.
func parseArgs(fs *flagSet, args []string, minPos, maxPos int, posNames string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printHelp()
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	switch {
	case len(pos) < minPos:
		return nil, usagef("%s: missing %s", fs.Name(), posNames)
	case len(pos) > maxPos:
		return nil, usagef("%s: unexpected argument %q", fs.Name(), pos[maxPos])
	}
	return pos, nil
}

// required checks that flags were given.
func required(fs *flagSet, names ...string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var missing []string
	for _, n := range names {
		if !set[n] {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return usagef("%s: missing %s", fs.Name(), strings.Join(missing, ", "))
	}
	return nil
}
