package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// TestPrinterRole: a printer token prints, reprints, looks a pass up and
// marks it collected; it cannot issue, revoke or cue.
func TestPrinterRole(t *testing.T) {
	f := newFixture(t, 0)
	printer := "Bearer " + f.apiToken(t, RolePrinter, "desk 1")
	serial := string(f.iss.Serial)
	for _, tt := range []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"ok/pdf", "GET", "/v1/passes/" + serial + "/pdf", "", 200, "%PDF-1"},
		{"ok/zpl", "GET", "/v1/passes/" + serial + "/pdf?format=zpl&template=badge-cr80-letter&dpi=300", "", 200, "^XA"},
		{"ok/batch-print", "POST", "/v1/print", `{"event":"tour27-ber01","all":true,"format":"zpl","template":"sticker-round-50mm-a4"}`, 200, "^GFA,"},
		{"ok/lookup", "GET", "/v1/passes/" + serial, "", 200, `"serial":"` + serial + `"`},
		{"ok/prints", "GET", "/v1/passes/" + serial + "/prints", "", 200, `"count":3`},
		{"ok/collected", "POST", "/v1/passes/" + serial + "/collected", "", 200, `"already":false`},
		{"fail/issue", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"AAA","name":"X"}`, 403, "this needs an admin or issuer token; yours is a printer token"},
		{"fail/issue-batch", "POST", "/v1/passes/batch?event=tour27-ber01", "name,type\nAnn,AAA\n", 403, "forbidden"},
		{"fail/revoke", "POST", "/v1/passes/" + serial + "/revoke", `{"reason":"lost"}`, 403, "forbidden"},
		{"fail/cue", "POST", "/v1/events/tour27-ber01/cues", `{"cue":"doors_open"}`, 403, "forbidden"},
		{"fail/scan", "POST", "/v1/scans", `{}`, 403, "forbidden"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, tt.method, tt.path, tt.body, "Authorization", printer)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("%s %s = %d %.300s, want %d with %s", tt.method, tt.path, rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
	if _, _, err := NewToken(RolePrinter, "desk", f.now); err != nil {
		t.Fatalf("NewToken(printer) = %v", err)
	}
}

// TestReprintWarning: the first print comes without a warning, the next
// with "already printed N times, last at HH:MM +hh:mm by NAME" in the
// event's time zone; the print log keeps both.
func TestReprintWarning(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	cet := time.FixedZone("CET", 3600)
	ev := &pass.Event{ID: "tour27-muc", Name: "Munich", Schedule: pass.Schedule{
		ShowStart: time.Date(2027, 3, 5, 20, 0, 0, 0, cet), ShowEnd: time.Date(2027, 3, 5, 23, 0, 0, 0, cet)}}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateEvent(ctx, ev, "test"); err != nil {
		t.Fatal(err)
	}
	issuer := "Bearer " + f.apiToken(t, RoleIssuer, "office")
	rec := f.do(t, "POST", "/v1/passes", `{"event":"tour27-muc","type":"AAA","name":"Ana"}`, "Authorization", issuer)
	var one IssueResponse
	json.Unmarshal(rec.Body.Bytes(), &one)
	if rec.Code != 201 {
		t.Fatalf("issue = %d %s", rec.Code, rec.Body)
	}
	printer := f.apiToken(t, RolePrinter, "Desk Zoë")
	id := strings.Split(printer, "_")[1]
	path := "/v1/passes/" + string(one.Serial) + "/pdf?template=badge-cr80-letter"
	f.setNow(time.Date(2027, 3, 5, 17, 4, 0, 0, time.UTC))
	rec = f.do(t, "GET", path, "", "Authorization", "Bearer "+printer)
	if rec.Code != 200 || rec.Header().Values(HeaderWarning) != nil {
		t.Fatalf("first print = %d, warnings %q; want 200 and none", rec.Code, rec.Header().Values(HeaderWarning))
	}
	f.setNow(time.Date(2027, 3, 5, 17, 30, 0, 0, time.UTC))
	rec = f.do(t, "GET", path+"&format=zpl", "", "Authorization", "Bearer "+printer)
	want := "pass " + one.Serial.String() + ": already printed 1 time, last at 18:04 +01:00 by token:" + id + " (Desk Zo%C3%AB)"
	if got := rec.Header().Values(HeaderWarning); rec.Code != 200 || len(got) != 1 || got[0] != want {
		t.Fatalf("reprint = %d, warnings %q; want %q", rec.Code, got, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/x-zpl" || !strings.Contains(rec.Header().Get("Content-Disposition"), ".zpl") {
		t.Errorf("ZPL answer has Content-Type %q, disposition %q", ct, rec.Header().Get("Content-Disposition"))
	}
	rec = f.do(t, "GET", path, "", "Authorization", "Bearer "+printer)
	if got := rec.Header().Values(HeaderWarning); len(got) != 1 || !strings.Contains(got[0], "already printed 2 times, last at 18:30 +01:00") {
		t.Fatalf("third print warnings %q", got)
	}
	log, _ := f.st.Prints(ctx, one.Serial)
	if len(log) != 3 || log[1].Format != "zpl" || log[0].Template != "badge-cr80-letter" || log[2].Actor != "token:"+id+" (Desk Zoë)" {
		t.Fatalf("print log = %+v", log)
	}
	audit, _ := f.st.Audit(ctx, 1)
	if audit[0].Action != store.ActionPassPrint || audit[0].Subject != string(one.Serial) {
		t.Errorf("last audit row = %+v, want pass.print", audit[0])
	}
}

// TestPrintBatch: POST /v1/print chooses by serials, all, or not printed
// yet, refuses what it cannot print with a reason, and sends ZPL to the
// configured printer.
func TestPrintBatch(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	issuer := "Bearer " + f.apiToken(t, RoleIssuer, "office")
	rec := f.do(t, "POST", "/v1/passes/batch?event=tour27-ber01", "name,type\nAnn,AAA\nBob,VIP\nCem,WORKING\n", "Authorization", issuer)
	if rec.Code != 201 {
		t.Fatalf("batch = %d %s", rec.Code, rec.Body)
	}
	var batch struct{ Passes []IssueResponse }
	json.Unmarshal(rec.Body.Bytes(), &batch)
	printer := "Bearer " + f.apiToken(t, RolePrinter, "desk")
	post := func(body string) (int, string, []string) {
		r := f.do(t, "POST", "/v1/print", body, "Authorization", printer)
		return r.Code, r.Body.String(), r.Header().Values(HeaderWarning)
	}
	// Two by serial, then "not printed" takes the other two (the
	// fixture's pass and Cem), then nothing is left.
	code, body, warn := post(`{"event":"tour27-ber01","serials":["` + string(batch.Passes[0].Serial) + `","` + strings.ToLower(string(batch.Passes[1].Serial)) + `"],"format":"zpl","template":"badge-4x3-letter"}`)
	if code != 200 || strings.Count(body, "^XA") != 2 || warn != nil {
		t.Fatalf("print by serials = %d, %d labels, warnings %q", code, strings.Count(body, "^XA"), warn)
	}
	code, body, _ = post(`{"event":"tour27-ber01","not_printed":true,"format":"zpl","dpi":300,"template":"badge-cr80-letter"}`)
	if code != 200 || strings.Count(body, "^XA") != 2 || !strings.Contains(body, batch.Passes[2].Serial.String()) || !strings.Contains(body, f.iss.Serial.String()) {
		t.Fatalf("print not printed = %d, %d labels", code, strings.Count(body, "^XA"))
	}
	code, body, _ = post(`{"event":"tour27-ber01","not_printed":true}`)
	if code != 422 || !strings.Contains(body, "no passes left unprinted") {
		t.Fatalf("print not printed again = %d %s", code, body)
	}
	code, body, warn = post(`{"event":"tour27-ber01","all":true,"template":"badge-cr80-letter"}`)
	if code != 200 || !strings.HasPrefix(body, "%PDF-1") || len(warn) != 4 {
		t.Fatalf("print all = %d, warnings %q; want a PDF and 4 warnings", code, warn)
	}

	f.st.Revoke(ctx, &store.Revocation{Serial: batch.Passes[0].Serial, Category: pass.RevokeLost, By: "test"})
	for _, tt := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"fail/revoked-serial", `{"event":"tour27-ber01","serials":["` + string(batch.Passes[0].Serial) + `"]}`, 409, "is revoked (lost)"},
		{"fail/unknown-serial", `{"event":"tour27-ber01","serials":["2222-2222"]}`, 404, "no such pass"},
		{"fail/bad-serial", `{"event":"tour27-ber01","serials":["nope"]}`, 400, "serials[0]"},
		{"fail/no-selection", `{"event":"tour27-ber01"}`, 400, `give exactly one of \"serials\"`},
		{"fail/two-selections", `{"event":"tour27-ber01","all":true,"not_printed":true}`, 400, "exactly one"},
		{"fail/no-event", `{"all":true}`, 400, "event: required"},
		{"fail/unknown-event", `{"event":"nope","all":true}`, 404, "no event nope"},
		{"fail/format", `{"event":"tour27-ber01","all":true,"format":"png"}`, 400, `format: must be \"pdf\" or \"zpl\"`},
		{"fail/dpi", `{"event":"tour27-ber01","all":true,"format":"zpl","dpi":600}`, 400, "dpi: must be 203 or 300"},
		{"fail/a6-zpl", `{"event":"tour27-ber01","all":true,"format":"zpl","template":"badge-a6-a4"}`, 400, "105 mm wide"},
		{"fail/template-path", `{"event":"tour27-ber01","all":true,"template":"/etc/passwd"}`, 400, "unknown template"},
		{"fail/unknown-field", `{"event":"tour27-ber01","all":true,"copies":2}`, 400, "unknown field"},
		{"fail/send-no-printer", `{"event":"tour27-ber01","all":true,"format":"zpl","send":true}`, 400, "no printer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := post(tt.body)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("POST /v1/print %s = %d %.300s, want %d with %s", tt.body, code, body, tt.status, tt.want)
			}
		})
	}

	// Sent to a printer: the listener gets exactly the labels, the answer
	// is JSON with the warnings.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		got <- b
	}()
	f.s.cfg.Printer = ln.Addr().String()
	code, body, _ = post(`{"event":"tour27-ber01","serials":["` + string(batch.Passes[2].Serial) + `"],"format":"zpl","template":"sticker-round-2in-letter","send":true}`)
	var sent PrintSent
	json.Unmarshal([]byte(body), &sent)
	if code != 200 || sent.Sent != 1 || len(sent.Warnings) != 1 || !strings.Contains(sent.Warnings[0], "already printed 2 times") {
		t.Fatalf("send = %d %s", code, body)
	}
	if b := <-got; len(b) != sent.Bytes || !strings.HasPrefix(string(b), "^XA") || !strings.Contains(string(b), batch.Passes[2].Serial.String()) {
		t.Fatalf("printer got %d bytes, answer says %d", len(b), sent.Bytes)
	}
	// A printer that is gone: 502, and nothing logged.
	ln.Close()
	before, _ := f.st.Prints(ctx, batch.Passes[2].Serial)
	code, body, _ = post(`{"event":"tour27-ber01","serials":["` + string(batch.Passes[2].Serial) + `"],"format":"zpl","template":"sticker-round-2in-letter","send":true}`)
	after, _ := f.st.Prints(ctx, batch.Passes[2].Serial)
	if code != 502 || !strings.Contains(body, "did not take the labels") || len(after) != len(before) {
		t.Fatalf("send to a closed port = %d %s; prints %d -> %d", code, body, len(before), len(after))
	}
}

