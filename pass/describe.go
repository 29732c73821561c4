package pass

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Describe writes the event as "laminate event show" prints it: the
// schedule in the event's own time zone, the gates, the policy and what
// each pass type may enter when, and the branding. logoText names a
// stored logo's format (render/logo.Describe).
func (e *Event) Describe(w io.Writer, logoText func(stored []byte) string) {
	s := e.Schedule
	loc := e.Location()
	f := func(t time.Time) string { return t.In(loc).Format("Mon ") + FormatTime(t, loc) }
	fmt.Fprintf(w, "event         %s\nname          %s\n", e.ID, e.Name)
	if e.Venue != "" {
		fmt.Fprintf(w, "venue         %s\n", e.Venue)
	}
	fmt.Fprintf(w, "time zone     UTC%s\n", s.ShowStart.Format("-07:00"))
	fmt.Fprintf(w, "access        %s -> %s\n", f(s.AccessFrom), f(s.AccessUntil))
	fmt.Fprintf(w, "show          %s -> %s\n", f(s.ShowStart), f(s.ShowEnd))
	fmt.Fprintf(w, "meet & greet  %s -> %s\n", f(s.MeetGreetFrom), f(s.MeetGreetUntil))
	fmt.Fprintf(w, "photo window  first %s of the show\n", s.PhotoDuration)
	pol := e.EffectivePolicy()
	gates := "any (none declared)"
	if len(pol.Gates) > 0 {
		gates = strings.Join(pol.Gates, ", ")
	}
	fmt.Fprintf(w, "gates         %s\n", gates)
	for _, z := range pol.Zones {
		if c, ok := pol.CapacityOf(z); ok {
			fmt.Fprintf(w, "capacity      %s %d (when full: %s)\n", z, c.Max, c.WhenFull)
		}
	}
	fmt.Fprintf(w, "clear grace   %s\n", pol.ClearGrace())
	kind := "default"
	if e.Policy != nil && !sameRules(e.Policy, DefaultPolicy()) {
		kind = "custom"
	}
	fmt.Fprintf(w, "policy        %s; zones: %s\n", kind, joinZones(pol.Zones))
	if b := e.Branding; !b.IsZero() {
		for _, f := range [][2]string{{"tour", b.Tour}, {"short name", b.Short}, {"accent", b.Accent}, {"contact", b.Contact}} {
			if f[1] != "" {
				fmt.Fprintf(w, "%-13s %s\n", f[0], f[1])
			}
		}
		if len(b.Logo) > 0 {
			fmt.Fprintf(w, "logo          %s, %d bytes\n", logoText(b.Logo), len(b.Logo))
		}
	}
	for _, t := range Types {
		if t == Staff {
			continue
		}
		fmt.Fprintf(w, "  %-11s %s\n", t, grantsText(pol.Allows(t, "")))
	}
	for _, role := range slices.Sorted(maps.Keys(pol.Roles)) {
		fmt.Fprintf(w, "  STAFF/%-5s %s\n", role, grantsText(pol.Allows(Staff, role)))
	}
}

// sameRules reports whether two policies have the same zones and rules
// (their gates and comments aside): an event made with --gates alone
// keeps the default policy.
func sameRules(a, b *Policy) bool {
	x, y := *a, *b
	x.Gates, y.Gates, x.Comment, y.Comment = nil, nil, "", ""
	ja, err1 := json.Marshal(x)
	jb, err2 := json.Marshal(y)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func joinZones(zs []Zone) string {
	s := make([]string, len(zs))
	for i, z := range zs {
		s[i] = string(z)
	}
	return strings.Join(s, ", ")
}

func grantsText(gs []Grant) string {
	if len(gs) == 0 {
		return "no access"
	}
	var parts []string
	for _, g := range gs {
		w := make([]string, len(g.When))
		for i, x := range g.When {
			w[i] = string(x)
		}
		parts = append(parts, joinZones(g.Zones)+" ("+strings.Join(w, ", ")+")")
	}
	return strings.Join(parts, "; ")
}
