package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// Reissue implements [store.Store].
func (s *Store) Reissue(ctx context.Context, next store.Issued, r *store.Revocation, reason pass.ReissueReason) error {
	now := s.Now()
	at := r.At
	if at.IsZero() {
		at = now
	}
	var seq int64
	var event string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanRevocation(tx.QueryRowContext(ctx, `SELECT `+revCols+` FROM revocations WHERE serial = ?`, string(r.Serial)))
		switch {
		case err == nil:
			return store.AlreadyRevoked(&old)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: reissue of %s: %w", r.Serial, err)
		}
		err = tx.QueryRowContext(ctx, `SELECT event FROM passes WHERE serial = ?`, string(r.Serial)).Scan(&event)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: pass %s", store.ErrNotFound, r.Serial)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if err := store.CheckReissue(r.Serial, event, &next); err != nil {
			return err
		}
		if err := s.insertPasses(ctx, tx, []store.Issued{next}, r.By, now); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO revocations (serial, event, category, note, actor, at, superseded_by)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
			string(r.Serial), event, string(pass.RevokeSuperseded), r.Note, r.By, ts(at), string(next.Serial)).Scan(&seq)
		if err != nil {
			return fmt.Errorf("store: reissue of %s: %w", r.Serial, err)
		}
		if _, err := s.enqueueWebhook(ctx, tx, store.ReissuedWebhook(&store.Revocation{Seq: seq, Serial: r.Serial, Event: event,
			By: r.By, At: at, SupersededBy: next.Serial}, reason)); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, r.By, store.ActionPassReissue, string(r.Serial),
			store.ReissueDetail(event, next.Serial, reason, r.Note, seq))
	})
	if err != nil {
		return err
	}
	r.Seq, r.Event, r.At, r.Category, r.SupersededBy = seq, event, at, pass.RevokeSuperseded, next.Serial
	return nil
}

