package accounts

import (
	"net/netip"
	"sync"
	"time"

	"github.com/laminate/laminate/staff"
)

// maxLocks bounds the pairs a Service remembers.
const maxLocks = 100_000

// locks counts wrong passwords per (username, client address key), in
// memory: a lock never reaches the owner signing in from elsewhere. A pair
// is forgotten once it is unlocked and idle for the policy's Max (so the
// doubling holds for a day); when the map is full, idle pairs go first,
// then any unlocked pair, then any.
type locks struct {
	mu     sync.Mutex
	policy staff.Lockout
	max    int
	m      map[string]*lockEntry // username + "\x00" + address key
}

type lockEntry struct {
	staff.LockState
	seen time.Time
}

func newLocks(policy staff.Lockout, max int) *locks {
	return &locks{policy: policy, max: max, m: map[string]*lockEntry{}}
}

// addressKey is the client address as rate limits count it: an IPv6
// address's /64, any other address (or text) as it is. It is
// httpkit.RateKey (which this package may not import), except that an
// IPv4-mapped address counts alone, not as the /64 all of them share.
func addressKey(address string) string {
	a, err := netip.ParseAddr(address)
	if err != nil || !a.Is6() || a.Is4In6() {
		return address
	}
	p, err := a.Prefix(64)
	if err != nil {
		return address
	}
	return p.String()
}

func pairKey(username, address string) string { return username + "\x00" + addressKey(address) }

func (l *locks) expired(e *lockEntry, now time.Time) bool {
	return !now.Before(e.LockedUntil) && now.Sub(e.seen) > l.policy.Max
}

// locked reports whether the pair is locked at now, and until when.
func (l *locks) locked(username, address string, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[pairKey(username, address)]
	if e == nil {
		return false, time.Time{}
	}
	return e.Locked(now)
}

// failed counts a wrong password; it reports whether the pair is locked
// now (by this failure), and until when.
func (l *locks) failed(username, address string, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := pairKey(username, address)
	e := l.m[k]
	if e == nil {
		l.makeRoom(now)
		e = &lockEntry{}
		l.m[k] = e
	}
	e.seen = now
	if l.policy.Failed(&e.LockState, now) {
		return true, e.LockedUntil
	}
	return false, time.Time{}
}

// makeRoom frees a place when the map is full. Called with l.mu held.
func (l *locks) makeRoom(now time.Time) {
	if len(l.m) < l.max {
		return
	}
	for k, e := range l.m {
		if l.expired(e, now) {
			delete(l.m, k)
		}
	}
	for k, e := range l.m {
		if len(l.m) < l.max {
			return
		}
		if !now.Before(e.LockedUntil) {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < l.max {
			return
		}
		delete(l.m, k)
	}
}

// succeeded forgets the pair after a good sign-in.
func (l *locks) succeeded(username, address string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, pairKey(username, address))
}

// clear forgets every pair of username (an admin's enable or password
// reset lifts its locks on this node).
func (l *locks) clear(username string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.m {
		if len(k) > len(username) && k[:len(username)] == username && k[len(username)] == 0 {
			delete(l.m, k)
		}
	}
}

func (l *locks) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
