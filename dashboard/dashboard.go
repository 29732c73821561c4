// Package dashboard is the live view of show control (issue 14): per
// zone who is inside, against its capacity, and the entries and exits of
// the last 5 and 15 minutes; per door whether it is online, its last scan
// and the age of its revocation data; alerts as they arrive; and the
// clear list of each zone whose access closed with a phase (the photo pit
// after the photo window).
//
// It is a surface beside package server ([httpkit.Surface]): server
// mounts it and tells it at once of what this node records
// ([httpkit.Watcher]); scans recorded by other nodes are seen by a short
// poll of the store ([Config.Poll]).
//
// # Routes
//
//   - GET /dashboard?event=ID: the page (html/template, embedded, no
//     inline script). A person signed in to the office with a role of
//     [httpkit.WatchRoles] (or admin) watches with that session; anyone else is
//     asked for an API token, as /scan does.
//   - GET /v1/events/{id}/live: server-sent events, one "snapshot" event
//     (JSON [Snapshot]) at once and then whenever it changes, a comment
//     every [Config.Heartbeat] so that proxies keep the stream open.
//     Tokens of role scanner, stage or admin, bound tokens for their
//     event only; or, with no Authorization header, an office session of
//     those roles from this site's own pages, for the account's events
//     only ([httpkit.SessionHost]: the dashboard never imports the
//     office).
//   - GET /v1/events/{id}/clear?zone=Z: the clear list of a zone, for
//     the /scan page of its door.
//   - POST /v1/events/{id}/heartbeat: a door says it is there, with the
//     age of its revocation data. The node keeps it in memory with the
//     door devices' reports and writes them all to the store every few
//     seconds ([httpkit.DoorBeats]), so every node's dashboard shows
//     every door.
//
// # Load
//
// One goroutine per event watched builds the snapshot from the store
// (the zone_inside table, the last 15 minutes of scans, the newest
// alerts) at most every [Config.MinInterval], and hands it to every
// client's buffer without waiting: a client whose buffer is full is
// dropped (it reconnects and gets the current snapshot), so a slow
// dashboard never slows a scan, and 200 dashboards of one event cost one
// build. A scan's transaction never waits for a dashboard.
package dashboard

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/store"
)

// Config tunes a [Dashboard]; zero fields take the defaults.
type Config struct {
	Now func() time.Time // default time.Now
	// Poll is how often a watched event is rebuilt with no change heard
	// on this node: how late another node's scan may show (default 500 ms).
	Poll time.Duration
	// MinInterval spaces two builds of one event (default 200 ms), so a
	// burst of scans costs a build per interval, not one per scan.
	MinInterval time.Duration
	// OfflineAfter: a door with no scan and no heartbeat for this long is
	// offline (default 60 s).
	OfflineAfter time.Duration
	// Heartbeat is the interval of the stream's keep-alive comments
	// (default 15 s).
	Heartbeat time.Duration
	// ClientBuffer is how many snapshots a client may fall behind before
	// it is dropped (default 4).
	ClientBuffer int
	// ClearEvery is how often [Dashboard.Run] looks for passes to clear in
	// every event, watched or not (default 5 s).
	ClearEvery time.Duration
	// Reads is the store the dashboard reads from (snapshots, the clear
	// list), default the host's. Give it a handle with connections of its
	// own (wire does, on PostgreSQL: postgres.Store.Readers) so that a
	// build never waits for a connection behind the scans, and never
	// takes one from them. It writes (the clear list's alerts) through
	// the host's store.
	Reads  store.Store
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Poll <= 0 {
		c.Poll = 500 * time.Millisecond
	}
	if c.MinInterval <= 0 {
		c.MinInterval = 200 * time.Millisecond
	}
	if c.OfflineAfter <= 0 {
		c.OfflineAfter = time.Minute
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.ClientBuffer <= 0 {
		c.ClientBuffer = 4
	}
	if c.ClearEvery <= 0 {
		c.ClearEvery = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Dashboard is the surface. Mount it through server.Config.Surfaces and
// run [Dashboard.Run] beside the server.
type Dashboard struct {
	cfg     Config
	mounted chan struct{}
	host    httpkit.Host

	mu    sync.Mutex
	rooms map[string]*room

	passes  passCache
	raised  raisedSet
	beats   httpkit.DoorBeats // the host's, nil if it has none
	closing context.Context   // ends the rooms when Run returns
	stop    context.CancelFunc
}

var (
	_ httpkit.Surface = (*Dashboard)(nil)
	_ httpkit.Watcher = (*Dashboard)(nil)
)

// New returns a dashboard with cfg.
func New(cfg Config) *Dashboard {
	cfg.defaults()
	ctx, stop := context.WithCancel(context.Background())
	return &Dashboard{cfg: cfg, mounted: make(chan struct{}), rooms: map[string]*room{}, closing: ctx, stop: stop,
		passes: passCache{m: map[string]passInfo{}}, raised: raisedSet{m: map[string]time.Time{}}}
}

// reads is the store the dashboard reads from ([Config.Reads]).
func (d *Dashboard) reads() store.Store {
	if d.cfg.Reads != nil {
		return d.cfg.Reads
	}
	return d.host.Store()
}

// Mount implements [httpkit.Surface].
func (d *Dashboard) Mount(e *echo.Echo, h httpkit.Host) {
	d.host = h
	d.beats, _ = h.(httpkit.DoorBeats)
	close(d.mounted)
	readers := h.Require(httpkit.WatchRoles...)
	// People signed in to the office watch with their session, where the
	// host admits sessions (server does): no token to paste.
	watchers := readers
	if sh, ok := h.(httpkit.SessionHost); ok {
		watchers = sh.RequireReader(httpkit.WatchRoles...)
	}
	e.GET("/dashboard", d.page)
	e.GET("/dashboard/:file", d.asset)
	e.GET("/v1/events/:id/live", d.live, watchers)
	e.GET("/v1/events/:id/clear", d.clearList, readers)
	e.GET("/v1/events/:id/clear/:serial/photo", d.clearPhoto, watchers)
	e.POST("/v1/events/:id/heartbeat", d.heartbeat, h.Require(httpkit.RoleScanner))
}

// Changed implements [httpkit.Watcher]: a watched event is rebuilt now.
func (d *Dashboard) Changed(event string) {
	d.mu.Lock()
	r := d.rooms[event]
	d.mu.Unlock()
	if r != nil {
		r.poke()
	}
}

// Run raises the clear list's alerts of every event, watched or not,
// every [Config.ClearEvery], until ctx ends; then it closes the streams.
func (d *Dashboard) Run(ctx context.Context) {
	defer d.stop()
	select {
	case <-d.mounted:
	case <-ctx.Done():
		return
	}
	t := time.NewTicker(d.cfg.ClearEvery)
	defer t.Stop()
	for {
		if err := d.clearAll(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("dashboard: clear list", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
