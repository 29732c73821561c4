package server

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// TestBatchDuplicates: the same list twice issues nothing new; the answer
// says how many were skipped; duplicates=issue issues them anyway; one bad
// row stores nothing.
func TestBatchDuplicates(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	auth := "Bearer " + f.apiToken(t, RoleIssuer, "office")
	list, err := os.ReadFile("../testdata/guestlists/tour-berlin.csv")
	if err != nil {
		t.Fatal(err)
	}
	batch := func(query, body string) (int, BatchResponse, string) {
		rec := f.do(t, "POST", "/v1/passes/batch?event=tour27-ber01"+query, body, "Authorization", auth, "Content-Type", "text/csv")
		var r BatchResponse
		json.Unmarshal(rec.Body.Bytes(), &r)
		return rec.Code, r, rec.Body.String()
	}
	stored := func() int {
		ps, err := f.st.Passes(ctx, store.PassFilter{Event: "tour27-ber01"})
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	base := stored() // the fixture's Zoë
	for _, tt := range []struct {
		name, query, body string
		status            int
		want              BatchResponse // Passes compared by count only
		stored            int           // passes stored after it, beyond base
	}{
		{"ok/first", "", string(list), 201, BatchResponse{Issued: 9, New: 9, Duplicates: "skip", Summary: "0 already issued, 9 new"}, 9},
		{"ok/again-skips", "", string(list), 200, BatchResponse{AlreadyIssued: 9, Skipped: 9, Duplicates: "skip", Summary: "9 already issued, 0 new"}, 9},
		{"ok/again-explicit-skip", "&duplicates=skip", string(list), 200, BatchResponse{AlreadyIssued: 9, Skipped: 9, Duplicates: "skip", Summary: "9 already issued, 0 new"}, 9},
		{"ok/one-new", "", "name,type\nSigur Rós,VIP\nNew Person,VIP\n", 201, BatchResponse{Issued: 1, New: 1, AlreadyIssued: 1, Skipped: 1, Duplicates: "skip", Summary: "1 already issued, 1 new"}, 10},
		{"ok/allow", "&allow_duplicates=true", "name,type\nSigur Rós,VIP\n", 201, BatchResponse{Issued: 1, AlreadyIssued: 1, Duplicates: "issue", Summary: "1 already issued, 0 new"}, 11},
		{"ok/issue", "&duplicates=issue", "name,type\nSigur Rós,VIP\n", 201, BatchResponse{Issued: 1, AlreadyIssued: 1, Duplicates: "issue", Summary: "1 already issued, 0 new"}, 12},
		{"fail/bad-choice", "&duplicates=maybe", "name,type\nX,VIP\n", 400, BatchResponse{}, 12},
		{"fail/disagree", "&duplicates=skip&allow_duplicates=true", "name,type\nX,VIP\n", 400, BatchResponse{}, 12},
		{"fail/one-bad-row", "", "name,type\nFresh One,VIP\nBob,ROADIE\n", 400, BatchResponse{}, 12},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, got, body := batch(tt.query, tt.body)
			if code != tt.status {
				t.Fatalf("status %d %s, want %d", code, body, tt.status)
			}
			if tt.status < 300 {
				n := len(got.Passes)
				got.Passes = nil
				if g, w := mustJSONString(t, got), mustJSONString(t, tt.want); g != w || n != tt.want.Issued {
					t.Errorf("answer %+v (%d passes)\nwant   %+v", got, n, tt.want)
				}
			}
			if n := stored() - base; n != tt.stored {
				t.Errorf("%d passes stored, want %d", n, tt.stored)
			}
		})
	}
	code, _, body := batch("", "name,type\nFresh One,VIP\nBob,ROADIE\nCid,VIP,x\n")
	if code != 400 || !strings.Contains(body, `"code":"bad_guest_list"`) || !strings.Contains(body, `"details":[{"line":3,"column":2,"header":"type","message":"unknown pass type \"ROADIE\"`) ||
		!strings.Contains(body, `{"line":4,"message":"3 fields, but the header has 2`) {
		t.Errorf("bad list = %d %s", code, body)
	}
}

