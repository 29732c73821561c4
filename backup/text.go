package backup

import (
	"fmt"
	"time"

	"github.com/laminate/laminate/pass"
)

// String says what the archive holds, for people: a PostgreSQL store's
// schema and version, and the counts of the database and keyring.
func (w *Written) String() string {
	db := w.Manifest.Database
	counts := storeCounts(db.Events, db.Passes, db.Revocations, db.Scans, w.Keys)
	if pg := w.Manifest.Postgres; pg != nil {
		return fmt.Sprintf("schema %q of PostgreSQL %s: %s", pg.Schema, pg.ServerVersion, counts)
	}
	return counts
}

// Text says what was restored into the data folder data from the archive,
// for people.
func (r *Restored) Text(data, archive string) string {
	made, sum := pass.FormatTime(r.Manifest.Created, time.Local), r.Summary
	counts := storeCounts(sum.Events, sum.Passes, sum.Revocations, sum.Scans, r.Keys)
	if r.Manifest.Store == StorePostgres {
		return fmt.Sprintf("restored %s and schema %q of PostgreSQL %s from %s (made %s): %s", data, r.Schema, r.ServerVersion, archive, made, counts)
	}
	return fmt.Sprintf("restored %s from %s (made %s): %s", data, archive, made, counts)
}

// ByteSize formats a size for people: 812 B, 52.3 KiB, 1.2 MiB.
func ByteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// storeCounts says what a backup holds: "1 event, 2 passes, …".
func storeCounts[N ~int | ~int64](events, passes, revocations, scans N, keys int) string {
	return fmt.Sprintf("%s, %s, %s, %s, %s", plural(int64(events), "event", "events"), plural(int64(passes), "pass", "passes"),
		plural(int64(revocations), "revocation", "revocations"), plural(int64(scans), "scan", "scans"), plural(int64(keys), "signing key", "signing keys"))
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
