package exportapi

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
	"github.com/laminate/laminate/store/storetest"
)

// host is a test httpkit.Host: the caller comes from the X-Test-Role and
// X-Test-Event headers.
type host struct{ st store.Store }

func (h host) Require(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			role := c.Request().Header.Get("X-Test-Role")
			if role != httpkit.RoleAdmin && !strings.Contains(strings.Join(roles, ","), role) {
				return httpkit.NewError(http.StatusForbidden, "forbidden", "role")
			}
			httpkit.SetCaller(c, httpkit.Caller{ID: "t1", Name: "test", Role: role, Event: c.Request().Header.Get("X-Test-Event")})
			return next(c)
		}
	}
}

func (h host) Event(ctx context.Context, id string) (*pass.Event, error) {
	ev, err := h.st.Event(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return ev, err
}
func (h host) Signer() *signer.Signer { return nil }
func (h host) Store() store.Store     { return h.st }

func newServer(t *testing.T) (*httptest.Server, []store.Issued) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "laminate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	storetest.MustCreate(t, st, storetest.NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)))
	ps := storetest.NewPasses(t, "ev", 3, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	ps[0].Name = "=cmd|' /C calc'!A0"
	storetest.MustInsert(t, st, ps)
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		var he *httpkit.Error
		if errors.As(err, &he) {
			c.JSON(he.Status, map[string]string{"code": he.Code, "message": he.Message})
			return
		}
		e.DefaultHTTPErrorHandler(err, c)
	}
	API{}.Mount(e, host{st})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, ps
}

func get(t *testing.T, srv *httptest.Server, path, role, event string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("X-Test-Role", role)
	req.Header.Set("X-Test-Event", event)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

func TestExportAPI(t *testing.T) {
	srv, ps := newServer(t)
	resp, body := get(t, srv, "/v1/events/ev/export/passes", httpkit.RoleAdmin, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename=laminate-ev-passes.csv` {
		t.Fatalf("GET passes: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 4 || recs[1][0] != string(ps[0].Serial) || recs[1][4] != "'=cmd|' /C calc'!A0" {
		t.Errorf("passes export: %v %q", err, recs)
	}
	if strings.Contains(body, "secret-token") {
		t.Error("the export holds a token")
	}
	for _, tc := range []struct {
		path, role, event string
		status            int
		want              string
	}{
		{"/v1/events/ev/export/passes?format=jsonl&status=valid", httpkit.RoleIssuer, "", 200, `{"serial":"`},
		{"/v1/events/ev/export/audit?format=jsonl&type=pass.issue", httpkit.RoleAdmin, "", 200, `"action":"pass.issue"`},
		{"/v1/events/ev/export/scans", httpkit.RoleAdmin, "", 200, "scan_id,at,event"},
		{"/v1/events/ev/export/inside?format=jsonl", httpkit.RoleAdmin, "", 200, ""},
		{"/v1/events/ev/export/scans", httpkit.RoleIssuer, "", 403, "only admins"},
		{"/v1/events/ev/export/passes", httpkit.RoleIssuer, "other", 403, "bound to event other"},
		{"/v1/events/ev/export/passes", httpkit.RoleScanner, "", 403, ""},
		{"/v1/events/ev/export/tickets", httpkit.RoleAdmin, "", 404, "no export"},
		{"/v1/events/nope/export/scans", httpkit.RoleAdmin, "", 404, "no event nope"},
		{"/v1/events/ev/export/scans?since=yesterday", httpkit.RoleAdmin, "", 400, "RFC 3339"},
		{"/v1/events/ev/export/scans?format=xlsx", httpkit.RoleAdmin, "", 400, "unknown format"},
		{"/v1/events/ev/export/audit?zone=stage", httpkit.RoleAdmin, "", 400, "no zone filter"},
		{"/v1/events/ev/export/scans?evil=1", httpkit.RoleAdmin, "", 400, "unknown parameter"},
		{"/v1/events/ev/export/scans?gate=a&gate=b", httpkit.RoleAdmin, "", 400, "twice"},
	} {
		resp, body := get(t, srv, tc.path, tc.role, tc.event)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s as %s: %d %s, want %d and %q", tc.path, tc.role, resp.StatusCode, body, tc.status, tc.want)
		}
	}
}
