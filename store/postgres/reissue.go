package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// Reissue implements [store.Store]. It takes the "revocations" lock, so
// no other revocation of the old pass is written meanwhile, then the
// "passes" lock to insert the new one.
func (s *Store) Reissue(ctx context.Context, next store.Issued, r *store.Revocation, reason pass.ReissueReason) error {
	if err := store.CheckPhoto(&next); err != nil {
		return err
	}
	now := s.Now()
	at := r.At
	if at.IsZero() {
		at = now
	}
	var seq int64
	var event string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := s.lock(ctx, tx, lockRevocations, 0); err != nil {
			return err
		}
		old, err := scanRevocation(tx.QueryRow(ctx, `SELECT `+revCols+` FROM revocations WHERE serial = $1`, string(r.Serial)))
		switch {
		case err == nil:
			return store.AlreadyRevoked(&old)
		case !errors.Is(err, pgx.ErrNoRows):
			return dbErr(err, "reissue of %s", r.Serial)
		}
		err = tx.QueryRow(ctx, `SELECT event FROM passes WHERE serial = $1`, string(r.Serial)).Scan(&event)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: pass %s", store.ErrNotFound, r.Serial)
		}
		if err != nil {
			return dbErr(err, "reissue of %s", r.Serial)
		}
		if err := store.CheckReissue(r.Serial, event, &next); err != nil {
			return err
		}
		if err := s.insertPasses(ctx, tx, []store.Issued{next}, []string{event}, r.By, now); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO revocations (serial, event, category, note, actor, at, superseded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`,
			string(r.Serial), event, string(pass.RevokeSuperseded), r.Note, r.By, at, string(next.Serial)).Scan(&seq)
		if err != nil {
			return dbErr(err, "reissue of %s", r.Serial)
		}
		if _, err := s.enqueueWebhook(ctx, tx, store.ReissuedWebhook(&store.Revocation{Seq: seq, Serial: r.Serial, Event: event,
			By: r.By, At: at, SupersededBy: next.Serial}, reason)); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, r.By, store.ActionPassReissue, string(r.Serial),
			store.ReissueDetail(event, next.Serial, reason, r.Note, seq)); err != nil {
			return err
		}
		return s.notify(ctx, tx)
	})
	if err != nil {
		return err
	}
	r.Seq, r.Event, r.At, r.Category, r.SupersededBy = seq, event, at, pass.RevokeSuperseded, next.Serial
	return nil
}

// SearchPasses implements [store.Store]. Words that few passes hold are
// looked up in the GIN index of their trigrams; otherwise the index
// passes_search (event, search, serial, type), in the "C" collation as
// SQLite's, gives the hits in the order of the answer (docs/design.md,
// Store, Search).
func (s *Store) SearchPasses(ctx context.Context, event, text string, f store.SearchFilter, limit int, cursor string) (store.SearchPage, error) {
	terms, limit, err := store.PrepareSearch(text, f, limit, cursor)
	if err != nil {
		return store.SearchPage{}, err
	}
	var q strings.Builder
	args := []any{event}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// Words of 3 characters or more that few passes hold are looked up
	// in the trigram index (a first, bounded count says whether they are
	// few); otherwise the walk of passes_search in order finds a page early.
	from := `passes p`
	if tris := store.Trigrams(terms...); len(tris) > 0 {
		var n int
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM passes WHERE event = $1 AND trigrams @> $2 LIMIT $3) x`,
			event, tris, trigramDense+1).Scan(&n)
		if err != nil {
			return store.SearchPage{}, dbErr(err, "search")
		}
		if n <= trigramDense {
			from = `(SELECT * FROM passes WHERE event = $1 AND trigrams @> ` + arg(tris) + ` OFFSET 0) p`
		}
	}
	q.WriteString(`SELECT p.` + strings.ReplaceAll(passCols, ", ", ", p.") + `, coalesce(r.category, ''), coalesce(r.superseded_by, ''),
		` + store.PrintColsSQL("p") + ` FROM ` + from + ` ` + join(f.Status) + ` revocations r ON r.serial = p.serial WHERE p.event = $1`)
	for _, t := range terms {
		q.WriteString(` AND strpos(p.search, ` + arg(t) + `) > 0`)
	}
	if f.Type != "" {
		q.WriteString(` AND p.type = ` + arg(string(f.Type)))
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
		q.WriteString(` AND (p.search, p.serial) > (SELECT search, serial FROM passes WHERE serial = ` + arg(cursor) + `)`)
	}
	q.WriteString(` ORDER BY p.search, p.serial LIMIT ` + arg(limit+1))
	hits, err := query(ctx, s, scanHit, q.String(), args...)
	if err != nil {
		return store.SearchPage{}, err
	}
	return store.NewSearchPage(hits, limit), nil
}

// more scans extra columns after those its row's caller names.
type more struct {
	pgx.Row
	dst []any
}

func (m more) Scan(dst ...any) error { return m.Row.Scan(append(dst, m.dst...)...) }

func scanHit(row pgx.Row) (store.PassHit, error) {
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
const searchMigration = 10

// fillSearch writes the search text of the passes stored before it was
// kept, in the transaction of the migration that adds it.
func fillSearch(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT serial, name, org, role FROM passes`)
	if err != nil {
		return dbErr(err, "search text")
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pass.Pass, error) {
		var p pass.Pass
		err := row.Scan(&p.Serial, &p.Name, &p.Org, &p.Role)
		return p, err
	})
	if err != nil {
		return dbErr(err, "search text")
	}
	for i := range ps {
		search := store.SearchText(&ps[i])
		if _, err := tx.Exec(ctx, `UPDATE passes SET search = $1, trigrams = $2 WHERE serial = $3`, search, store.Trigrams(search), string(ps[i].Serial)); err != nil {
			return dbErr(err, "search text of %s", ps[i].Serial)
		}
	}
	return nil
}

// trigramDense is how many passes may hold the words typed before an
// ordered walk of passes_search is the faster plan (it finds a page early).
const trigramDense = 2000

// join is how a search joins the revocations: a search of revoked or
// superseded passes starts from them, the others keep every pass.
func join(st store.PassStatus) string {
	if st == store.PassRevoked || st == store.PassSuperseded {
		return "JOIN"
	}
	return "LEFT JOIN"
}
