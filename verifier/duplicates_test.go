package verifier

import (
	"testing"
	"time"

	"github.com/laminate/laminate/record"
)

func TestFindDuplicates(t *testing.T) {
	t0 := time.Date(2027, 3, 5, 19, 0, 0, 0, time.UTC)
	sc := func(id, gate, dir string, decision record.Decision, after time.Duration) record.Scan {
		return record.Scan{ID: id, Serial: "CAT5NA3G", Event: "ev1", Gate: gate, Direction: dir, Decision: decision, At: t0.Add(after)}
	}
	type want struct {
		kind  record.AlertKind
		scans [2]string
	}
	for _, tc := range []struct {
		name  string
		scans []record.Scan
		want  []want
	}{
		{"one person in and out", []record.Scan{
			sc("a", "north", "in", "admit", 0), sc("b", "north", "out", "admit", time.Hour), sc("c", "south", "in", "admit", 2*time.Hour)}, nil},
		{"in twice at two offline doors", []record.Scan{
			sc("a", "north", "in", "admit", 0), sc("b", "south", "in", "admit", 30*time.Minute)},
			[]want{{record.AlertDoubleEntry, [2]string{"a", "b"}}}},
		{"in twice at one door", []record.Scan{
			sc("a", "north", "in", "admit", 0), sc("b", "north", "in", "admit", time.Minute)},
			[]want{{record.AlertDoubleEntry, [2]string{"a", "b"}}}},
		{"two gates within the window", []record.Scan{
			sc("a", "north", "in", "admit", 0), sc("b", "south", "out", "admit", 4*time.Second)},
			[]want{{record.AlertTwoGates, [2]string{"a", "b"}}}},
		{"both at once", []record.Scan{
			sc("b", "south", "in", "admit", 3*time.Second), sc("a", "north", "in", "admit", 0)},
			[]want{{record.AlertTwoGates, [2]string{"a", "b"}}, {record.AlertDoubleEntry, [2]string{"a", "b"}}}},
		{"denied scans do not count", []record.Scan{
			sc("a", "north", "in", "admit", 0), sc("b", "south", "in", "deny", time.Second), sc("c", "south", "in", "attention", 2*time.Second)}, nil},
		{"uploaded out of order", []record.Scan{
			sc("c", "north", "in", "admit", 2*time.Hour), sc("a", "north", "in", "admit", 0), sc("b", "north", "out", "admit", time.Hour)}, nil},
		{"nothing", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FindDuplicates(tc.scans, 10*time.Second)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d alerts %+v, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				if got[i].Kind != w.kind || got[i].Scans != w.scans || got[i].Serial != "CAT5NA3G" || got[i].Event != "ev1" || got[i].Reason == "" {
					t.Errorf("alert %d = %+v, want %s %v", i, got[i], w.kind, w.scans)
				}
			}
			// Deterministic: the same scans give the same alerts.
			again := FindDuplicates(tc.scans, 10*time.Second)
			for i := range again {
				if again[i] != got[i] {
					t.Errorf("second run differs: %+v vs %+v", again[i], got[i])
				}
			}
		})
	}
}
