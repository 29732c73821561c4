package pass

import (
	"testing"
	"time"
)

func TestShown(t *testing.T) {
	until := time.Date(2027, 3, 6, 4, 0, 0, 0, time.UTC)
	from := time.Date(2027, 3, 5, 22, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		p    Pass
		want Shown
	}{
		{"ok/after-show", Pass{Serial: "7K2M9QX4", Event: "ev1", Type: AfterShow, Name: "Kim", Org: "Label", ValidFrom: from, ValidUntil: until, Issuer: "lam"},
			Shown{Serial: "7K2M9QX4", Printed: "7K2M-9QX4", Event: "ev1", Type: AfterShow, Label: "After Show", Name: "Kim", Org: "Label",
				ValidFrom: from, ValidUntil: until, Issuer: "lam"}},
		{"ok/staff-with-role", Pass{Serial: "CAT5NA3G", Event: "ev1", Type: Staff, Role: "catering", Name: "Sam", ValidUntil: until},
			Shown{Serial: "CAT5NA3G", Printed: "CAT5-NA3G", Event: "ev1", Type: Staff, Label: "Staff", Role: "catering", Name: "Sam", ValidUntil: until}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Shown(); got != tc.want {
				t.Errorf("Shown() = %+v, want %+v", got, tc.want)
			}
		})
	}
}
