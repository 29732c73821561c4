package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// oldReasons are revocation reasons written before categories, and what
// the migration makes of them.
var oldReasons = []struct {
	reason string
	cat    pass.RevokeCategory
	note   string
}{
	{"lost", pass.RevokeLost, ""},
	{" Stolen ", pass.RevokeStolen, ""},
	{"MISUSE", pass.RevokeMisuse, ""},
	{"replaced", pass.RevokeReplaced, ""},
	{"lost at load-in", pass.RevokeOther, "lost at load-in"},
	{"stolen from J. Smith's car", pass.RevokeOther, "stolen from J. Smith's car"},
	{"", pass.RevokeOther, ""},
}

// TestMigrateRevocationCategory: a database whose revocations have
// free-text reasons opens with a category for each, the text kept as the
// note (issue 11, item 7).
func TestMigrateRevocationCategory(t *testing.T) {
	ctx := context.Background()
	step := slices.IndexFunc(migrations, func(m string) bool { return strings.Contains(m, "RENAME COLUMN reason TO note") })
	if step < 0 {
		t.Fatal("no migration of revocation reasons")
	}
	path := t.TempDir() + "/old.db"
	stmts := []string{fmt.Sprintf("PRAGMA application_id = %d", ApplicationID)}
	stmts = append(stmts, migrations[:step]...)
	stmts = append(stmts, fmt.Sprintf("PRAGMA user_version = %d", step))
	serials := make([]pass.Serial, len(oldReasons))
	for i, r := range oldReasons {
		serials[i], _ = pass.NewSerial(nil)
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO revocations (serial, event, reason, actor, at) VALUES ('%s', 'ev', '%s', 'tm', '2026-11-20T21:04:00.000000000Z')`,
			string(serials[i]), strings.ReplaceAll(r.reason, "'", "''")))
	}
	rawDB(t, path, stmts...)

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, want := range oldReasons {
		r, err := s.Revocation(ctx, serials[i])
		if err != nil {
			t.Fatalf("Revocation(%q) = %v", want.reason, err)
		}
		if r.Category != want.cat || r.Note != want.note || r.By != "tm" {
			t.Errorf("reason %q migrated to category %q, note %q; want %q, %q", want.reason, r.Category, r.Note, want.cat, want.note)
		}
	}
}

// TestMigrateSearchText: passes stored before the search text was kept
// are found once the database is opened (issue 13).
func TestMigrateSearchText(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/old.db"
	stmts := []string{fmt.Sprintf("PRAGMA application_id = %d", ApplicationID)}
	stmts = append(stmts, migrations[:searchMigration-1]...)
	stmts = append(stmts, fmt.Sprintf("PRAGMA user_version = %d", searchMigration-1),
		`INSERT INTO events (id, name, show_start, starts_at, schedule, created_at) VALUES ('ev', 'Show', '2026-11-20T20:00:00Z', '2026-11-20T20:00:00.000000000Z', '{}', '2026-11-01T00:00:00.000000000Z')`,
		`INSERT INTO passes (serial, event, type, name, org, valid_until, kid, token, issued_at) VALUES ('7K2M9QX4', 'ev', 'AAA', 'Zoë Müller', 'Crew', '2026-11-21T00:00:00.000000000Z', 'k1', 't', '2026-11-20T09:00:00.000000000Z')`)
	rawDB(t, path, stmts...)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{"muller", "7K2M-9Q", "crew zoe"} {
		page, err := s.SearchPasses(ctx, "ev", q, store.SearchFilter{}, 0, "")
		if err != nil || len(page.Hits) != 1 || page.Hits[0].Serial != "7K2M9QX4" {
			t.Errorf("SearchPasses(%q) after the migration = %+v, %v; want the old pass", q, page.Hits, err)
		}
	}
}
