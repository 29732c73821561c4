package office

import (
	"testing"

	"github.com/laminate/laminate/staff"
)

// Review finding 6: the caller stored for shared code refuses, for an
// account limited to two events, every other event.
func TestCallerSeveralEvents(t *testing.T) {
	u := &User{Account: staff.Account{Username: "lim", DisplayName: "Lim", Role: staff.RoleIssuer, Events: []string{"ber", "par"}}}
	c := u.Caller()
	for _, ev := range []string{"ber", "par"} {
		if err := c.Allows(ev, ""); err != nil {
			t.Errorf("Allows(%s) = %v", ev, err)
		}
	}
	for _, ev := range []string{"lon", ""} {
		if err := c.Allows(ev, ""); err == nil {
			t.Errorf("Allows(%q) allowed an account limited to ber, par", ev)
		}
	}
}
