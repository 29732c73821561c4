package server

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/laminate/laminate/guestlist"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// driverText is what a database driver says when the server is gone; no
// answer may carry it.
const driverText = "dial tcp 10.9.8.7:5432: connect: connection refused"

// downStore is a store whose database can be switched off: every call
// then fails as the PostgreSQL store fails during an outage, wrapping
// [store.ErrUnavailable] with the driver's text, or, broken, with an
// error of no known kind (a full disk). APIToken still answers, as the
// server's token cache does for a second, so that each request reaches
// its handler.
type downStore struct {
	store.Store
	mode atomic.Value // "up", "down" or "broken"
}

func (d *downStore) err(what string) error {
	switch d.mode.Load() {
	case "down":
		return fmt.Errorf("%w: %s: %w", store.ErrUnavailable, what, errors.New(driverText))
	case "broken":
		return fmt.Errorf("store: %s: %w", what, errors.New("disk I/O error (522): "+driverText))
	}
	return nil
}

func (d *downStore) CreateEvent(ctx context.Context, ev *pass.Event, actor string) error {
	if err := d.err("event"); err != nil {
		return err
	}
	return d.Store.CreateEvent(ctx, ev, actor)
}

func (d *downStore) Event(ctx context.Context, id string) (*pass.Event, error) {
	if err := d.err("event"); err != nil {
		return nil, err
	}
	return d.Store.Event(ctx, id)
}

func (d *downStore) Events(ctx context.Context) ([]*pass.Event, error) {
	if err := d.err("events"); err != nil {
		return nil, err
	}
	return d.Store.Events(ctx)
}

func (d *downStore) InsertPasses(ctx context.Context, ps []store.Issued, actor string) error {
	if err := d.err("insert passes"); err != nil {
		return err
	}
	return d.Store.InsertPasses(ctx, ps, actor)
}

func (d *downStore) Pass(ctx context.Context, serial pass.Serial) (*store.Issued, error) {
	if err := d.err("pass"); err != nil {
		return nil, err
	}
	return d.Store.Pass(ctx, serial)
}

func (d *downStore) Passes(ctx context.Context, f store.PassFilter) ([]*store.Issued, error) {
	if err := d.err("passes"); err != nil {
		return nil, err
	}
	return d.Store.Passes(ctx, f)
}

func (d *downStore) Revoke(ctx context.Context, r *store.Revocation) error {
	if err := d.err("revoke"); err != nil {
		return err
	}
	return d.Store.Revoke(ctx, r)
}

func (d *downStore) Revocation(ctx context.Context, serial pass.Serial) (*store.Revocation, error) {
	if err := d.err("revocation"); err != nil {
		return nil, err
	}
	return d.Store.Revocation(ctx, serial)
}

func (d *downStore) RevocationsSince(ctx context.Context, seq int64) ([]store.Revocation, error) {
	if err := d.err("revocations"); err != nil {
		return nil, err
	}
	return d.Store.RevocationsSince(ctx, seq)
}

func (d *downStore) RevokeWhere(ctx context.Context, f store.RevokeFilter, category pass.RevokeCategory, note, by string) ([]store.Revocation, error) {
	if err := d.err("revoke where"); err != nil {
		return nil, err
	}
	return d.Store.RevokeWhere(ctx, f, category, note, by)
}

func (d *downStore) Audit(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	if err := d.err("audit"); err != nil {
		return nil, err
	}
	return d.Store.Audit(ctx, limit)
}

func (d *downStore) Record(ctx context.Context, e store.AuditEntry) error {
	if err := d.err("audit"); err != nil {
		return err
	}
	return d.Store.Record(ctx, e)
}

func (d *downStore) CreateAPIToken(ctx context.Context, t *store.APIToken, actor string) error {
	if err := d.err("token"); err != nil {
		return err
	}
	return d.Store.CreateAPIToken(ctx, t, actor)
}

func (d *downStore) APITokens(ctx context.Context) ([]store.APIToken, error) {
	if err := d.err("tokens"); err != nil {
		return nil, err
	}
	return d.Store.APITokens(ctx)
}

func (d *downStore) RevokeAPIToken(ctx context.Context, id, actor string) error {
	if err := d.err("token"); err != nil {
		return err
	}
	return d.Store.RevokeAPIToken(ctx, id, actor)
}

func (d *downStore) IssuedSince(ctx context.Context, pos int64) ([]store.IssuedRef, int64, error) {
	if err := d.err("issued since"); err != nil {
		return nil, pos, err
	}
	return d.Store.IssuedSince(ctx, pos)
}

