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

	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// cmdUsers manages the staff accounts of the office (issue 13). Passwords
// come from a prompt that does not echo, or the first line of stdin with
// --password-stdin; never from a flag (ps, shell history).
func cmdUsers(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return subcommandError("users", "")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("users "+sub, a.ui)
	a.g.register(fs.FlagSet)
	switch sub {
	case "create":
		username := fs.String("username", "", "sign-in name: lower-case letters, digits, . _ -")
		name := fs.String("name", "", "the person's name, as the audit log shows it")
		role := fs.String("role", "", strings.Join(staff.Roles, ", "))
		events := fs.String("events", "", "limit the account to these events (comma list; default every event)")
		stdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of a prompt")
		if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
			return err
		}
		if err := required(fs, "username", "name", "role"); err != nil {
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
		hash, err := a.newPassword(*stdin, acct.Username)
		if err != nil {
			return err
		}
		acct.PasswordHash = hash
		if err := a.st.CreateUser(ctx, acct, a.actor()); errors.Is(err, store.ErrExists) {
			return withHint(fmt.Errorf("there is already an account %q", acct.Username), "\"laminate users list\" shows the accounts")
		} else if err != nil {
			return err
		}
		a.printf("created %s account %s (%s); sign in at /office/ on the server\n", acct.Role, acct.Username, acct.DisplayName)
		return nil
	case "list":
		if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
			return err
		}
		if err := a.open(ctx); err != nil {
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
		pos, err := parseArgs(fs, args, 1, 1, "USERNAME")
		if err != nil {
			return err
		}
		if err := a.open(ctx); err != nil {
			return err
		}
		action, done, hash := store.ActionUserDisable, "disabled %s: its sessions have ended\n", ""
		switch sub {
		case "enable":
			action, done = store.ActionUserEnable, "enabled %s\n"
		case "reset-password":
			action, done = store.ActionUserPassword, "new password for %s: its sessions have ended and any lockout is lifted\n"
			if _, err := a.st.User(ctx, pos[0]); err != nil {
				return a.userErr(err, pos[0])
			}
			if hash, err = a.newPassword(*stdin, pos[0]); err != nil {
				return err
			}
		}
		_, err = a.st.UpdateUser(ctx, pos[0], action, a.actor(), func(u *staff.Account) (map[string]any, error) {
			switch sub {
			case "disable":
				u.Disabled = true
			case "enable":
				u.Disabled = false
				staff.DefaultLockout.Succeeded(u)
			case "reset-password":
				u.PasswordHash = hash
				staff.DefaultLockout.Succeeded(u)
				return map[string]any{"password": "reset from the command line"}, nil
			}
			return nil, nil
		})
		if err != nil {
			return a.userErr(err, pos[0])
		}
		if sub == "reset-password" {
			if _, err := a.st.DeleteSessions(ctx, pos[0], nil, a.actor()); err != nil {
				return err
			}
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

// newPassword reads a new password (stdin's first line, or a prompt asked
// twice), checks the policy and returns its argon2id hash.
func (a *app) newPassword(fromStdin bool, username string) (string, error) {
	var pw string
	if fromStdin {
		line, err := bufio.NewReaderSize(io.LimitReader(a.stdin, staff.MaxPasswordBytes+2), staff.MaxPasswordBytes+2).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
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
		var err error
		if pw, err = ask("New password for " + username + ": "); err != nil {
			return "", err
		}
		again, err := ask("Again: ")
		if err != nil {
			return "", err
		}
		if again != pw {
			return "", errors.New("the two passwords differ")
		}
	}
	if err := staff.CheckPolicy(username, pw); err != nil {
		return "", errors.New(strings.TrimPrefix(err.Error(), "staff: password refused: "))
	}
	return staff.HashPassword(pw, staff.DefaultParams)
}
