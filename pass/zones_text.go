package pass

import "strings"

// windowWords are the words a printed pass uses for its windows.
var windowWords = map[Window]string{
	WinBefore: "before show", WinDuring: "during show", WinAfter: "after show",
	WinMeetGreet: "meet & greet", WinPhoto: "first 3 songs", Any: "any time",
}

// WhenText is windows as a printed pass words them: "before show, during show".
func WhenText(ws []Window) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = windowWords[w]
	}
	return strings.Join(s, ", ")
}

// ZonesText is where and when a pass of type t (and role, for STAFF)
// opens doors at e, as printed on it: one line per grant of the policy,
// "all areas" for a grant of every zone.
func (e *Event) ZonesText(t Type, role string) string {
	pol := e.EffectivePolicy()
	var lines []string
	for _, g := range pol.Allows(t, role) {
		zs := make([]string, len(g.Zones))
		for i, z := range g.Zones {
			zs[i] = string(z)
		}
		if len(g.Zones) == len(pol.Zones) {
			zs = []string{"all areas"}
		}
		lines = append(lines, strings.Join(zs, " · ")+": "+WhenText(g.When))
	}
	if len(lines) == 0 {
		return "no zones at this event"
	}
	return strings.Join(lines, "\n")
}
