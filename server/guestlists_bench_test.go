package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// guestList10k is a guest list of n rows, with a prefix making its names
// its own.
func guestList10k(prefix string, n int) string {
	var sb strings.Builder
	sb.WriteString("name,type,org,role,valid_until,ref\n")
	types := []string{"AAA", "VIP", "WORKING", "LOCAL_CREW", "PHOTO", "STAFF"}
	for i := range n {
		t := types[i%len(types)]
		role := ""
		if t == "STAFF" {
			role = "catering"
		}
		fmt.Fprintf(&sb, "%s Guest %05d,%s,Crew %d,%s,2027-03-06 02:00,%s-%05d\n", prefix, i, t, i%40, role, prefix, i)
	}
	return sb.String()
}

func benchPost(b *testing.B, f *fixture, path, body, ctype, auth string, want int) {
	b.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("POST %s = %d %.300s", path, rec.Code, rec.Body)
	}
}

// BenchmarkPreview10k is a 10,000-row CSV guest list to its preview
// (POST /v1/events/{id}/guestlists/preview) on SQLite, against an event
// that already has those 10,000 passes (every row a duplicate): the issue
// asks for at most 3 s.
func BenchmarkPreview10k(b *testing.B) {
	f := newFixture(b, 0)
	auth := "Bearer " + f.apiToken(b, RoleIssuer, "office")
	list := guestList10k("Bench", 10_000)
	benchPost(b, f, "/v1/passes/batch?event=tour27-ber01", list, "text/csv", auth, http.StatusCreated)
	b.ResetTimer()
	for b.Loop() {
		benchPost(b, f, "/v1/events/tour27-ber01/guestlists/preview", list, "text/csv", auth, http.StatusOK)
	}
}

// BenchmarkPreview10kXLSX is BenchmarkPreview10k with the list as XLSX.
func BenchmarkPreview10kXLSX(b *testing.B) {
	f := newFixture(b, 0)
	auth := "Bearer " + f.apiToken(b, RoleIssuer, "office")
	x := excelize.NewFile()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(guestList10k("Bench", 10_000)), "\n") {
		cells := strings.Split(line, ",")
		row := make([]any, len(cells))
		for j := range cells {
			row[j] = cells[j]
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		b.Fatal(err)
	}
	body := buf.String()
	b.ResetTimer()
	for b.Loop() {
		benchPost(b, f, "/v1/events/tour27-ber01/guestlists/preview", body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", auth, http.StatusOK)
	}
}

// BenchmarkConfirm10k is a 10,000-row CSV guest list confirmed to stored
// (POST /v1/passes/batch: parse, duplicate check, sign, one transaction)
// on SQLite: the issue asks for at most 5 s. Each round is a new list.
func BenchmarkConfirm10k(b *testing.B) {
	f := newFixture(b, 0)
	auth := "Bearer " + f.apiToken(b, RoleIssuer, "office")
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		list := guestList10k(fmt.Sprintf("Round%d", round), 10_000)
		b.StartTimer()
		benchPost(b, f, "/v1/passes/batch?event=tour27-ber01&duplicates=skip", list, "text/csv", auth, http.StatusCreated)
	}
}
