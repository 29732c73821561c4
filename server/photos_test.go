package server

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	_ "modernc.org/sqlite" // to swap a photo behind the store's back

	"github.com/laminate/laminate/internal/browsertest"
	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/photo"
	"github.com/laminate/laminate/signer"
)

// testJPEG is an upload: a w x h JPEG whose colour depends on seed.
func testJPEG(t testing.TB, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x) + seed, uint8(y), seed, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// form builds a multipart body: fields, then files (part name, file name, bytes).
func form(t testing.TB, fields map[string]string, files ...[3]any) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for _, f := range files {
		w, err := mw.CreateFormFile(f[0].(string), f[1].(string))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f[2].([]byte))
	}
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

func zipOf(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	zw.Close()
	return b.Bytes()
}

func TestIssuePhoto(t *testing.T) {
	f := newFixture(t, 0)
	auth := "Bearer " + f.apiToken(t, RoleIssuer, "office")
	up := testJPEG(t, 600, 800, 1)
	b64 := base64.StdEncoding.EncodeToString(up)
	huge := base64.StdEncoding.EncodeToString(make([]byte, photo.MaxBytes+1))
	okForm, okType := form(t, map[string]string{"event": "tour27-ber01", "type": "VIP", "name": "Ann", "valid_until": "2027-03-06T01:00:00Z"},
		[3]any{"photo", "ann.jpg", up})
	noPhotoForm, noPhotoType := form(t, map[string]string{"event": "tour27-ber01", "type": "VIP", "name": "Bo"})
	badForm, badType := form(t, map[string]string{"event": "tour27-ber01", "type": "VIP", "name": "Cy"}, [3]any{"photo", "cy.txt", []byte("not a photo")})
	batch, batchType := form(t, nil, [3]any{"guests", "guests.csv", []byte("name,type,photo\nAnn,AAA,crew/ann.jpg\nBob,VIP,\n")},
		[3]any{"photos", "photos.zip", zipOf(t, map[string][]byte{"crew/ann.jpg": up})})
	evil, evilType := form(t, nil, [3]any{"guests", "guests.csv", []byte("name,type,photo\nAnn,AAA,ann.jpg\n")},
		[3]any{"photos", "photos.zip", zipOf(t, map[string][]byte{"ann.jpg": up, "../../etc/cron.d/x": up})})
	missing, missingType := form(t, nil, [3]any{"guests", "guests.csv", []byte("name,type,photo\nAnn,AAA,ann.jpg\nBob,VIP,bob.jpg\n")},
		[3]any{"photos", "photos.zip", zipOf(t, map[string][]byte{"ann.jpg": up})})
	tests := []struct {
		name, path, body, ctype string
		status                  int
		want                    string
		photos                  int // passes in the answer that sign a photo
	}{
		{"ok/json-photo", "/v1/passes", `{"event":"tour27-ber01","type":"VIP","name":"Ann","photo":"` + b64 + `"}`, "application/json", 201, `"photo":"`, 1},
		{"ok/json-no-photo", "/v1/passes", `{"event":"tour27-ber01","type":"VIP","name":"Bo"}`, "application/json", 201, `"type":"VIP"`, 0},
		{"fail/json-photo-too-large", "/v1/passes", `{"event":"tour27-ber01","type":"VIP","name":"Ann","photo":"` + huge + `"}`, "application/json", 413, "too_large", 0},
		{"fail/json-not-an-image", "/v1/passes", `{"event":"tour27-ber01","type":"VIP","name":"Ann","photo":"aGVsbG8="}`, "application/json", 400, "not a JPEG or PNG image", 0},
		{"fail/json-photo-not-base64", "/v1/passes", `{"event":"tour27-ber01","type":"VIP","name":"Ann","photo":"%%%"}`, "application/json", 400, "bad_request", 0},
		{"ok/form-photo", "/v1/passes", okForm, okType, 201, `"photo":"`, 1},
		{"ok/form-no-photo", "/v1/passes", noPhotoForm, noPhotoType, 201, `"name":"Bo"`, 0},
		{"fail/form-not-an-image", "/v1/passes", badForm, badType, 400, "bad_photo", 0},
		{"ok/batch-form-zip", "/v1/passes/batch?event=tour27-ber01", batch, batchType, 201, `"issued":2`, 1},
		{"fail/batch-form-traversal", "/v1/passes/batch?event=tour27-ber01", evil, evilType, 400, `entry \"../../etc/cron.d/x\"`, 0},
		{"fail/batch-form-missing-photo", "/v1/passes/batch?event=tour27-ber01&duplicates=issue", missing, missingType, 400, "line 3, column 3 (photo): photo bob.jpg: no such file in the ZIP", 0},
		{"fail/batch-csv-names-photos", "/v1/passes/batch?event=tour27-ber01&duplicates=issue", "name,type,photo\nAnn,AAA,ann.jpg\n", "text/csv", 400, "multipart form", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "POST", tt.path, tt.body, "Authorization", auth, "Content-Type", tt.ctype)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("POST %s = %d %.300s, want %d with %s", tt.path, rec.Code, rec.Body, tt.status, tt.want)
			}
			if rec.Code != 201 {
				return
			}
			var resps []IssueResponse
			if strings.Contains(tt.path, "batch") {
				var m struct{ Passes []IssueResponse }
				json.Unmarshal(rec.Body.Bytes(), &m)
				resps = m.Passes
			} else {
				var one IssueResponse
				json.Unmarshal(rec.Body.Bytes(), &one)
				resps = []IssueResponse{one}
			}
			n := 0
			for _, r := range resps {
				if r.Photo == "" {
					continue
				}
				n++
				stored, err := f.st.PassPhoto(t.Context(), r.Serial)
				if err != nil || pass.PhotoHash(stored) != r.Photo {
					t.Fatalf("stored photo of %s: %v, hash %s, want %s", r.Serial, err, pass.PhotoHash(stored), r.Photo)
				}
				if vd := f.s.cfg.Verifier.Verify(r.Token, f.now); vd.Pass == nil || vd.Pass.Photo != r.Photo {
					t.Fatalf("token of %s does not sign photo %s", r.Serial, r.Photo)
				}
			}
			if n != tt.photos {
				t.Fatalf("%d passes sign a photo, want %d", n, tt.photos)
			}
		})
	}
}

