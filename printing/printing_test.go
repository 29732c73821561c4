package printing

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
	"github.com/laminate/laminate/store/storetest"
	"github.com/laminate/laminate/templates"
)

func TestSelect(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cet := time.FixedZone("CET", 3600)
	start := time.Date(2027, 3, 5, 20, 0, 0, 0, cet)
	storetest.MustCreate(t, st, storetest.NewEvent(t, "ev1", start), storetest.NewEvent(t, "ev2", start))
	ps := storetest.NewPasses(t, "ev1", 4, start.Add(-48*time.Hour))
	other := storetest.NewPasses(t, "ev2", 1, start.Add(-48*time.Hour))
	storetest.MustInsert(t, st, ps)
	storetest.MustInsert(t, st, other)
	st.Revoke(ctx, &store.Revocation{Serial: ps[3].Serial, Category: pass.RevokeLost, By: "t"})
	at := time.Date(2027, 3, 5, 17, 4, 0, 0, time.UTC)
	st.RecordPrints(ctx, []record.Print{{Serial: ps[0].Serial, At: at, Actor: "Ana", Template: "t", Format: "pdf"}})

	serials := func(is []store.Issued) string {
		var s []string
		for _, p := range is {
			s = append(s, string(p.Serial))
		}
		return strings.Join(s, ",")
	}
	for _, c := range []struct {
		name string
		sel  Selection
		want string // serials, or the error's text
		err  error
	}{
		{"ok/all-leaves-revoked-out", Selection{Event: "ev1", All: true}, serials(ps[:3]), nil},
		{"ok/not-printed", Selection{Event: "ev1", NotPrinted: true}, serials(ps[1:3]), nil},
		{"ok/serials-in-order", Selection{Event: "ev1", Serials: []pass.Serial{ps[2].Serial, ps[0].Serial}}, serials([]store.Issued{ps[2], ps[0]}), nil},
		{"fail/revoked-serial", Selection{Event: "ev1", Serials: []pass.Serial{ps[3].Serial}}, "is revoked (lost): it is not printed", ErrRevoked},
		{"fail/other-event", Selection{Event: "ev1", Serials: []pass.Serial{other[0].Serial}}, "is for event ev2, not ev1", ErrOtherEvent},
		{"fail/unknown", Selection{Event: "ev1", Serials: []pass.Serial{"ZZZZZZZZ"}}, "no such pass", ErrNoPass},
		{"fail/none", Selection{Event: "ev1"}, "give serials", ErrBadSelection},
		{"fail/two", Selection{Event: "ev1", All: true, NotPrinted: true}, "give serials", ErrBadSelection},
		{"fail/over-max", Selection{Event: "ev1", All: true, Max: 2}, "3 selected, at most 2", ErrTooMany},
		{"ok/at-max", Selection{Event: "ev2", NotPrinted: true, Max: 1}, serials(other), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Select(ctx, st, c.sel)
			if c.err != nil {
				if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("Select() error = %v, want %v with %q", err, c.err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.want != "" && serials(got) != c.want {
				t.Fatalf("Select() = %s, want %s", serials(got), c.want)
			}
		})
	}
	st.RecordPrints(ctx, []record.Print{{Serial: other[0].Serial, At: at, Actor: "Ana", Template: "t", Format: "pdf"}})
	if _, err := Select(ctx, st, Selection{Event: "ev2", NotPrinted: true}); !errors.Is(err, ErrNothing) || !strings.Contains(err.Error(), "no passes left unprinted") {
		t.Fatalf("Select(not printed, all printed) = %v", err)
	}
	status, _ := st.PrintStatus(ctx, "ev1")
	ws := Warnings(status, ps[:2], cet, at.Add(time.Hour))
	if len(ws) != 1 || ws[0] != "pass "+ps[0].Serial.String()+": already printed 1 time, last at 18:04 +01:00 by Ana" {
		t.Fatalf("Warnings() = %q", ws)
	}
}

func TestJobSummary(t *testing.T) {
	tpl, err := templates.Load("badge-a6-a4")
	if err != nil {
		t.Skip(err)
	}
	per := tpl.PerPage()
	j := Job{Template: tpl, Format: record.FormatPDF}
	if got, want := j.Summary(1, 0), "1 pass on 1 page"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	j.Duplex = true
	if got, want := j.Summary(per+1, 0), fmt.Sprintf("%d passes on 4 pages", per+1); got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	z := Job{Template: tpl, Format: record.FormatZPL, DPI: 203}
	if got, want := z.Summary(2, 99), "2 labels at 203 dpi, 99 bytes"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}
