// Package exportapi is the HTTP surface of exports (issue 14, item 4):
//
//	GET /v1/events/{id}/export/{kind}?format=csv|jsonl&since=&until=&type=&status=&zone=&gate=
//
// kind is scans, passes, alerts, audit or inside; admins may export
// every kind, issuers the passes. The rows stream as package export
// writes them.
package exportapi

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/export"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/store"
)

// API is the export surface.
type API struct {
	Logger *slog.Logger // nil: discard
}

var _ httpkit.Surface = API{}

// Mount implements [httpkit.Surface].
func (a API) Mount(e *echo.Echo, h httpkit.Host) {
	log := a.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	x := &api{h: h, log: log}
	e.GET("/v1/events/:id/export/:kind", x.export, h.Require(httpkit.RoleIssuer))
}

type api struct {
	h   httpkit.Host
	log *slog.Logger
}

var queryParams = []string{"format", "since", "until", "type", "status", "zone", "gate"}

// safeName keeps a file name to letters, digits, dot, dash and underscore.
var safeName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func bad(msg string) error { return httpkit.NewError(http.StatusBadRequest, "bad_request", msg) }

func (x *api) export(c echo.Context) error {
	ctx := c.Request().Context()
	who := httpkit.CallerOf(c)
	id, kind := c.Param("id"), c.Param("kind")
	if !slices.Contains(export.Kinds, kind) {
		return httpkit.NewError(http.StatusNotFound, "not_found", fmt.Sprintf("no export %q: use %s", kind, strings.Join(export.Kinds, ", ")))
	}
	if kind != export.Passes && who.Role != httpkit.RoleAdmin {
		return httpkit.NewError(http.StatusForbidden, "forbidden", "only admins export "+kind+"; issuers may export passes")
	}
	if err := who.Allows(id, ""); err != nil {
		return err
	}
	q := c.QueryParams()
	for k, v := range q {
		if !slices.Contains(queryParams, k) {
			return bad(fmt.Sprintf("unknown parameter %q: use %s", k, strings.Join(queryParams, ", ")))
		}
		if len(v) > 1 {
			return bad(fmt.Sprintf("parameter %q given twice", k))
		}
	}
	o := export.Options{Kind: kind, Format: q.Get("format"), Filter: store.ExportFilter{Event: id,
		Type: q.Get("type"), Status: q.Get("status"), Zone: q.Get("zone"), Gate: q.Get("gate")}}
	var err error
	if o.Filter.Since, err = export.ParseTime(q.Get("since")); err != nil {
		return bad("since: " + err.Error())
	}
	if o.Filter.Until, err = export.ParseTime(q.Get("until")); err != nil {
		return bad("until: " + err.Error())
	}
	if err := o.Check(); err != nil {
		return bad(err.Error())
	}
	ev, err := x.h.Event(ctx, id)
	if err != nil {
		return err
	}
	if ev == nil {
		return httpkit.NewError(http.StatusNotFound, "not_found", "no event "+id)
	}
	ctype := "text/csv; charset=utf-8"
	if o.Format == export.JSONL {
		ctype = "application/x-ndjson; charset=utf-8"
	}
	name := safeName.ReplaceAllString(fmt.Sprintf("laminate-%s-%s.%s", id, kind, o.Format), "_")
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentType, ctype)
	hd.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	started := false
	w := c.Response()
	o.Flush = func() { w.Flush() }
	n, err := export.Write(ctx, x.h.Store(), writerFunc(func(p []byte) (int, error) {
		if !started {
			started = true
			w.WriteHeader(http.StatusOK)
		}
		return w.Write(p)
	}), o)
	if err != nil {
		if !started {
			return err
		}
		// The status is sent: cut the response, so the client sees a
		// broken transfer, never a short file that looks whole.
		if !errors.Is(err, ctx.Err()) {
			x.log.Error("export: failed while streaming", "event", id, "kind", kind, "rows", n, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
