// Package accounts is what is done to staff accounts, over the store: make
// one, disable or enable it, set its password, sign in. The office's pages
// and "laminate users" both call it, as the server and the CLI both call
// package issue, so that a rule (the password policy, a lockout, sessions
// ending with a password reset) is written once.
//
// Every change is one store transaction with its audit row under the
// actor's name. argon2id runs at most two at a time per [Service], so a
// flood of sign-ins cannot exhaust memory.
package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// Service changes the accounts of one store.
type Service struct {
	st      store.Store
	params  staff.Params
	lockout staff.Lockout
	hashing chan struct{}
	wait    time.Duration // the longest wait for a hashing slot
	locks   *locks
	dummy   string // hash checked for unknown usernames, so they take as long
}

// New is a Service over st; zero params and lockout are the defaults.
func New(st store.Store, params staff.Params, lockout staff.Lockout) (*Service, error) {
	if params == (staff.Params{}) {
		params = staff.DefaultParams
	}
	if lockout == (staff.Lockout{}) {
		lockout = staff.DefaultLockout
	}
	dummy, err := staff.HashPassword("no account has this password", params)
	if err != nil {
		return nil, err
	}
	return &Service{st: st, params: params, lockout: lockout, hashing: make(chan struct{}, 2), wait: SlotWait, dummy: dummy, locks: newLocks(lockout, maxLocks)}, nil
}

// Lockout is the service's lockout policy.
func (s *Service) Lockout() staff.Lockout { return s.lockout }

// SlotWait is how long a password hash waits for one of the two slots
// before ErrBusy (security review finding 4: no unbounded queue).
const SlotWait = 2 * time.Second

// ErrBusy is a password hash refused because both slots stayed busy for
// SlotWait: the caller answers "busy, try again in a moment" (503).
var ErrBusy = errors.New("accounts: sign-in is busy; try again in a moment")

func (s *Service) slot(ctx context.Context) (func(), error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	default:
	}
	t := time.NewTimer(s.wait)
	defer t.Stop()
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hash is staff.HashPassword under the service's bound.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	done, err := s.slot(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	return staff.HashPassword(password, s.params)
}

// CheckPassword is staff.CheckPassword under the service's bound.
func (s *Service) CheckPassword(ctx context.Context, hash, password string) (bool, error) {
	done, err := s.slot(ctx)
	if err != nil {
		return false, err
	}
	defer done()
	return staff.CheckPassword(hash, password)
}

// Create stores a new account with password: its fields valid
// (staff.ErrInvalid), the password within the policy (staff.ErrPassword),
// the username free (store.ErrExists).
func (s *Service) Create(ctx context.Context, a *staff.Account, password, actor string) error {
	a.Events = staff.NormalizeEvents(a.Events)
	if err := a.Validate(); err != nil {
		return err
	}
	if err := staff.CheckPolicy(a.Username, password); err != nil {
		return err
	}
	h, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	a.PasswordHash = h
	return s.st.CreateUser(ctx, a, actor)
}

// SetDisabled disables an account (its sessions end in the same
// transaction) or enables it again (lifting its lockouts on this node).
func (s *Service) SetDisabled(ctx context.Context, username string, disabled bool, actor string) error {
	action := store.ActionUserEnable
	if disabled {
		action = store.ActionUserDisable
	}
	_, err := s.st.UpdateUser(ctx, username, action, actor, func(a *staff.Account) (map[string]any, error) {
		a.Disabled = disabled
		return nil, nil
	})
	if err == nil && !disabled {
		s.locks.clear(username)
	}
	return err
}

