package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

func testEventRoundTrip(t *testing.T, open opener) {
	ctx := context.Background()
	custom := pass.DefaultPolicy()
	custom.Comment = "festival policy"
	custom.Zones = append(custom.Zones, "camping")
	custom.Gates = []string{"north", "camping-gate"}
	tests := []struct {
		name string
		ev   func(t *testing.T) *pass.Event
	}{
		{"ok/default-policy-cet", func(t *testing.T) *pass.Event {
			return NewEvent(t, "cet", time.Date(2026, 11, 20, 20, 0, 0, 0, cet))
		}},
		{"ok/utc", func(t *testing.T) *pass.Event {
			return NewEvent(t, "utc", time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC))
		}},
		{"ok/custom-policy-and-cues", func(t *testing.T) *pass.Event {
			ev := NewEvent(t, "tokyo.2026", time.Date(2026, 11, 20, 19, 30, 0, 0, tokyo))
			ev.Policy = custom
			// Cues are kept to the nanosecond, offsets included.
			ev.Cues.DoorsOpen = time.Date(2026, 11, 20, 18, 2, 3, 500, tokyo)
			ev.Cues.ShowStarted = time.Date(2026, 11, 20, 10, 41, 0, 0, time.UTC)
			return ev
		}},
		{"ok/utf8-name", func(t *testing.T) *pass.Event {
			ev := NewEvent(t, "sigur-ros", time.Date(2026, 11, 20, 20, 0, 0, 0, cet))
			ev.Name, ev.Venue = "Sigur Rós & Björk", "Motörhead Halle"
			return ev
		}},
	}
	s := open(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev(t)
			MustCreate(t, s, ev)
			got, err := s.Event(ctx, ev.ID)
			if err != nil {
				t.Fatalf("Event() error = %v", err)
			}
			// JSON carries every field, times with their offsets.
			if g, w := mustJSON(t, got), mustJSON(t, ev); g != w {
				t.Errorf("Event() = %s\nwant %s", g, w)
			}
			_, gotOff := got.Schedule.ShowStart.In(got.Location()).Zone()
			_, wantOff := ev.Schedule.ShowStart.Zone()
			if gotOff != wantOff {
				t.Errorf("Location() offset = %d, want %d", gotOff, wantOff)
			}
			if (got.Policy == nil) != (ev.Policy == nil) {
				t.Errorf("Policy = %v, want %v", got.Policy, ev.Policy)
			}
		})
	}
}

