// Package cli is the command line's plumbing that needs no node: the main
// help, usage errors and hints, and flag sets that print nothing by
// themselves and take flags and positional arguments in any order.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Usage is the main help, "laminate help".
const Usage = `laminate issues, prints and checks signed backstage passes.

Usage: laminate [--data DIR] [--passphrase-file FILE] COMMAND [ARGS]

Commands:
  serve [--addr HOST:PORT]   run the HTTP service (sets up a fresh data folder)
  tokens create|list|revoke  API bearer tokens (roles admin, issuer, scanner, stage, printer)
  devices enroll|list|revoke door devices: a one-time QR code makes a phone a door scanner
  users create|list|disable|enable|reset-password
                             staff accounts of the office at /office/ (roles admin,
                             issuer, printer, scanner, stage)
  init                       create the data folder, keyring and database
  demo                       set up a sample event, issue and verify sample passes
  keys list|rotate|retire KID|jwks
                             manage signing keys
  event create|update|list|show
                             define events (schedule, policy, branding)
  issue                      issue one pass (--type, --name) or a guest list (--csv)
  revoke SERIAL --reason lost|stolen|replaced|misuse|other [--note TEXT]
                             revoke a pass (the note is for staff only)
  reissue SERIAL [--reason lost|damaged|name_change|new_photo] [--name N] [--photo F] [--note TEXT]
                             a new pass in place of one lost or damaged, or with a new name or photo
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
  export scans|passes|alerts|audit|inside --event ID --out FILE [--format csv|jsonl]
                             an event's records, streamed ([--since T] [--until T] [--type]
                             [--status] [--zone] [--gate])
  webhooks add|list|remove|deliveries
                             signed webhooks (pass.revoked, alert.raised, …) to your receivers
  backup --out FILE [--force]
                             the data folder, keys included, in one archive (safe while serving)
  restore FILE               put a backup into a new or empty data folder (--data DIR)

Global flags (before or after the command):
  --data DIR                 data folder (default ./laminate-data, env LAMINATE_DATA)
  --passphrase-file FILE     file holding the key passphrase (else env LAMINATE_KEY_PASSPHRASE)
  --store URL                database shared by several nodes: postgres://USER@HOST/DB or
                             sqlite:PATH (default: DIR/laminate.db; env LAMINATE_STORE)

Run "laminate COMMAND --help" or "laminate help COMMAND" for a command's flags.
`

// UsageError is a mistake in the command line: exit status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// HintError carries a suggestion printed after the error.
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// WithHint adds a hint to err.
func WithHint(err error, format string, args ...any) error {
	return &HintError{Err: err, Hint: fmt.Sprintf(format, args...)}
}

// Capitalize upper-cases the first byte of s.
func Capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// IsHelpFlag reports whether arg asks for help the way package flag takes it.
func IsHelpFlag(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// Sub is one subcommand, for a command's help.
type Sub struct{ Name, Args, Summary string }

// PrintSubHelp prints the help of a command with subcommands: the
// subcommands and the global flags (globals) every one of them takes.
func PrintSubHelp(w io.Writer, name, summary string, subs []Sub, globals *flag.FlagSet, redact func(*flag.FlagSet)) {
	fmt.Fprintf(w, "Usage: laminate %s SUBCOMMAND [flags]\n\n%s.\n\nSubcommands:\n", name, Capitalize(summary))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range subs {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimSpace(s.Name+" "+s.Args), s.Summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nGlobal flags:\n")
	redact(globals)
	globals.SetOutput(w)
	globals.PrintDefaults()
	fmt.Fprintf(w, "\nRun \"laminate %s SUBCOMMAND --help\" for a subcommand's flags.\n", name)
}

// FlagSet is a flag set that prints nothing by itself: a bad flag is one
// line of error, and the flag list is printed only for --help.
type FlagSet struct {
	*flag.FlagSet
	out      io.Writer
	synopsis func(name string) (args, summary string)
	redact   func(*flag.FlagSet)
}

// NewFlagSet returns a flag set whose help goes to out, with the
// positional arguments and summary synopsis gives for its name, after
// redact has hidden secrets in the defaults.
func NewFlagSet(name string, out io.Writer, synopsis func(string) (string, string), redact func(*flag.FlagSet)) *FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &FlagSet{fs, out, synopsis, redact}
}

// PrintHelp prints the usage line, summary and flags.
func (fs *FlagSet) PrintHelp() {
	args, summary := fs.synopsis(fs.Name())
	if args != "" {
		args = " " + args
	}
	fmt.Fprintf(fs.out, "Usage: laminate %s [flags]%s\n\n", fs.Name(), args)
	if summary != "" {
		fmt.Fprintf(fs.out, "%s.\n\n", Capitalize(summary))
	}
	fmt.Fprintf(fs.out, "Flags:\n")
	fs.redact(fs.FlagSet)
	fs.SetOutput(fs.out)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// ParseArgs parses flags and positional arguments in any order
// ("verify TOKEN --zone stage" as well as "verify --zone stage TOKEN"), and
// checks the number of positional arguments. "--" ends the flags.
func ParseArgs(fs *FlagSet, args []string, minPos, maxPos int, posNames string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.PrintHelp()
				return nil, err
			}
			if maxPos > 0 && strings.HasPrefix(err.Error(), "flag provided but not defined: -") {
				// A key ID is base64url and may start with "-" (-JOgIa).
				return nil, WithHint(Usagef("%s: %v", fs.Name(), err),
					"an argument that starts with \"-\" (a key ID such as -JOgIa) goes after --: laminate %s -- %s", fs.Name(), posNames)
			}
			return nil, Usagef("%s: %v", fs.Name(), err)
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
		return nil, Usagef("%s: missing %s", fs.Name(), posNames)
	case len(pos) > maxPos:
		return nil, Usagef("%s: unexpected argument %q", fs.Name(), pos[maxPos])
	}
	return pos, nil
}

// SetFlags is the set of flags given on the command line: all of them, or
// those of names.
func SetFlags(fs *FlagSet, names ...string) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		if len(names) == 0 || slices.Contains(names, f.Name) {
			set[f.Name] = true
		}
	})
	return set
}

// Required checks that flags were given.
func Required(fs *FlagSet, names ...string) error {
	set := SetFlags(fs)
	var missing []string
	for _, n := range names {
		if !set[n] {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return Usagef("%s: missing %s", fs.Name(), strings.Join(missing, ", "))
	}
	return nil
}
