package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

var (
	cet   = time.FixedZone("", 3600)
	tokyo = time.FixedZone("", 9*3600)
	nyc   = time.FixedZone("", -5*3600)
)

// openTest opens a store in a temporary folder with a clock that ticks one
// second per call.
func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "laminate.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = fakeClock()
	return s, path
}

func fakeClock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

func testEvent(t testing.TB, id string, start time.Time) *pass.Event {
	t.Helper()
	ev := &pass.Event{
		ID: id, Name: "Show " + id, Venue: "Hall",
		Schedule: pass.Schedule{ShowStart: start, ShowEnd: start.Add(2 * time.Hour)},
	}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	return ev
}

func newPasses(t testing.TB, event string, n int, issued time.Time) []store.Issued {
	t.Helper()
	out := make([]store.Issued, n)
	for i := range out {
		serial, err := pass.NewSerial(nil)
		if err != nil {
			t.Fatal(err)
		}
		p := store.Issued{
			Pass: pass.Pass{
				Serial: serial, Event: event, Type: pass.AAA, Name: fmt.Sprintf("Holder %d", i),
				Org: "Crew", ValidUntil: issued.Add(48 * time.Hour), Issuer: "office",
			},
			Token: "eyJhbGciOiJFZERTQSJ9.secret-token-" + string(serial), KID: "k1",
			IssuedAt: issued.Add(time.Duration(i) * time.Millisecond),
		}
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		out[i] = p
	}
	return out
}