func testEvents(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	if evs, err := s.Events(ctx); err != nil || len(evs) != 0 {
		t.Fatalf("Events(empty store) = %d, %v; want none", len(evs), err)
	}
	// Local clock order (12:00, 19:00, 20:00) is not time order.
	a := NewEvent(t, "a", time.Date(2026, 11, 20, 20, 0, 0, 0, tokyo)) // 11:00Z
	b := NewEvent(t, "b", time.Date(2026, 11, 20, 19, 0, 0, 0, nyc))   // 00:00Z next day
	c := NewEvent(t, "c", time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	// Same start: ordered by id, byte order.
	d := NewEvent(t, "C2", time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	MustCreate(t, s, b, c, a, d)
	evs, err := s.Events(ctx)
	if err != nil {
		t.Fatalf("Events() error = %v", err)
	}
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	if got := strings.Join(ids, ","); got != "a,C2,c,b" {
		t.Errorf("Events() order = %s, want a,C2,c,b", got)
	}
}

func testCreateEventErrors(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	ev := NewEvent(t, "dup", time.Date(2026, 11, 20, 20, 0, 0, 0, cet))
	MustCreate(t, s, ev)
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"fail/duplicate-event", func() error { return s.CreateEvent(ctx, ev, "admin") }, store.ErrExists},
		{"fail/unknown-event", func() error { _, err := s.Event(ctx, "nope"); return err }, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
	a, err := s.Audit(ctx, 0)
	if err != nil || len(a) != 1 {
		t.Fatalf("Audit() = %d rows, %v; want 1 (failed writes leave none)", len(a), err)
	}
	if a[0].Action != store.ActionEventCreate || a[0].Subject != "dup" || a[0].Actor != "admin" {
		t.Errorf("Audit()[0] = %+v, want event.create of dup by admin", a[0])
	}
}

func testInsertPasses(t *testing.T, open opener) {
	ctx := context.Background()
	issued := time.Date(2026, 11, 20, 9, 0, 0, 0, cet)
	tests := []struct {
		name  string
		batch func(t *testing.T, stored []store.Issued) ([]store.Issued, string)
		want  error
	}{
		{"ok/batch-100", func(t *testing.T, _ []store.Issued) ([]store.Issued, string) {
			return NewPasses(t, "ev", 100, issued), ""
		}, nil},
		{"ok/empty", func(t *testing.T, _ []store.Issued) ([]store.Issued, string) {
			return nil, ""
		}, nil},
		{"fail/duplicate-in-batch", func(t *testing.T, _ []store.Issued) ([]store.Issued, string) {
			b := NewPasses(t, "ev", 100, issued)
			b[99].Serial = b[0].Serial
			return b, b[0].Serial.String()
		}, store.ErrDuplicateSerial},
		{"fail/duplicate-of-stored", func(t *testing.T, stored []store.Issued) ([]store.Issued, string) {
			b := NewPasses(t, "ev", 100, issued)
			b[50].Serial = stored[0].Serial
			return b, stored[0].Serial.String()
		}, store.ErrDuplicateSerial},
		{"fail/unknown-event", func(t *testing.T, _ []store.Issued) ([]store.Issued, string) {
			b := NewPasses(t, "ev", 100, issued)
			b[70].Event = "ghost-show"
			return b, "ghost-show"
		}, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
			stored := NewPasses(t, "ev", 1, issued.Add(-time.Hour))
			MustInsert(t, s, stored)
			batch, wantMsg := tt.batch(t, stored)
			err := s.InsertPasses(ctx, batch, "issuer")
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("InsertPasses() error = %v, want %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), wantMsg) {
				t.Errorf("InsertPasses() error = %q, want it to name %q", err, wantMsg)
			}
			all, err1 := s.Passes(ctx, store.PassFilter{})
			audit, err2 := s.Audit(ctx, 0)
			if err := errors.Join(err1, err2); err != nil {
				t.Fatal(err)
			}
			wantN := 1 + len(batch)
			if tt.want != nil {
				wantN = 1 // all or nothing
			}
			if len(all) != wantN || len(audit) != 1+wantN {
				t.Errorf("after InsertPasses: %d passes, %d audit rows; want %d, %d", len(all), len(audit), wantN, 1+wantN)
			}
			for _, a := range audit {
				if a.Action == store.ActionPassIssue && (a.Actor != "issuer" || strings.Contains(a.Detail, "secret-token") || !json.Valid([]byte(a.Detail))) {
					t.Errorf("audit row %+v: want actor issuer and a JSON detail without the token", a)
				}
			}
		})
	}
}

func testPassRoundTrip(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s,
		NewEvent(t, "one", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)),
		NewEvent(t, "two", time.Date(2026, 11, 21, 20, 0, 0, 0, cet)))
	// Issued in an offset where the local clock reads later but the instant is earlier.
	early := NewPasses(t, "one", 3, time.Date(2026, 11, 20, 18, 0, 0, 0, tokyo)) // 09:00Z
	late := NewPasses(t, "one", 2, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	other := NewPasses(t, "two", 2, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC))
	early[0].Type, early[0].Role, early[0].Org = pass.Staff, "catering", ""
	early[1].ValidFrom = time.Date(2026, 11, 20, 6, 0, 0, 0, cet)
	early[2].Name, early[2].Org = "Zoë Motörhead-Björk", "Sigur Rós"
	for _, b := range [][]store.Issued{late, early, other} {
		MustInsert(t, s, b)
	}
	t.Run("ok/pass", func(t *testing.T) {
		for _, want := range append(early, late...) {
			got, err := s.Pass(ctx, want.Serial)
			if err != nil {
				t.Fatalf("Pass(%s) error = %v", want.Serial, err)
			}
			w := want
			w.ValidUntil, w.IssuedAt = w.ValidUntil.UTC(), w.IssuedAt.UTC()
			if !w.ValidFrom.IsZero() {
				w.ValidFrom = w.ValidFrom.UTC()
			}
			if g, w := mustJSON(t, got), mustJSON(t, w); g != w {
				t.Errorf("Pass() = %s\nwant %s", g, w)
			}
		}
	})
	t.Run("fail/unknown-serial", func(t *testing.T) {
		serial, _ := pass.NewSerial(nil)
		if _, err := s.Pass(ctx, serial); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Pass() error = %v, want %v", err, store.ErrNotFound)
		}
	})
	for _, tt := range []struct {
		name  string
		event string
		want  []store.Issued
	}{
		{"ok/passes-of-event", "one", append(append([]store.Issued{}, early...), late...)},
		{"ok/passes-all", "", append(append(append([]store.Issued{}, other...), early...), late...)},
		{"ok/passes-none", "nope", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Passes(ctx, store.PassFilter{Event: tt.event})
			if err != nil {
				t.Fatalf("Passes() error = %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Passes() returned %d passes, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].Serial != tt.want[i].Serial {
					t.Errorf("Passes()[%d] = %s, want %s", i, got[i].Serial, tt.want[i].Serial)
				}
			}
		})
	}
	t.Run("ok/same-issue-time-by-serial", func(t *testing.T) {
		s := open(t)
		MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
		ps := NewPasses(t, "ev", 20, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
		for i := range ps {
			ps[i].IssuedAt = ps[0].IssuedAt
		}
		MustInsert(t, s, ps)
		got, err := s.Passes(ctx, store.PassFilter{Event: "ev"})
		if err != nil || len(got) != len(ps) {
			t.Fatalf("Passes() = %d, %v; want %d", len(got), err, len(ps))
		}
		for i := 1; i < len(got); i++ {
			if got[i-1].Serial >= got[i].Serial {
				t.Errorf("Passes()[%d..%d] = %s, %s: want ascending serials at one issue time", i-1, i, got[i-1].Serial, got[i].Serial)
			}
		}
	})
}