func (d *downStore) RecordScan(ctx context.Context, s *store.Scan, decide store.ScanDecider) (*store.Scan, bool, error) {
	if err := d.err("scan"); err != nil {
		return nil, false, err
	}
	return d.Store.RecordScan(ctx, s, decide)
}

func (d *downStore) Scan(ctx context.Context, id string) (*store.Scan, error) {
	if err := d.err("scan"); err != nil {
		return nil, err
	}
	return d.Store.Scan(ctx, id)
}

func (d *downStore) ResolveScan(ctx context.Context, id string, resolution record.Decision, by string, at time.Time) (*store.Scan, error) {
	if err := d.err("resolve scan"); err != nil {
		return nil, err
	}
	return d.Store.ResolveScan(ctx, id, resolution, by, at)
}

func (d *downStore) RecordPrints(ctx context.Context, prints []record.Print) error {
	if err := d.err("prints"); err != nil {
		return err
	}
	return d.Store.RecordPrints(ctx, prints)
}

func (d *downStore) Prints(ctx context.Context, serial pass.Serial) ([]record.Print, error) {
	if err := d.err("prints"); err != nil {
		return nil, err
	}
	return d.Store.Prints(ctx, serial)
}

func (d *downStore) PrintStatus(ctx context.Context, event string) (map[pass.Serial]record.PrintStatus, error) {
	if err := d.err("print status"); err != nil {
		return nil, err
	}
	return d.Store.PrintStatus(ctx, event)
}

func (d *downStore) MarkCollected(ctx context.Context, serial pass.Serial, at time.Time, actor string) (*record.Collection, bool, error) {
	if err := d.err("collection"); err != nil {
		return nil, false, err
	}
	return d.Store.MarkCollected(ctx, serial, at, actor)
}

func (d *downStore) Scans(ctx context.Context, serial pass.Serial) ([]store.Scan, error) {
	if err := d.err("scans"); err != nil {
		return nil, err
	}
	return d.Store.Scans(ctx, serial)
}

func (d *downStore) AddAlerts(ctx context.Context, alerts []store.Alert) ([]store.Alert, error) {
	if err := d.err("alerts"); err != nil {
		return nil, err
	}
	return d.Store.AddAlerts(ctx, alerts)
}

func (d *downStore) Alerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error) {
	if err := d.err("alerts"); err != nil {
		return nil, err
	}
	return d.Store.Alerts(ctx, f)
}

func (d *downStore) ApplyCue(ctx context.Context, event string, cue pass.Cue, at time.Time, actor string) (*pass.Event, error) {
	if err := d.err("cue"); err != nil {
		return nil, err
	}
	return d.Store.ApplyCue(ctx, event, cue, at, actor)
}

func (d *downStore) Inside(ctx context.Context, event string) (map[string][]pass.Serial, error) {
	if err := d.err("inside"); err != nil {
		return nil, err
	}
	return d.Store.Inside(ctx, event)
}

func (d *downStore) Shared(ctx context.Context, name string) ([]byte, int64, error) {
	if err := d.err("shared"); err != nil {
		return nil, 0, err
	}
	return d.Store.Shared(ctx, name)
}

func (d *downStore) PutShared(ctx context.Context, name string, value []byte, version int64, actor string) (int64, error) {
	if err := d.err("shared"); err != nil {
		return 0, err
	}
	return d.Store.PutShared(ctx, name, value, version, actor)
}

func (d *downStore) Ping(ctx context.Context) error {
	if err := d.err("ping"); err != nil {
		return err
	}
	return d.Store.Ping(ctx)
}

