package server

import (
	"context"
	"maps"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// The server is the httpkit.Host of the surfaces it mounts.
var _ httpkit.Host = (*Server)(nil)

// Require is middleware admitting API bearer tokens with one of roles
// (admin always), for a surface's routes.
func (s *Server) Require(roles ...string) echo.MiddlewareFunc { return s.require(roles...) }

// Event is an event from the in-memory copy Sync keeps; nil and no error
// when there is none.
func (s *Server) Event(ctx context.Context, id string) (*pass.Event, error) { return s.event(ctx, id) }

// Signer signs passes; nil on a node that cannot sign.
func (s *Server) Signer() *signer.Signer { return s.signer.Load() }

// Store is the node's store.
func (s *Server) Store() store.Store { return s.cfg.Store }

// The server keeps the in-memory revocation list and the fonts.
var (
	_ httpkit.Revoker     = (*Server)(nil)
	_ httpkit.TextChecker = (*Server)(nil)
	_ httpkit.PassPrinter = (*Server)(nil)
	_ httpkit.DoorBeats   = (*Server)(nil)
	_ httpkit.ListIssuer  = (*Server)(nil)
)

// NoteDoor keeps a door's heartbeat with the door devices' reports,
// written to the store with them every few seconds.
func (s *Server) NoteDoor(b store.DoorSeen) { s.seen.noteDoor(b) }

// DoorsSeen is the last heartbeat of every door of event: the store's
// (read from from, the server's store if nil: the dashboard reads its own),
// and this node's not written yet, the newest of each door.
func (s *Server) DoorsSeen(ctx context.Context, from store.Store, event string) ([]store.DoorSeen, error) {
	if from == nil {
		from = s.cfg.Store
	}
	stored, err := from.DoorsSeen(ctx, event)
	if err != nil {
		return nil, err
	}
	newest := map[doorKey]store.DoorSeen{}
	for _, b := range append(stored, s.seen.pendingDoors(event)...) {
		k := doorKey{b.Event, b.Gate, b.Token}
		if o, ok := newest[k]; !ok || b.At.After(o.At) {
			newest[k] = b
		}
	}
	return slices.Collect(maps.Values(newest)), nil
}

// GuestLists is the node's guest-list reading and issuing, which the API
// and the office share (httpkit.ListIssuer).
func (s *Server) GuestLists() *issue.Lists { return s.lists }

// Revoked adds revocations a surface made (committed) to this node's
// in-memory list, as the API's revoke and reissue do.
func (s *Server) Revoked(rs ...store.Revocation) { s.cfg.Revocations.Add(rs...) }

// Printable checks that text can be printed with the server's fonts.
func (s *Server) Printable() signer.TextChecker { return s.printable() }

// mountSurfaces mounts every surface of Config.Surfaces, from routes.
func (s *Server) mountSurfaces() {
	for _, sf := range s.cfg.Surfaces {
		sf.Mount(s.e, s)
	}
}

// changed tells the surfaces that watch (httpkit.Watcher) that this node
// recorded something of event: a scan, an answer to a CHECK, alerts, a
// cue. They must not block; a dashboard only wakes up.
func (s *Server) changed(event string) {
	if event == "" {
		return
	}
	for _, sf := range s.cfg.Surfaces {
		if w, ok := sf.(httpkit.Watcher); ok {
			w.Changed(event)
		}
	}
}
