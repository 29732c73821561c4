package accounts

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/staff"
)

func TestReadPassword(t *testing.T) {
	pw, err := ReadPassword(strings.NewReader("s3cret pass\r\nnext"), nil, true, "ann")
	if err != nil || pw != "s3cret pass" {
		t.Errorf("ReadPassword(stdin) = %q, %v", pw, err)
	}
	if _, err := ReadPassword(strings.NewReader(""), &bytes.Buffer{}, false, "ann"); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("ReadPassword(no terminal) error = %v, want ErrNoTerminal", err)
	}
}

func TestPasswordError(t *testing.T) {
	err := fmt.Errorf("%w: too short", staff.ErrPassword)
	got := PasswordError(err).Error()
	if strings.HasPrefix(got, "staff:") {
		t.Errorf("PasswordError = %q, want no package prefix", got)
	}
	other := errors.New("disk full")
	if PasswordError(other) != other {
		t.Error("PasswordError changed another error")
	}
}

func TestRow(t *testing.T) {
	now := time.Date(2027, 3, 5, 12, 0, 0, 0, time.UTC)
	u := staff.Account{Username: "ann", Role: "issuer", DisplayName: "Ann", Created: now}
	if got := strings.Join(Row(&u, now), "|"); got != "ann|issuer|Ann|all|active|2027-03-05T12:00:00Z" {
		t.Errorf("Row = %q", got)
	}
	// A sign-in lock is per username and address, in the server's memory
	// (accounts.lockouts): the stored account shows none.
	u.Events, u.LockedUntil = []string{"a", "b"}, now.Add(time.Minute)
	if got := Row(&u, now); got[3] != "a,b" || got[4] != "active" {
		t.Errorf("Row = %q", got)
	}
	u.Disabled = true
	if got := Row(&u, now)[4]; got != "disabled" {
		t.Errorf("state = %q", got)
	}
}