// SearchPasses implements [store.Store]. Words that few passes hold are
// looked up in the trigram table passes_fts; otherwise the index
// passes_search (event, search, serial, type), which holds what the
// filter on words reads in the order of the answer, is walked and the
// walk stops after limit hits (docs/design.md, Store, Search).
func (s *Store) SearchPasses(ctx context.Context, event, text string, f store.SearchFilter, limit int, cursor string) (store.SearchPage, error) {
	terms, limit, err := store.PrepareSearch(text, f, limit, cursor)
	if err != nil {
		return store.SearchPage{}, err
	}
	var q strings.Builder
	q.WriteString(`SELECT p.` + strings.ReplaceAll(passCols, ", ", ", p.") + `, coalesce(r.category, ''), coalesce(r.superseded_by, ''),
		` + store.PrintColsSQL("p") + ` FROM `)
	var args []any
	// A word of 3 characters or more that few passes hold is looked up in
	// the trigram index; otherwise the walk of passes_search in order
	// finds a page early (or the revocations, for those statuses).
	if m := trigramMatch(terms); m != "" {
		var n int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM passes_fts WHERE passes_fts MATCH ?`, m).Scan(&n); err != nil {
			return store.SearchPage{}, fmt.Errorf("store: search: %w", err)
		}
		if n <= trigramDense {
			q.WriteString(`passes_fts f CROSS JOIN passes p ON p.serial = f.serial LEFT JOIN revocations r ON r.serial = p.serial
				WHERE passes_fts MATCH ? AND p.event = ?`)
			args = append(args, m)
		}
	}
	if args == nil {
		q.WriteString(from(f.Status))
	}
	args = append(args, event)

	for _, t := range terms {
		q.WriteString(` AND instr(p.search, ?) > 0`)
		args = append(args, t)
	}
	if f.Type != "" {
		q.WriteString(` AND p.type = ?`)
		args = append(args, string(f.Type))
	}
	switch f.Status {
	case store.PassValid:
		q.WriteString(` AND r.serial IS NULL`)
	case store.PassRevoked:
		q.WriteString(` AND r.category <> '` + string(pass.RevokeSuperseded) + `'`)
	case store.PassSuperseded:
		q.WriteString(` AND r.category = '` + string(pass.RevokeSuperseded) + `'`)
	}
	q.WriteString(store.PrintFilterSQL(f, "p"))
	if cursor != "" {
		q.WriteString(` AND (p.search, p.serial) > (SELECT search, serial FROM passes WHERE serial = ?)`)
		args = append(args, cursor)
	}
	q.WriteString(` ORDER BY p.search, p.serial LIMIT ?`)
	args = append(args, limit+1)
	hits, err := query(ctx, s.r, scanHit, q.String(), args...)
	if err != nil {
		return store.SearchPage{}, err
	}
	return store.NewSearchPage(hits, limit), nil
}

// more scans extra columns after those its scanner's caller names.
type more struct {
	scanner
	dst []any
}

func (m more) Scan(dst ...any) error { return m.scanner.Scan(append(dst, m.dst...)...) }

func scanHit(row scanner) (store.PassHit, error) {
	var h store.PassHit
	p, err := scanPass(more{row, []any{&h.Category, &h.SupersededBy, &h.Prints, &h.Collected}})
	if err != nil {
		return h, err
	}
	h.Issued, h.Status = *p, store.HitStatus(h.Category)
	return h, nil
}

// searchMigration is the migration that adds passes.search; fillSearch
// runs in its transaction.
const searchMigration = 14

// fillSearch writes the search text of the passes stored before it was
// kept, in the transaction of the migration that adds it.
func fillSearch(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT serial, name, org, role FROM passes`)
	if err != nil {
		return err
	}
	var ps []pass.Pass
	for rows.Next() {
		var p pass.Pass
		if err := rows.Scan(&p.Serial, &p.Name, &p.Org, &p.Role); err != nil {
			rows.Close()
			return err
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range ps {
		if _, err := tx.ExecContext(ctx, `UPDATE passes SET search = ? WHERE serial = ?`, store.SearchText(&ps[i]), string(ps[i].Serial)); err != nil {
			return fmt.Errorf("search text of %s: %w", ps[i].Serial, err)
		}
	}
	if _, err := tx.ExecContext(ctx, searchIndex); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return nil
}

// searchIndex is a trigram index (FTS5) of the search texts, made once
// they are all written: a word of 3 characters or more is looked up in
// it rather than in every pass of the event. It keeps its own copy of the
// text with the serial (not the passes' rowids, which VACUUM may change),
// and triggers keep it in step with passes.
const searchIndex = `
CREATE VIRTUAL TABLE passes_fts USING fts5(search, serial UNINDEXED, tokenize = 'trigram', detail = 'none');
INSERT INTO passes_fts (search, serial) SELECT search, serial FROM passes;
CREATE TRIGGER passes_fts_insert AFTER INSERT ON passes BEGIN
	INSERT INTO passes_fts (search, serial) VALUES (new.search, new.serial);
END;
CREATE TRIGGER passes_fts_update AFTER UPDATE OF search, serial ON passes BEGIN
	DELETE FROM passes_fts WHERE serial = old.serial;
	INSERT INTO passes_fts (search, serial) VALUES (new.search, new.serial);
END;
CREATE TRIGGER passes_fts_delete AFTER DELETE ON passes BEGIN
	DELETE FROM passes_fts WHERE serial = old.serial;
END;
`

// trigramDense is how many passes (of all events) a lookup in passes_fts
// may find before an ordered walk of passes_search is the faster plan:
// words that many passes hold find a page of hits early in the walk.
const trigramDense = 2000

// trigramMatch is the FTS5 query of the words of 3 characters or more
// ("" if none): every trigram of each, quoted, all of them required (the
// index keeps no positions, so a word is its trigrams; instr then checks
// the word itself).
func trigramMatch(terms []string) string {
	var q []string
	for _, tri := range store.Trigrams(terms...) {
		q = append(q, `"`+strings.ReplaceAll(tri, `"`, `""`)+`"`)
	}
	return strings.Join(q, " AND ")
}

// from is where a search reads: a search of revoked or superseded passes
// starts from their index (a few hundred, not the event's passes: CROSS
// JOIN makes SQLite keep that order), the others from passes_search.
func from(st store.PassStatus) string {
	if st == store.PassRevoked || st == store.PassSuperseded {
		return `revocations r CROSS JOIN passes p ON p.serial = r.serial WHERE r.event = ? AND p.event = r.event`
	}
	return `passes p LEFT JOIN revocations r ON r.serial = p.serial WHERE p.event = ?`
}