// TestPreviewGuestList: the preview shows every row, errors by line and
// column, and duplicates, and stores nothing.
func TestPreviewGuestList(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	auth := "Bearer " + f.apiToken(t, RoleIssuer, "office")
	list := "name,type,valid_until,ref\nZoë,AAA,,\nAnn,ROADIE,soon,\nBob,VIP,2027-03-05 23:30,T1\nBob,VIP,,\n"
	rec := f.do(t, "POST", "/v1/events/tour27-ber01/guestlists/preview", list, "Authorization", auth, "Content-Type", "text/csv")
	if rec.Code != 200 {
		t.Fatalf("preview = %d %s", rec.Code, rec.Body)
	}
	var p struct {
		Format string `json:"format"`
		Rows   []struct {
			Line       int    `json:"line"`
			ValidUntil string `json:"valid_until"`
			Errors     []struct {
				Column  int    `json:"column"`
				Header  string `json:"header"`
				Message string `json:"message"`
			} `json:"errors"`
			Duplicate *struct {
				Of     string `json:"of"`
				By     string `json:"by"`
				Serial string `json:"serial"`
				Line   int    `json:"line"`
			} `json:"duplicate"`
		} `json:"rows"`
		Counts  map[string]int `json:"counts"`
		Summary string         `json:"summary"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Format != "csv" || len(p.Rows) != 4 || p.Summary != "1 already issued, 1 new, 1 repeated in the list" {
		t.Fatalf("preview = %s", rec.Body)
	}
	if d := p.Rows[0].Duplicate; d == nil || d.Of != "issued" || d.Serial != string(f.iss.Serial) {
		t.Errorf("row 2 duplicate = %+v, want the fixture's pass", d)
	}
	if es := p.Rows[1].Errors; len(es) != 2 || es[0].Header != "type" || es[1].Header != "valid_until" || !strings.Contains(es[1].Message, "want RFC 3339") {
		t.Errorf("row 3 errors = %+v", es)
	}
	if r := p.Rows[2]; r.ValidUntil != "2027-03-05 23:30 +00:00" {
		t.Errorf("row 4 valid_until = %q: a local time in the event's zone", r.ValidUntil)
	}
	if d := p.Rows[3].Duplicate; d == nil || d.Of != "file" || d.Line != 4 {
		t.Errorf("row 5 duplicate = %+v", d)
	}
	if ps, _ := f.st.Passes(ctx, store.PassFilter{Event: "tour27-ber01"}); len(ps) != 1 {
		t.Errorf("preview stored %d passes", len(ps)-1)
	}
	for _, tt := range []struct {
		name, path, body, auth string
		status                 int
		want                   string
	}{
		{"fail/scanner", "/v1/events/tour27-ber01/guestlists/preview", list, "Bearer " + scannerToken(t, f), 403, "this needs an admin or issuer token; yours is a scanner token"},
		{"fail/no-event", "/v1/events/nope/guestlists/preview", list, auth, 404, "no event nope"},
		{"fail/xls", "/v1/events/tour27-ber01/guestlists/preview", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", auth, 400, "old .xls workbook"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "POST", tt.path, tt.body, "Authorization", tt.auth)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("= %d %s, want %d with %q", rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
}

// TestJSONBodyErrors: a bad JSON body names the field and what it wants
// (issue 13 item 8), and a local time is read in the event's zone.
func TestJSONBodyErrors(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	cet := time.FixedZone("CET", 3600)
	ev := &pass.Event{ID: "tour27-ber02", Name: "Tour", Schedule: pass.Schedule{
		ShowStart: time.Date(2027, 3, 5, 20, 0, 0, 0, cet), ShowEnd: time.Date(2027, 3, 5, 23, 0, 0, 0, cet)}}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateEvent(ctx, ev, "test"); err != nil {
		t.Fatal(err)
	}
	auth := "Bearer " + f.apiToken(t, RoleIssuer, "office")
	for _, tt := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"ok/local-time", `{"event":"tour27-ber02","type":"AAA","name":"A","valid_until":"2027-03-05 23:00"}`, 201, `"valid_until":"2027-03-05T22:00:00Z"`},
		{"ok/local-time-T", `{"event":"tour27-ber02","type":"AAA","name":"B","valid_until":"2027-03-05T23:00"}`, 201, `"valid_until":"2027-03-05T22:00:00Z"`},
		{"ok/rfc3339", `{"event":"tour27-ber02","type":"AAA","name":"C","valid_until":"2027-03-05T23:00:00+01:00"}`, 201, `"valid_until":"2027-03-05T22:00:00Z"`},
		{"ok/ref", `{"event":"tour27-ber02","type":"AAA","name":"D","ref":"TIX-1"}`, 201, `"name":"D"`},
		{"fail/bad-time", `{"event":"tour27-ber02","type":"AAA","name":"A","valid_until":"friday"}`, 400, `field \"valid_until\": bad time \"friday\": want RFC 3339`},
		{"fail/time-number", `{"event":"tour27-ber02","type":"AAA","name":"A","valid_from":5}`, 400, `field \"valid_from\": want a time as a string`},
		{"fail/name-number", `{"event":"tour27-ber02","type":"AAA","name":5}`, 400, `field \"name\" is a JSON number: want a string`},
		{"fail/unknown-field", `{"event":"tour27-ber02","type":"AAA","nmae":"A"}`, 400, `unknown field \"nmae\": want event, type, name, org, role, valid_from, valid_until, ref, photo`},
		{"fail/not-object", `[1]`, 400, "the body is a JSON array: want a JSON object"},
		{"fail/syntax", `{"event":`, 400, "the body is not valid JSON"},
		{"fail/two", `{"event":"tour27-ber02","type":"AAA","name":"A"} {}`, 400, "one JSON object per request"},
		{"fail/empty", ``, 400, "the body is empty"},
		{"fail/bad-type", `{"event":"tour27-ber02","type":"ROADIE","name":"A"}`, 400, `field \"type\": unknown pass type`},
		{"fail/photo-number", `{"event":"tour27-ber02","type":"AAA","name":"A","photo":3}`, 400, `field \"photo\" is a JSON number: want a string in base64`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "POST", "/v1/passes", tt.body, "Authorization", auth, "Content-Type", "application/json")
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("= %d %s\nwant %d with %s", rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
	// /verify shows the times in the event's zone with its offset.
	var one IssueResponse
	rec0 := f.do(t, "POST", "/v1/passes", `{"event":"tour27-ber02","type":"AAA","name":"Shown","valid_until":"2027-03-05 23:00"}`, "Authorization", auth)
	json.Unmarshal(rec0.Body.Bytes(), &one)
	if rec := f.do(t, "POST", "/v1/verify", `{"token":"`+one.Token+`"}`); !strings.Contains(rec.Body.String(), `"issued_shown":"2027-03-05 13:00 +01:00","expires_shown":"2027-03-05 23:00 +01:00"`) {
		t.Errorf("verify = %s, want the times in the event's zone", rec.Body)
	}
	// issued_before follows the time rule: 12:30 in Berlin is 11:30Z, before
	// the passes above were issued (12:00Z); 14:00 is after.
	admin0 := "Bearer " + f.apiToken(t, RoleAdmin, "boss0")
	for _, tt := range []struct{ at, want string }{
		{"2027-03-05 12:30", `"revoked":0`},
		{"2027-03-05T14:00", `"revoked":5`},
		{"noon", `field \"issued_before\": bad time \"noon\"`},
	} {
		rec := f.do(t, "POST", "/v1/revocations", `{"event":"tour27-ber02","issued_before":"`+tt.at+`","reason":"other"}`, "Authorization", admin0)
		if !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("mass revoke issued_before %s = %d %s, want %s", tt.at, rec.Code, rec.Body, tt.want)
		}
	}
	// Another JSON body: a revocation's unknown field names the fields there are.
	admin := "Bearer " + f.apiToken(t, RoleAdmin, "boss")
	rec := f.do(t, "POST", "/v1/passes/"+string(f.iss.Serial)+"/revoke", `{"reason":"lost","noet":"x"}`, "Authorization", admin)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `unknown field \"noet\": want`) {
		t.Errorf("revoke with a misspelt field = %d %s", rec.Code, rec.Body)
	}
}

