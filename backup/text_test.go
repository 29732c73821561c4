package backup

import (
	"testing"
	"time"
)

func TestText(t *testing.T) {
	for n, want := range map[int64]string{812: "812 B", 52_326: "51.1 KiB", 1_300_000: "1.2 MiB", 3 << 30: "3.0 GiB"} {
		if got := ByteSize(n); got != want {
			t.Errorf("ByteSize(%d) = %q, want %q", n, got, want)
		}
	}
	m := &Manifest{Created: time.Date(2027, 3, 5, 10, 0, 0, 0, time.Local)}
	m.Database.Events, m.Database.Passes, m.Database.Scans = 1, 2, 3
	w := &Written{Manifest: m, Keys: 1}
	if got, want := w.String(), "1 event, 2 passes, 0 revocations, 3 scans, 1 signing key"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	r := &Restored{Manifest: m, Keys: 1}
	r.Summary.Events = 1
	if got, want := r.Text("data", "b.tar.gz"), "restored data from b.tar.gz (made 2027-03-05 10:00 +00:00): 1 event, 0 passes, 0 revocations, 0 scans, 1 signing key"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	m.Store, m.Postgres = StorePostgres, &ManifestPG{Schema: "laminate", ServerVersion: "17.2"}
	if got, want := w.String(), `schema "laminate" of PostgreSQL 17.2: 1 event, 2 passes, 0 revocations, 3 scans, 1 signing key`; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	r.Schema, r.ServerVersion = "laminate", "17.2"
	if got, want := r.Text("data", "b.tar.gz"), `restored data and schema "laminate" of PostgreSQL 17.2 from b.tar.gz (made 2027-03-05 10:00 +00:00): 1 event, 0 passes, 0 revocations, 0 scans, 1 signing key`; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}
