// Package backup writes and restores one archive holding a whole Laminate
// data folder: its settings, its keyring with the private keys, and a
// consistent snapshot of its database.
//
// # The archive
//
// The archive is a gzip-compressed tar file: manifest.json first, then
// laminate.json, keys/keyring.json, the private key files it names,
// keys/artwork.secret and the database: laminate.db (a SQLite database)
// or, for a PostgreSQL store, postgres.dump (pg_dump --format=custom of
// the store's schema). The [Manifest] lists every other file with its
// size and SHA-256, so a restore checks each byte before it places
// anything. The checksums catch damage, not tampering: whoever can change
// the archive can change the manifest too, and the archive holds the
// private keys anyway. So the archive file is mode 0600, and should be
// kept as safe as the keys.
//
// # Hostile archives
//
// A restore reads an archive as untrusted input. [ParseManifest] accepts
// only the names a data folder holds (so nothing lands outside it), each
// within the size Laminate itself would read, at most [MaxFiles] of them,
// in a manifest of at most [MaxManifest] bytes. The extraction takes
// regular files only, never a link, each named once by the manifest, of
// the size it says and with its checksum, and reads to the end of the
// gzip stream, which checks its CRC. Then the staged folder is checked as
// Laminate would use it: its settings, its keyring (and, when it is not
// encrypted, that the active private key opens), its artwork secret and
// its database (a Laminate database of a schema this program knows,
// undamaged). Only then is it moved into place, in one rename: the data
// folder appears whole or not at all, and never over a folder that holds
// anything.
//
// # Snapshots
//
// A store that a backup can copy is a [Snapshotter]: *sqlite.Store takes
// its snapshot in one SQLite read transaction (VACUUM INTO),
// *postgres.Store has pg_dump read a snapshot it exports (see package
// store/postgres). Either way a server may keep writing meanwhile. The
// snapshot is taken before the keys are read: keys are only ever added, so
// every pass in the snapshot finds the key that signed it.
//
// A backup of a PostgreSQL store is restored into a database whose schema
// of the dumped name holds no table: pg_restore puts it back in one
// transaction.
//
// # Errors
//
// Errors a person can act on are an [*Error], whose Hint says what to do.
package backup