// TestStoreOutageEveryRoute: with the database gone, every route that
// touches the store answers 503 store_unavailable; with a store failing in
// any other way, 500 internal; never with internal text in the body. Each
// works again once the database is back. Issuing once answered 400
// "nothing issued: store: database unavailable: …" with the driver's text
// (issue 11, item 8).
func TestStoreOutageEveryRoute(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	down := &downStore{Store: f.st}
	down.mode.Store("up")
	cfg := f.s.cfg
	cfg.Store = down
	f.s = New(cfg)
	if err := f.s.SyncOnce(ctx); err != nil { // events known in memory, as on a running node
		t.Fatal(err)
	}
	mk := func(role string) string { return "Bearer " + f.apiToken(t, role, role+" outage") }
	admin, issuer, scanner, stage := mk(RoleAdmin), mk(RoleIssuer), mk(RoleScanner), mk(RoleStage)
	show := f.now.Add(9 * time.Hour)
	f.setNow(show)
	serial := string(f.iss.Serial)
	// Spare passes to revoke once the database is back.
	var spare []string
	for i := range 2 {
		body := fmt.Sprintf(`{"event":"tour27-ber01","type":"VIP","name":"Spare %d","org":"spare%d"}`, i, i)
		rec := f.do(t, "POST", "/v1/passes", body, "Authorization", issuer)
		m := decode(t, rec)
		if rec.Code != 201 {
			t.Fatalf("issuing a spare pass: %d %s", rec.Code, rec.Body)
		}
		spare = append(spare, m["serial"].(string))
	}
	// A CHECK to answer: out at north, in at south moments later.
	rec := f.do(t, "POST", "/v1/passes", `{"event":"tour27-ber01","type":"VIP","name":"Checked"}`, "Authorization", issuer)
	checked := decode(t, rec)["token"].(string)
	for i, gate := range []string{"north", "south"} {
		body := fmt.Sprintf(`{"token":%q,"gate":%q,"zone":"foh","direction":%q,"scan_id":"check-%d"}`, checked, gate, []string{"out", "in"}[i], i)
		if rec := f.do(t, "POST", "/v1/scans", body, "Authorization", scanner, "Content-Type", "application/json"); rec.Code != 200 || (i == 1 && !strings.Contains(rec.Body.String(), `"attention"`)) {
			t.Fatalf("setting up a CHECK: %d %s", rec.Code, rec.Body)
		}
	}
	scanBody := func(id string) string {
		return fmt.Sprintf(`{"token":%q,"gate":"north","zone":"stage","direction":"in","scan_id":%q}`, f.token, id)
	}
	offlineBody := func(id string) string {
		return fmt.Sprintf(`{"scans":[{"token":%q,"gate":"north","zone":"stage","direction":"out","scan_id":%q,"at":%q,"decision":"admit","code":"ok"}]}`,
			f.token, id, show.Add(-time.Hour).Format(time.RFC3339))
	}
	type route struct {
		name, method, path, auth string
		body                     func(round string) string
		okStatus                 int
	}
	static := func(s string) func(string) string { return func(string) string { return s } }
	routes := []route{
		// Writes.
		{"write/issue-one", "POST", "/v1/passes", issuer, static(`{"event":"tour27-ber01","type":"AAA","name":"Outage"}`), 201},
		{"write/issue-batch", "POST", "/v1/passes/batch?event=tour27-ber01", issuer, static("name,type\nAnn,AAA\nBob,VIP\n"), 201},
		{"write/revoke", "POST", "/v1/passes/" + spare[0] + "/revoke", admin, static(`{"reason":"lost"}`), 200},
		{"write/mass-revoke", "POST", "/v1/revocations", admin, static(`{"event":"tour27-ber01","org":"spare1","reason":"stolen"}`), 200},
		{"write/cue", "POST", "/v1/events/tour27-ber01/cues", stage, static(`{"cue":"doors_open"}`), 200},
		{"write/scan", "POST", "/v1/scans", scanner, scanBody, 200},
		{"write/offline-scans", "POST", "/v1/scans/offline", scanner, offlineBody, 200},
		{"write/resolve", "POST", "/v1/scans/check-1/resolve", scanner, static(`{"decision":"deny"}`), 200},
		{"print/pdf", "GET", "/v1/passes/" + serial + "/pdf?template=badge-a6-a4", issuer, nil, 200},
		{"print/zpl", "GET", "/v1/passes/" + serial + "/pdf?template=badge-cr80-letter&format=zpl", issuer, nil, 200},
		{"print/batch", "POST", "/v1/print", issuer, static(`{"event":"tour27-ber01","all":true,"format":"zpl","template":"sticker-round-50mm-a4"}`), 200},
		{"write/collected", "POST", "/v1/passes/" + serial + "/collected", issuer, nil, 200},
		{"read/prints", "GET", "/v1/passes/" + serial + "/prints", issuer, nil, 200},
		// Reads.
		{"read/pass", "GET", "/v1/passes/" + serial, scanner, nil, 200},
		{"read/artwork", "GET", "/v1/passes/" + serial + "/artwork.svg", scanner, nil, 200},
		{"read/photo", "GET", "/v1/passes/" + serial + "/photo", scanner, nil, 404}, // a pass without a photo
		{"read/revocations", "GET", "/v1/revocations", scanner, nil, 200},
		{"read/bundle", "GET", "/v1/events/tour27-ber01/bundle", scanner, nil, 200},
		{"read/status", "GET", "/v1/events/tour27-ber01/status", scanner, nil, 200},
		{"read/alerts", "GET", "/v1/alerts?gate=north", scanner, nil, 200},
	}
	for _, phase := range []string{"down", "broken", "up"} {
		down.mode.Store(phase)
		for _, r := range routes {
			t.Run(phase+"/"+r.name, func(t *testing.T) {
				body := ""
				if r.body != nil {
					body = r.body(phase)
				}
				rec := f.do(t, r.method, r.path, body, "Authorization", r.auth, "Content-Type", "application/json")
				if phase == "up" {
					if rec.Code != r.okStatus {
						t.Fatalf("%s %s after the outage = %d %.300s, want %d", r.method, r.path, rec.Code, rec.Body, r.okStatus)
					}
					return
				}
				want, code := 503, `"code":"store_unavailable"`
				if phase == "broken" {
					want, code = 500, `"code":"internal"`
				}
				if rec.Code != want || !strings.Contains(rec.Body.String(), code) {
					t.Errorf("%s %s with the store %s = %d %.300s, want %d %s", r.method, r.path, phase, rec.Code, rec.Body, want, code)
				}
				for _, leak := range []string{"store:", "dial tcp", "connection refused", "database unavailable", "disk I/O"} {
					if strings.Contains(rec.Body.String(), leak) {
						t.Errorf("%s %s: the body carries internal text %q: %s", r.method, r.path, leak, rec.Body)
					}
				}
			})
		}
	}
}

