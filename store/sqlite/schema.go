package sqlite

// migrations is the schema, in order; PRAGMA user_version counts the steps
// applied. Append only: never edit a step that has shipped.
//
// Times are TEXT. Pass, revocation, audit and scan times are UTC in the
// fixed-width form of timeLayout, so they sort as text. An event keeps its
// times, with their original offsets, in its JSON columns; starts_at is the
// UTC sort key.
var migrations = []string{
	// 1: events, passes, revocations, audit, scans.
	`
CREATE TABLE events (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	venue      TEXT NOT NULL DEFAULT '',
	show_start TEXT NOT NULL,           -- RFC 3339, original offset
	starts_at  TEXT NOT NULL,           -- UTC sort key
	schedule   TEXT NOT NULL,           -- JSON pass.Schedule
	policy     TEXT,                    -- JSON pass.Policy; NULL: the default policy
	cues       TEXT NOT NULL DEFAULT '{}', -- JSON pass.Cues
	created_at TEXT NOT NULL
) STRICT;
CREATE INDEX events_starts_at ON events (starts_at, id);

CREATE TABLE passes (
	serial      TEXT PRIMARY KEY,
	event       TEXT NOT NULL REFERENCES events (id),
	type        TEXT NOT NULL,
	role        TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL,
	org         TEXT NOT NULL DEFAULT '',
	valid_from  TEXT NOT NULL DEFAULT '', -- '': from issuance
	valid_until TEXT NOT NULL,
	issuer      TEXT NOT NULL DEFAULT '',
	kid         TEXT NOT NULL,
	token       TEXT NOT NULL,
	issued_at   TEXT NOT NULL
) STRICT;
CREATE INDEX passes_issued ON passes (issued_at, serial);
CREATE INDEX passes_event ON passes (event, issued_at, serial);

CREATE TABLE revocations (
	seq    INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
	serial TEXT NOT NULL UNIQUE REFERENCES passes (serial),
	event  TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	actor  TEXT NOT NULL DEFAULT '',
	at     TEXT NOT NULL
) STRICT;

CREATE TABLE audit (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	at      TEXT NOT NULL,
	actor   TEXT NOT NULL,
	action  TEXT NOT NULL,
	subject TEXT NOT NULL,
	detail  TEXT NOT NULL DEFAULT ''
) STRICT;

-- Door scans, stored once each: a scanner retrying an upload sends the same scan_id.
CREATE TABLE scans (
	scan_id     TEXT PRIMARY KEY,
	serial      TEXT NOT NULL, -- no foreign key: forged and unknown passes are scanned too
	event       TEXT NOT NULL,
	gate        TEXT NOT NULL,
	zone        TEXT NOT NULL,
	direction   TEXT NOT NULL, -- in, out
	decision    TEXT NOT NULL, -- admit, deny, attention
	code        TEXT NOT NULL,
	at          TEXT NOT NULL, -- when the scanner scanned
	recorded_at TEXT NOT NULL  -- when the store got it
) STRICT;
CREATE INDEX scans_serial ON scans (serial, at);
CREATE INDEX scans_event ON scans (event, at);
`,
	// 2: API bearer tokens. Only a SHA-256 of the secret part is kept.
	`
CREATE TABLE api_tokens (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL, -- admin, issuer, scanner, stage
	hash       BLOB NOT NULL, -- SHA-256 of the secret
	created_at TEXT NOT NULL,
	revoked_at TEXT NOT NULL DEFAULT ''
) STRICT;
`,
	// 3: the answer a scanner got, kept so that a retried scan_id gets the
	// same answer back.
	`
ALTER TABLE scans ADD COLUMN answer TEXT NOT NULL DEFAULT '';
`,
	// 4: the last admitted scan of a pass, found without reading its
	// other scans (anti-passback runs on every scan).
	`
CREATE INDEX scans_serial_decision ON scans (serial, decision, at);
`,
	// 5: shared documents (keyring, artwork secret), so that several
	// processes, or a restored copy, find the keys with the rows.
	`
CREATE TABLE shared (
	name       TEXT PRIMARY KEY,
	value      BLOB NOT NULL,
	version    INTEGER NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;
`,
	// 6: alerts: one pass used by two people, found after offline doors
	// uploaded their scans.
	`
CREATE TABLE alerts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	event       TEXT NOT NULL,
	serial      TEXT NOT NULL,
	kind        TEXT NOT NULL, -- double_entry, two_gates
	scan_a      TEXT NOT NULL, -- the earlier scan
	scan_b      TEXT NOT NULL,
	gate_a      TEXT NOT NULL,
	gate_b      TEXT NOT NULL,
	at          TEXT NOT NULL, -- the later scan's time
	detected_at TEXT NOT NULL,
	reason      TEXT NOT NULL,
	UNIQUE (kind, scan_a, scan_b)
) STRICT;
CREATE INDEX alerts_event ON alerts (event, id);
`,
	// 7: door hardening (issue 11). Where each scan came from and who sent
	// it; the time the device claimed when the server timed it otherwise;
	// the server's own verdict beside an offline door's decision; what a
	// retry of the scan ID must match; a person's answer to "attention".
	// Alerts gain the verdict of a pass let in that should not have been.
	`
ALTER TABLE scans ADD COLUMN source TEXT NOT NULL DEFAULT 'online'; -- online, offline
ALTER TABLE scans ADD COLUMN credential TEXT NOT NULL DEFAULT '';   -- API token id, never its secret
ALTER TABLE scans ADD COLUMN device_at TEXT NOT NULL DEFAULT '';    -- the device's time when at differs
ALTER TABLE scans ADD COLUMN verdict TEXT NOT NULL DEFAULT '';      -- ok, a token status or a policy code
ALTER TABLE scans ADD COLUMN token_hash BLOB NOT NULL DEFAULT x'';  -- SHA-256 of the scanned text
ALTER TABLE scans ADD COLUMN resolution TEXT NOT NULL DEFAULT '';   -- admit, deny: a person's answer to attention
ALTER TABLE scans ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE scans ADD COLUMN resolved_at TEXT NOT NULL DEFAULT '';
UPDATE scans SET source = 'offline' WHERE answer LIKE '{%' AND json_valid(answer) AND json_extract(answer, '$.offline') = 1;
ALTER TABLE alerts ADD COLUMN status TEXT NOT NULL DEFAULT '';
`,
	// 8: API tokens bound to an event and a gate ('': any). A bound token
	// acts only there (issue 11).
	`
ALTER TABLE api_tokens ADD COLUMN event TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN gate TEXT NOT NULL DEFAULT '';
`,
	// 9: a revocation's reason splits into a public category and a note
	// for staff (issue 11, item 7). A reason that was exactly a category
	// becomes it; any other text becomes the note of category other.
	`
ALTER TABLE revocations ADD COLUMN category TEXT NOT NULL DEFAULT 'other'; -- lost, stolen, replaced, misuse, other
UPDATE revocations SET category = lower(trim(reason)), reason = ''
	WHERE lower(trim(reason)) IN ('lost', 'stolen', 'replaced', 'misuse', 'other');
ALTER TABLE revocations RENAME COLUMN reason TO note;
`,
	// 10: holder photos (issue 12, item 4). A pass signs the hash of its
	// photo (photo, '' for none); the JPEG itself lives apart, so listing
	// passes never reads it.
	`
ALTER TABLE passes ADD COLUMN photo TEXT NOT NULL DEFAULT ''; -- pass.PhotoHash of the stored photo, as signed
CREATE TABLE pass_photos (
	serial TEXT PRIMARY KEY REFERENCES passes (serial),
	jpeg   BLOB NOT NULL -- re-encoded by package photo: pixels only
) STRICT;
`,
	// 11 (issue 12): an event's branding, printed
	// only: JSON pass.Branding with the sanitised logo in base64 (at most
	// 256 KiB of logo); NULL: none.
	`
ALTER TABLE events ADD COLUMN branding TEXT;
`,
	// 12 (issue 14): door devices enrolled by a one-time code (its
	// SHA-256 only), and each device's last report of itself.
	`
CREATE TABLE enrolments (
	hash       BLOB PRIMARY KEY,
	event      TEXT NOT NULL,
	gate       TEXT NOT NULL,
	zone       TEXT NOT NULL DEFAULT '',
	name       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_at    TEXT NOT NULL DEFAULT '',
	token_id   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TABLE devices_seen (
	token_id TEXT PRIMARY KEY,
	seen_at  TEXT NOT NULL,
	app      TEXT NOT NULL DEFAULT '',
	queued   INTEGER NOT NULL DEFAULT 0
) STRICT;
`,
	// 13 (issue 13, guest lists): a pass's external reference (a guest
	// list's ref column; '' for none), and the index that finds an
	// event's passes by type, name and ref when a list is uploaded again.
	`
ALTER TABLE passes ADD COLUMN ref TEXT NOT NULL DEFAULT '';
CREATE INDEX passes_event_keys ON passes (event, type, name, ref, serial);
`,
	// 14 (issue 13): reissue and search. A superseded pass's revocation
	// (category superseded) names the pass that replaced it; a pass keeps
	// its folded search text (store.SearchText), filled in this step for
	// the passes stored before, and indexed with its event and type so
	// that a search reads the index alone, in the order it answers; a
	// search of revoked or superseded passes starts from their index.
	`
ALTER TABLE revocations ADD COLUMN superseded_by TEXT NOT NULL DEFAULT '';
ALTER TABLE passes ADD COLUMN search TEXT NOT NULL DEFAULT '';
CREATE INDEX passes_search ON passes (event, search, serial, type);
CREATE INDEX revocations_category ON revocations (event, category);
`,
	// 15 (issue 13): the print log (one row per pass printed, PDF or ZPL)
	// and the desk's collections (at most one per pass). Neither is a scan.
	`
CREATE TABLE prints (
	serial   TEXT NOT NULL REFERENCES passes (serial),
	at       TEXT NOT NULL,
	actor    TEXT NOT NULL,
	template TEXT NOT NULL,
	format   TEXT NOT NULL -- pdf, zpl
) STRICT;
CREATE INDEX prints_serial ON prints (serial, at);
CREATE TABLE collections (
	serial TEXT PRIMARY KEY REFERENCES passes (serial),
	at     TEXT NOT NULL,
	actor  TEXT NOT NULL
) STRICT;
`,
	// 16 (issue 13): staff accounts of the office, the events each is
	// limited to (none: every event) and their sessions. A password is
	// kept as an argon2id PHC string, a session as its token's SHA-256.
	`
CREATE TABLE users (
	username      TEXT PRIMARY KEY,
	display_name  TEXT NOT NULL,
	role          TEXT NOT NULL, -- admin, issuer, printer, scanner, stage
	disabled      INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT NOT NULL,
	failures      INTEGER NOT NULL DEFAULT 0, -- wrong passwords in a row
	lockouts      INTEGER NOT NULL DEFAULT 0, -- since the last good sign-in
	locked_until  TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
) STRICT;
CREATE TABLE user_events (
	username TEXT NOT NULL REFERENCES users (username),
	event    TEXT NOT NULL,
	PRIMARY KEY (username, event)
) STRICT;
CREATE TABLE sessions (
	hash       BLOB PRIMARY KEY, -- SHA-256 of the token
	username   TEXT NOT NULL REFERENCES users (username),
	created_at TEXT NOT NULL,
	last_seen  TEXT NOT NULL,
	address    TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sessions_user ON sessions (username);
`,
	// 17 (issue 14, item 5) webhooks: endpoints an admin entered, and the
	// durable outbox of deliveries, one row per event and endpoint, leased
	// by one worker at a time.
	`
CREATE TABLE webhooks (
	id            TEXT PRIMARY KEY,
	url           TEXT NOT NULL,
	events        TEXT NOT NULL, -- ",pass.revoked,alert.raised,"
	allow_private INTEGER NOT NULL DEFAULT 0,
	secret        BLOB NOT NULL, -- 32 bytes; never logged, never listed
	created_at    TEXT NOT NULL,
	created_by    TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TABLE webhook_deliveries (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	webhook      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	msg_id       TEXT NOT NULL, -- webhook-id of every attempt
	type         TEXT NOT NULL,
	body         BLOB NOT NULL,
	state        TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, failed
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      TEXT NOT NULL,
	lease_owner  TEXT NOT NULL DEFAULT '',
	lease_until  TEXT NOT NULL DEFAULT '',
	last_status  INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	done_at      TEXT NOT NULL DEFAULT '',
	UNIQUE (webhook, msg_id)
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook, id);
CREATE INDEX audit_subject ON audit (subject, id);
`,
	// 18 (issue 14): who is inside each zone now, one row per pass whose
	// last admitted scan is "in", kept in step by every scan (and every
	// answer to a CHECK) in its transaction, so a zone's capacity is
	// counted in the scan's transaction at the cost of an index lookup.
	// Filled from the scans already stored.
	`
CREATE TABLE zone_inside (
	serial  TEXT PRIMARY KEY,
	event   TEXT NOT NULL,
	zone    TEXT NOT NULL,
	scan_id TEXT NOT NULL, -- the scan that let the pass in
	gate    TEXT NOT NULL,
	at      TEXT NOT NULL
) STRICT;
CREATE INDEX zone_inside_zone ON zone_inside (event, zone);
INSERT INTO zone_inside (serial, event, zone, scan_id, gate, at)
	SELECT serial, event, zone, scan_id, gate, at FROM (
		SELECT serial, event, zone, scan_id, gate, at, direction,
			ROW_NUMBER() OVER (PARTITION BY serial ORDER BY at DESC, rowid DESC) AS n
		FROM scans WHERE (decision = 'admit' OR resolution = 'admit') AND serial != '')
	WHERE n = 1 AND direction = 'in';
`,
	// 19 (issue 14): doors' last heartbeats, shared by every node (each
	// batches them in memory and writes them every few seconds), so any
	// node's dashboard shows every door online or offline with the age
	// of its revocation data.
	`
CREATE TABLE doors_seen (
	event          TEXT NOT NULL,
	gate           TEXT NOT NULL,
	token_id       TEXT NOT NULL,
	seen_at        TEXT NOT NULL,
	revocation_age INTEGER NOT NULL,
	PRIMARY KEY (event, gate, token_id)
) STRICT;
`,
}
