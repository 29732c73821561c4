package wire

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/laminate/laminate/node"
	"github.com/laminate/laminate/server"
)

// TestNewMountsSurfaces: a fresh node's service answers its own routes and
// those of every surface (the office, the dashboard, webhooks, export), and
// its workers stop with the context.
func TestNewMountsSurfaces(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	n := node.New(node.Options{Dir: dir, Actor: "test"})
	if _, err := n.Init(ctx, "EdDSA", "lam", nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := n.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	s, err := New(ctx, n, dir, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		CloneWindow: server.DefaultCloneWindow, VerifyRate: server.DefaultVerifyRate, Webhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(ctx)
	defer s.Wait() // before n.Close and the temporary folder's removal: no worker writes after them
	defer cancel()
	for path, want := range map[string]int{
		"/healthz":                    http.StatusOK,
		"/readyz":                     http.StatusOK,
		"/office/sign-in":             http.StatusOK,
		"/dashboard":                  http.StatusOK,
		"/v1/webhooks":                http.StatusUnauthorized,
		"/v1/events/x/export/scans":   http.StatusUnauthorized,
		"/no-such-route-of-any-sort/": http.StatusNotFound,
	} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
}
