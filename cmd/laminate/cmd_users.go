package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
			return accounts.PasswordError(err)
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
		for i := range us {
			rows = append(rows, accounts.Row(&us[i], time.Now()))
		}
		a.table(accounts.TableHeader, rows)
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
			err = accounts.PasswordError(svc.SetPassword(ctx, pos[0], pw, "reset from the command line", a.actor(), nil))
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

// readPassword reads a new password (accounts.ReadPassword).
func (a *app) readPassword(fromStdin bool, username string) (string, error) {
	pw, err := accounts.ReadPassword(a.stdin, a.stderr, fromStdin, username)
	if errors.Is(err, accounts.ErrNoTerminal) {
		return "", usagef("%v", err)
	}
	return pw, err
}