func testAudit(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 3, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[1].Serial, Category: pass.RevokeLost, By: "tm"}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Audit(ctx, 0)
	if err != nil {
		t.Fatalf("Audit() error = %v", err)
	}
	wantActions := []string{store.ActionPassRevoke, store.ActionPassIssue, store.ActionPassIssue, store.ActionPassIssue, store.ActionEventCreate}
	if len(all) != len(wantActions) {
		t.Fatalf("Audit() = %d rows, want %d", len(all), len(wantActions))
	}
	for i, e := range all {
		if e.Action != wantActions[i] || (i > 0 && (e.At.After(all[i-1].At) || e.ID >= all[i-1].ID)) {
			t.Errorf("Audit()[%d] = %s at %s, want %s, newest first", i, e.Action, e.At, wantActions[i])
		}
		if strings.Contains(e.Detail, "token") || strings.Contains(e.Detail, "eyJ") {
			t.Errorf("Audit()[%d].Detail = %s holds a token", i, e.Detail)
		}
		if !json.Valid([]byte(e.Detail)) {
			t.Errorf("Audit()[%d].Detail = %s, not JSON", i, e.Detail)
		}
	}
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"ok/limit-2", 2, 2},
		{"ok/limit-1", 1, 1},
		{"ok/limit-above", 50, len(all)},
		{"ok/negative-is-all", -1, len(all)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Audit(ctx, tt.limit)
			if err != nil || len(got) != tt.want || got[0].ID != all[0].ID {
				t.Errorf("Audit(%d) = %d rows, %v; want the newest %d", tt.limit, len(got), err, tt.want)
			}
		})
	}
	t.Run("ok/record", func(t *testing.T) {
		at := time.Date(2026, 11, 20, 23, 0, 0, 0, cet)
		e := store.AuditEntry{At: at, Actor: "cli:test", Action: store.ActionKeyRotate, Subject: "kid123", Detail: `{"alg":"EdDSA"}`}
		if err := s.Record(ctx, e); err != nil {
			t.Fatalf("Record() error = %v", err)
		}
		got, err := s.Audit(ctx, 1)
		if err != nil || len(got) != 1 {
			t.Fatalf("Audit(1) = %d, %v", len(got), err)
		}
		g := got[0]
		if !g.At.Equal(at) || g.Actor != e.Actor || g.Action != e.Action || g.Subject != e.Subject || g.Detail != e.Detail || g.ID <= all[0].ID {
			t.Errorf("Audit()[0] = %+v, want %+v with a new id", g, e)
		}
		// No time: the store's clock.
		if err := s.Record(ctx, store.AuditEntry{Actor: "cli:test", Action: store.ActionKeyRetire, Subject: "kid0", Detail: "{}"}); err != nil {
			t.Fatalf("Record() error = %v", err)
		}
		if got, err := s.Audit(ctx, 1); err != nil || got[0].At.IsZero() || got[0].Action != store.ActionKeyRetire {
			t.Errorf("Audit()[0] = %+v, %v; want key.retire at the store's time", got, err)
		}
	})
}

