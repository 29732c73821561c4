package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// testPassKeys: PassKeys lists an event's passes by type, name and ref,
// in issue order, with revoked ones marked, and the ref round-trips.
func testPassKeys(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s,
		NewEvent(t, "one", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)),
		NewEvent(t, "two", time.Date(2026, 11, 21, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "one", 3, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	ps[0].Name, ps[0].Ref = "Björk Guðmundsdóttir", "TIX-0001"
	ps[1].Name, ps[1].Type = "Sigur Rós", pass.VIP
	ps[2].Name, ps[2].Ref = "Ελένη Καραΐνδρου", "ελ-2"
	other := NewPasses(t, "two", 1, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	other[0].Ref = "TIX-0001"
	MustInsert(t, s, ps)
	MustInsert(t, s, other)
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[1].Serial, Category: pass.RevokeLost, By: "test", At: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		event string
		want  []store.PassKey
	}{
		{"ok/event", "one", []store.PassKey{
			{Serial: ps[0].Serial, Type: ps[0].Type, Name: ps[0].Name, Ref: "TIX-0001"},
			{Serial: ps[1].Serial, Type: pass.VIP, Name: "Sigur Rós", Revoked: true},
			{Serial: ps[2].Serial, Type: ps[2].Type, Name: ps[2].Name, Ref: "ελ-2"},
		}},
		{"ok/other-event", "two", []store.PassKey{{Serial: other[0].Serial, Type: other[0].Type, Name: other[0].Name, Ref: "TIX-0001"}}},
		{"ok/no-event", "nope", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.PassKeys(ctx, tt.event)
			if err != nil {
				t.Fatalf("PassKeys() error = %v", err)
			}
			if g, w := mustJSON(t, got), mustJSON(t, tt.want); len(got) != len(tt.want) || (len(got) > 0 && g != w) {
				t.Errorf("PassKeys(%q) = %s\nwant %s", tt.event, g, w)
			}
		})
	}
	t.Run("ok/ref-round-trips", func(t *testing.T) {
		got, err := s.Pass(ctx, ps[2].Serial)
		if err != nil || got.Ref != "ελ-2" {
			t.Errorf("Pass().Ref = %v, %v; want ελ-2", got, err)
		}
	})
}
