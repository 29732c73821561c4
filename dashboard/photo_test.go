package dashboard

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/photo"
	"github.com/laminate/laminate/server"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// testPhoto is a holder's photo as photo.Process makes it, its colours
// from seed.
func testPhoto(t testing.TB, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 300, 400))
	for y := range 400 {
		for x := range 300 {
			img.Set(x, y, color.RGBA{uint8(x) + seed, uint8(y), seed, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	ph, err := photo.Process(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return ph
}

// photoPasses issues n passes of typ with photos, named name 0, name 1…
func (e *env) photoPasses(typ pass.Type, name, org string, n int) []store.Issued {
	e.t.Helper()
	reqs := make([]signer.Request, n)
	for i := range reqs {
		reqs[i] = signer.Request{Type: typ, Name: fmt.Sprintf("%s %d", name, i), Org: org, Photo: testPhoto(e.t, uint8(60*i))}
	}
	return e.issue(reqs)
}

// TestClearPhoto: the clear list's photos are served to whoever may
// watch the event, stage included, but only of the passes on the list
// now; the photo route of every pass stays closed to the stage role.
func TestClearPhoto(t *testing.T) {
	e := newEnvWith(t, nil, Config{}, sessions{})
	ph := e.photoPasses(pass.Photo, "Photographer", "Press Co", 3) // 0 stays in, 1 scans out, 2 never enters
	aaa := e.photoPasses(pass.AAA, "Crew", "", 1)                  // inside the pit, but may stay
	scanner, stage, issuer := e.token(server.RoleScanner), e.token(server.RoleStage), e.token(server.RoleIssuer)
	e.show(2 * time.Minute)
	for _, p := range []store.Issued{ph[0], ph[1], aaa[0]} {
		e.scan(scanner, p.Token, "pit", "photo-pit", "in")
	}
	url := func(p store.Issued) string { return "/v1/events/ev/clear/" + string(p.Serial) + "/photo" }
	get := func(auth, cookie, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "test_session", Value: cookie})
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode == 200 {
			if r.Header.Get("Content-Type") != "image/jpeg" || r.Header.Get("Cache-Control") != "no-store" || pass.PhotoHash(b) != ph[0].Photo {
				t.Errorf("GET %s: %q %q, %d bytes; want the signed JPEG, no-store", path, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"), len(b))
			}
		}
		return r.StatusCode, string(b)
	}
	// In the photo window no one is to clear: no photo.
	if code, body := get(stage, "", url(ph[0])); code != 404 || !strings.Contains(body, "not_on_clear_list") {
		t.Errorf("in the photo window: %d %s, want 404 not_on_clear_list", code, body)
	}
	e.show(6 * time.Minute)
	if r := e.do(stage, "POST", "/v1/events/ev/cues", `{"cue":"photo_closed"}`); r.StatusCode != 200 {
		t.Fatalf("cue: HTTP %d", r.StatusCode)
	}
	e.scan(scanner, ph[1].Token, "pit", "photo-pit", "out")
	r := e.do(stage, "GET", "/v1/events/ev/clear?zone=photo-pit", "")
	r.Body.Close()
	for _, tc := range []struct {
		name, auth, cookie, path string
		want                     int
	}{
		{"stage token, on the list", stage, "", url(ph[0]), 200},
		{"scanner token, on the list", scanner, "", url(ph[0]), 200},
		{"stage session, on the list", "", "stage", url(ph[0]), 200},
		{"stage, scanned out", stage, "", url(ph[1]), 404},
		{"stage, never entered", stage, "", url(ph[2]), 404},
		{"stage, inside but allowed to stay", stage, "", url(aaa[0]), 404},
		{"stage, bad serial", stage, "", "/v1/events/ev/clear/nope/photo", 400},
		{"stage, another event", stage, "", "/v1/events/other/clear/" + string(ph[0].Serial) + "/photo", 404},
		{"issuer token may not watch", issuer, "", url(ph[0]), 403},
		{"printer session may not watch", "", "printer", url(ph[0]), 403},
		{"no credential", "", "", url(ph[0]), 401},
		{"stage on the photo route of every pass", stage, "", "/v1/passes/" + string(ph[0].Serial) + "/photo", 403},
		{"stage session on the photo route of every pass", "", "stage", "/v1/passes/" + string(ph[0].Serial) + "/photo", 403},
	} {
		if code, body := get(tc.auth, tc.cookie, tc.path); code != tc.want {
			t.Errorf("%s: GET %s = %d %.200s, want %d", tc.name, tc.path, code, body, tc.want)
		}
	}
	// The list names the route.
	s := e.live(stage)
	snap := s.until(t, "the clear list", func(s *Snapshot) bool { return len(s.Clear) == 1 })
	if got := snap.Clear[0].Passes; len(got) != 1 || got[0].PhotoURL != url(ph[0]) {
		t.Errorf("clear list = %+v, want photographer 0 with the photo route", got)
	}
}
