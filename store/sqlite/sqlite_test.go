package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/storetest"
)

var cet = time.FixedZone("", 3600)

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
	s.Now = storetest.Clock()
	return s, path
}

// Short names for the storetest helpers, used by this package's tests.
var (
	fakeClock = storetest.Clock
	testEvent = storetest.NewEvent
	newPasses = storetest.NewPasses
)

func mustCreate(t testing.TB, s *Store, evs ...*pass.Event) {
	t.Helper()
	storetest.MustCreate(t, s, evs...)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s, _ := openTest(t)
		s.Now = now
		return s
	})
}

// Two handles on one file are two processes sharing it: each sees the
// other's commits at once, and their writes serialise.
func TestTwoHandles(t *testing.T) {
	ctx := context.Background()
	a, path := openTest(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open() error = %v", err)
	}
	defer b.Close()
	storetest.MustCreate(t, a, storetest.NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := storetest.NewPasses(t, "ev", 121, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	storetest.MustInsert(t, a, ps)
	t.Run("ok/revocation-seen-at-once", func(t *testing.T) {
		if err := b.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, Category: pass.RevokeLost, By: "tm"}); err != nil {
			t.Fatalf("Revoke() through b error = %v", err)
		}
		if _, err := a.Revocation(ctx, ps[0].Serial); err != nil {
			t.Errorf("Revocation() through a error = %v", err)
		}
		if rs, _ := a.RevocationsSince(ctx, 0); len(rs) != 1 {
			t.Errorf("RevocationsSince() through a = %d revocations, want 1", len(rs))
		}
	})
	t.Run("ok/concurrent-revocations", func(t *testing.T) {
		storetest.CheckRevocationPropagation(t, ps[1:], a, a, b)
	})
	t.Run("ok/concurrent-issues", func(t *testing.T) {
		storetest.CheckIssuedPropagation(t, "ev", b, a, b)
	})
	t.Run("ok/capacity-race-two-handles", func(t *testing.T) {
		// 50 doors on two handles race for the last 10 places of 30.
		race := storetest.NewPasses(t, "ev", 70, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
		storetest.MustInsert(t, a, race)
		storetest.CheckCapacityRace(t, "ev", "photo-pit", 30, race[:20], race[20:], a, b)
	})
	t.Run("ok/scans-atomic", func(t *testing.T) {
		storetest.CheckOneAdmit(t, ps[0].Serial, "ev", 20, a, b)
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
		storetest.MustCreate(t, s, storetest.NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
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

func BenchmarkInsertPasses10k(b *testing.B) {
	ctx := context.Background()
	s, _ := openTest(b)
	storetest.MustCreate(b, s, storetest.NewEvent(b, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	batches := make([][]store.Issued, b.N)
	for i := range batches {
		batches[i] = storetest.NewPasses(b, "ev", 10_000, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
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
	ev := storetest.NewEvent(t, "e1", time.Date(2027, 3, 5, 20, 0, 0, 0, cet))
	storetest.MustCreate(t, s, ev)
	if err := s.InsertPasses(ctx, storetest.NewPasses(t, "e1", 2000, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)), "test"); err != nil {
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

// A check cut short by its context is not a damaged database: under load a
// node's start-up check past its deadline was reported "database is
// damaged", and its hint sends the operator to a backup.
func TestCheckCutShortIsNotDamage(t *testing.T) {
	s, _ := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, check := range map[string]func(context.Context) error{"Check": s.Check, "CheckStartup": s.CheckStartup} {
		err := check(ctx)
		if err == nil || errors.Is(err, ErrDamaged) || !errors.Is(err, context.Canceled) {
			t.Errorf("%s(cancelled) = %v, want context.Canceled and not ErrDamaged", name, err)
		}
	}
}

// CheckStartup reads the tables every answer depends on, not the scan
// history (issue 11: start-up must not grow with the scans stored): a
// damaged page of the scans table or of one of its indexes is left to
// Check, which reads the whole file; one anywhere else is found.
func TestCheckStartup(t *testing.T) {
	tests := []struct {
		name           string
		damage         string // the table or index with a damaged leaf page; "" for none
		startup, whole bool   // CheckStartup, Check report ErrDamaged
	}{
		{"ok/undamaged", "", false, false},
		{"ok/damaged-scans", "scans", false, true},
		{"ok/damaged-scans-index", "scans_serial_decision", false, true},
		{"ok/damaged-scans-id-index", "sqlite_autoindex_scans_1", false, true},
		{"fail/damaged-passes", "passes", true, true},
		{"fail/damaged-passes-index", "passes_event", true, true},
		{"fail/damaged-revocations", "revocations", true, true},
		{"fail/damaged-tokens", "api_tokens", true, true},
	}
	ctx := context.Background()
	// One database, copied for each case.
	s, orig := openTest(t)
	storetest.MustCreate(t, s, storetest.NewEvent(t, "e1", time.Date(2027, 3, 5, 20, 0, 0, 0, cet)))
	ps := storetest.NewPasses(t, "e1", 300, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	storetest.MustInsert(t, s, ps)
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, Category: pass.RevokeLost, By: "tm"}); err != nil {
		t.Fatal(err)
	}
	rawDB(t, orig, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
		INSERT INTO scans (scan_id, serial, event, gate, zone, direction, decision, code, at, recorded_at, answer)
		SELECT printf('s%06d', i), (SELECT serial FROM passes WHERE rowid = 1 + n.i % 50), 'e1', 'north', 'backstage',
			'in', 'admit', 'ok', printf('2027-03-05T19:%02d:%02d.000000000Z', i / 600 % 60, i / 10 % 60), '', '{}' FROM n`)
	s.Close() // checkpoints: the whole database is in the file
	db, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "laminate.db")
			if err := os.WriteFile(path, db, 0o600); err != nil {
				t.Fatal(err)
			}
			if tt.damage != "" {
				damageLeaf(t, path, tt.damage)
			}
			s2, err := Open(ctx, path)
			if err != nil {
				t.Fatalf("Open() error = %v", err)
			}
			defer s2.Close()
			if err := s2.CheckStartup(ctx); errors.Is(err, ErrDamaged) != tt.startup || (err != nil && !tt.startup) {
				t.Errorf("CheckStartup() = %v, want ErrDamaged: %v", err, tt.startup)
			}
			if err := s2.Check(ctx); errors.Is(err, ErrDamaged) != tt.whole || (err != nil && !tt.whole) {
				t.Errorf("Check() = %v, want ErrDamaged: %v", err, tt.whole)
			}
		})
	}
}

// damageLeaf overwrites with random bytes a leaf page, from the middle,
// of the table or index name in the closed database at path.
func damageLeaf(t *testing.T, path, name string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	var pages []int64
	err = db.QueryRow("PRAGMA page_size").Scan(&size)
	if err == nil {
		var rows *sql.Rows
		if rows, err = db.Query("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", name); err == nil {
			for rows.Next() {
				var p int64
				rows.Scan(&p)
				pages = append(pages, p)
			}
			err = rows.Err()
			rows.Close()
		}
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil || len(pages) == 0 {
		t.Fatalf("leaf pages of %s: %v %v", name, pages, err)
	}
	b := make([]byte, size)
	rand.Read(b)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, (pages[len(pages)/2]-1)*size); err != nil {
		t.Fatal(err)
	}
}

// go test ./store/sqlite -run '^$' -bench SearchPasses50k -benchtime 200x
func BenchmarkSearchPasses50k(b *testing.B) {
	storetest.BenchmarkSearchPasses50k(b, func(b *testing.B) store.Store {
		s, _ := openTest(b)
		return s
	}, nil)
}
