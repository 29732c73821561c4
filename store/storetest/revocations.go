package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

func testRevoke(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 3, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	unknown, _ := pass.NewSerial(nil)
	at := time.Date(2026, 11, 20, 21, 4, 0, 0, cet)
	tests := []struct {
		name     string
		serial   pass.Serial
		at       time.Time
		category pass.RevokeCategory
		note     string
		want     error
		wantCat  pass.RevokeCategory
	}{
		{"ok/first", ps[0].Serial, at, pass.RevokeStolen, "taken from the bus, call Sam", nil, pass.RevokeStolen},
		{"fail/twice", ps[0].Serial, at, pass.RevokeLost, "", store.ErrAlreadyRevoked, ""},
		{"fail/unknown-serial", unknown, at, pass.RevokeLost, "", store.ErrNotFound, ""},
		{"fail/unknown-category", ps[1].Serial, at, "lost at load-in", "", nil, ""},
		{"ok/second-no-note", ps[1].Serial, at.Add(time.Minute), pass.RevokeLost, "", nil, pass.RevokeLost},
		{"ok/no-category-is-other-no-time-takes-the-clock", ps[2].Serial, time.Time{}, "", "ask the office", nil, pass.RevokeOther},
	}
	var lastSeq int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := auditLen(t, s)
			r := &store.Revocation{Serial: tt.serial, Category: tt.category, Note: tt.note, By: "tm", At: tt.at}
			err := s.Revoke(ctx, r)
			if tt.wantCat == "" && tt.want == nil { // an unknown category
				if err == nil {
					t.Fatalf("Revoke(category %q) succeeded", tt.category)
				}
				if n := auditLen(t, s); n != before {
					t.Errorf("failed Revoke() wrote %d audit rows", n-before)
				}
				if _, err := s.Revocation(ctx, tt.serial); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Revocation() after a refused Revoke() = %v, want %v", err, store.ErrNotFound)
				}
				return
			}
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("Revoke() error = %v, want %v", err, tt.want)
			}
			after, _ := s.Audit(ctx, 0)
			if tt.want != nil {
				if len(after) != before {
					t.Errorf("failed Revoke() wrote %d audit rows", len(after)-before)
				}
				return
			}
			if r.Seq <= lastSeq || r.Event != "ev" || r.At.IsZero() || r.Category != tt.wantCat {
				t.Errorf("Revoke() set Seq, Event, At, Category = %d, %q, %s, %q; want Seq > %d, %q, a time, %q", r.Seq, r.Event, r.At, r.Category, lastSeq, "ev", tt.wantCat)
			}
			lastSeq = r.Seq
			if !tt.at.IsZero() && !r.At.Equal(tt.at) {
				t.Errorf("Revoke() set At = %s, want %s", r.At, tt.at)
			}
			got, err := s.Revocation(ctx, tt.serial)
			if err != nil {
				t.Fatalf("Revocation() error = %v", err)
			}
			if got.Seq != r.Seq || got.Serial != tt.serial || got.Category != tt.wantCat || got.Note != tt.note || got.By != "tm" || !got.At.Equal(r.At) || got.Event != "ev" {
				t.Errorf("Revocation() = %+v, want %+v", got, r)
			}
			if len(after) != before+1 {
				t.Fatalf("Revoke() wrote %d audit rows, want 1", len(after)-before)
			}
			a := after[0]
			if a.Action != store.ActionPassRevoke || a.Subject != string(tt.serial) || a.Actor != "tm" || !json.Valid([]byte(a.Detail)) {
				t.Errorf("Audit()[0] = %+v, want a pass.revoke row for %s", a, tt.serial)
			}
			var d struct{ Reason, Note string }
			if json.Unmarshal([]byte(a.Detail), &d); d.Reason != string(tt.wantCat) || d.Note != tt.note {
				t.Errorf("Audit()[0].Detail = %s, want reason %q and note %q", a.Detail, tt.wantCat, tt.note)
			}
		})
	}
	t.Run("fail/not-revoked", func(t *testing.T) {
		if _, err := s.Revocation(ctx, unknown); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Revocation(unknown) error = %v, want %v", err, store.ErrNotFound)
		}
	})
}

