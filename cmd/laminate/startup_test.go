//go:build linux

package main

// Start-up after a kill must not grow with the scans stored (issue 11): a
// node checks the tables its answers depend on before it serves, and the
// scan history, the one table that grows with every door scan, once it
// serves. A damaged page there still stops the node, with the same error
// as at start-up.

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fillScans adds n scans to the SQLite database at path, spread over the
// passes it holds, in one statement: the history of a busy node, made in
// well under a minute (the indexes of the scans table are dropped first
// and made again after, from their own definitions). The answer kept with
// each scan is the size of a real one.
func fillScans(t testing.TB, path string, n int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the pragmas and the temporary table are per connection
	run := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var indexes []string
	rows, err := db.Query("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'scans' AND sql IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	var drop []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		drop, indexes = append(drop, "DROP INDEX "+name), append(indexes, def)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	run("PRAGMA journal_mode = OFF") // no other process has the file: write it once
	run("PRAGMA synchronous = OFF")
	run("PRAGMA cache_size = -1048576")
	for _, q := range drop {
		run(q)
	}
	run("CREATE TEMP TABLE fill_passes (k INTEGER PRIMARY KEY, serial TEXT, event TEXT)")
	run("INSERT INTO fill_passes (k, serial, event) SELECT row_number() OVER (ORDER BY serial) - 1, serial, event FROM passes")
	// 100 scans a second, from a day ago; "in" and "out" in turn per pass.
	run(fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d),
		np(c) AS (SELECT count(*) FROM fill_passes),
		s(i, at) AS (SELECT i, strftime('%%Y-%%m-%%dT%%H:%%M:%%S', unixepoch() - 86400 + i / 100, 'unixepoch') ||
			printf('.%%09dZ', (i %% 100) * 10000000) FROM n)
		INSERT INTO scans (scan_id, serial, event, gate, zone, direction, decision, code, at, recorded_at, answer)
		SELECT printf('fill-%%08d', s.i), p.serial, p.event, 'north', 'backstage',
			CASE (s.i / np.c) %% 2 WHEN 0 THEN 'in' ELSE 'out' END, 'admit', 'ok', s.at, s.at,
			printf('{"scan_id":"fill-%%08d","decision":"admit","code":"ok","reason":"","status":"valid","pass":{"serial":"%%s","type":"AAA","label":"All Areas","name":"Door Test Person","event":"%%s"},"artwork_url":"/v1/passes/%%s/artwork.svg","phase":"during","at":"%%s"}',
				s.i, p.serial, p.event, p.serial, s.at)
		FROM s, np JOIN fill_passes p ON p.k = s.i %% np.c`, n-1))
	for _, q := range indexes {
		run(q)
	}
	run("DROP TABLE fill_passes")
	run("PRAGMA journal_mode = WAL")
}

// damagePage overwrites with random bytes a leaf page, from the middle, of
// the b-tree named (a table or an index) in the SQLite file at path, which
// no process may have open.
func damagePage(t testing.TB, path, name string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var pageSize int64
	var pages []int64
	err = db.QueryRow("PRAGMA page_size").Scan(&pageSize)
	if err == nil {
		var rows *sql.Rows
		rows, err = db.Query("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", name)
		for err == nil && rows.Next() {
			var p int64
			err = rows.Scan(&p)
			pages = append(pages, p)
		}
		if err == nil {
			err = rows.Err()
		}
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatalf("%s has no leaf page in %s", name, path)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, pageSize)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	if _, err := f.WriteAt(b, (pages[len(pages)/2]-1)*pageSize); err != nil {
		t.Fatal(err)
	}
}

// TestFaultDamagedHistory: a damaged page in the scan history does not
// hold up start-up (the check before serving does not read the scans: the
// cause of start-up growing with them), but the whole-file check the node
// runs once it serves finds it, and the node stops with the error and hint
// that start-up gives for a damaged database.
func TestFaultDamagedHistory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	// One damaged b-tree of the history here; store/sqlite's TestCheckStartup
	// damages each of them.
	for _, name := range []string{"scans"} {
		t.Run("damaged/"+name, func(t *testing.T) {
			d := newDeployment(t, "")
			d.mustCLI(ctx, 0, "init")
			d.event(ctx, "hist")
			d.issueAAA(ctx, "hist", 10)
			db := filepath.Join(d.data(0), dbFile)
			fillScans(t, db, 5000)
			damagePage(t, db, name)
			n := d.start(ctx, 0) // fails the test if the node exits before it serves
			select {
			case <-n.exited:
			case <-time.After(60 * time.Second):
				t.Fatalf("the node still serves 60 s after start on a damaged database\n%s", n.log.String())
			}
			ee, ok := n.err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 1 {
				t.Errorf("laminate serve: %v, want exit status 1", n.err)
			}
			msg := n.log.String()
			if !strings.Contains(msg, "laminate: error: ") || !strings.Contains(msg, "database is damaged") ||
				!strings.Contains(msg, "laminate: hint: restore") {
				t.Errorf("laminate serve said:\n%s\nwant laminate: error: … database is damaged, and a hint to restore", msg)
			}
		})
	}
}

// BenchmarkReadyAfterKill measures how long a SQLite node with a million
// scans stored takes from the start of its process to its first /readyz
// 200, the previous process having been killed with SIGKILL just after
// some scans. Reported: p50 and max in milliseconds; the goal is 300 ms
// (issue 11). The set-up (about a minute) makes the database once:
//
//	go test ./cmd/laminate -run '^$' -bench ReadyAfterKill -benchtime 5x
//
// LAMINATE_BENCH_SCANS sets another number of scans.
func BenchmarkReadyAfterKill(b *testing.B) {
	scans := 1_000_000
	if v := os.Getenv("LAMINATE_BENCH_SCANS"); v != "" {
		var err error
		if scans, err = strconv.Atoi(v); err != nil || scans < 1 {
			b.Fatalf("LAMINATE_BENCH_SCANS=%q: want a number of scans", v)
		}
	}
	ctx := context.Background()
	d := newDeployment(b, "")
	d.mustCLI(ctx, 0, "init")
	scanner := d.token(ctx, "scanner")
	d.event(ctx, "ready")
	passes := d.issueAAA(ctx, "ready", 300)
	db := filepath.Join(d.data(0), dbFile)
	began := time.Now()
	fillScans(b, db, scans)
	fi, _ := os.Stat(db)
	b.Logf("%d scans stored in %v (%d MB)", scans, time.Since(began).Round(time.Second), fi.Size()>>20)
	n := d.start(ctx, 0)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		for k := range 20 { // a WAL to recover
			p := passes[(i*20+k)%len(passes)]
			if _, status, code, ok := n.scan(ctx, scanner, scanBody{Token: p.Token, Gate: "north", Zone: "backstage",
				Direction: "in", ScanID: fmt.Sprintf("bench-%d-%d", i, k), At: time.Now()}, 10*time.Second); !ok || status != http.StatusOK {
				b.Fatalf("scan before the kill: %d %s", status, code)
			}
		}
		n.kill()
		t0 := time.Now()
		n = d.start(ctx, 0)
		for n.readyStatus(ctx, 5*time.Second) != http.StatusOK {
			if time.Since(t0) > time.Minute {
				b.Fatalf("no /readyz 200 within a minute of the start\n%s", n.log.String())
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	n.kill()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d scans stored: start to /readyz 200 after kill -9, %d starts: p50 %.0f ms, max %.0f ms", scans, len(lat), ms(lat[len(lat)/2]), ms(lat[len(lat)-1]))
}