func mustCreate(t testing.TB, s *Store, evs ...*pass.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := s.CreateEvent(context.Background(), ev, "admin"); err != nil {
			t.Fatalf("CreateEvent(%s) error = %v", ev.ID, err)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEventRoundTrip(t *testing.T) {
	ctx := context.Background()
	custom := pass.DefaultPolicy()
	custom.Comment = "festival policy"
	custom.Zones = append(custom.Zones, "camping")
	tests := []struct {
		name string
		ev   func(t *testing.T) *pass.Event
	}{
		{"ok/default-policy-cet", func(t *testing.T) *pass.Event {
			return testEvent(t, "cet", time.Date(2026, 11, 20, 20, 0, 0, 0, cet))
		}},
		{"ok/utc", func(t *testing.T) *pass.Event {
			return testEvent(t, "utc", time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC))
		}},
		{"ok/custom-policy-and-cues", func(t *testing.T) *pass.Event {
			ev := testEvent(t, "tokyo.2026", time.Date(2026, 11, 20, 19, 30, 0, 0, tokyo))
			ev.Policy = custom
			ev.Cues.DoorsOpen = time.Date(2026, 11, 20, 18, 2, 3, 500, tokyo)
			ev.Cues.ShowStarted = time.Date(2026, 11, 20, 10, 41, 0, 0, time.UTC)
			return ev
		}},
	}
	s, _ := openTest(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev(t)
			mustCreate(t, s, ev)
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

func TestEvents(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	// Local clock order (12:00, 19:00, 20:00) is not time order.
	a := testEvent(t, "a", time.Date(2026, 11, 20, 20, 0, 0, 0, tokyo)) // 11:00Z
	b := testEvent(t, "b", time.Date(2026, 11, 20, 19, 0, 0, 0, nyc))   // 00:00Z next day
	c := testEvent(t, "c", time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	mustCreate(t, s, b, c, a)
	evs, err := s.Events(ctx)
	if err != nil {
		t.Fatalf("Events() error = %v", err)
	}
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	if got := strings.Join(ids, ","); got != "a,c,b" {
		t.Errorf("Events() order = %s, want a,c,b", got)
	}
}

func TestCreateEventErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	ev := testEvent(t, "dup", time.Date(2026, 11, 20, 20, 0, 0, 0, cet))
	mustCreate(t, s, ev)
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
	if a, _ := s.Audit(ctx, 0); len(a) != 1 {
		t.Errorf("Audit() has %d rows, want 1 (failed writes leave none)", len(a))
	}
}

func TestInsertPasses(t *testing.T) {
	ctx := context.Background()
	issued := time.Date(2026, 11, 20, 9, 0, 0, 0, cet)
	tests := []struct {
		name    string
		batch   func(t *testing.T, stored []store.Issued) []store.Issued
		want    error
		wantMsg string
	}{
		{"ok/batch-100", func(t *testing.T, _ []store.Issued) []store.Issued {
			return newPasses(t, "ev", 100, issued)
		}, nil, ""},
		{"fail/duplicate-in-batch", func(t *testing.T, _ []store.Issued) []store.Issued {
			b := newPasses(t, "ev", 100, issued)
			b[99].Serial = b[0].Serial
			return b
		}, store.ErrDuplicateSerial, ""},
		{"fail/duplicate-of-stored", func(t *testing.T, stored []store.Issued) []store.Issued {
			b := newPasses(t, "ev", 100, issued)
			b[50].Serial = stored[0].Serial
			return b
		}, store.ErrDuplicateSerial, ""},
		{"fail/unknown-event", func(t *testing.T, _ []store.Issued) []store.Issued {
			b := newPasses(t, "ev", 100, issued)
			b[70].Event = "ghost-show"
			return b
		}, store.ErrNotFound, "ghost-show"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTest(t)
			mustCreate(t, s, testEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
			stored := newPasses(t, "ev", 1, issued.Add(-time.Hour))
			if err := s.InsertPasses(ctx, stored, "issuer"); err != nil {
				t.Fatal(err)
			}
			batch := tt.batch(t, stored)
			err := s.InsertPasses(ctx, batch, "issuer")
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("InsertPasses() error = %v, want %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("InsertPasses() error = %q, want it to name %q", err, tt.wantMsg)
			}
			all, _ := s.Passes(ctx, store.PassFilter{})
			audit, _ := s.Audit(ctx, 0)
			wantN := 1 + len(batch)
			if tt.want != nil {
				wantN = 1 // all or nothing
			}
			if len(all) != wantN || len(audit) != 1+wantN {
				t.Errorf("after InsertPasses: %d passes, %d audit rows; want %d, %d", len(all), len(audit), wantN, 1+wantN)
			}
		})
	}
}

func TestPassRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	mustCreate(t, s,
		testEvent(t, "one", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)),
		testEvent(t, "two", time.Date(2026, 11, 21, 20, 0, 0, 0, cet)))
	// Issued in an offset where the local clock reads later but the instant is earlier.
	early := newPasses(t, "one", 3, time.Date(2026, 11, 20, 18, 0, 0, 0, tokyo)) // 09:00Z
	late := newPasses(t, "one", 2, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	other := newPasses(t, "two", 2, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC))
	early[0].Type, early[0].Role, early[0].Org = pass.Staff, "catering", ""
	early[1].ValidFrom = time.Date(2026, 11, 20, 6, 0, 0, 0, cet)
	for _, b := range [][]store.Issued{late, early, other} {
		if err := s.InsertPasses(ctx, b, "issuer"); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("ok/pass", func(t *testing.T) {
		for _, want := range append(early, late...) {
			got, err := s.Pass(ctx, want.Serial)
			if err != nil {
				t.Fatalf("Pass(%s) error = %v", want.Serial, err)
			}
			w := want
			w.ValidFrom, w.ValidUntil, w.IssuedAt = w.ValidFrom.UTC(), w.ValidUntil.UTC(), w.IssuedAt.UTC()
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
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	mustCreate(t, s, testEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := newPasses(t, "ev", 2, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	if err := s.InsertPasses(ctx, ps, "issuer"); err != nil {
		t.Fatal(err)
	}
	unknown, _ := pass.NewSerial(nil)
	at := time.Date(2026, 11, 20, 21, 4, 0, 0, cet)
	tests := []struct {
		name    string
		serial  pass.Serial
		want    error
		wantSeq int64
	}{
		{"ok/first", ps[0].Serial, nil, 1},
		{"fail/twice", ps[0].Serial, store.ErrAlreadyRevoked, 0},
		{"fail/unknown-serial", unknown, store.ErrNotFound, 0},
		{"ok/second", ps[1].Serial, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := s.Audit(ctx, 0)
			r := &store.Revocation{Serial: tt.serial, Reason: "lost", By: "tm", At: at}
			err := s.Revoke(ctx, r)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("Revoke() error = %v, want %v", err, tt.want)
			}
			after, _ := s.Audit(ctx, 0)
			if tt.want != nil {
				if len(after) != len(before) {
					t.Errorf("failed Revoke() wrote %d audit rows", len(after)-len(before))
				}
				return
			}
			if r.Seq != tt.wantSeq || r.Event != "ev" {
				t.Errorf("Revoke() set Seq, Event = %d, %q; want %d, %q", r.Seq, r.Event, tt.wantSeq, "ev")
			}
			got, err := s.Revocation(ctx, tt.serial)
			if err != nil {
				t.Fatalf("Revocation() error = %v", err)
			}
			if got.Seq != r.Seq || got.Reason != "lost" || got.By != "tm" || !got.At.Equal(at) || got.Event != "ev" {
				t.Errorf("Revocation() = %+v, want %+v", got, r)
			}
			if a := after[0]; a.Action != store.ActionPassRevoke || a.Subject != string(tt.serial) || a.Actor != "tm" {
				t.Errorf("Audit()[0] = %+v, want a pass.revoke row for %s", a, tt.serial)
			}
		})
	}
	t.Run("fail/not-revoked", func(t *testing.T) {
		if _, err := s.Revocation(ctx, unknown); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Revocation() error = %v, want %v", err, store.ErrNotFound)
		}
	})
}

func TestRevocationsSince(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	mustCreate(t, s, testEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := newPasses(t, "ev", 5, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	if err := s.InsertPasses(ctx, ps, "issuer"); err != nil {
		t.Fatal(err)
	}
	// Revoke in reverse serial-insertion order: Seq follows revocation order.
	for i := len(ps) - 1; i >= 0; i-- {
		if err := s.Revoke(ctx, &store.Revocation{Serial: ps[i].Serial, Reason: "scoped", By: "tm"}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		since int64
		want  []int // indexes into ps
	}{
		{"ok/all", 0, []int{4, 3, 2, 1, 0}},
		{"ok/after-two", 2, []int{2, 1, 0}},
		{"ok/up-to-date", 5, nil},
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
			}
		})
	}
}

func TestTwoHandles(t *testing.T) {
	ctx := context.Background()
	a, path := openTest(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open() error = %v", err)
	}
	defer b.Close()
	mustCreate(t, a, testEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := newPasses(t, "ev", 40, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	if err := a.InsertPasses(ctx, ps, "issuer"); err != nil {
		t.Fatal(err)
	}
	t.Run("ok/revocation-seen-at-once", func(t *testing.T) {
		if err := b.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, Reason: "lost", By: "tm"}); err != nil {
			t.Fatalf("Revoke() through b error = %v", err)
		}
		if _, err := a.Revocation(ctx, ps[0].Serial); err != nil {
			t.Errorf("Revocation() through a error = %v", err)
		}
		if rs, _ := a.RevocationsSince(ctx, 0); len(rs) != 1 {
			t.Errorf("RevocationsSince() through a = %d revocations, want 1", len(rs))
		}
	})
	t.Run("ok/concurrent-writers", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, len(ps))
		for i, p := range ps[1:] {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Go(func() {
				errs <- s.Revoke(ctx, &store.Revocation{Serial: p.Serial, Reason: "mass", By: "tm"})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent Revoke() error = %v", err)
			}
		}
		rs, _ := b.RevocationsSince(ctx, 0)
		if len(rs) != len(ps) {
			t.Errorf("RevocationsSince() = %d revocations, want %d", len(rs), len(ps))
		}
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("ok/new-file", func(t *testing.T) {
		s, path := openTest(t)
		var appID, version int64
		var mode string
		err := s.r.QueryRowContext(ctx, `SELECT (SELECT application_id FROM pragma_application_id),
			(SELECT user_version FROM pragma_user_version), (SELECT journal_mode FROM pragma_journal_mode)`).
			Scan(&appID, &version, &mode)
		if err != nil {
			t.Fatal(err)
		}
		if appID != ApplicationID || version != int64(len(migrations)) || mode != "wal" {
			t.Errorf("application_id, user_version, journal_mode = %#x, %d, %s; want %#x, %d, wal",
				appID, version, mode, ApplicationID, len(migrations))
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode = %v (%v), want 0600", fi.Mode(), err)
		}
	})
	t.Run("ok/reopen-keeps-data", func(t *testing.T) {
		s, path := openTest(t)
		mustCreate(t, s, testEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
		s.Close()
		if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
			t.Errorf("Close() left a -wal file (%v)", err)
		}
		s2, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open() again error = %v", err)
		}
		defer s2.Close()
		if _, err := s2.Event(ctx, "ev"); err != nil {
			t.Errorf("Event() after reopen error = %v", err)
		}
	})
	t.Run("ok/empty-file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "empty.db")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open() error = %v", err)
		}
		s.Close()
	})
	t.Run("fail/missing-folder", func(t *testing.T) {
		if _, err := Open(ctx, filepath.Join(t.TempDir(), "no", "such.db")); err == nil {
			t.Error("Open() error = nil, want one")
		}
	})
}

// rawDB runs SQL on a file through the driver, outside the store.
func rawDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		want error
	}{
		{"fail/random-bytes", func(t *testing.T, path string) {
			b := make([]byte, 8192)
			rand.Read(b)
			os.WriteFile(path, b, 0o600)
		}, store.ErrNotLaminate},
		{"fail/short-text", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("name,type\nZoë,AAA\n"), 0o600)
		}, store.ErrNotLaminate},
		{"fail/foreign-db", func(t *testing.T, path string) {
			rawDB(t, path, "CREATE TABLE notes (x TEXT)", "INSERT INTO notes VALUES ('hello')")
		}, store.ErrNotLaminate},
		{"fail/foreign-application-id", func(t *testing.T, path string) {
			rawDB(t, path, "PRAGMA application_id = 1196444237", "CREATE TABLE t (x)")
		}, store.ErrNotLaminate},
		{"fail/foreign-wal-db", func(t *testing.T, path string) {
			rawDB(t, path, "PRAGMA journal_mode = WAL", "CREATE TABLE t (x)")
		}, store.ErrNotLaminate},
		{"fail/newer-schema", func(t *testing.T, path string) {
			s, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			rawDB(t, path, fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1))
		}, store.ErrNewerSchema},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "laminate.db")
			tt.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(ctx, path)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open() error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("Open() error = %q, want it to name the file", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Error("Open() changed the file it refused")
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("Open() left files beside the database: %v", names)
			}
		})
	}
	// With a live -wal the header on disk may be stale: SQLite's view decides.
	t.Run("fail/newer-schema-in-wal", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "laminate.db")
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.w.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, path); !errors.Is(err, store.ErrNewerSchema) {
			t.Errorf("Open() error = %v, want %v", err, store.ErrNewerSchema)
		}
	})
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	mustCreate(t, s, testEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := newPasses(t, "ev", 3, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	if err := s.InsertPasses(ctx, ps, "issuer"); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[1].Serial, Reason: "lost", By: "tm"}); err != nil {
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
	if got, _ := s.Audit(ctx, 2); len(got) != 2 || got[0].ID != all[0].ID {
		t.Errorf("Audit(2) = %d rows, want the newest 2", len(got))
	}
}

func BenchmarkInsertPasses10k(b *testing.B) {
	ctx := context.Background()
	s, _ := openTest(b)
	mustCreate(b, s, testEvent(b, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	batches := make([][]store.Issued, b.N)
	for i := range batches {
		batches[i] = newPasses(b, "ev", 10_000, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	}
	b.ResetTimer()
	for i := range b.N {
		if err := s.InsertPasses(ctx, batches[i], "issuer"); err != nil {
			b.Fatal(err)
		}
	}
}

// A damaged page in the middle of the file is found by Check, not read as
// missing rows.
func TestCheckDamaged(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check(fresh) = %v", err)
	}
	ev := testEvent(t, "e1", time.Date(2027, 3, 5, 20, 0, 0, 0, cet))
	mustCreate(t, s, ev)
	if err := s.InsertPasses(ctx, newPasses(t, "e1", 2000, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)), "test"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xab}, 3000), fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s2, err := Open(ctx, path)
	if err != nil {
		return // refused at open: also fine
	}
	defer s2.Close()
	if err := s2.Check(ctx); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Check(damaged) = %v, want ErrDamaged", err)
	}
}