func testRevocationsSince(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	if got, err := s.RevocationsSince(ctx, 0); err != nil || len(got) != 0 {
		t.Fatalf("RevocationsSince(0) on an empty store = %d, %v", len(got), err)
	}
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 5, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	// Revoke in reverse insertion order: Seq follows revocation order.
	var seqs []int64
	for i := len(ps) - 1; i >= 0; i-- {
		r := &store.Revocation{Serial: ps[i].Serial, Category: pass.RevokeReplaced, Note: "scoped", By: "tm"}
		if err := s.Revoke(ctx, r); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, r.Seq)
	}
	tests := []struct {
		name  string
		since int64
		want  []int // indexes into ps
	}{
		{"ok/all", 0, []int{4, 3, 2, 1, 0}},
		{"ok/after-two", seqs[1], []int{2, 1, 0}},
		{"ok/up-to-date", seqs[4], nil},
		{"ok/negative", -1, []int{4, 3, 2, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.RevocationsSince(ctx, tt.since)
			if err != nil {
				t.Fatalf("RevocationsSince() error = %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("RevocationsSince(%d) returned %d, want %d", tt.since, len(got), len(tt.want))
			}
			for i, r := range got {
				if r.Serial != ps[tt.want[i]].Serial || r.Seq <= tt.since || (i > 0 && r.Seq <= got[i-1].Seq) {
					t.Errorf("RevocationsSince(%d)[%d] = seq %d %s, want %s in ascending seq", tt.since, i, r.Seq, r.Serial, ps[tt.want[i]].Serial)
				}
				if r.Event != "ev" || r.Category != pass.RevokeReplaced || r.Note != "scoped" || r.By != "tm" || r.At.IsZero() {
					t.Errorf("RevocationsSince(%d)[%d] = %+v, want event, category, note, actor and time filled in", tt.since, i, r)
				}
			}
		})
	}
}

func testRevokeWhere(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	ev := NewEvent(t, "e1", time.Date(2027, 3, 5, 20, 0, 0, 0, cet))
	other := NewEvent(t, "e2", time.Date(2027, 3, 6, 20, 0, 0, 0, cet))
	MustCreate(t, s, ev, other)
	early := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	late := time.Date(2027, 3, 1, 19, 0, 0, 0, time.UTC)
	ps := NewPasses(t, "e1", 6, early)
	for i := range ps {
		switch i {
		case 0, 1, 2:
			ps[i].Type, ps[i].Role = pass.Staff, "catering"
		case 3:
			ps[i].Type, ps[i].Role, ps[i].IssuedAt = pass.Staff, "catering", late
		case 4:
			ps[i].Org = "Support Act"
		}
	}
	ps = append(ps, NewPasses(t, "e2", 1, early)...)
	ps[6].Type, ps[6].Role = pass.Staff, "catering"
	MustInsert(t, s, ps)
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, Category: pass.RevokeLost, By: "test"}); err != nil {
		t.Fatal(err)
	}
	cutoff := time.Date(2027, 3, 1, 18, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		filter store.RevokeFilter
		want   []int // indexes into ps
	}{
		// ps[0] already revoked, ps[3] issued after 18:00, ps[6] of another event.
		{"ok/type-role-issued-before", store.RevokeFilter{Event: "e1", Type: pass.Staff, Role: "catering", IssuedBefore: cutoff}, []int{1, 2}},
		{"ok/org", store.RevokeFilter{Event: "e1", Org: "Support Act"}, []int{4}},
		{"ok/again-none-left", store.RevokeFilter{Event: "e1", Org: "Support Act"}, nil},
		{"ok/no-match", store.RevokeFilter{Event: "e1", Type: pass.Photo}, nil},
		{"ok/unknown-event", store.RevokeFilter{Event: "nope"}, nil},
		{"ok/rest-of-event", store.RevokeFilter{Event: "e1"}, []int{3, 5}},
	}
	var lastSeq int64
	total := 1
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := auditLen(t, s)
			got, err := s.RevokeWhere(ctx, tt.filter, pass.RevokeReplaced, "caterer change", "admin")
			if err != nil {
				t.Fatalf("RevokeWhere() error = %v", err)
			}
			total += len(got)
			want := map[pass.Serial]bool{}
			for _, i := range tt.want {
				want[ps[i].Serial] = true
			}
			if len(got) != len(want) {
				t.Fatalf("RevokeWhere() = %d revocations, want %d", len(got), len(want))
			}
			for _, r := range got {
				if !want[r.Serial] || r.Event != "e1" || r.Category != pass.RevokeReplaced || r.Note != "caterer change" || r.By != "admin" || r.Seq <= lastSeq || r.At.IsZero() {
					t.Errorf("RevokeWhere() gave %+v; want one of the expected serials, in ascending seq after %d", r, lastSeq)
				}
				lastSeq = r.Seq
				stored, err := s.Revocation(ctx, r.Serial)
				if err != nil || stored.Seq != r.Seq || !stored.At.Equal(r.At) || stored.Category != r.Category || stored.Note != r.Note {
					t.Errorf("Revocation(%s) = %+v, %v; want %+v", r.Serial, stored, err, r)
				}
			}
			audit, _ := s.Audit(ctx, 0)
			if len(audit) != before+len(got) {
				t.Fatalf("RevokeWhere() wrote %d audit rows, want %d", len(audit)-before, len(got))
			}
			for _, a := range audit[:len(got)] {
				var d struct{ Reason, Note string }
				json.Unmarshal([]byte(a.Detail), &d)
				if a.Action != store.ActionPassRevoke || !want[pass.Serial(a.Subject)] || a.Actor != "admin" || d.Reason != "replaced" || d.Note != "caterer change" {
					t.Errorf("audit row %+v, want a pass.revoke of a revoked serial, reason replaced, with the note", a)
				}
			}
		})
	}
	t.Run("fail/no-event", func(t *testing.T) {
		before := auditLen(t, s)
		if _, err := s.RevokeWhere(ctx, store.RevokeFilter{Type: pass.Staff}, pass.RevokeOther, "x", "admin"); err == nil {
			t.Error("RevokeWhere() without an event succeeded")
		}
		if _, err := s.RevokeWhere(ctx, store.RevokeFilter{Event: "e1"}, "caterer change", "", "admin"); err == nil {
			t.Error("RevokeWhere() with an unknown category succeeded")
		}
		if n := auditLen(t, s); n != before {
			t.Errorf("failed RevokeWhere() wrote %d audit rows", n-before)
		}
	})
	all, _ := s.RevocationsSince(ctx, 0)
	if len(all) != total || total != 6 {
		t.Fatalf("%d revocations, want %d (6)", len(all), total)
	}
}

