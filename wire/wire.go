// Package wire builds the HTTP service of an open node: the server with its
// surfaces (office, webhooks, export, dashboard) and its workers. It is
// "laminate serve" without the flags, the first start and the listener.
package wire

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/laminate/laminate/dashboard"
	"github.com/laminate/laminate/exportapi"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/node"
	"github.com/laminate/laminate/office"
	"github.com/laminate/laminate/printing"
	"github.com/laminate/laminate/render/typeset"
	"github.com/laminate/laminate/server"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/verifier"
	"github.com/laminate/laminate/webhooks"
)

// Options are what serve's flags choose.
type Options struct {
	Logger         *slog.Logger
	Signer         *signer.Signer // nil: the node verifies and scans, but cannot issue
	Fonts          *typeset.Library
	VerifyRate     float64
	CloneWindow    time.Duration
	Printer        string // a thermal printer's raw port, host:port; "": none
	SecureCookies  bool   // the office's cookies are Secure on plain HTTP too
	TrustedProxies server.ProxyList
	Webhooks       bool // this node delivers the webhook outbox
}

// Service is a node's server with its surfaces and workers.
type Service struct {
	*server.Server
	n    *node.Node
	dash *dashboard.Dashboard
	o    Options
	wg   sync.WaitGroup // the workers Start runs
}

// New builds the server of the open node n, whose data folder is dir, and
// syncs it once (revocations, keys) so that it answers rightly from the
// first request.
func New(ctx context.Context, n *node.Node, dir string, o Options) (*Service, error) {
	revs := verifier.NewRevocationSet()
	v, err := n.Verifier(ctx, "", revs)
	if err != nil {
		return nil, err
	}
	secret, err := keys.ArtworkSecret(dir, time.Now())
	if err != nil {
		return nil, err
	}
	st, log := n.Store(), o.Logger
	reads, err := n.ReadStore(ctx) // the dashboard's reads never queue behind the scans
	if err != nil {
		return nil, err
	}
	dash := dashboard.New(dashboard.Config{Logger: log, Reads: reads})
	srv := server.New(server.Config{Store: st, Keys: n.Keys(), Verifier: v, Revocations: revs, Logger: log,
		VerifyRate: o.VerifyRate, CloneWindow: o.CloneWindow, ArtworkSecret: secret, Signer: o.Signer,
		Node: n, TrustedProxies: o.TrustedProxies, Fonts: o.Fonts, Printer: o.Printer,
		Surfaces: []httpkit.Surface{office.New(office.Config{Logger: log, SecureCookies: o.SecureCookies,
			Printer: printing.Desk{Store: st, ArtworkSecret: secret, Fonts: o.Fonts}}), webhooks.API{}, exportapi.API{Logger: log}, dash}})
	if err := srv.SyncOnce(ctx); err != nil {
		return nil, err
	}
	return &Service{Server: srv, n: n, dash: dash, o: o}, nil
}

// Start runs the workers until ctx ends: the sync of revocations and keys,
// the webhook outbox (every node may deliver; leases share it) and the
// dashboard. [Service.Wait] waits for them to stop.
func (s *Service) Start(ctx context.Context) {
	s.run(func() { s.Sync(ctx) })
	if s.o.Webhooks {
		s.run(func() { (&webhooks.Worker{Store: s.n.Store(), Logger: s.o.Logger}).Run(ctx) })
	}
	s.run(func() { s.dash.Run(ctx) })
}

func (s *Service) run(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// Wait waits until the workers Start ran have stopped (their context
// ended), so that the store can be closed under none of them.
func (s *Service) Wait() { s.wg.Wait() }