func testAPITokens(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	tok := &store.APIToken{ID: "abc12345", Name: "north gate", Role: "scanner", Hash: []byte("0123456789abcdef0123456789abcdef")}
	if err := s.CreateAPIToken(ctx, tok, "cli:test"); err != nil {
		t.Fatal(err)
	}
	if tok.Created.IsZero() {
		t.Error("CreateAPIToken() left Created zero")
	}
	// A token bound to an event and a gate keeps its binding.
	second := &store.APIToken{ID: "def67890", Name: "stage door phone", Role: "scanner", Hash: []byte("fedcba9876543210fedcba9876543210"),
		Created: tok.Created.Add(time.Hour), Event: "tour26-ldn01", Gate: "stage-door"}
	if err := s.CreateAPIToken(ctx, second, "cli:test"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"fail/create-twice", func() error { return s.CreateAPIToken(ctx, tok, "cli:test") }, store.ErrExists},
		{"fail/unknown", func() error { _, err := s.APIToken(ctx, "nosuch"); return err }, store.ErrNotFound},
		{"ok/revoke", func() error { return s.RevokeAPIToken(ctx, "abc12345", "cli:test") }, nil},
		{"fail/revoke-twice", func() error { return s.RevokeAPIToken(ctx, "abc12345", "cli:test") }, store.ErrAlreadyRevoked},
		{"fail/revoke-unknown", func() error { return s.RevokeAPIToken(ctx, "nosuch", "cli:test") }, store.ErrNotFound},
	}
	got, err := s.APIToken(ctx, "abc12345")
	if err != nil || got.Name != "north gate" || got.Role != "scanner" || string(got.Hash) != string(tok.Hash) ||
		!got.Revoked.IsZero() || !got.Created.Equal(tok.Created) || got.Event != "" || got.Gate != "" {
		t.Fatalf("APIToken() = %+v, %v", got, err)
	}
	if got, err := s.APIToken(ctx, "def67890"); err != nil || got.Event != "tour26-ldn01" || got.Gate != "stage-door" || got.Role != "scanner" {
		t.Fatalf("APIToken(bound) = %+v, %v; want event tour26-ldn01, gate stage-door", got, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
	list, err := s.APITokens(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "abc12345" || list[0].Revoked.IsZero() || !list[1].Revoked.IsZero() ||
		list[1].Event != "tour26-ldn01" || list[1].Gate != "stage-door" {
		t.Fatalf("APITokens() = %+v, %v; want both, oldest first, the first revoked, the second bound", list, err)
	}
	audit, _ := s.Audit(ctx, 0)
	var actions []string
	for _, a := range audit {
		if a.Subject == "def67890" && a.Action == store.ActionTokenCreate &&
			(!strings.Contains(a.Detail, "tour26-ldn01") || !strings.Contains(a.Detail, "stage-door")) {
			t.Errorf("audit row %+v does not say the token's event and gate", a)
		}
		actions = append(actions, a.Action)
		if strings.Contains(a.Detail, string(tok.Hash)) {
			t.Errorf("audit row %+v holds the token hash", a)
		}
	}
	want := []string{store.ActionTokenRevoke, store.ActionTokenCreate, store.ActionTokenCreate}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping() error = %v", err)
	}
}

// testPassPhotos: a pass's photo is stored with it, in its transaction,
// only when the pass signs its hash; reads of passes carry the hash, not
// the JPEG.
func testPassPhotos(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 3, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	jpegA := []byte("\xff\xd8 photo A \xff\xd9")
	jpegB := []byte("\xff\xd8 photo B, bytes \x00 and all \xff\xd9")
	ps[0].Photo, ps[0].PhotoJPEG = pass.PhotoHash(jpegA), jpegA
	ps[2].Photo, ps[2].PhotoJPEG = pass.PhotoHash(jpegB), jpegB
	t.Run("fail/mismatch-stores-nothing", func(t *testing.T) {
		bad := append([]store.Issued{}, ps...)
		bad[2].PhotoJPEG = jpegA // signs B, carries A
		if err := s.InsertPasses(ctx, bad, "issuer"); err == nil {
			t.Fatal("InsertPasses() of a pass whose photo does not match its hash succeeded")
		}
		noPhoto := append([]store.Issued{}, ps...)
		noPhoto[0].PhotoJPEG = nil
		if err := s.InsertPasses(ctx, noPhoto, "issuer"); err == nil {
			t.Fatal("InsertPasses() of a pass that signs a photo it does not carry succeeded")
		}
		if _, err := s.Pass(ctx, ps[1].Serial); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Pass() after a refused batch: %v, want %v", err, store.ErrNotFound)
		}
	})
	MustInsert(t, s, ps)
	for i, want := range [][]byte{jpegA, nil, jpegB} {
		got, err := s.Pass(ctx, ps[i].Serial)
		if err != nil || got.Photo != ps[i].Photo || got.PhotoJPEG != nil {
			t.Fatalf("Pass(%d) = photo %q, %d bytes of JPEG, %v; want photo %q and no JPEG", i, got.Photo, len(got.PhotoJPEG), err, ps[i].Photo)
		}
		b, err := s.PassPhoto(ctx, ps[i].Serial)
		switch {
		case want == nil && !errors.Is(err, store.ErrNotFound):
			t.Errorf("PassPhoto(pass without a photo) = %d bytes, %v; want %v", len(b), err, store.ErrNotFound)
		case want != nil && (err != nil || string(b) != string(want)):
			t.Errorf("PassPhoto(%d) = %q, %v; want %q", i, b, err, want)
		}
	}
	all, err := s.Passes(ctx, store.PassFilter{Event: "ev"})
	if err != nil || len(all) != 3 || all[0].Photo != ps[0].Photo || all[1].Photo != "" {
		t.Fatalf("Passes() = %d, %v; want 3 with their photo hashes", len(all), err)
	}
	serial, _ := pass.NewSerial(nil)
	if _, err := s.PassPhoto(ctx, serial); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PassPhoto(unknown serial) error = %v, want %v", err, store.ErrNotFound)
	}
}