// SetPassword gives an account a new password (within the policy), lifts
// its lockouts on this node, and ends every session of the account but keep (nil: all).
// how says who set it, for the audit log ("reset by an admin").
func (s *Service) SetPassword(ctx context.Context, username, password, how, actor string, keep []byte) error {
	if err := staff.CheckPolicy(username, password); err != nil {
		return err
	}
	h, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	if _, err := s.st.UpdateUser(ctx, username, store.ActionUserPassword, actor, func(a *staff.Account) (map[string]any, error) {
		a.PasswordHash = h
		return map[string]any{"password": how}, nil
	}); err != nil {
		return err
	}
	s.locks.clear(username)
	_, err = s.st.DeleteSessions(ctx, username, keep, actor)
	return err
}

// LockedError is a sign-in refused because the username is locked for
// the client's address.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return staff.LockedError(e.Until).Error() }
func (e *LockedError) Unwrap() error { return staff.ErrLocked }

// SignIn checks username and password at now, from the client address
// (an IP address), and, when they are right, makes a session (audited
// "user.signin"). It returns the session's token and the account.
//
// Errors: staff.ErrBadSignIn (unknown username or wrong password: the
// same, and as slow, for both); a *LockedError once Lockout.Failures
// wrong passwords came for this username from this address (its IPv6
// /64), given for unknown usernames too and only after the password was
// hashed, so "locked" tells nothing of which usernames exist, and never
// to another address, so nobody can lock a colleague out; staff.ErrDisabled
// (only once the password is right); ErrBusy when no hashing slot came
// free in time. Every failure of an existing account is audited
// ("user.signin_failed" with the address). A good sign-in forgets the
// pair's count and upgrades a hash made with older parameters.
func (s *Service) SignIn(ctx context.Context, username, password, address string, now time.Time) (string, *staff.Account, error) {
	locked, until := s.locks.locked(username, address, now)
	acct, err := s.st.User(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", nil, err
	}
	hash := s.dummy
	if acct != nil && err == nil {
		hash = acct.PasswordHash
	} else {
		acct = nil
	}
	ok, err := s.CheckPassword(ctx, hash, password)
	if err != nil {
		return "", nil, err
	}
	if ok && acct != nil && !locked {
		return s.signedIn(ctx, acct, password, address, now)
	}
	if !locked {
		locked, until = s.locks.failed(username, address, now)
	}
	if acct != nil {
		d := map[string]any{"address": address}
		if locked {
			d["locked_until"] = until.UTC()
		}
		detail, _ := json.Marshal(d)
		if err := s.st.Record(ctx, store.AuditEntry{At: now, Actor: Actor(acct), Action: store.ActionUserSignInFailed, Subject: acct.Username, Detail: string(detail)}); err != nil {
			return "", nil, err
		}
	}
	if locked {
		return "", nil, &LockedError{until}
	}
	return "", nil, staff.ErrBadSignIn
}

// signedIn is SignIn once the password is right.
func (s *Service) signedIn(ctx context.Context, acct *staff.Account, password, address string, now time.Time) (string, *staff.Account, error) {
	if acct.Disabled {
		return "", nil, fmt.Errorf("%w: %s", staff.ErrDisabled, acct.Username)
	}
	s.locks.succeeded(acct.Username, address)
	actor := Actor(acct)
	if staff.NeedsRehash(acct.PasswordHash, s.params) {
		h, err := s.hash(ctx, password)
		if err != nil {
			return "", nil, err
		}
		if acct, err = s.st.UpdateUser(ctx, acct.Username, store.ActionUserUpdate, actor, func(a *staff.Account) (map[string]any, error) {
			a.PasswordHash = h
			return map[string]any{"password": "rehashed"}, nil
		}); err != nil {
			return "", nil, err
		}
	}
	tok, ss := staff.NewSession(acct.Username, now)
	ss.Address = address
	if err := s.st.CreateSession(ctx, &ss, actor); err != nil {
		return "", nil, err
	}
	return tok, acct, nil
}

// Actor is the account as the audit log names a person: the form of
// httpkit.Caller.Actor for a user, "user:USERNAME (DISPLAY NAME)".
func Actor(a *staff.Account) string { return "user:" + a.Username + " (" + a.DisplayName + ")" }