// TestIssueBatchFormOver32MiB: the batch form with photos may pass the
// server-wide 32 MiB limit (up to maxBatchForm); a plain CSV body may not.
func TestIssueBatchFormOver32MiB(t *testing.T) {
	f := newFixture(t, 0)
	auth := "Bearer " + f.apiToken(t, RoleIssuer, "office")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("ann.jpg")
	w.Write(testJPEG(t, 600, 800, 3))
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "padding.bin", Method: zip.Store})
	w.Write(bytes.Repeat([]byte{0x5a}, 33<<20))
	zw.Close()
	body, ctype := form(t, nil, [3]any{"guests", "guests.csv", []byte("name,type,photo\nAnn,AAA,ann.jpg\n")}, [3]any{"photos", "photos.zip", zb.Bytes()})
	if rec := f.do(t, "POST", "/v1/passes/batch?event=tour27-ber01", body, "Authorization", auth, "Content-Type", ctype); rec.Code != 201 {
		t.Fatalf("batch form of %d MiB = %d %.300s, want 201", len(body)>>20, rec.Code, rec.Body)
	}
	big := "name,type\n" + strings.Repeat("Ann,AAA\n", 33<<20/8)
	if rec := f.do(t, "POST", "/v1/passes/batch?event=tour27-ber01", big, "Authorization", auth, "Content-Type", "text/csv"); rec.Code != 413 {
		t.Fatalf("CSV body of 33 MiB = %d, want 413", rec.Code)
	}
}

