package backup

// Help is what "laminate backup --help" says after the flags.
const Help = `
Writes one archive (.tar.gz, mode 0600) of the data folder: laminate.json,
the keyring with its private keys and artwork secret, and a consistent
snapshot of the database, with a manifest of SHA-256 checksums. It holds
the private keys: keep it as safe as the keys. It may run while
"laminate serve" uses the folder. Put it back with "laminate restore FILE".
`

// RestoreHelp is what "laminate restore --help" says after the flags.
const RestoreHelp = `
Restores a backup made by "laminate backup" into the data folder (--data),
which must not exist or be empty: restore never overwrites a data folder.
Everything is checked first (format, checksums, paths, the keyring and the
database); the folder appears whole or not at all.

A backup of a PostgreSQL store is restored with --store postgres://… (or
LAMINATE_STORE) naming a database whose schema of the backup's name holds
no tables: pg_restore puts the database back in one transaction.
`
