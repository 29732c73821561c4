package accounts

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/laminate/laminate/staff"
)

// ErrNoTerminal is ReadPassword's answer when it should prompt but
// standard input is no terminal.
var ErrNoTerminal = errors.New("no terminal to ask for the password on: pipe it in with --password-stdin")

// ReadPassword reads a new password for username: the first line of in
// (fromIn), or a prompt on out asked twice without echo when in is a
// terminal. Never from a flag: it would show in ps and shell history.
func ReadPassword(in io.Reader, out io.Writer, fromIn bool, username string) (string, error) {
	if fromIn {
		line, err := bufio.NewReaderSize(io.LimitReader(in, staff.MaxPasswordBytes+2), staff.MaxPasswordBytes+2).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", ErrNoTerminal
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(out, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(out)
		return string(b), err
	}
	pw, err := ask("New password for " + username + ": ")
	if err != nil {
		return "", err
	}
	if again, err := ask("Again: "); err != nil {
		return "", err
	} else if again != pw {
		return "", errors.New("the two passwords differ")
	}
	return pw, nil
}

// PasswordError is a refused password in the policy's own words, without
// the package prefix; other errors are returned as they are.
func PasswordError(err error) error {
	if errors.Is(err, staff.ErrPassword) {
		return errors.New(strings.TrimPrefix(err.Error(), "staff: password refused: "))
	}
	return err
}

// TableHeader is the header of the table of accounts ("laminate users list").
var TableHeader = []string{"USERNAME", "ROLE", "NAME", "EVENTS", "STATE", "CREATED"}

// Row is u's row of the table of accounts at now: its state is active,
// disabled or "locked until TIME", its events "all" when not limited.
func Row(u *staff.Account, now time.Time) []string {
	state := "active"
	if u.Disabled {
		state = "disabled"
	}
	evs := "all"
	if len(u.Events) > 0 {
		evs = strings.Join(u.Events, ",")
	}
	return []string{u.Username, u.Role, u.DisplayName, evs, state, u.Created.UTC().Format(time.RFC3339)}
}
