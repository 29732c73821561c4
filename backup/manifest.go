package backup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Archive format.
const (
	Format  = "laminate-backup" // the manifest's format
	Version = 1                 // of this format

	ManifestName = "manifest.json"       // the archive's first file
	ConfigName   = "laminate.json"       // the data folder's settings
	KeyringName  = "keys/keyring.json"   // the keyring
	ArtworkName  = "keys/artwork.secret" // the artwork secret, made on first use
	DatabaseName = "laminate.db"         // the database of a data folder's own SQLite store
	PgDumpName   = "postgres.dump"       // pg_dump --format=custom of a PostgreSQL store's schema

	// StorePostgres is the manifest's Store of a backup of a PostgreSQL
	// store; "" is that of a data folder's own SQLite database.
	StorePostgres = "postgres"

	MaxManifest = 1 << 20 // bytes of manifest.json
	MaxFiles    = 1000    // files a manifest lists
)

const keysDir = "keys"

// keyFileName is the name of a private key file: the kid and ".key".
var keyFileName = regexp.MustCompile(`^keys/[A-Za-z0-9_-]{1,64}\.key$`)

// fileLimit is the largest a file of the archive may be, by name, or 0
// for a name that has no place in a backup. The limits are those the keys
// package and the config reader enforce, so a restore never writes a file
// Laminate would then refuse.
func fileLimit(name string) int64 {
	switch {
	case name == ConfigName:
		return 64 << 10
	case name == KeyringName:
		return 1 << 20
	case name == ArtworkName:
		return 4 << 10
	case keyFileName.MatchString(name):
		return 64 << 10
	case name == DatabaseName, name == PgDumpName:
		return 1 << 40 // a bound for a hostile manifest, not a size we expect
	}
	return 0
}

// Manifest is manifest.json, the archive's first file.
type Manifest struct {
	Format   string      `json:"format"`  // [Format]
	Version  int         `json:"version"` // [Version]
	Created  time.Time   `json:"created"`
	Store    string      `json:"store,omitempty"` // [StorePostgres]; "" for a data folder's own SQLite file
	Database ManifestDB  `json:"database"`
	Postgres *ManifestPG `json:"postgres,omitempty"` // with StorePostgres
	Files    []File      `json:"files"`
}

// ManifestDB describes the database snapshot, for people reading the
// manifest; a restore counts again from the file itself.
type ManifestDB struct {
	Schema      int64 `json:"schema"`
	Events      int64 `json:"events"`
	Passes      int64 `json:"passes"`
	Revocations int64 `json:"revocations"`
	Scans       int64 `json:"scans"`
}

// ManifestPG describes the PostgreSQL side of a backup of a PostgreSQL
// store.
type ManifestPG struct {
	Schema        string `json:"schema"`          // the schema dumped; restored under the same name
	ServerVersion string `json:"server_version"`  // of the server dumped (server_version)
	PgDumpVersion string `json:"pg_dump_version"` // "pg_dump (PostgreSQL) 15.20 …"
}

// File is a file of the archive, as the manifest lists it.
type File struct {
	Name   string `json:"name"` // slash-separated, relative to the data folder
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
}

// ParseManifest decodes and checks manifest.json: the format and version,
// the kind of store, and every file name, size and checksum. raw is
// untrusted: see the package documentation.
func ParseManifest(raw []byte) (*Manifest, error) {
	var probe struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil || probe.Format != Format {
		return nil, fmt.Errorf("not a Laminate backup, or damaged (%s is not a Laminate manifest)", ManifestName)
	}
	if probe.Version > Version {
		return nil, withHint(fmt.Errorf("backup format version %d is newer than this program knows (%d)", probe.Version, Version),
			"restore it with the version of Laminate that made it, or a newer one")
	}
	if probe.Version != Version {
		return nil, fmt.Errorf("backup format version %d is unknown", probe.Version)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("damaged: %s: %v", ManifestName, err)
	}
	if len(m.Files) > MaxFiles {
		return nil, fmt.Errorf("damaged: %s lists %d files", ManifestName, len(m.Files))
	}
	seen := map[string]bool{}
	for _, mf := range m.Files {
		limit := fileLimit(mf.Name)
		switch {
		case limit == 0:
			return nil, fmt.Errorf("%s names %q, which has no place in a data folder: refused", ManifestName, mf.Name)
		case seen[mf.Name]:
			return nil, fmt.Errorf("damaged: %s lists %s twice", ManifestName, mf.Name)
		case mf.Size < 0 || mf.Size > limit:
			return nil, fmt.Errorf("%s: %s is %d bytes, more than the %d a Laminate file may be", ManifestName, mf.Name, mf.Size, limit)
		case len(mf.SHA256) != 64 || strings.Trim(mf.SHA256, "0123456789abcdef") != "":
			return nil, fmt.Errorf("damaged: %s: bad SHA-256 for %s", ManifestName, mf.Name)
		}
		seen[mf.Name] = true
	}
	db, notDB := DatabaseName, PgDumpName
	switch m.Store {
	case "":
		if m.Postgres != nil {
			return nil, fmt.Errorf("damaged: %s describes a PostgreSQL database, not its store", ManifestName)
		}
	case StorePostgres:
		if m.Postgres == nil || !validSchemaName(m.Postgres.Schema) {
			return nil, fmt.Errorf("damaged: %s does not name the PostgreSQL schema", ManifestName)
		}
		db, notDB = PgDumpName, DatabaseName
	default:
		return nil, withHint(fmt.Errorf("%s: the backup is of a store of kind %q, which this program does not know", ManifestName, m.Store),
			"restore it with the version of Laminate that made it, or a newer one")
	}
	if seen[notDB] {
		return nil, fmt.Errorf("%s names %q, which has no place in a backup of this store: refused", ManifestName, notDB)
	}
	for _, name := range []string{ConfigName, KeyringName, db} {
		if !seen[name] {
			return nil, fmt.Errorf("damaged: %s does not list %s", ManifestName, name)
		}
	}
	return &m, nil
}

// validSchemaName reports whether s may be a schema name of a manifest:
// an identifier of at most 63 bytes without control characters.
func validSchemaName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}
