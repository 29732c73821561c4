package dashboard

// LAMINATE_SHOTS=<dir> saves a screenshot of the dashboard at each width.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/internal/browsertest"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/server"
	"github.com/laminate/laminate/store"
)

// showNight is an event in the middle of a show: the stage nearly full
// (9 of 10), the green room over its soft capacity (4 of 3, let in by a
// door that was offline), doors online and offline, alerts, and three
// photographers still in the pit past the grace period, with photos.
func showNight(t *testing.T) (*env, string) {
	t.Helper()
	pol := pass.DefaultPolicy()
	for z, c := range map[pass.Zone]pass.ZoneCapacity{"stage": {Max: 10, WhenFull: pass.FullDeny}, "green-room": {Max: 3, WhenFull: pass.FullAttention}} {
		if err := pol.SetCapacity(z, c); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, pol, Config{OfflineAfter: time.Minute})
	ph := e.photoPasses(pass.Photo, "Photographer", "Rolling Press Agency", 3)
	crew := e.photoPasses(pass.AAA, "Crew", "Tour Production", 13)
	scanner, stage := e.token(server.RoleScanner), e.token(server.RoleStage)
	e.show(2 * time.Minute)
	for _, p := range ph {
		e.scan(scanner, p.Token, "pit", "photo-pit", "in")
	}
	e.show(3 * time.Minute)
	for i, p := range crew[:9] {
		e.scan(scanner, p.Token, []string{"stage-left", "stage-right", "loading-dock"}[i%3], "stage", "in")
	}
	// The green-room door was offline: it let in 4 of a capacity of 3.
	at := e.ev.Schedule.ShowStart.Add(4 * time.Minute)
	var up server.OfflineUpload
	for i, p := range crew[9:] {
		at := at.Add(time.Duration(i) * time.Second)
		up.Scans = append(up.Scans, server.OfflineScan{ScanRequest: server.ScanRequest{Token: p.Token, Gate: "green-room", Zone: "green-room", Direction: "in",
			ScanID: fmt.Sprintf("gr-%d", i), At: &at}, Decision: record.Admit, Code: "ok"})
	}
	b, _ := json.Marshal(up)
	if r := e.do(scanner, "POST", "/v1/scans/offline", string(b)); r.StatusCode != 200 {
		t.Fatalf("offline upload: HTTP %d", r.StatusCode)
	}
	e.show(6 * time.Minute)
	if r := e.do(stage, "POST", "/v1/events/ev/cues", `{"cue":"photo_closed"}`); r.StatusCode != 200 {
		t.Fatalf("cue: HTTP %d", r.StatusCode)
	}
	e.show(9 * time.Minute)
	for _, g := range []string{"pit", "stage-left", "green-room"} {
		if r := e.do(scanner, "POST", "/v1/events/ev/heartbeat", fmt.Sprintf(`{"gate":%q,"revocation_age_s":4}`, g)); r.StatusCode != 204 {
			t.Fatalf("heartbeat: HTTP %d", r.StatusCode)
		}
	}
	if err := e.dash.clearAll(context.Background()); err != nil { // the still_inside alerts
		t.Fatal(err)
	}
	as, err := e.st.Alerts(context.Background(), store.AlertFilter{Event: "ev"})
	if err != nil || len(as) < 4 {
		t.Fatalf("alerts %d, %v: want the over_capacity and still_inside ones", len(as), err)
	}
	return e, stage
}

