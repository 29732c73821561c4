package postgres

import (
	"strings"
	"testing"

	"github.com/laminate/laminate/store"
)

// The planner uses the partial index scans_admitted only for a query
// whose condition implies the index's, which it proves from the text: the
// index must say what store.AdmittedSQL says. A renamed decision changes
// AdmittedSQL at once, and the index only with a new migration; this test
// says so.
func TestAdmittedIndexMatchesAdmittedSQL(t *testing.T) {
	const create = "CREATE INDEX scans_admitted ON scans (serial, at DESC, id DESC) WHERE "
	var where string
	for _, m := range migrations {
		for line := range strings.SplitSeq(m, "\n") {
			if rest, ok := strings.CutPrefix(line, create); ok {
				where = strings.TrimSuffix(rest, ";")
			}
		}
	}
	if want := strings.TrimSuffix(strings.TrimPrefix(store.AdmittedSQL, "("), ")"); where != want {
		t.Errorf("scans_admitted is WHERE %q, store.AdmittedSQL is %q: add a migration that makes the index match", where, want)
	}
}