func mustJSONString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBatchTwiceAtOnce: the same list sent twice at the same moment (a
// double click) issues it once.
func TestBatchTwiceAtOnce(t *testing.T) {
	f := newFixture(t, 0)
	auth := "Bearer " + f.apiToken(t, RoleIssuer, "office")
	var list strings.Builder
	list.WriteString("name,type\n")
	for i := range 300 {
		fmt.Fprintf(&list, "Twice %03d,VIP\n", i)
	}
	codes := make(chan int, 2)
	for range 2 {
		go func() {
			codes <- f.do(t, "POST", "/v1/passes/batch?event=tour27-ber01", list.String(), "Authorization", auth, "Content-Type", "text/csv").Code
		}()
	}
	got := []int{<-codes, <-codes}
	if !((got[0] == 201 && got[1] == 200) || (got[0] == 200 && got[1] == 201)) {
		t.Errorf("answers %v, want one 201 and one 200", got)
	}
	ps, err := f.st.Passes(context.Background(), store.PassFilter{Event: "tour27-ber01"})
	if err != nil || len(ps) != 1+300 {
		t.Errorf("%d passes stored (%v), want 1 + 300", len(ps), err)
	}
}

// TestGuestListBusy: while maxListReads lists are being read, a preview
// and a batch are answered 503 busy at once, not queued; once a slot is
// free the same list is read.
func TestGuestListBusy(t *testing.T) {
	f := newFixture(t, 0)
	auth := "Bearer " + f.apiToken(t, RoleIssuer, "office")
	list := "name,type\nNew Person,VIP\n"
	// maxListReads lists being read: their duplicate checks wait on release.
	release := make(chan struct{})
	var reading sync.WaitGroup
	ev, err := f.st.Event(context.Background(), "tour27-ber01")
	if err != nil {
		t.Fatal(err)
	}
	for range maxListReads {
		reading.Go(func() {
			f.s.lists.Check(context.Background(), []byte(list), ev, nil, blockingKeys(release))
		})
	}
	for f.s.lists.Reading() < maxListReads {
		runtime.Gosched()
	}
	for _, path := range []string{"/v1/events/tour27-ber01/guestlists/preview", "/v1/passes/batch?event=tour27-ber01"} {
		rec := f.do(t, "POST", path, list, "Authorization", auth, "Content-Type", "text/csv")
		if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"code":"busy"`) ||
			!strings.Contains(rec.Body.String(), "busy: another guest list is being read; try again in a moment") || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s with every slot taken = %d %s %v", path, rec.Code, rec.Body, rec.Header())
		}
	}
	release <- struct{}{}
	for f.s.lists.Reading() > maxListReads-1 {
		runtime.Gosched()
	}
	rec := f.do(t, "POST", "/v1/events/tour27-ber01/guestlists/preview", list, "Authorization", auth, "Content-Type", "text/csv")
	if rec.Code != 200 {
		t.Errorf("preview with a slot free = %d %s", rec.Code, rec.Body)
	}
	if n := f.s.lists.Reading(); n != maxListReads-1 {
		t.Errorf("%d slots taken after the preview, want %d (its slot given back)", n, maxListReads-1)
	}
	close(release)
	reading.Wait()
}

// blockingKeys finds no pass, once release gives way.
type blockingKeys chan struct{}

func (k blockingKeys) PassKeys(ctx context.Context, event string) ([]store.PassKey, error) {
	<-k
	return nil, nil
}
