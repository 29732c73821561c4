package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/pass"
)

// TestMigrateRevocationCategory: a schema whose revocations have
// free-text reasons opens with a category for each, the text kept as the
// note (issue 11, item 7; as SQLite's).
func TestMigrateRevocationCategory(t *testing.T) {
	ctx := context.Background()
	step := slices.IndexFunc(migrations, func(m string) bool { return strings.Contains(m, "RENAME COLUMN reason TO note") })
	if step < 0 {
		t.Fatal("no migration of revocation reasons")
	}
	u, _ := newSchema(t)
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < step; i++ {
		if err := migrate(ctx, conn, i); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
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
	at := time.Date(2026, 11, 20, 21, 4, 0, 0, time.UTC)
	if _, err := conn.Exec(ctx, `INSERT INTO events (id, name, show_start, starts_at, schedule, created_at) VALUES ('ev', 'Show', '', $1, '{}', $1)`, at); err != nil {
		t.Fatal(err)
	}
	serials := make([]pass.Serial, len(tests))
	for i, tt := range tests {
		serials[i], _ = pass.NewSerial(nil)
		if _, err := conn.Exec(ctx, `INSERT INTO passes (serial, event, type, name, valid_until, kid, token, issued_at) VALUES ($1, 'ev', 'AAA', 'N', $2, 'k', 't', $2)`,
			string(serials[i]), at); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO revocations (serial, event, reason, actor, at) VALUES ($1, 'ev', $2, 'tm', $3)`,
			string(serials[i]), tt.reason, at); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)

	s := openURL(t, u)
	for i, tt := range tests {
		r, err := s.Revocation(ctx, serials[i])
		if err != nil {
			t.Fatalf("Revocation(%q) = %v", tt.reason, err)
		}
		if r.Category != tt.cat || r.Note != tt.note || r.By != "tm" || !r.At.Equal(at) {
			t.Errorf("reason %q migrated to %+v; want category %q, note %q", tt.reason, r, tt.cat, tt.note)
		}
	}
}
