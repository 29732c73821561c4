package postgres

// markerTable marks a schema as Laminate's and holds how many migrations
// have been applied. It is created in the transaction of the first
// migration, so a schema is either blank or Laminate's, never in between.
const markerTable = `
CREATE TABLE laminate_schema (
	app     TEXT PRIMARY KEY CHECK (app = 'laminate'),
	version INTEGER NOT NULL
);
INSERT INTO laminate_schema (app, version) VALUES ('laminate', 0);
`

// migrations is the schema, in order; laminate_schema.version counts the
// steps applied. Append only: never edit a step that has shipped.
//
// Identifiers that are sorted on (event ids, serials) use the "C"
// collation, so that they sort byte by byte as in the SQLite store and
// whatever the database's locale. Times are timestamptz (microseconds);
// an event keeps its times, with their original offsets, in its JSON
// columns, as in the SQLite store.
var migrations = []string{
	// 1: the whole schema of SQLite's migrations 1 to 5.
	`
CREATE TABLE events (
	id         TEXT COLLATE "C" PRIMARY KEY,
	name       TEXT NOT NULL,
	venue      TEXT NOT NULL DEFAULT '',
	show_start TEXT NOT NULL,              -- RFC 3339, original offset
	starts_at  TIMESTAMPTZ NOT NULL,       -- sort key
	schedule   TEXT NOT NULL,              -- JSON pass.Schedule
	policy     TEXT,                       -- JSON pass.Policy; NULL: the default policy
	cues       TEXT NOT NULL DEFAULT '{}', -- JSON pass.Cues
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_starts_at ON events (starts_at, id);

CREATE TABLE passes (
	-- Position of IssuedSince: assigned under the "passes" advisory lock,
	-- so positions become visible in commit order.
	pos         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
	serial      TEXT COLLATE "C" PRIMARY KEY,
	event       TEXT COLLATE "C" NOT NULL REFERENCES events (id),
	type        TEXT NOT NULL,
	role        TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL,
	org         TEXT NOT NULL DEFAULT '',
	valid_from  TIMESTAMPTZ,                 -- NULL: from issuance
	valid_until TIMESTAMPTZ NOT NULL,
	issuer      TEXT NOT NULL DEFAULT '',
	kid         TEXT NOT NULL,
	token       TEXT NOT NULL,
	issued_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX passes_issued ON passes (issued_at, serial);
CREATE INDEX passes_event ON passes (event, issued_at, serial);

CREATE TABLE revocations (
	-- Assigned under the "revocations" advisory lock: visible in commit order.
	seq    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	serial TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES passes (serial),
	event  TEXT COLLATE "C" NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	actor  TEXT NOT NULL DEFAULT '',
	at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit (
	id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at      TIMESTAMPTZ NOT NULL,
	actor   TEXT NOT NULL,
	action  TEXT NOT NULL,
	subject TEXT NOT NULL,
	detail  TEXT NOT NULL DEFAULT ''
);

-- Door scans, stored once each: a scanner retrying an upload sends the same scan_id.
CREATE TABLE scans (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- tie-break, as SQLite's rowid
	scan_id     TEXT COLLATE "C" NOT NULL UNIQUE,
	serial      TEXT COLLATE "C" NOT NULL, -- no foreign key: forged and unknown passes are scanned too
	event       TEXT COLLATE "C" NOT NULL,
	gate        TEXT NOT NULL,
	zone        TEXT COLLATE "C" NOT NULL,
	direction   TEXT NOT NULL,             -- in, out
	decision    TEXT NOT NULL,             -- admit, deny, attention
	code        TEXT NOT NULL,
	at          TIMESTAMPTZ NOT NULL,      -- when the scanner scanned
	recorded_at TIMESTAMPTZ NOT NULL,      -- when the store got it
	answer      BYTEA NOT NULL DEFAULT ''  -- returned as-is to a retry
);
CREATE INDEX scans_serial ON scans (serial, at, id);
CREATE INDEX scans_event ON scans (event, at);
-- The last admitted scan of a pass (anti-passback runs on every scan).
CREATE INDEX scans_admitted ON scans (serial, at DESC, id DESC) WHERE decision = 'admit';

-- API bearer tokens. Only a SHA-256 of the secret part is kept.
CREATE TABLE api_tokens (
	id         TEXT COLLATE "C" PRIMARY KEY,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL,
	hash       BYTEA NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	revoked_at TIMESTAMPTZ
);

-- Shared documents (keyring, artwork secret): every node finds the keys with the rows.
CREATE TABLE shared (
	name       TEXT COLLATE "C" PRIMARY KEY,
	value      BYTEA NOT NULL,
	version    BIGINT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
`,
	// 2: alerts: one pass used by two people, found after offline doors
	// uploaded their scans (SQLite's migration 6).
	`
CREATE TABLE alerts (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event       TEXT COLLATE "C" NOT NULL,
	serial      TEXT COLLATE "C" NOT NULL,
	kind        TEXT NOT NULL,
	scan_a      TEXT COLLATE "C" NOT NULL,
	scan_b      TEXT COLLATE "C" NOT NULL,
	gate_a      TEXT NOT NULL,
	gate_b      TEXT NOT NULL,
	at          TIMESTAMPTZ NOT NULL,
	detected_at TIMESTAMPTZ NOT NULL,
	reason      TEXT NOT NULL,
	UNIQUE (kind, scan_a, scan_b)
);
CREATE INDEX alerts_event ON alerts (event, id);
`,
	// 3: door hardening (issue 11; SQLite's migration 7): where each scan
	// came from and who sent it, the device's own time, the server's
	// verdict beside an offline door's decision, what a retry must match,
	// a person's answer to "attention"; the verdict of an alert.
	`
ALTER TABLE scans ADD COLUMN source TEXT NOT NULL DEFAULT 'online';   -- online, offline
ALTER TABLE scans ADD COLUMN credential TEXT NOT NULL DEFAULT '';     -- API token id, never its secret
ALTER TABLE scans ADD COLUMN device_at TIMESTAMPTZ;                   -- the device's time when at differs
ALTER TABLE scans ADD COLUMN verdict TEXT NOT NULL DEFAULT '';        -- ok, a token status or a policy code
ALTER TABLE scans ADD COLUMN token_hash BYTEA NOT NULL DEFAULT '';    -- SHA-256 of the scanned text
ALTER TABLE scans ADD COLUMN resolution TEXT NOT NULL DEFAULT '';     -- admit, deny: a person's answer to attention
ALTER TABLE scans ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE scans ADD COLUMN resolved_at TIMESTAMPTZ;
UPDATE scans SET source = 'offline' WHERE convert_from(answer, 'UTF8') LIKE '{"offline":true%';
DROP INDEX scans_admitted;
CREATE INDEX scans_admitted ON scans (serial, at DESC, id DESC) WHERE decision = 'admit' OR resolution = 'admit';
ALTER TABLE alerts ADD COLUMN status TEXT NOT NULL DEFAULT '';
`,
	// 4: API tokens bound to an event and a gate ('': any), as SQLite's
	// migration 8. A bound token acts only there (issue 11).
	`
ALTER TABLE api_tokens ADD COLUMN event TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN gate TEXT NOT NULL DEFAULT '';
`,
	// 5: a revocation's reason splits into a public category and a note
	// for staff (issue 11, item 7; SQLite's migration 9). A reason that
	// was exactly a category becomes it; any other text becomes the note
	// of category other.
	`
ALTER TABLE revocations ADD COLUMN category TEXT NOT NULL DEFAULT 'other'; -- lost, stolen, replaced, misuse, other
UPDATE revocations SET category = lower(btrim(reason)), reason = ''
	WHERE lower(btrim(reason)) IN ('lost', 'stolen', 'replaced', 'misuse', 'other');
ALTER TABLE revocations RENAME COLUMN reason TO note;
`,
	// 6: holder photos (issue 12, item 4; SQLite's migration 10). A pass
	// signs the hash of its photo (photo, '' for none); the JPEG itself
	// lives apart, so listing passes never reads it.
	`
ALTER TABLE passes ADD COLUMN photo TEXT NOT NULL DEFAULT ''; -- pass.PhotoHash of the stored photo, as signed
CREATE TABLE pass_photos (
	serial TEXT COLLATE "C" PRIMARY KEY REFERENCES passes (serial),
	jpeg   BYTEA NOT NULL -- re-encoded by package photo: pixels only
);
`,
	// 7 (issue 12): an event's branding, as
	// SQLite's migration 11.
	`
ALTER TABLE events ADD COLUMN branding TEXT;
`,
	// 8 (issue 14): door devices enrolled by a one-time code, as
	// SQLite's migration 12.
	`
CREATE TABLE enrolments (
	hash       BYTEA PRIMARY KEY,
	event      TEXT COLLATE "C" NOT NULL,
	gate       TEXT NOT NULL,
	zone       TEXT NOT NULL DEFAULT '',
	name       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	used_at    TIMESTAMPTZ,
	token_id   TEXT NOT NULL DEFAULT ''
);
CREATE TABLE devices_seen (
	token_id TEXT COLLATE "C" PRIMARY KEY,
	seen_at  TIMESTAMPTZ NOT NULL,
	app      TEXT NOT NULL DEFAULT '',
	queued   INTEGER NOT NULL DEFAULT 0
);
`,
	// 9 (issue 13, guest lists; SQLite's migration 13): a pass's external
	// reference (a guest list's ref column; '' for none), and the index
	// that finds an event's passes by type, name and ref when a list is
	// uploaded again.
	`
ALTER TABLE passes ADD COLUMN ref TEXT NOT NULL DEFAULT '';
CREATE INDEX passes_event_keys ON passes (event, type, name, ref, serial);
`,
	// 10 (issue 13; SQLite's migration 14): reissue and search. A
	// superseded pass's revocation names the pass that replaced it; a
	// pass keeps its folded search text (store.SearchText), filled in
	// this step for the passes stored before, and indexed with its event
	// and type in the order a search answers; its trigrams, in a GIN
	// index (built in: no extension), find the passes that hold a rare
	// word without reading the others.
	`
ALTER TABLE revocations ADD COLUMN superseded_by TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE passes ADD COLUMN search TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX passes_search ON passes (event, search, serial, type);
CREATE INDEX revocations_category ON revocations (event, category);
ALTER TABLE passes ADD COLUMN trigrams TEXT[] NOT NULL DEFAULT '{}'; -- store.Trigrams(search)
CREATE INDEX passes_trigrams ON passes USING gin (trigrams);
`,
	// 11 (issue 13): the print log and the desk's collections, as SQLite's
	// migration 15. Neither is a scan.
	`
CREATE TABLE prints (
	id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- tie-break, as SQLite's rowid
	serial   TEXT COLLATE "C" NOT NULL REFERENCES passes (serial),
	at       TIMESTAMPTZ NOT NULL,
	actor    TEXT NOT NULL,
	template TEXT NOT NULL,
	format   TEXT NOT NULL -- pdf, zpl
);
CREATE INDEX prints_serial ON prints (serial, at);
CREATE TABLE collections (
	serial TEXT COLLATE "C" PRIMARY KEY REFERENCES passes (serial),
	at     TIMESTAMPTZ NOT NULL,
	actor  TEXT NOT NULL
);
`,
	// 12 (issue 13): staff accounts, their event limits and sessions, as
	// SQLite's migration 12.
	`
CREATE TABLE users (
	username      TEXT COLLATE "C" PRIMARY KEY,
	display_name  TEXT NOT NULL,
	role          TEXT NOT NULL, -- admin, issuer, printer, scanner, stage
	disabled      BOOLEAN NOT NULL DEFAULT false,
	password_hash TEXT NOT NULL,
	failures      INTEGER NOT NULL DEFAULT 0, -- wrong passwords in a row
	lockouts      INTEGER NOT NULL DEFAULT 0, -- since the last good sign-in
	locked_until  TIMESTAMPTZ,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
);
CREATE TABLE user_events (
	username TEXT COLLATE "C" NOT NULL REFERENCES users (username),
	event    TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (username, event)
);
CREATE TABLE sessions (
	hash       BYTEA PRIMARY KEY, -- SHA-256 of the token
	username   TEXT COLLATE "C" NOT NULL REFERENCES users (username),
	created_at TIMESTAMPTZ NOT NULL,
	last_seen  TIMESTAMPTZ NOT NULL,
	address    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (username);
`,
	// 13 (issue 14, item 5) webhooks, as SQLite's migration 17 of the same
	// issue: endpoints, and the durable outbox of deliveries leased by one
	// worker at a time across every node.
	`
CREATE TABLE webhooks (
	id            TEXT COLLATE "C" PRIMARY KEY,
	url           TEXT NOT NULL,
	events        TEXT NOT NULL, -- ",pass.revoked,alert.raised,"
	allow_private BOOLEAN NOT NULL DEFAULT false,
	secret        BYTEA NOT NULL, -- 32 bytes; never logged, never listed
	created_at    TIMESTAMPTZ NOT NULL,
	created_by    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE webhook_deliveries (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	webhook     TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	msg_id      TEXT COLLATE "C" NOT NULL, -- webhook-id of every attempt
	type        TEXT NOT NULL,
	body        BYTEA NOT NULL,
	state       TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, failed
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     TIMESTAMPTZ NOT NULL,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until TIMESTAMPTZ,
	last_status INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  TIMESTAMPTZ NOT NULL,
	done_at     TIMESTAMPTZ,
	UNIQUE (webhook, msg_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook, id);
CREATE INDEX audit_subject ON audit (subject, id);
`,
	// 14 (issue 14; SQLite's migration 18): who is inside each zone now,
	// one row per pass whose last admitted scan is "in", kept in step by
	// every scan in its transaction; filled from the scans stored.
	`
CREATE TABLE zone_inside (
	serial  TEXT COLLATE "C" PRIMARY KEY,
	event   TEXT COLLATE "C" NOT NULL,
	zone    TEXT NOT NULL,
	scan_id TEXT COLLATE "C" NOT NULL, -- the scan that let the pass in
	gate    TEXT NOT NULL,
	at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX zone_inside_zone ON zone_inside (event, zone);
INSERT INTO zone_inside (serial, event, zone, scan_id, gate, at)
	SELECT serial, event, zone, scan_id, gate, at FROM (
		SELECT DISTINCT ON (serial) serial, event, zone, scan_id, gate, at, direction FROM scans
		WHERE (decision = 'admit' OR resolution = 'admit') AND serial <> ''
		ORDER BY serial, at DESC, id DESC) AS last
	WHERE direction = 'in';
`,
	// 15 (issue 14; SQLite's migration 19): doors' last heartbeats,
	// shared by every node (each batches them in memory and writes them
	// every few seconds).
	`
CREATE TABLE doors_seen (
	event          TEXT COLLATE "C" NOT NULL,
	gate           TEXT COLLATE "C" NOT NULL,
	token_id       TEXT COLLATE "C" NOT NULL,
	seen_at        TIMESTAMPTZ NOT NULL,
	revocation_age BIGINT NOT NULL,
	PRIMARY KEY (event, gate, token_id)
);
`,
}
