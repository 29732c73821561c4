package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// testToPrint checks store.ToPrint over the store: every pass of the event
// that is not revoked, or the serials asked for, refusing a revoked pass,
// another event's pass and a serial of no pass.
func testToPrint(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	MustCreate(t, s, NewEvent(t, "other", time.Date(2026, 11, 21, 20, 0, 0, 0, cet)))
	if _, err := store.ToPrint(ctx, s, "ev", nil); err == nil || err.Error() != "event ev has no passes to print" {
		t.Errorf("no passes: %v", err)
	}
	ps := NewPasses(t, "ev", 3, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	others := NewPasses(t, "other", 1, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, others)
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[1].Serial, Category: pass.RevokeStolen, Note: "bus", By: "tm"}); err != nil {
		t.Fatal(err)
	}
	all, err := store.ToPrint(ctx, s, "ev", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[pass.Serial]bool{}
	for _, p := range all {
		got[p.Serial] = true
	}
	if len(all) != 2 || !got[ps[0].Serial] || !got[ps[2].Serial] {
		t.Errorf("ToPrint(all) = %d passes %v; want %s and %s", len(all), got, ps[0].Serial, ps[2].Serial)
	}
	some, err := store.ToPrint(ctx, s, "ev", []pass.Serial{ps[2].Serial, ps[0].Serial})
	if err != nil || len(some) != 2 || some[0].Serial != ps[2].Serial || some[1].Serial != ps[0].Serial {
		t.Errorf("ToPrint(two serials) = %v, %v; want them in order", some, err)
	}
	unknown, _ := pass.NewSerial(nil)
	for _, tt := range []struct {
		serial pass.Serial
		want   string
	}{
		{ps[1].Serial, "pass " + ps[1].Serial.String() + " is revoked (stolen: bus): it is not printed"},
		{others[0].Serial, "pass " + others[0].Serial.String() + " is for event other, not ev"},
		{unknown, "no pass " + unknown.String()},
	} {
		if _, err := store.ToPrint(ctx, s, "ev", []pass.Serial{ps[0].Serial, tt.serial}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ToPrint(%s) = %v; want %q", tt.serial, err, tt.want)
		}
	}
}
