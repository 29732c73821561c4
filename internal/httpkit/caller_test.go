package httpkit

import (
	"errors"
	"net/http"
	"testing"
)

// Review finding 6: a person limited to several events acts for those
// only, not for every event.
func TestCallerAllowsEvents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		c     Caller
		event string
		ok    bool
	}{
		{"unbound", Caller{Kind: KindUser, ID: "al"}, "x", true},
		{"one event/own", Caller{Kind: KindUser, ID: "al", Event: "a", Events: []string{"a"}}, "a", true},
		{"one event/other", Caller{Kind: KindUser, ID: "al", Event: "a", Events: []string{"a"}}, "b", false},
		{"two events/first", Caller{Kind: KindUser, ID: "al", Events: []string{"a", "b"}}, "a", true},
		{"two events/second", Caller{Kind: KindUser, ID: "al", Events: []string{"a", "b"}}, "b", true},
		{"two events/other", Caller{Kind: KindUser, ID: "al", Events: []string{"a", "b"}}, "c", false},
		{"two events/every", Caller{Kind: KindUser, ID: "al", Events: []string{"a", "b"}}, "", false},
		{"token/bound", Caller{ID: "t", Event: "a"}, "b", false},
		{"token/unbound", Caller{ID: "t"}, "b", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Allows(tc.event, "")
			var he *Error
			if (err == nil) != tc.ok || (err != nil && (!errors.As(err, &he) || he.Status != http.StatusForbidden)) {
				t.Fatalf("Allows(%q) = %v, want allowed %v", tc.event, err, tc.ok)
			}
		})
	}
}