// TestCollected: the desk marks a pass collected once; again shows the
// first collection; it is audited and is not a scan; a revoked pass is
// not handed out.
func TestCollected(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	desk := "Bearer " + f.apiToken(t, RolePrinter, "desk 2")
	path := "/v1/passes/" + string(f.iss.Serial) + "/collected"
	f.setNow(time.Date(2027, 3, 5, 17, 4, 0, 0, time.UTC))
	rec := f.do(t, "POST", path, "", "Authorization", desk)
	var first CollectedResponse
	json.Unmarshal(rec.Body.Bytes(), &first)
	if rec.Code != 200 || first.Already || first.Serial != f.iss.Serial || !first.CollectedAt.Equal(time.Date(2027, 3, 5, 17, 4, 0, 0, time.UTC)) ||
		!strings.Contains(first.CollectedBy, "(desk 2)") {
		t.Fatalf("collected = %d %s", rec.Code, rec.Body)
	}
	f.setNow(time.Date(2027, 3, 5, 18, 0, 0, 0, time.UTC))
	rec = f.do(t, "POST", path, "", "Authorization", desk)
	var again CollectedResponse
	json.Unmarshal(rec.Body.Bytes(), &again)
	if rec.Code != 200 || !again.Already || !again.CollectedAt.Equal(first.CollectedAt) {
		t.Fatalf("collected again = %d %s", rec.Code, rec.Body)
	}
	if sc, _ := f.st.Scans(ctx, f.iss.Serial); len(sc) != 0 {
		t.Fatalf("collection made %d scans", len(sc))
	}
	audit, _ := f.st.Audit(ctx, 0)
	n := 0
	for _, a := range audit {
		if a.Action == store.ActionPassCollect && a.Subject == string(f.iss.Serial) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d pass.collect audit rows, want 1", n)
	}
	scanner := "Bearer " + scannerToken(t, f)
	if rec := f.do(t, "POST", path, "", "Authorization", scanner); rec.Code != 403 {
		t.Fatalf("scanner marks collected = %d", rec.Code)
	}
	f.st.Revoke(ctx, &store.Revocation{Serial: f.iss.Serial, Category: pass.RevokeStolen, By: "test"})
	if rec := f.do(t, "POST", path, "", "Authorization", desk); rec.Code != 409 || !strings.Contains(rec.Body.String(), "do not hand it out") {
		t.Fatalf("collect a revoked pass = %d %s", rec.Code, rec.Body)
	}
}
