package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// collect runs an Each method and gathers the keys of its rows.
func collect[T any](t *testing.T, each func(context.Context, store.ExportFilter, func(*T) error) error, f store.ExportFilter, key func(*T) string) []string {
	t.Helper()
	out := []string{}
	if err := each(context.Background(), f, func(v *T) error { out = append(out, key(v)); return nil }); err != nil {
		t.Fatalf("export %+v: %v", f, err)
	}
	return out
}

// testExport: the Each methods stream the rows of one event, in order,
// filtered by time range, type, status, zone and gate; an error from the
// callback stops them; passes come without their token.
func testExport(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)), NewEvent(t, "other", time.Date(2026, 11, 21, 20, 0, 0, 0, cet)))
	issued := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	ps := NewPasses(t, "ev", 3, issued)
	ps[2].Type = pass.VIP
	MustInsert(t, s, ps)
	MustInsert(t, s, NewPasses(t, "other", 1, issued))
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[1].Serial, Category: pass.RevokeLost, By: "admin"}); err != nil {
		t.Fatal(err)
	}
	scans := []struct {
		id, gate, zone string
		dec            record.Decision
		at             time.Time
	}{
		{"s1", "north", "stage", record.Admit, scanAt},
		{"s2", "south", "foh", record.Deny, scanAt.Add(time.Minute)},
		{"s3", "north", "foh", record.Attention, scanAt.Add(2 * time.Minute)},
	}
	for i, sc := range scans {
		rec := &store.Scan{ID: sc.id, Serial: ps[i].Serial, Event: "ev", Gate: sc.gate, Zone: sc.zone, Direction: record.In, At: sc.at, Source: record.Offline, Verdict: "ok"}
		dec := sc.dec
		if _, _, err := s.RecordScan(ctx, rec, func(x, _ *store.Scan) { x.Decision, x.Code = dec, "c" }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddAlerts(ctx, []store.Alert{
		{Event: "ev", Serial: ps[0].Serial, Kind: store.AlertDoubleEntry, Scans: [2]string{"s1", "s2"}, Gates: [2]string{"north", "south"}, At: scanAt, Reason: "x"},
		{Event: "ev", Serial: ps[0].Serial, Kind: store.AlertTwoGates, Scans: [2]string{"s1", "s3"}, Gates: [2]string{"east", "east"}, At: scanAt.Add(time.Hour), Reason: "y", Status: "revoked"},
		{Event: "other", Serial: ps[0].Serial, Kind: store.AlertDoubleEntry, Scans: [2]string{"s8", "s9"}, Gates: [2]string{"north", "north"}, At: scanAt, Reason: "z"},
	}); err != nil {
		t.Fatal(err)
	}

	scanKey := func(sc *store.Scan) string { return sc.ID }
	for _, tc := range []struct {
		f    store.ExportFilter
		want []string
	}{
		{store.ExportFilter{Event: "ev"}, []string{"s1", "s2", "s3"}},
		{store.ExportFilter{Event: "other"}, []string{}},
		{store.ExportFilter{Event: "ev", Since: scanAt.Add(time.Minute)}, []string{"s2", "s3"}},
		{store.ExportFilter{Event: "ev", Until: scanAt.Add(time.Minute)}, []string{"s1"}},
		{store.ExportFilter{Event: "ev", Status: "deny"}, []string{"s2"}},
		{store.ExportFilter{Event: "ev", Zone: "foh"}, []string{"s2", "s3"}},
		{store.ExportFilter{Event: "ev", Gate: "north", Zone: "foh"}, []string{"s3"}},
	} {
		if got := collect(t, s.EachScan, tc.f, scanKey); !slices.Equal(got, tc.want) {
			t.Errorf("EachScan(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
	var first store.Scan
	if err := s.EachScan(ctx, store.ExportFilter{Event: "ev", Status: "admit"}, func(sc *store.Scan) error { first = *sc; return nil }); err != nil {
		t.Fatal(err)
	}
	if first.Serial != ps[0].Serial || first.Gate != "north" || first.Verdict != "ok" || first.Source != record.Offline || !first.At.Equal(scanAt) {
		t.Errorf("exported scan %+v", first)
	}

	passKey := func(p *store.ExportedPass) string {
		k := string(p.Serial)
		if p.Token != "" {
			k += "+token"
		}
		if p.Revoked != nil {
			k += "/" + string(p.Revoked.Category)
		}
		return k
	}
	s0, s1, s2 := string(ps[0].Serial), string(ps[1].Serial)+"/lost", string(ps[2].Serial)
	for _, tc := range []struct {
		f    store.ExportFilter
		want []string
	}{
		{store.ExportFilter{Event: "ev"}, []string{s0, s1, s2}},
		{store.ExportFilter{Event: "ev", Status: string(store.PassRevoked)}, []string{s1}},
		{store.ExportFilter{Event: "ev", Status: string(store.PassValid)}, []string{s0, s2}},
		{store.ExportFilter{Event: "ev", Type: "VIP"}, []string{s2}},
		{store.ExportFilter{Event: "ev", Since: issued.Add(time.Millisecond)}, []string{s1, s2}},
	} {
		if got := collect(t, s.EachPass, tc.f, passKey); !slices.Equal(got, tc.want) {
			t.Errorf("EachPass(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
	if err := s.EachPass(ctx, store.ExportFilter{Event: "ev", Status: "lost"}, func(*store.ExportedPass) error { return nil }); err == nil {
		t.Error("EachPass(status lost) succeeded")
	}

	alertKey := func(a *store.Alert) string { return string(a.Kind) }
	for _, tc := range []struct {
		f    store.ExportFilter
		want []string
	}{
		{store.ExportFilter{Event: "ev"}, []string{"double_entry", "two_gates"}},
		{store.ExportFilter{Event: "ev", Gate: "south"}, []string{"double_entry"}},
		{store.ExportFilter{Event: "ev", Type: "two_gates"}, []string{"two_gates"}},
		{store.ExportFilter{Event: "ev", Status: "revoked"}, []string{"two_gates"}},
		{store.ExportFilter{Event: "ev", Since: scanAt.Add(time.Minute)}, []string{"two_gates"}},
	} {
		if got := collect(t, s.EachAlert, tc.f, alertKey); !slices.Equal(got, tc.want) {
			t.Errorf("EachAlert(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}

	auditKey := func(e *store.AuditEntry) string { return e.Action + " " + e.Subject }
	got := collect(t, s.EachAudit, store.ExportFilter{Event: "ev"}, auditKey)
	want := []string{"event.create ev", "pass.issue " + string(ps[0].Serial), "pass.issue " + string(ps[1].Serial), "pass.issue " + string(ps[2].Serial), "pass.revoke " + string(ps[1].Serial)}
	if !slices.Equal(got, want) {
		t.Errorf("EachAudit(ev) = %v, want %v", got, want)
	}
	if got := collect(t, s.EachAudit, store.ExportFilter{Event: "ev", Type: "pass.revoke"}, auditKey); len(got) != 1 {
		t.Errorf("EachAudit(pass.revoke) = %v, want 1 row", got)
	}

	// An error from the callback stops the read and comes back as is.
	stop := errors.New("disk full")
	n := 0
	err := s.EachScan(ctx, store.ExportFilter{Event: "ev"}, func(*store.Scan) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("EachScan stopped after %d rows with %v, want 1 and the callback's error", n, err)
	}
	for name, fn := range map[string]func() error{
		"scans": func() error { return s.EachScan(ctx, store.ExportFilter{}, func(*store.Scan) error { return nil }) },
		"passes": func() error {
			return s.EachPass(ctx, store.ExportFilter{}, func(*store.ExportedPass) error { return nil })
		},
		"alerts": func() error { return s.EachAlert(ctx, store.ExportFilter{}, func(*store.Alert) error { return nil }) },
		"audit": func() error {
			return s.EachAudit(ctx, store.ExportFilter{}, func(*store.AuditEntry) error { return nil })
		},
	} {
		if err := fn(); err == nil {
			t.Errorf("%s export without an event succeeded", name)
		}
	}
}
