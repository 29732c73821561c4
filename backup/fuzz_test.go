package backup

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite ../testdata/backups (the fuzz seeds) from a fresh backup")

const seeds = "../testdata/backups"

// TestUpdateSeeds rewrites the fuzz seeds with -update: the manifest of a
// fresh backup, the same as a PostgreSQL store's, and a small archive of
// that shape (bodies shortened, manifest to match).
func TestUpdateSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite " + seeds)
	}
	es := bkBackup(t)
	var m Manifest
	if err := json.Unmarshal(es[0].body, &m); err != nil {
		t.Fatal(err)
	}
	pg := m
	pg.Store = StorePostgres
	pg.Postgres = &ManifestPG{Schema: "public", ServerVersion: "15.20 (Debian 15.20-0+deb12u1)", PgDumpVersion: "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"}
	pg.Files = nil
	for _, f := range m.Files {
		if f.Name == DatabaseName {
			f.Name = PgDumpName
		}
		pg.Files = append(pg.Files, f)
	}
	if err := os.MkdirAll(seeds, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]Manifest{"manifest-sqlite.json": m, "manifest-postgres.json": pg} {
		raw, _ := json.MarshalIndent(v, "", "  ")
		if err := os.WriteFile(filepath.Join(seeds, name), append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range es[1:] {
		e := &es[i+1]
		e.body = []byte(strings.ToUpper(e.hdr.Name)) // small, and distinct
	}
	bkWrite(t, filepath.Join(seeds, "small-sqlite.tar.gz"), es, true)
	es[0].body, _ = json.Marshal(pg)
	es[bkIndex(es, DatabaseName)].hdr.Name = PgDumpName
	bkWrite(t, filepath.Join(seeds, "small-postgres.tar.gz"), es, true)
}

func seedFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join(seeds, pattern))
	if len(files) == 0 {
		f.Fatalf("no seeds %s in %s: run go test -run TestUpdateSeeds -update", pattern, seeds)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParseManifest: a hostile manifest never panics, and one it accepts
// names only files of a data folder, each once, within its size limit,
// with the files its store needs.
func FuzzParseManifest(f *testing.F) {
	seedFiles(f, "*.json")
	f.Add([]byte(`{"format":"laminate-backup","version":1,"files":[{"name":"../x","size":1,"sha256":""}]}`))
	f.Add([]byte(`{"format":"laminate-backup","version":2}`))
	f.Add([]byte(`{"format":"laminate-backup","version":1,"store":"mysql"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseManifest(raw)
		if err != nil {
			if m != nil {
				t.Fatalf("ParseManifest() = %+v and error %v", m, err)
			}
			return
		}
		if m.Format != Format || m.Version != Version || len(m.Files) > MaxFiles {
			t.Fatalf("ParseManifest() accepted format %q version %d with %d files", m.Format, m.Version, len(m.Files))
		}
		db := DatabaseName
		switch m.Store {
		case "":
			if m.Postgres != nil {
				t.Fatalf("ParseManifest() accepted a SQLite backup with a PostgreSQL section")
			}
		case StorePostgres:
			if m.Postgres == nil || !validSchemaName(m.Postgres.Schema) {
				t.Fatalf("ParseManifest() accepted a PostgreSQL backup without a schema: %+v", m.Postgres)
			}
			db = PgDumpName
		default:
			t.Fatalf("ParseManifest() accepted store %q", m.Store)
		}
		seen := map[string]bool{}
		for _, mf := range m.Files {
			limit := fileLimit(mf.Name)
			local := filepath.IsLocal(filepath.FromSlash(mf.Name)) && !strings.Contains(mf.Name, "..")
			if limit == 0 || !local || seen[mf.Name] || mf.Size < 0 || mf.Size > limit || len(mf.SHA256) != 64 {
				t.Fatalf("ParseManifest() accepted file %+v", mf)
			}
			seen[mf.Name] = true
		}
		if !seen[ConfigName] || !seen[KeyringName] || !seen[db] {
			t.Fatalf("ParseManifest() accepted files %v without %s, %s or %s", m.Files, ConfigName, KeyringName, db)
		}
	})
}

// FuzzExtract: a hostile archive never panics, never puts anything outside
// the staging folder nor anything but regular files in it, and one it
// accepts holds exactly the files of its manifest, of the sizes it says.
func FuzzExtract(f *testing.F) {
	seedFiles(f, "*.tar.gz")
	f.Add([]byte{})
	f.Add([]byte("\x1f\x8b"))
	// extract fsyncs every file it writes: on a RAM disk if there is one,
	// the fuzzer does not wait for a busy disk.
	tmp := f.TempDir()
	if shm, err := os.MkdirTemp("/dev/shm", "laminate-fuzz-"); err == nil {
		f.Cleanup(func() { os.RemoveAll(shm) })
		tmp = shm
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		parent, err := os.MkdirTemp(tmp, "")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(parent)
		stage := filepath.Join(parent, "stage")
		if err := os.Mkdir(stage, 0o700); err != nil {
			t.Fatal(err)
		}
		m, err := extract(bytes.NewReader(raw), stage)
		if entries, _ := os.ReadDir(parent); len(entries) != 1 {
			t.Fatalf("extract() wrote beside the staging folder: %v", entries)
		}
		files := map[string]int64{}
		werr := filepath.WalkDir(stage, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(stage, path)
			switch {
			case d.IsDir():
				if rel != "." && rel != keysDir {
					t.Errorf("extract() made folder %s", rel)
				}
			case !d.Type().IsRegular():
				t.Errorf("extract() made %s of type %v", rel, d.Type())
			default:
				fi, err := d.Info()
				if err != nil {
					return err
				}
				files[filepath.ToSlash(rel)] = fi.Size()
			}
			return nil
		})
		if werr != nil {
			t.Fatal(werr)
		}
		if err != nil {
			return
		}
		if len(files) != len(m.Files) {
			t.Fatalf("extract() placed %v, the manifest lists %v", files, m.Files)
		}
		for _, mf := range m.Files {
			if size, ok := files[mf.Name]; !ok || size != mf.Size {
				t.Fatalf("extract() placed %v, the manifest lists %v", files, m.Files)
			}
		}
	})
}
