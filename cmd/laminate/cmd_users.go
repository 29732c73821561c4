package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/laminate/laminate/accounts"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// cmdUsers manages the staff accounts of the office (issue 13). Passwords
// come from a prompt that does not echo, or the first line of stdin with
// --password-stdin; never from a flag (ps, shell history).
func cmdUsers(ctx context.Context, a *app, args []string) error {
	sub, fs, args := a.sub("users", args)
	switch sub {
	case "create":
		username := fs.String("username", "", "sign-in name: lower-case letters, digits, . _ -")
		name := fs.String("name", "", "the person's name, as the audit log shows it")
		role := fs.String("role", "", strings.Join(staff.Roles, ", "))
		events := fs.String("events", "", "limit the account to these events (comma list; default every event)")
		stdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of a prompt")
		if err := parseFlags(fs, args, "username", "name", "role"); err != nil {
			return err
		}
		acct := &staff.Account{Username: *username, DisplayName: *name, Role: *role, Events: staff.NormalizeEvents(strings.Split(*events, ","))}
		if err := acct.Validate(); err != nil {
			return usagef("users create: %s", strings.TrimPrefix(err.Error(), "staff: invalid: "))
		}
		if err := a.open(ctx); err != nil {
			return err
		}
		for _, ev := range acct.Events {
			if _, err := a.event(ctx, ev); err != nil {
				return err
			}
		}
		pw, err := a.readPassword(*stdin, acct.Username)
		if err != nil {
			return err
		}
		svc, err := accounts.New(a.st, staff.DefaultParams, staff.DefaultLockout)
		if err != nil {
			return err
		}
		if err := svc.Create(ctx, acct, pw, a.actor()); errors.Is(err, store.ErrExists) {
			return withHint(fmt.Errorf("there is already an account %q", acct.Username), "\"laminate users list\" shows the accounts")
		} else if err != nil {
			return passwordErr(err)
		}
		a.printf("created %s account %s (%s); sign in at /office/ on the server\n", acct.Role, acct.Username, acct.DisplayName)
		return nil
	case "list":
		if err := a.openFlags(ctx, fs, args); err != nil {
			return err
		}
		us, err := a.st.Users(ctx)
		if err != nil {
			return err
		}
		var rows [][]string
		for _, u := range us {
			state := "active"
			if u.Disabled {
				state = "disabled"
			} else if locked, until := u.Locked(time.Now()); locked {
				state = "locked until " + until.UTC().Format(time.RFC3339)
			}
			evs := "all"
			if len(u.Events) > 0 {
				evs = strings.Join(u.Events, ",")
			}
			rows = append(rows, []string{u.Username, u.Role, u.DisplayName, evs, state, u.Created.UTC().Format(time.RFC3339)})
		}
		a.table([]string{"USERNAME", "ROLE", "NAME", "EVENTS", "STATE", "CREATED"}, rows)
		return nil
	case "disable", "enable", "reset-password":
		stdin := new(bool)
		if sub == "reset-password" {
			stdin = fs.Bool("password-stdin", false, "read the new password from the first line of stdin instead of a prompt")
		}
		pos, err := a.openArgs(ctx, fs, args, 1, 1, "USERNAME")
		if err != nil {
			return err
		}
		svc, err := accounts.New(a.st, staff.DefaultParams, staff.DefaultLockout)
		if err != nil {
			return err
		}
		done := "disabled %s: its sessions have ended\n"
		switch sub {
		case "disable", "enable":
			if sub == "enable" {
				done = "enabled %s\n"
			}
			err = svc.SetDisabled(ctx, pos[0], sub == "disable", a.actor())
		case "reset-password":
			done = "new password for %s: its sessions have ended and any lockout is lifted\n"
			if _, err := a.st.User(ctx, pos[0]); err != nil {
				return a.userErr(err, pos[0])
			}
			pw, rerr := a.readPassword(*stdin, pos[0])
			if rerr != nil {
				return rerr
			}
			err = passwordErr(svc.SetPassword(ctx, pos[0], pw, "reset from the command line", a.actor(), nil))
		}
		if err != nil {
			return a.userErr(err, pos[0])
		}
		a.printf(done, pos[0])
		return nil
	}
	return subcommandError("users", sub)
}

func (a *app) userErr(err error, username string) error {
	if errors.Is(err, store.ErrNotFound) {
		return withHint(fmt.Errorf("no account %q", username), "\"laminate users list\" shows the accounts")
	}
	return err
}

// readPassword reads a new password: the first line of stdin, or a
// prompt asked twice without echo.
func (a *app) readPassword(fromStdin bool, username string) (string, error) {
	if fromStdin {
		line, err := bufio.NewReaderSize(io.LimitReader(a.stdin, staff.MaxPasswordBytes+2), staff.MaxPasswordBytes+2).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usagef("no terminal to ask for the password on: pipe it in with --password-stdin")
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(a.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
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

// passwordErr is a refused password in the policy's own words.
func passwordErr(err error) error {
	if errors.Is(err, staff.ErrPassword) {
		return errors.New(strings.TrimPrefix(err.Error(), "staff: password refused: "))
	}
	return err
}
