package main

// All terminal output of the CLI goes through this file: errors, hints,
// tables, JSON lines and progress.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/laminate/laminate/backup"
	"github.com/laminate/laminate/internal/cli"
	"github.com/laminate/laminate/internal/termbar"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/node"
	"github.com/laminate/laminate/server"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and the answer is no, or it failed
	exitUsage = 2 // the command line is wrong
)

var (
	usagef   = cli.Usagef
	withHint = cli.WithHint
)

// exitError ends the program with a status and no message (the message, if
// any, was already printed), e.g. verify's "not valid".
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

type ui struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// report prints err the way STYLE.md asks and returns the exit status.
func (u *ui) report(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	msg, hint := err.Error(), ""
	var he *cli.HintError
	var ne *node.Error
	var ie *keys.InsecureError
	var be *backup.Error
	switch {
	case errors.As(err, &he):
		hint = he.Hint
	case errors.As(err, &ne):
		hint = ne.Hint
	case errors.As(err, &be):
		hint = be.Hint
	case errors.As(err, &ie):
		// A file or folder of the keyring that another user could change:
		// the fix is its own line.
		msg, hint = strings.Replace(msg, "; run "+ie.Fix, "", 1), ie.Fix
	}
	fmt.Fprintf(u.stderr, "laminate: error: %s\n", oneLine(msg))
	if hint != "" {
		fmt.Fprintf(u.stderr, "laminate: hint: %s\n", hint)
	}
	var ue *cli.UsageError
	var bad *node.URLError
	if errors.As(err, &ue) || errors.As(err, &bad) {
		fmt.Fprintf(u.stderr, "laminate: hint: run \"laminate help\" for usage\n")
		return exitUsage
	}
	return exitFail
}

// oneLine keeps an error on one line: a multi-line message from a library
// must not break a log line or hide the next prompt.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func (u *ui) infof(format string, args ...any) {
	fmt.Fprintf(u.stderr, "laminate: "+format+"\n", args...)
}

func (u *ui) printf(format string, args ...any) { fmt.Fprintf(u.stdout, format, args...) }

// jsonLine writes v as one line of JSON.
func (u *ui) jsonLine(v any) error {
	enc := json.NewEncoder(u.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// jsonPretty writes v indented, for documents meant to be read or saved.
func (u *ui) jsonPretty(v any) error {
	enc := json.NewEncoder(u.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes rows aligned in columns.
func (u *ui) table(header []string, rows [][]string) {
	tw := tabwriter.NewWriter(u.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// progress returns a progress bar on standard error when it is a
// terminal, and nil otherwise (termbar.New).
func (u *ui) progress(what string) func(done, total int) { return termbar.New(u.stderr, what) }

// nextSteps tells a first start where to go next (server.WriteNextSteps),
// with the command line that reaches this node's store: its --data and
// --store (a password in the store URL is not shown).
func (u *ui) nextSteps(scheme string, bound net.Addr, g *globals) {
	cmd := progName()
	if g.data != defaultData {
		cmd += " --data " + shellQuote(g.data)
	}
	if g.store != "" {
		cmd += " --store " + shellQuote(node.RedactURL(g.store))
	}
	server.WriteNextSteps(u.stdout, scheme, bound, progName(), cmd)
}

// progName is how the user ran this program, for commands to copy: a
// relative path as typed (bin/laminate), else "laminate" (on the PATH, or a
// temporary file of go run).
func progName() string {
	p := os.Args[0]
	if filepath.IsAbs(p) || !strings.ContainsRune(p, filepath.Separator) {
		return "laminate"
	}
	return p
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
