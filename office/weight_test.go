package office

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/laminate/laminate/printing"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store/storetest"
)

// BenchmarkPageWeight measures what each office page costs over the wire
// (issue 13: at most 150 KB, gzip): the page as sent (pages are not
// compressed, see Mount) plus its stylesheet and script gzipped, as the
// browser fetches them. It reports the heaviest page.
//
//	go test ./office -run '^$' -bench PageWeight -benchtime 1x
func BenchmarkPageWeight(b *testing.B) {
	e := newEnv(b, Config{}, false)
	for i := range 20 { // a busy tour: twenty events, fifty accounts
		storetest.MustCreate(b, e.st, storetest.NewEvent(b, fmt.Sprintf("tour27-%02d", i), time.Date(2027, 3, 5+i, 20, 0, 0, 0, time.UTC)))
	}
	e.o.cfg.Printer = printing.Desk{Store: e.st}
	// The print page lists up to maxListed passes: give the event more.
	storetest.MustInsert(b, e.st, storetest.NewPasses(b, "tour27-01", 600, time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)))
	e.user("admin", staff.RoleAdmin)
	for i := range 49 {
		e.user(fmt.Sprintf("crew%02d", i), staff.RolePrinter, "tour27-01")
	}
	ps := storetest.NewPasses(b, "tour27-01", 50, time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC))
	storetest.MustInsert(b, e.st, ps)
	br := e.browser()
	br.mustSignIn("admin")
	gz := func(p []byte) int {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, 6)
		w.Write(p)
		w.Close()
		return buf.Len()
	}
	var static int
	for _, f := range []string{"office.css", "office.js"} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/office/static/"+f, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "gzip" {
			b.Fatalf("%s is not sent gzipped", f)
		}
		static += buf.Len()
	}
	pages := []string{"/office/sign-in", "/office/", "/office/events/tour27-01", "/office/users", "/office/users/crew01", "/office/account",
		"/office/passes?event=tour27-01", "/office/passes/" + ps[0].Serial.String(),
		"/office/print?event=tour27-01", "/office/print?event=tour27-01&mode=all", "/office/desk?event=tour27-01&q=holder"}
	var heaviest int
	for range b.N {
		for _, p := range pages {
			var a answer
			if p == "/office/sign-in" {
				a = e.browser().get(p)
			} else {
				a = br.get(p)
			}
			if a.status != http.StatusOK {
				b.Fatalf("%s: %d", p, a.status)
			}
			wire := len(a.body) + static
			heaviest = max(heaviest, wire)
			b.Logf("%-26s page %6d B (%5d B if gzipped) + css/js %5d B gzip = %6.1f KB over the wire", p, len(a.body), gz([]byte(a.body)), static, float64(wire)/1024)
		}
	}
	b.ReportMetric(float64(heaviest)/1024, "KB/heaviest-page")
}
