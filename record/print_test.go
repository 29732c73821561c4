package record

import (
	"testing"
	"time"
)

func TestReprintWarning(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	last := time.Date(2027, 3, 5, 17, 4, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		s    PrintStatus
		now  time.Time
		want string
	}{
		{"ok/never-printed", PrintStatus{}, last, ""},
		{"ok/once", PrintStatus{Count: 1, Last: Print{At: last, Actor: "Ana"}}, last.Add(time.Hour), "already printed 1 time, last at 18:04 +01:00 by Ana"},
		{"ok/twice-same-day", PrintStatus{Count: 2, Last: Print{At: last, Actor: "token:ab12cd34 (desk 1)"}}, last.Add(5 * time.Hour),
			"already printed 2 times, last at 18:04 +01:00 by token:ab12cd34 (desk 1)"},
		{"ok/another-day", PrintStatus{Count: 3, Last: Print{At: last, Actor: "Ana"}}, last.Add(7 * time.Hour),
			"already printed 3 times, last at 5 Mar 2027 18:04 +01:00 by Ana"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.s.ReprintWarning(cet, c.now); got != c.want {
				t.Fatalf("ReprintWarning() = %q, want %q", got, c.want)
			}
		})
	}
}