// photoPass issues a pass with a photo over the API and returns it.
func photoPass(t *testing.T, f *fixture, auth string) IssueResponse {
	t.Helper()
	body := `{"event":"tour27-ber01","type":"AAA","name":"Ann","photo":"` + base64.StdEncoding.EncodeToString(testJPEG(t, 600, 800, 7)) + `"}`
	rec := f.do(t, "POST", "/v1/passes", body, "Authorization", auth)
	var r IssueResponse
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &r) != nil || r.Photo == "" {
		t.Fatalf("issue with photo = %d %.300s", rec.Code, rec.Body)
	}
	return r
}

// TestScanPhoto: the door sees the photo and "photo matches the signed
// pass"; after the photo is swapped in the database it sees a red
// warning and no photo, and the photo route refuses to serve it.
func TestScanPhoto(t *testing.T) {
	f := newFixture(t, 0)
	issuer := "Bearer " + f.apiToken(t, RoleIssuer, "office")
	scanner := scannerToken(t, f)
	p := photoPass(t, f, issuer)
	show := f.now.Add(9 * time.Hour)
	f.setNow(show)

	code, resp, body := f.scan(t, scanner, p.Token, "north", "stage", "in", "ph1", show)
	if code != 200 || resp.Photo == nil || resp.Photo.Status != PhotoMatch || resp.Photo.Message != "photo matches the signed pass" ||
		resp.Photo.URL != "/v1/passes/"+string(p.Serial)+"/photo" {
		t.Fatalf("scan = %d %s, want the photo marked as matching", code, body)
	}
	rec := f.do(t, "GET", resp.Photo.URL, "", "Authorization", "Bearer "+scanner)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/jpeg" || rec.Header().Get("Cache-Control") != "no-store" ||
		pass.PhotoHash(rec.Body.Bytes()) != p.Photo {
		t.Fatalf("GET photo = %d %q %q, want the signed JPEG, no-store", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
	}
	if rec := f.do(t, "GET", resp.Photo.URL, ""); rec.Code != 401 {
		t.Fatalf("GET photo without a token = %d, want 401", rec.Code)
	}
	// A pass without a photo: no photo in the answer, 404 for its photo.
	if _, resp, body := f.scan(t, scanner, f.token, "north", "stage", "in", "ph0", show); resp.Photo != nil {
		t.Fatalf("scan of a pass without a photo = %s, want no photo", body)
	}
	if rec := f.do(t, "GET", "/v1/passes/"+string(f.iss.Serial)+"/photo", "", "Authorization", "Bearer "+scanner); rec.Code != 404 {
		t.Fatalf("GET photo of a pass without one = %d, want 404", rec.Code)
	}

	// Swap the photo in the database, as someone with write access could.
	other, err := photo.Process(testJPEG(t, 600, 800, 99))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE pass_photos SET jpeg = ? WHERE serial = ?`, other, string(p.Serial)); err != nil {
		t.Fatal(err)
	}
	code, resp, body = f.scan(t, scanner, p.Token, "north", "stage", "out", "ph2", show.Add(time.Minute))
	if code != 200 || resp.Photo == nil || resp.Photo.Status != PhotoMismatch || resp.Photo.URL != "" ||
		!strings.HasPrefix(resp.Photo.Message, "photo does not match the signed pass") {
		t.Fatalf("scan after the swap = %d %s, want a mismatch and no photo", code, body)
	}
	if rec := f.do(t, "GET", "/v1/passes/"+string(p.Serial)+"/photo", "", "Authorization", "Bearer "+scanner); rec.Code != 409 || !strings.Contains(rec.Body.String(), "photo_mismatch") {
		t.Fatalf("GET swapped photo = %d %s, want 409 photo_mismatch", rec.Code, rec.Body)
	}
	// Rewriting the stored hash as well does not help: the token decides.
	if _, err := db.Exec(`UPDATE passes SET photo = ? WHERE serial = ?`, pass.PhotoHash(other), string(p.Serial)); err != nil {
		t.Fatal(err)
	}
	if rec := f.do(t, "GET", "/v1/passes/"+string(p.Serial)+"/photo", "", "Authorization", "Bearer "+scanner); rec.Code != 409 {
		t.Fatalf("GET swapped photo with its hash rewritten = %d, want 409", rec.Code)
	}
	if rec := f.do(t, "GET", "/v1/passes/"+string(p.Serial)+"/pdf", "", "Authorization", issuer); rec.Code != 409 {
		t.Fatalf("GET pdf of a pass with a swapped photo = %d %.200s, want 409", rec.Code, rec.Body)
	}
	// The public /verify never shows or links a photo.
	if rec := f.do(t, "POST", "/v1/verify", `{"token":"`+p.Token+`"}`); strings.Contains(rec.Body.String(), "/photo") ||
		!strings.Contains(rec.Body.String(), `"photo":true`) {
		t.Fatalf("/v1/verify = %s, want it to say there is a photo and not link it", rec.Body)
	}
}

// TestScanPagePhoto: the door page shows the photo under "photo matches
// the signed pass", and a red warning with no photo after a swap.
func TestScanPagePhoto(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	ctx := browser(t, "")
	f.s.cfg.Now = time.Now // the browser works in real time
	auth := scannerToken(t, f)
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	f.issue(t, "Event Maker") // makes the event "live"
	ev, err := f.st.Event(t.Context(), "live")
	if err != nil {
		t.Fatal(err)
	}
	sg := *f.s.cfg.Signer
	sg.Now = time.Now
	var reqs []signer.Request
	for i, name := range []string{"Ann Photo", "Bo Swapped"} {
		ph, err := photo.Process(testJPEG(t, 600, 800, uint8(40*i)))
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, signer.Request{Type: pass.AAA, Name: name, Photo: ph})
	}
	out, err := issue.Batch(t.Context(), &sg, f.st, ev, reqs, "test", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := photo.Process(testJPEG(t, 600, 800, 200))
	db, err := sql.Open("sqlite", f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE pass_photos SET jpeg = ? WHERE serial = ?`, other, string(out[1].Serial)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/scan"),
		chromedp.WaitVisible(chromedp.ID("token")),
		browsertest.Enter(chromedp.ID("token"), auth),
		chromedp.WaitVisible(chromedp.ID("wedge")),
	); err != nil {
		t.Fatal(err)
	}
	photoState := `(() => { const f = document.getElementById("r-photo"), i = document.getElementById("r-photo-img");
		return [f.hidden, f.className, document.getElementById("r-photo-msg").textContent, !i.hidden && i.naturalWidth > 0 ? i.naturalWidth : 0] })()`
	for i, want := range []struct {
		class, msg string
		img        bool
	}{{"photo-ok", "photo matches the signed pass", true}, {"photo-bad", "photo does not match the signed pass", false}} {
		if err := chromedp.Do(ctx, browsertest.Enter(chromedp.ID("wedge"), out[i].Token)); err != nil {
			t.Fatal(err)
		}
		if class, code, _ := result(ctx, t); class != "admit" || code != "ok" {
			t.Fatalf("scan %d: screen %s/%s, want admit/ok", i, class, code)
		}
		cond := `(() => { const s = ` + photoState + `; return s[1] === "` + want.class + `" && (s[3] > 0) === ` + strconv.FormatBool(want.img) + ` ? s : null })()`
		st, err := chromedp.Run(ctx, chromedp.Poll[[]any](cond, chromedp.WithPollingTimeout(60*time.Second)))
		if err != nil {
			now, _ := chromedp.Run(ctx, chromedp.Evaluate[[]any](photoState))
			t.Fatalf("scan %d: photo %v, want %s, image %v: %v", i, now, want.class, want.img, err)
		}
		if st[0].(bool) || !strings.HasPrefix(st[2].(string), want.msg) {
			t.Fatalf("scan %d: photo %v, want it shown with %q", i, st, want.msg)
		}
		if dir := os.Getenv("LAMINATE_KEEP_PNG"); dir != "" {
			png, _ := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			os.WriteFile(filepath.Join(dir, "scan-photo-"+want.class+".png"), png, 0o644)
		}
		dismiss(ctx, t)
	}
}
