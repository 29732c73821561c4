package server

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
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
