package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
	"github.com/laminate/laminate/store/storetest"
)

// testConfig reads laminate.json as the laminate command does: format 1,
// an issuer, nothing else.
func testConfig(raw []byte) error {
	var cfg struct {
		Format int    `json:"format"`
		Issuer string `json:"issuer"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return err
	}
	if cfg.Format != 1 {
		return fmt.Errorf("format %d", cfg.Format)
	}
	return nil
}

// newFolder makes a data folder as "laminate init" does (laminate.json
// with issuer "lam", an EdDSA keyring, a SQLite database), with one event
// and a few passes, and returns it with its store open.
func newFolder(t testing.TB) (string, *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Init(data, keys.EdDSA, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.MarshalIndent(struct {
		Format int    `json:"format"`
		Issuer string `json:"issuer"`
	}{1, "lam"}, "", "  ")
	if err := os.WriteFile(filepath.Join(data, ConfigName), append(raw, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(data, DatabaseName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ev := storetest.NewEvent(t, "ev", time.Date(2027, 6, 12, 20, 0, 0, 0, time.UTC))
	storetest.MustCreate(t, st, ev)
	storetest.MustInsert(t, st, storetest.NewPasses(t, ev.ID, 3, time.Now()))
	return data, st
}

// bkEntry is one entry of a hand-made archive.
type bkEntry struct {
	hdr  tar.Header
	body []byte
}

// bkBackup makes a data folder with a few passes and backs it up; it
// returns the archive's entries.
func bkBackup(t *testing.T) []bkEntry {
	t.Helper()
	data, st := newFolder(t)
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	if _, err := Write(context.Background(), st, Options{Data: data, Out: archive, CheckConfig: testConfig}); err != nil {
		t.Fatalf("Write() error = %v", err)
	}
	return readEntries(t, archive)
}

func readEntries(t testing.TB, archive string) []bkEntry {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var es []bkEntry
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return es
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, bkEntry{*hdr, b})
	}
}

// bkWrite writes entries as an archive. With fix, the manifest (the first
// entry) is rewritten to match the other entries' sizes and checksums, so
// that only the change under test is wrong.
func bkWrite(t testing.TB, path string, es []bkEntry, fix bool) {
	t.Helper()
	if fix {
		var m Manifest
		if err := json.Unmarshal(es[0].body, &m); err != nil {
			t.Fatal(err)
		}
		m.Files = nil
		for _, e := range es[1:] {
			sum := sha256.Sum256(e.body)
			m.Files = append(m.Files, File{Name: e.hdr.Name, Size: int64(len(e.body)), SHA256: hex.EncodeToString(sum[:])})
		}
		es[0].body, _ = json.Marshal(m)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range es {
		hdr := e.hdr
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func bkIndex(es []bkEntry, name string) int {
	for i, e := range es {
		if e.hdr.Name == name {
			return i
		}
	}
	return -1
}

// bkSQL changes a copy of a database file with raw SQL.
func bkSQL(t *testing.T, db []byte, stmts ...string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := h.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// errText is an error as the laminate command prints it: the message on
// one line, then the hint if there is one.
func errText(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	var be *Error
	if errors.As(err, &be) {
		s += "\nhint: " + be.Hint
	}
	return s
}

func TestRestoreRefuses(t *testing.T) {
	good := bkBackup(t)
	if good[0].hdr.Name != ManifestName {
		t.Fatalf("first entry %q, want %s", good[0].hdr.Name, ManifestName)
	}
	clone := func() []bkEntry {
		es := make([]bkEntry, len(good))
		for i, e := range good {
			es[i] = bkEntry{e.hdr, bytes.Clone(e.body)}
		}
		return es
	}
	reg := func(name string, body string) bkEntry {
		return bkEntry{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600}, []byte(body)}
	}
	tests := []struct {
		name   string
		change func(es []bkEntry) []bkEntry
		fix    bool   // rewrite the manifest to match
		want   string // in the error
	}{
		{"ok/as-made", func(es []bkEntry) []bkEntry { return es }, false, ""},
		{"fail/checksum", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, ConfigName)
			es[i].body = bytes.Replace(es[i].body, []byte(`"lam"`), []byte(`"LAM"`), 1)
			return es
		}, false, "SHA-256 of laminate.json does not match"},
		{"fail/size", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, ConfigName)
			es[i].body = append(es[i].body, ' ')
			return es
		}, false, "laminate.json is 38 bytes, the manifest says 37"},
		{"fail/missing-file", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, DatabaseName)
			return append(es[:i], es[i+1:]...)
		}, false, "laminate.db is missing"},
		{"fail/manifest-not-first", func(es []bkEntry) []bkEntry {
			es[0], es[1] = es[1], es[0]
			return es
		}, false, "not a Laminate backup"},
		{"fail/dot-dot", func(es []bkEntry) []bkEntry {
			return append(es, reg("../escape", "x"))
		}, true, `"../escape", which has no place in a data folder`},
		{"fail/dot-dot-in-keys", func(es []bkEntry) []bkEntry {
			return append(es, reg("keys/../../escape.key", "x"))
		}, true, "has no place in a data folder"},
		{"fail/absolute", func(es []bkEntry) []bkEntry {
			return append(es, reg("/tmp/laminate-escape", "x"))
		}, true, "has no place in a data folder"},
		{"fail/unlisted-entry", func(es []bkEntry) []bkEntry {
			es = append(es, reg("keys/zzzzzz.key", "x"))
			return es
		}, false, `entry "keys/zzzzzz.key" is not in the manifest`},
		{"fail/twice", func(es []bkEntry) []bkEntry {
			return append(es, es[bkIndex(es, ConfigName)])
		}, false, "comes twice"},
		{"fail/symlink", func(es []bkEntry) []bkEntry {
			return append(es, bkEntry{tar.Header{Typeflag: tar.TypeSymlink, Name: "keys/artwork.secret", Linkname: "/etc/passwd"}, nil})
		}, false, "not a regular file"},
		{"fail/hardlink", func(es []bkEntry) []bkEntry {
			return append(es, bkEntry{tar.Header{Typeflag: tar.TypeLink, Name: "keys/artwork.secret", Linkname: "laminate.json"}, nil})
		}, false, "not a regular file"},
		{"fail/folder-entry", func(es []bkEntry) []bkEntry {
			return append(es, bkEntry{tar.Header{Typeflag: tar.TypeDir, Name: "keys/", Mode: 0o755}, nil})
		}, false, "not a regular file"},
		{"fail/too-large", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, ConfigName)
			es[i].body = bytes.Repeat([]byte(" "), 65<<10)
			return es
		}, true, "more than the 65536 a Laminate file may be"},
		{"fail/newer-format", func(es []bkEntry) []bkEntry {
			es[0].body = bytes.Replace(es[0].body, []byte(`"version": 1`), []byte(`"version": 2`), 1)
			return es
		}, false, "backup format version 2 is newer than this program knows (1)"},
		{"fail/other-format", func(es []bkEntry) []bkEntry {
			es[0].body = []byte(`{"format":"something-else","version":1}`)
			return es
		}, false, "not a Laminate backup"},
		{"fail/foreign-database", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, DatabaseName)
			es[i].body = bkSQL(t, nil, "PRAGMA application_id = 1234", "CREATE TABLE t (x)")
			return es
		}, true, "SQLite database of another program"},
		{"fail/newer-database", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, DatabaseName)
			es[i].body = bkSQL(t, es[i].body, "PRAGMA user_version = 99")
			return es
		}, true, "schema version 99"},
		{"fail/not-a-database", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, DatabaseName)
			es[i].body = []byte("hello")
			return es
		}, true, "not a SQLite database"},
		{"fail/damaged-keyring", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, KeyringName)
			es[i].body = []byte("{")
			return es
		}, true, "keyring.json"},
		{"fail/key-of-another-keyring", func(es []bkEntry) []bkEntry {
			other := bkBackup(t)
			for i, e := range es {
				if keyFileName.MatchString(e.hdr.Name) {
					for _, o := range other {
						if keyFileName.MatchString(o.hdr.Name) {
							es[i].body = o.body
						}
					}
				}
			}
			return es
		}, true, "active signing key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "b.tar.gz")
			bkWrite(t, archive, tc.change(clone()), tc.fix)
			target := filepath.Join(dir, "data")
			_, err := Restore(context.Background(), RestoreOptions{Archive: archive, Data: target, CheckConfig: testConfig})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Restore() error = %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(errText(err), tc.want) {
				t.Errorf("Restore() error = %v; want an error with %q", err, tc.want)
			}
			// Nothing placed, nothing left behind, nothing outside.
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("after a refused restore the folder holds %v, want only b.tar.gz", names)
			}
			if _, err := os.Lstat("/tmp/laminate-escape"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a restore wrote /tmp/laminate-escape")
			}
		})
	}
}

// TestRestoreHints: the errors a person can act on carry their hint, and
// a refused archive says that nothing was restored.
func TestRestoreHints(t *testing.T) {
	good := bkBackup(t)
	dir := t.TempDir()
	archive := filepath.Join(dir, "b.tar.gz")
	bkWrite(t, archive, good, false)
	inUse, _ := newFolder(t)
	notEmpty := t.TempDir()
	os.WriteFile(filepath.Join(notEmpty, "photo.jpg"), []byte("x"), 0o600)
	damaged := filepath.Join(dir, "damaged.tar.gz")
	es := make([]bkEntry, len(good))
	copy(es, good)
	i := bkIndex(es, ConfigName)
	es[i] = bkEntry{es[i].hdr, append(bytes.Clone(es[i].body), ' ')}
	bkWrite(t, damaged, es, false)
	tests := []struct {
		name           string
		opts           RestoreOptions
		wantErr, wantH string
	}{
		{"fail/in-use", RestoreOptions{Archive: archive, Data: inUse}, "it is a Laminate data folder in use", "restore never overwrites data"},
		{"fail/not-empty", RestoreOptions{Archive: archive, Data: notEmpty}, "it is not empty", "restore never overwrites data"},
		{"fail/damaged", RestoreOptions{Archive: damaged, Data: filepath.Join(dir, "d")}, "damaged: laminate.json is 38 bytes", "nothing was restored; use another copy of the backup"},
		{"fail/other-store", RestoreOptions{Archive: archive, Data: filepath.Join(dir, "d"), Store: "sqlite:x.db"}, "names another database", "restore without --store"},
		{"fail/sqlite-into-postgres", RestoreOptions{Archive: archive, Data: filepath.Join(dir, "d"), Store: "postgres://u@127.0.0.1:1/x"}, "is a backup of a data folder with its own SQLite database", "restore it without --store"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.CheckConfig = testConfig
			_, err := Restore(context.Background(), tc.opts)
			var be *Error
			if !errors.As(err, &be) || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(be.Hint, tc.wantH) {
				t.Errorf("Restore() error = %q; want %q with the hint %q…", errText(err), tc.wantErr, tc.wantH)
			}
		})
	}
}

// fakeSnapshotter is a store whose snapshot is a copy of a SQLite store's,
// recording what happened when.
type fakeSnapshotter struct {
	st   *sqlite.Store
	log  *[]string
	fail error
}

func (f fakeSnapshotter) SnapshotFormat() store.SnapshotFormat { return store.SnapshotSQLite }

func (f fakeSnapshotter) BackupSnapshot(ctx context.Context, path string) (store.Snapshot, error) {
	*f.log = append(*f.log, "snapshot")
	if f.fail != nil {
		return store.Snapshot{}, f.fail
	}
	return f.st.BackupSnapshot(ctx, path)
}

// TestWriteOrder: the keys are brought in step after the snapshot, never
// before (a key added meanwhile would be missing); a failed snapshot or
// key sync writes nothing and leaves nothing behind.
func TestWriteOrder(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		snapFail error
		syncFail error
		want     []string
		wantErr  string
	}{
		{"ok", nil, nil, []string{"snapshot", "sync"}, ""},
		{"fail/snapshot", boom, nil, []string{"snapshot"}, "database snapshot: boom"},
		{"fail/sync", nil, boom, []string{"snapshot", "sync"}, "boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, st := newFolder(t)
			var log []string
			dir := t.TempDir()
			out := filepath.Join(dir, "b.tar.gz")
			w, err := Write(context.Background(), fakeSnapshotter{st, &log, tc.snapFail}, Options{
				Data: data, Out: out, CheckConfig: testConfig,
				SyncKeys: func(context.Context) error { log = append(log, "sync"); return tc.syncFail },
			})
			if strings.Join(log, ",") != strings.Join(tc.want, ",") {
				t.Errorf("Write() did %v, want %v", log, tc.want)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Write() error = %v", err)
				}
				if w.Manifest.Database.Passes != 3 || w.Manifest.Database.Events != 1 || w.Keys != 1 || w.Manifest.Store != "" || len(w.Manifest.Files) != 4 {
					t.Errorf("Write() = %+v, manifest %+v; want 1 event, 3 passes, 1 key, a SQLite backup", w, w.Manifest)
				}
				if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != w.Size {
					t.Errorf("archive: %v, %v; want mode 0600 and %d bytes", fi, err, w.Size)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("Write() error = %v, want %q", err, tc.wantErr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a failed backup left %d files", len(entries))
			}
		})
	}
}

// TestWriteRefusesExisting: an existing archive is replaced only with
// Force, with the hint to say so.
func TestWriteRefusesExisting(t *testing.T) {
	data, st := newFolder(t)
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	os.WriteFile(out, []byte("old"), 0o600)
	for _, err := range []error{CheckOut(out, false), func() error {
		_, err := Write(context.Background(), st, Options{Data: data, Out: out, CheckConfig: testConfig})
		return err
	}()} {
		var be *Error
		if !errors.As(err, &be) || !strings.HasSuffix(err.Error(), "already exists") || !strings.Contains(be.Hint, "--force") {
			t.Errorf("error = %q, want \"… already exists\" with a hint of --force", errText(err))
		}
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("the existing archive was changed")
	}
	if err := CheckOut(out, true); err != nil {
		t.Errorf("CheckOut(force) = %v", err)
	}
	if _, err := Write(context.Background(), st, Options{Data: data, Out: out, Force: true, CheckConfig: testConfig}); err != nil {
		t.Errorf("Write(Force) = %v", err)
	}
}

// TestCheckTools: a backup of a PostgreSQL store needs pg_dump and
// pg_restore, and says how to get them; other stores need nothing.
func TestCheckTools(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if err := CheckTools("sqlite:" + filepath.Join(t.TempDir(), "x.db")); err != nil {
		t.Errorf("CheckTools(sqlite) = %v", err)
	}
	err := CheckTools("postgres://u@127.0.0.1/x")
	var be *Error
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "pg_dump is not installed") || !strings.HasPrefix(be.Hint, "install PostgreSQL's client tools") {
		t.Errorf("CheckTools(postgres, no pg_dump) = %q", errText(err))
	}
}

// TestPhotosRoundTrip: a pass's photo comes back from a backup with the
// pass, byte for byte (issue 12).
func TestPhotosRoundTrip(t *testing.T) {
	ctx := context.Background()
	data, st := newFolder(t)
	ps := storetest.NewPasses(t, "ev", 1, time.Now())
	jpeg := []byte("\xff\xd8 a holder photo \xff\xd9")
	ps[0].Photo, ps[0].PhotoJPEG = pass.PhotoHash(jpeg), jpeg
	storetest.MustInsert(t, st, ps)
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	if _, err := Write(ctx, st, Options{Data: data, Out: archive, CheckConfig: testConfig}); err != nil {
		t.Fatalf("Write() error = %v", err)
	}
	target := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, RestoreOptions{Archive: archive, Data: target, CheckConfig: testConfig}); err != nil {
		t.Fatalf("Restore() error = %v", err)
	}
	st2, err := sqlite.Open(ctx, filepath.Join(target, DatabaseName))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	got, err := st2.PassPhoto(ctx, ps[0].Serial)
	if err != nil || string(got) != string(jpeg) {
		t.Fatalf("restored PassPhoto() = %q, %v; want %q", got, err, jpeg)
	}
	if p, err := st2.Pass(ctx, ps[0].Serial); err != nil || p.Photo != ps[0].Photo {
		t.Fatalf("restored pass photo hash = %v, %v; want %s", p, err, ps[0].Photo)
	}
}
