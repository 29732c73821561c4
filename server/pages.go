package server

import (
	"embed"
	"io/fs"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/render"
)

// static holds the pages and their scripts. static/vendor holds the QR
// decoder, zxing-wasm (zxing-reader.js and zxing_reader.wasm) and jsQR, its
// fallback (npm, pinned by web/package-lock.json), fetched and copied by
// "make web"; without them the pages work by keyboard wedge and paste only.
//
//go:embed static
var static embed.FS

// pageCSP is the pages' Content-Security-Policy (httpkit.PageCSP, which
// the surfaces' pages share).
const pageCSP = httpkit.PageCSP

func (s *Server) pageRoutes() {
	sub, _ := fs.Sub(static, "static")
	files := http.FileServer(noDirs{http.FS(sub)})
	gz := middleware.GzipWithConfig(middleware.GzipConfig{Level: 6}) // zxing_reader.wasm shrinks from 947 KB to ~410 KB
	s.e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", withCSP(files))), gz)
	s.e.GET("/scan", page("scan.html"), gz)
	s.e.GET("/scan-sw.js", echo.WrapHandler(withCSP(files)), gz) // the door page's service worker: it reloads offline
	s.e.GET("/verify", page("verify.html"), gz)
	s.e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/verify") })
}

// noDirs serves files only: a folder is not found, so that the file
// server never lists one (issue 11).
type noDirs struct{ http.FileSystem }

func (n noDirs) Open(name string) (http.File, error) {
	f, err := n.FileSystem.Open(name)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return f, nil
}

func withCSP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", pageCSP)
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

func page(name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		b, err := static.ReadFile("static/" + name)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Security-Policy", pageCSP)
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.HTMLBlob(http.StatusOK, b)
	}
}

// publicArtwork is POST /v1/artwork {"token"}: the artwork of a pass, for
// anyone holding its genuine token (the public /verify page). A made-up
// serial gets nothing: the token must verify as ours.
func (s *Server) publicArtwork(c echo.Context) error {
	var req VerifyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	vd := s.cfg.Verifier.Verify(req.Token, time.Now())
	// A pass this service signed and that parsed as a pass: a document of
	// another kind signed by the same key has no serial to draw.
	if !vd.Authentic || vd.Pass == nil || vd.Serial == "" || len(s.cfg.ArtworkSecret) == 0 {
		return apiError(http.StatusNotFound, "not_found", "artwork is shown only for genuine passes")
	}
	art, err := render.NewArtwork(s.cfg.ArtworkSecret, string(vd.Serial))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=3600")
	return c.Blob(http.StatusOK, "image/svg+xml", art.SVG())
}
