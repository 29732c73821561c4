// Package staff is the people who run the production office: their
// accounts, roles and event limits, their passwords, the lockout after
// failed sign-ins, their sessions and the CSRF tokens of their forms
// (issue 13, item 1). It is domain code: no HTTP, no SQL; package store
// persists what it defines, package office serves it.
//
// # Security model
//
//   - A password is kept only as an argon2id hash in the PHC string form
//     ($argon2id$v=19$m=…,t=…,p=…$salt$hash), its parameters recorded in
//     it, compared in constant time ([CheckPassword]). The parameters of a
//     stored hash are bounded before use, so a tampered row cannot make a
//     sign-in allocate gigabytes.
//   - A session token is 32 random bytes, sent to the browser once (in a
//     cookie) and stored only as its SHA-256 ([NewSession]). A stolen copy
//     of the database holds no usable session.
//   - A session ends after an idle time and after an absolute lifetime,
//     whichever comes first ([Session.Expired]); signing out everywhere
//     deletes every session of the account.
//   - The CSRF token of a form is an HMAC-SHA256 of a fixed label under the
//     session token ([CSRFToken]): a page of another origin can neither read
//     the cookie nor compute it. It is checked in constant time.
//   - Five failed sign-ins in a row lock an account for 15 minutes, then 30,
//     60, … up to a day ([Lockout]); a good password resets the count.
package staff

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Roles of staff accounts. They are the roles of API tokens
// (internal/httpkit), which a domain package does not import; office's
// tests check that the two lists agree.
const (
	RoleAdmin   = "admin"   // everything, accounts included
	RoleIssuer  = "issuer"  // issue, print and revoke passes
	RolePrinter = "printer" // print and reprint passes; cannot issue
	RoleScanner = "scanner" // door scans, pass lookups
	RoleStage   = "stage"   // live show cues
)

// Roles lists the roles an account may have.
var Roles = []string{RoleAdmin, RoleIssuer, RolePrinter, RoleScanner, RoleStage}

// Limits on an account's fields.
const (
	MaxUsername    = 64
	MaxDisplayName = 100
	MaxEvents      = 100 // events an account may be limited to
)

// Account is a staff account. Its Username is its stable ID, the name in
// the audit log ("user:USERNAME (DISPLAY NAME)").
type Account struct {
	Username    string
	DisplayName string
	Role        string
	// Events limits the account to these events; empty: every event.
	Events       []string
	Disabled     bool
	PasswordHash string // PHC argon2id string; never shown, never logged

	// Failures, Lockouts and LockedUntil are no longer set or read: the
	// lockout is per (username, address), in memory ([LockState]). The
	// store keeps the columns (zero in new rows) so no migration is needed.
	Failures    int
	Lockouts    int
	LockedUntil time.Time

	Created, Updated time.Time
}

// Errors of this package; wrapped with detail, test with [errors.Is].
var (
	ErrInvalid   = errors.New("staff: invalid")
	ErrPassword  = errors.New("staff: password refused")
	ErrLocked    = errors.New("staff: sign-in locked")
	ErrDisabled  = errors.New("staff: account disabled")
	ErrBadSignIn = errors.New("staff: wrong username or password")
)

// ValidUsername checks a username: 1 to 64 of a-z, 0-9, '.', '_' and '-',
// starting with a letter or digit. Usernames are lower case so that "Alice"
// and "alice" are one account.
func ValidUsername(u string) error {
	if u == "" {
		return fmt.Errorf("%w: the username is empty", ErrInvalid)
	}
	if len(u) > MaxUsername {
		return fmt.Errorf("%w: the username is longer than %d characters", ErrInvalid, MaxUsername)
	}
	for i, r := range u {
		ok := 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || i > 0 && strings.ContainsRune("._-", r)
		if !ok {
			what := fmt.Sprintf("%q", r)
			if unicode.IsSpace(r) {
				what = "a space"
			}
			return fmt.Errorf("%w: the username may hold only lower-case letters a-z, digits and . _ - (and start with a letter or digit), not %s", ErrInvalid, what)
		}
	}
	return nil
}

// ValidRole checks a role name.
func ValidRole(r string) error {
	if !slices.Contains(Roles, r) {
		return fmt.Errorf("%w: unknown role %q (want one of %s)", ErrInvalid, r, strings.Join(Roles, ", "))
	}
	return nil
}

// Validate checks an account's fields (not its password).
func (a *Account) Validate() error {
	if err := ValidUsername(a.Username); err != nil {
		return err
	}
	if err := ValidRole(a.Role); err != nil {
		return err
	}
	n := strings.TrimSpace(a.DisplayName)
	switch {
	case n == "":
		return fmt.Errorf("%w: the display name is empty", ErrInvalid)
	case utf8.RuneCountInString(n) > MaxDisplayName || !utf8.ValidString(n):
		return fmt.Errorf("%w: the display name must be at most %d characters of text", ErrInvalid, MaxDisplayName)
	case strings.IndexFunc(n, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: the display name holds a control character", ErrInvalid)
	}
	if a.Role == RoleAdmin && len(a.Events) > 0 {
		// An admin has every role and manages the accounts: a limit would
		// mean nothing (security review finding 7).
		return fmt.Errorf("%w: %s", ErrInvalid, AdminEventsMessage)
	}
	if len(a.Events) > MaxEvents {
		return fmt.Errorf("%w: an account may be limited to at most %d events", ErrInvalid, MaxEvents)
	}
	for _, e := range a.Events {
		if e == "" || len(e) > 64 || strings.IndexFunc(e, unicode.IsSpace) >= 0 {
			return fmt.Errorf("%w: %q is not an event id", ErrInvalid, e)
		}
	}
	return nil
}

// AdminEventsMessage is the refusal of event limits on an admin account.
const AdminEventsMessage = "an admin manages every event: remove the event limits or choose another role"

// MayActFor reports whether the account may act for event: an account
// limited to events acts only for those.
func (a *Account) MayActFor(event string) bool {
	return len(a.Events) == 0 || slices.Contains(a.Events, event)
}

// Has reports whether the account's role is one of roles; admin has them all.
func (a *Account) Has(roles ...string) bool {
	return a.Role == RoleAdmin || slices.Contains(roles, a.Role)
}

// NormalizeEvents sorts the event list and removes repeats, blank entries
// and surrounding space.
func NormalizeEvents(events []string) []string {
	var out []string
	for _, e := range events {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
