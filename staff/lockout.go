package staff

import (
	"fmt"
	"time"
)

// Lockout is the policy on failed sign-ins: after Failures wrong
// passwords in a row an account is locked for Base, and each further
// lockout before a good sign-in lasts twice the one before, up to Max.
type Lockout struct {
	Failures int
	Base     time.Duration
	Max      time.Duration
}

// DefaultLockout: 5 failures lock 15 minutes, then 30, 60, … at most a day.
var DefaultLockout = Lockout{Failures: 5, Base: 15 * time.Minute, Max: 24 * time.Hour}

// Locked reports whether a is locked at now, and until when.
func (a *Account) Locked(now time.Time) (bool, time.Time) {
	return now.Before(a.LockedUntil), a.LockedUntil
}

// Failed records a wrong password at now: it counts the failure and, at
// the policy's count, locks the account. It reports whether this failure
// locked it.
func (l Lockout) Failed(a *Account, now time.Time) bool {
	a.Failures++
	if a.Failures < l.Failures {
		return false
	}
	d := l.Base
	for i := 0; i < a.Lockouts && d < l.Max; i++ {
		d *= 2
	}
	d = min(d, l.Max)
	a.LockedUntil = now.Add(d)
	a.Lockouts++
	a.Failures = 0
	return true
}

// Succeeded records a good sign-in: the counts start again.
func (l Lockout) Succeeded(a *Account) {
	a.Failures, a.Lockouts, a.LockedUntil = 0, 0, time.Time{}
}

// LockedError is the error of a sign-in to a locked account; it says when
// to try again (in the account's words, not the attacker's: it is shown
// only after the password was checked or the lock was already on).
func LockedError(until time.Time) error {
	return fmt.Errorf("%w: too many wrong passwords; try again after %s", ErrLocked, until.UTC().Format("15:04 MST on 2 January"))
}
