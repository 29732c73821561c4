package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// checkSnapshot opens a snapshot and checks it is a state some moment of
// the writer passed through: it opens, passes Check, holds whole batches
// only, and every pass and revocation has its audit row.
func checkSnapshot(t *testing.T, path string, batch int) Summary {
	t.Helper()
	ctx := context.Background()
	snap, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(snapshot) error = %v", err)
	}
	defer snap.Close()
	if err := snap.Check(ctx); err != nil {
		t.Fatalf("Check(snapshot) error = %v", err)
	}
	sum, err := snap.Summary(ctx)
	if err != nil {
		t.Fatalf("Summary(snapshot) error = %v", err)
	}
	if sum.Passes%int64(batch) != 0 {
		t.Errorf("snapshot holds %d passes, not whole batches of %d: a transaction was cut", sum.Passes, batch)
	}
	var orphans, unaudited int64
	err = snap.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM passes WHERE serial NOT IN (SELECT subject FROM audit WHERE action = ?)),
		(SELECT count(*) FROM revocations WHERE serial NOT IN (SELECT subject FROM audit WHERE action = ?))`,
		store.ActionPassIssue, store.ActionPassRevoke).Scan(&orphans, &unaudited)
	if err != nil {
		t.Fatal(err)
	}
	if orphans != 0 || unaudited != 0 {
		t.Errorf("snapshot: %d passes and %d revocations without their audit row", orphans, unaudited)
	}
	var issueRows int64
	if err := snap.r.QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE action = ?`, store.ActionPassIssue).Scan(&issueRows); err != nil {
		t.Fatal(err)
	}
	if issueRows != sum.Passes {
		t.Errorf("snapshot: %d pass.issue audit rows for %d passes", issueRows, sum.Passes)
	}
	return sum
}

func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	mustCreate(t, s, testEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))

	// A second handle on the file writes, as `laminate serve` would from
	// another process, while s takes snapshots.
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Now = fakeClock()
	// The writer stops by itself after maxBatches, so that a slow run (the
	// race detector) cannot grow the database without bound.
	const batch, maxBatches = 7, 2000
	stop := make(chan struct{})
	progress := make(chan int, 1)
	capped := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		issued := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		for n := 1; ; n++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if n > maxBatches {
				close(capped)
				<-stop
				done <- nil
				return
			}
			ps := newPasses(t, "ev", batch, issued)
			if err := w.InsertPasses(ctx, ps, "issuer"); err != nil {
				done <- fmt.Errorf("InsertPasses() error = %v", err)
				return
			}
			if err := w.Revoke(ctx, &store.Revocation{Serial: ps[n%batch].Serial, Category: pass.RevokeLost, By: "tm"}); err != nil {
				done <- fmt.Errorf("Revoke() error = %v", err)
				return
			}
			select {
			case progress <- n:
			default:
			}
		}
	}()

	dir := t.TempDir()
	var last Summary
	for i := range 5 {
		select { // at least one more batch before each snapshot
		case <-progress:
		case <-capped:
		}
		out := filepath.Join(dir, fmt.Sprintf("snap%d.db", i))
		if err := s.Backup(ctx, out); err != nil {
			t.Fatalf("Backup() error = %v", err)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("snapshot mode = %o, want 600", fi.Mode().Perm())
		}
		sum := checkSnapshot(t, out, batch)
		if sum.Passes < last.Passes || sum.Passes == 0 {
			t.Errorf("snapshot %d holds %d passes, the one before %d", i, sum.Passes, last.Passes)
		}
		last = sum
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Writes stopped: a snapshot now is the whole database.
	out := filepath.Join(dir, "final.db")
	if err := s.Backup(ctx, out); err != nil {
		t.Fatalf("Backup() error = %v", err)
	}
	want, err := s.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := checkSnapshot(t, out, batch); got != want {
		t.Errorf("final snapshot = %+v, want %+v", got, want)
	}
	if want.Revocations == 0 || want.Passes != want.Revocations*batch {
		t.Errorf("database = %+v, want one revocation per batch of %d", want, batch)
	}
}

func TestBackupRefuses(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	mustCreate(t, s, testEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		content []byte // nil: no file
	}{
		{"fail/existing-file", []byte("keep me")},
		{"fail/existing-empty-file", []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name[5:])
			if err := os.WriteFile(out, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			err := s.Backup(ctx, out)
			if !errors.Is(err, fs.ErrExist) {
				t.Errorf("Backup() error = %v, want fs.ErrExist", err)
			}
			got, err := os.ReadFile(out)
			if err != nil || string(got) != string(tc.content) {
				t.Errorf("existing file now %q (%v), want it untouched", got, err)
			}
		})
	}
	t.Run("fail/no-folder", func(t *testing.T) {
		out := filepath.Join(dir, "missing", "snap.db")
		if err := s.Backup(ctx, out); err == nil {
			t.Fatal("Backup() into a missing folder: no error")
		}
		if _, err := os.Stat(filepath.Dir(out)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Backup() made %s", filepath.Dir(out))
		}
	})
	t.Run("fail/cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		out := filepath.Join(dir, "cancelled.db")
		if err := s.Backup(cctx, out); err == nil {
			t.Fatal("Backup() with a cancelled context: no error")
		}
		if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a failed Backup() left %s behind", out)
		}
	})
	// Nor a temporary file: the folder holds the test's files only.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); n != "existing-file" && n != "existing-empty-file" {
			t.Errorf("a failed Backup() left %s behind", n)
		}
	}
}
