package staff

import (
	"fmt"
	"time"
)

// Lockout is the policy on failed sign-ins, applied to one username from
// one client address (an IPv6 /64): after Failures wrong passwords in a
// row the pair is locked for Base, and each further lockout before a good
// sign-in lasts twice the one before, up to Max. The lock is never
// account-wide, so nobody can lock a colleague out from elsewhere (security
// review finding 2).
type Lockout struct {
	Failures int
	Base     time.Duration
	Max      time.Duration
}

// DefaultLockout: 5 failures lock 15 minutes, then 30, 60, … at most a day.
var DefaultLockout = Lockout{Failures: 5, Base: 15 * time.Minute, Max: 24 * time.Hour}

// LockState is the count of one (username, address) pair.
type LockState struct {
	Failures    int       // failed sign-ins in a row
	Lockouts    int       // lockouts since the last good sign-in (the next lasts longer)
	LockedUntil time.Time // zero: not locked
}

// Locked reports whether s is locked at now, and until when.
func (s *LockState) Locked(now time.Time) (bool, time.Time) {
	return now.Before(s.LockedUntil), s.LockedUntil
}

// Failed records a wrong password at now: it counts the failure and, at
// the policy's count, locks the pair. It reports whether this failure
// locked it.
func (l Lockout) Failed(s *LockState, now time.Time) bool {
	s.Failures++
	if s.Failures < l.Failures {
		return false
	}
	d := l.Base
	for i := 0; i < s.Lockouts && d < l.Max; i++ {
		d *= 2
	}
	d = min(d, l.Max)
	s.LockedUntil = now.Add(d)
	s.Lockouts++
	s.Failures = 0
	return true
}

// LockedError is the error of a sign-in from a locked pair; it says when
// to try again. It is given for unknown usernames too, so it tells
// nothing of which usernames exist.
func LockedError(until time.Time) error {
	return fmt.Errorf("%w: too many wrong passwords from this address; try again after %s", ErrLocked, until.UTC().Format("15:04 MST on 2 January"))
}