// TestHandleErrorStoreUnavailable: an unreachable database is answered 503
// store_unavailable however a handler wrapped it, even as the client's
// fault, and its text is never sent.
func TestHandleErrorStoreUnavailable(t *testing.T) {
	f := newFixture(t, 0)
	unavailable := fmt.Errorf("%w: insert passes: %w", store.ErrUnavailable, errors.New(driverText))
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"unavailable/bare", unavailable, 503, "store_unavailable"},
		{"unavailable/wrapped", fmt.Errorf("line 3 (Ann): %w", unavailable), 503, "store_unavailable"},
		{"unavailable/as-bad-request", &Error{Status: 400, Code: "bad_request", Message: "nothing issued: " + unavailable.Error(), Err: unavailable}, 503, "store_unavailable"},
		{"kept/own-503", &Error{Status: 503, Code: "unavailable", Message: "the database does not answer", Err: unavailable}, 503, "unavailable"},
		{"kept/bad-request", apiError(400, "bad_request", "name is empty"), 400, "bad_request"},
		{"internal/other", errors.New("store: " + driverText), 500, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			f.s.handleError(tt.err, f.s.e.NewContext(httptest.NewRequest("GET", "/", nil), rec))
			m := decode(t, rec)
			if rec.Code != tt.status || m["error"].(map[string]any)["code"] != tt.code {
				t.Errorf("handleError(%v) = %d %s, want %d %s", tt.err, rec.Code, rec.Body, tt.status, tt.code)
			}
			if strings.Contains(rec.Body.String(), "dial tcp") {
				t.Errorf("the body carries the driver's text: %s", rec.Body)
			}
		})
	}
}

// TestBadGuestList: a guest list's own faults are named; a reader's error
// (a connection reset mid-upload) is not the sender's to read.
func TestBadGuestList(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"unreadable", fmt.Errorf("%w: an old .xls workbook", guestlist.ErrUnreadable), "nothing issued: guest list cannot be read: an old .xls workbook"},
		{"too-large", fmt.Errorf("%w: more than 100000 rows", guestlist.ErrTooLarge), "nothing issued: guest list too large: more than 100000 rows"},
		{"reader", fmt.Errorf("%w: %w", guestlist.ErrRead, fmt.Errorf("read tcp 10.0.0.1:8080->10.0.0.2:51234: %w", errors.New("connection reset by peer"))), "nothing issued: the guest list could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ae *Error
			if !errors.As(unreadableList(tt.err, "nothing issued: "), &ae) || ae.Status >= 500 || ae.Message != tt.want {
				t.Errorf("unreadableList(%v) = %+v, want 4xx %q", tt.err, ae, tt.want)
			}
		})
	}
}