// TestDashboardLooksBrowser: the dashboard of a busy show night, signed in as
// the stage role, at 1280 and 390 px: axe-core finds nothing serious, the
// page does not scroll sideways, a full zone says so in words (not by
// colour alone), the alerts are shown, and the clear list shows photos.
func TestDashboardLooksBrowser(t *testing.T) {
	ctx := headless(t)
	axe := browsertest.Axe(t)
	e, stage := showNight(t)
	for _, size := range [][2]int64{{1280, 900}, {390, 844}} {
		name := fmt.Sprintf("dashboard-%d", size[0])
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(e.ts.URL+"/dashboard?event=ev")); err != nil {
			t.Fatal(err)
		}
		if size[0] == 1280 {
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("token")), browsertest.Enter(chromedp.ID("token"), stage)); err != nil {
				t.Fatal(err)
			}
		}
		ready := `(() => { const s = laminateDashboard.snapshot(); if (!s || !s.doors || s.doors.length < 4) return false;
			const imgs = [...document.querySelectorAll("#clear img")];
			return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0); })()`
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](ready)); err != nil {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(laminateDashboard.snapshot())`))
			t.Fatalf("%s: the page did not show the doors and the clear list's 3 photos: %v\n%.2000s", name, err, got)
		}
		text := func(sel string) string {
			t.Helper()
			s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.querySelector(`+jsString(sel)+`); return e && e.checkVisibility() ? e.innerText : ""; })()`))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		for _, c := range []struct{ sel, want string }{
			{`#zones [data-zone="green-room"]`, "over capacity +1"},
			{`#zones [data-zone="stage"]`, "nearly full"},
			{`#doors [data-gate="stage-right"]`, "offline"},
			{`#doors [data-gate="pit"]`, "online"},
			{`#alerts`, "over capacity"},
			{`#alerts`, "still inside"},
			{`#summary`, "1 zone full"},
			{`#summary`, "2 doors offline"},
			{`#clear`, "Photographer 0"},
		} {
			if got := text(c.sel); !strings.Contains(strings.ToLower(got), strings.ToLower(c.want)) {
				t.Errorf("%s: %s says %q, want %q in it", name, c.sel, got, c.want)
			}
		}
		look(ctx, t, axe, name)
	}
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

// look is what the page must pass at each width: no sideways scroll,
// axe-core with no serious or critical violation; and a screenshot with
// LAMINATE_SHOTS.
func look(ctx context.Context, t *testing.T, axe, name string) {
	t.Helper()
	browsertest.NoSideScroll(ctx, t, name)
	browsertest.AxeCheck(ctx, t, axe, name)
	browsertest.Shot(ctx, t, name, true)
}

// TestDashboardManyDoorsBrowser: with 300 doors the page stays a page: the
// doors scroll inside their section (the zones and alerts stay in
// reach), and an offline door is at the top of the list.
func TestDashboardManyDoorsBrowser(t *testing.T) {
	ctx := headless(t)
	axe := browsertest.Axe(t)
	e := newEnv(t, nil, Config{OfflineAfter: time.Minute})
	scanner, stage := e.token(server.RoleScanner), e.token(server.RoleStage)
	beat := func(gate string) {
		t.Helper()
		if r := e.do(scanner, "POST", "/v1/events/ev/heartbeat", fmt.Sprintf(`{"gate":%q,"revocation_age_s":2}`, gate)); r.StatusCode != 204 {
			t.Fatalf("heartbeat %s: HTTP %d", gate, r.StatusCode)
		}
	}
	e.show(time.Minute)
	beat("door-250") // goes quiet: offline
	e.show(5 * time.Minute)
	for i := range 300 {
		if i != 250 {
			beat(fmt.Sprintf("door-%03d", i))
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/dashboard?event=ev"),
		chromedp.WaitVisible(chromedp.ID("token")), browsertest.Enter(chromedp.ID("token"), stage)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("#doors tbody tr").length === 300`)); err != nil {
		t.Fatalf("the page did not show 300 doors: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const b = document.getElementById("doors-box"), r = b.getBoundingClientRect();
		const first = document.querySelector("#doors tbody tr"), f = first.getBoundingClientRect();
		return [document.documentElement.scrollHeight, innerHeight, b.scrollHeight, b.clientHeight,
			first.dataset.gate === "door-250" && first.checkVisibility() && f.top >= r.top && f.bottom <= r.bottom ? 1 : 0]; })()`))
	if err != nil {
		t.Fatal(err)
	}
	page, window, box, boxShown, firstOffline := got[0], got[1], got[2], got[3], got[4]
	if page > 4*window {
		t.Errorf("the page is %v px long in a %v px window with 300 doors, want at most 4 windows (the doors scroll in their section)", page, window)
	}
	if box <= boxShown {
		t.Errorf("the doors' section shows %v of %v px: it does not scroll within itself", boxShown, box)
	}
	if firstOffline != 1 {
		t.Error("the offline door door-250 is not the first row shown in the doors' section")
	}
	look(ctx, t, axe, "dashboard-300-doors-390")
}