func testIssuedSince(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	if refs, pos, err := s.IssuedSince(ctx, 0); err != nil || len(refs) != 0 || pos != 0 {
		t.Fatalf("IssuedSince(0) on an empty store = %d refs, %d, %v; want none, 0", len(refs), pos, err)
	}
	MustCreate(t, s, NewEvent(t, "e1", time.Date(2027, 3, 5, 20, 0, 0, 0, cet)))
	first := NewPasses(t, "e1", 3, time.Date(2027, 3, 1, 0, 0, 0, 0, cet))
	MustInsert(t, s, first)
	refs, pos, err := s.IssuedSince(ctx, 0)
	if err != nil || len(refs) != 3 || pos == 0 {
		t.Fatalf("IssuedSince(0) = %d refs, %d, %v", len(refs), pos, err)
	}
	for i, r := range refs {
		if r.Serial != first[i].Serial || !r.IssuedAt.Equal(first[i].IssuedAt) {
			t.Errorf("IssuedSince(0)[%d] = %+v, want %s at %s", i, r, first[i].Serial, first[i].IssuedAt)
		}
	}
	second := NewPasses(t, "e1", 2, time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC))
	MustInsert(t, s, second)
	more, pos2, err := s.IssuedSince(ctx, pos)
	if err != nil || len(more) != 2 || pos2 <= pos || more[0].Serial != second[0].Serial || more[1].Serial != second[1].Serial {
		t.Fatalf("IssuedSince(%d) = %+v, %d, %v; want the 2 new ones", pos, more, pos2, err)
	}
	none, pos3, err := s.IssuedSince(ctx, pos2)
	if err != nil || len(none) != 0 || pos3 != pos2 {
		t.Fatalf("IssuedSince(up to date) = %d refs, %d, %v", len(none), pos3, err)
	}
	// A failed batch takes no position that a later one would skip over.
	bad := NewPasses(t, "e1", 2, time.Date(2027, 3, 3, 0, 0, 0, 0, time.UTC))
	bad[1].Serial = first[0].Serial
	if err := s.InsertPasses(ctx, bad, "test"); !errors.Is(err, store.ErrDuplicateSerial) {
		t.Fatalf("InsertPasses(duplicate) = %v, want %v", err, store.ErrDuplicateSerial)
	}
	third := NewPasses(t, "e1", 1, time.Date(2027, 3, 4, 0, 0, 0, 0, time.UTC))
	MustInsert(t, s, third)
	last, _, err := s.IssuedSince(ctx, pos2)
	if err != nil || len(last) != 1 || last[0].Serial != third[0].Serial {
		t.Fatalf("IssuedSince(%d) after a failed batch = %+v, %v; want only %s", pos2, last, err, third[0].Serial)
	}
}
