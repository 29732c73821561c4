package templates

import "testing"

func TestTable(t *testing.T) {
	header, rows := Table()
	if len(rows) != len(List()) || len(rows) == 0 {
		t.Fatalf("%d rows for %d templates", len(rows), len(List()))
	}
	for _, r := range rows {
		if len(r) != len(header) {
			t.Errorf("row %q has %d cells, header %d", r[0], len(r), len(header))
		}
		if r[3] != "-" && r[3] != "duplex" {
			t.Errorf("row %q: BACK = %q", r[0], r[3])
		}
	}
}
