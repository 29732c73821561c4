package store

// Summary counts what a database holds, for the reports of backup and
// restore.
type Summary struct {
	Schema      int64 // migrations applied
	Events      int64
	Passes      int64
	Revocations int64
	Scans       int64
}

// SnapshotFormat is the kind of copy of its database a store writes for a
// backup (package backup).
type SnapshotFormat string

const (
	// SnapshotSQLite is a SQLite database file, complete in itself.
	SnapshotSQLite SnapshotFormat = "sqlite"
	// SnapshotPgDump is pg_dump --format=custom of the store's schema alone.
	SnapshotPgDump SnapshotFormat = "pg_dump"
)

// Snapshot describes a consistent copy of a store's whole database, written
// for a backup.
type Snapshot struct {
	// Summary is what the copy holds, when the store counts it in the
	// copy's own transaction (PostgreSQL). It is zero when the copy is a
	// database that whoever opens it can count (SQLite).
	Summary Summary

	// Of a pg_dump: the schema dumped, the server's version
	// (server_version) and pg_dump's ("pg_dump (PostgreSQL) 15.20 …").
	Schema, ServerVersion, ToolVersion string
}
