package office

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/photo"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// postFile sends a multipart form as the reissue form does, with file
// (nil: no file chosen, as a browser sends it) in the field "photo"; csrf
// as in post.
func (b *browser) postFile(path string, form url.Values, file []byte, csrf string) answer {
	b.e.t.Helper()
	if csrf == "auto" {
		csrf = b.csrf
	}
	if csrf != "" {
		form.Set("csrf", csrf)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	name := "face.jpg"
	if file == nil {
		name = ""
	}
	fw, _ := w.CreateFormFile("photo", name)
	fw.Write(file)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// TestPassReissuePhoto: the office's reissue form takes a new photo
// (multipart, CSRF), required for the reason new_photo, read by the rule
// of the API and the CLI (photo.Read: JPEG or PNG, at most
// photo.MaxBytes); a refusal is named beside the field, and the new
// pass's page shows the new photo.
func TestPassReissuePhoto(t *testing.T) {
	e := newEnv(t, Config{}, false)
	jo := e.withPasses()[0]
	ctx := context.Background()
	e.user("alice", staff.RoleIssuer)
	b := e.browser()
	b.mustSignIn("alice")
	path := "/office/passes/" + jo.Serial.String()
	wantStatus(t, "page", b.get(path), http.StatusOK, `enctype="multipart/form-data"`, `type="file"`, `value="new_photo"`)
	var face store.Issued
	withPhoto(t, &face)

	wantStatus(t, "no CSRF", b.postFile(path+"/reissue", url.Values{"reason": {"new_photo"}}, face.PhotoJPEG, ""), http.StatusForbidden)
	wantStatus(t, "new photo without a photo", b.postFile(path+"/reissue", url.Values{"reason": {"new_photo"}, "note": {"kept"}}, nil, "auto"),
		http.StatusUnprocessableEntity, `id="e-photo"`, "Choose the new photo: a JPEG or PNG of at most 10 MiB.", `value="kept"`, `aria-describedby="h-photo e-photo" aria-invalid="true">`)
	wantStatus(t, "new photo, urlencoded", b.post(path+"/reissue", url.Values{"reason": {"new_photo"}}, "auto"),
		http.StatusUnprocessableEntity, `id="e-photo"`, "Choose the new photo")
	wantStatus(t, "not an image", b.postFile(path+"/reissue", url.Values{"reason": {"new_photo"}}, []byte("%PDF-1.4 not a photo"), "auto"),
		http.StatusUnprocessableEntity, `id="e-photo"`, "Not a JPEG or PNG image")
	big := append(bytes.Clone(face.PhotoJPEG), make([]byte, photo.MaxBytes)...)
	wantStatus(t, "too large", b.postFile(path+"/reissue", url.Values{"reason": {"new_photo"}}, big, "auto"),
		http.StatusUnprocessableEntity, `id="e-photo"`, "Photo too large", "at most 10 MiB")
	huge := make([]byte, maxPhotoForm)
	wantStatus(t, "far too large", b.postFile(path+"/reissue", url.Values{"reason": {"new_photo"}}, huge, "auto"),
		http.StatusRequestEntityTooLarge, "larger than 10 MiB")
	// Other office forms keep their 64 KB.
	wantStatus(t, "large revoke form", b.post(path+"/revoke", url.Values{"reason": {"lost"}, "revoke_note": {strings.Repeat("x", 70<<10)}}, "auto"),
		http.StatusRequestEntityTooLarge)
	if r, err := e.st.Revocation(ctx, jo.Serial); err == nil {
		t.Fatalf("a refused reissue superseded the pass: %+v", r)
	}

	b.get(path)
	a := b.postFile(path+"/reissue", url.Values{"reason": {"new_photo"}, "note": {"new haircut"}}, face.PhotoJPEG, "auto")
	wantStatus(t, "reissue with photo", a, http.StatusSeeOther)
	r, err := e.st.Revocation(ctx, jo.Serial)
	if err != nil || !r.Superseded() {
		t.Fatalf("Revocation(old) = %+v, %v", r, err)
	}
	next, err := e.st.Pass(ctx, r.SupersededBy)
	if err != nil || next.Photo == "" || next.Photo == jo.Photo {
		t.Fatalf("new pass photo hash %q (old %q), %v; want a new photo", next.Photo, jo.Photo, err)
	}
	audit := lastAudit(t, e.st)
	if audit.Action != store.ActionPassReissue || !strings.Contains(string(audit.Detail), `"reason":"`+string(pass.ReissueNewPhoto)+`"`) {
		t.Errorf("last audit = %+v, want the reissue for a new photo", audit)
	}
	wantStatus(t, "new pass page", b.get(a.location), http.StatusOK, `src="/office/passes/`+next.Serial.String()+`/photo"`, "New pass issued")
	img := b.get("/office/passes/" + next.Serial.String() + "/photo")
	if img.status != http.StatusOK || img.header.Get("Content-Type") != "image/jpeg" || pass.PhotoHash([]byte(img.body)) != next.Photo {
		t.Errorf("new pass photo = %d %s, hash %s; want the signed JPEG %s", img.status, img.header.Get("Content-Type"), pass.PhotoHash([]byte(img.body)), next.Photo)
	}
}

// TestPassesSearchPrinted: the passes page filters on printed and
// collected, and each row says how many times its pass was printed.
func TestPassesSearchPrinted(t *testing.T) {
	e := newEnv(t, Config{}, false)
	ps := e.withPasses()
	jo := ps[0]
	ctx := context.Background()
	at := e.clk.Now()
	pr := record.Print{Serial: jo.Serial, At: at, Actor: "desk", Template: "badge", Format: record.FormatPDF}
	if err := e.st.RecordPrints(ctx, []record.Print{pr, pr}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.MarkCollected(ctx, jo.Serial, at, "desk"); err != nil {
		t.Fatal(err)
	}
	e.user("alice", staff.RoleIssuer)
	b := e.browser()
	b.mustSignIn("alice")
	wantStatus(t, "form", b.get("/office/passes?event=ber"), http.StatusOK, `<select id="f-printed" name="printed">`, `<select id="f-collected" name="collected">`,
		"printed 2×, collected", "not printed")
	for _, tt := range []struct {
		q        string
		has, not string
	}{
		{"printed=yes", "Jo Park", "Ana Lopez"},
		{"printed=no", "Ana Lopez", "Jo Park"},
		{"printed=no&q=jo", "No pass matches", "Jo Park"},
		{"collected=yes", "Jo Park", "Ana Lopez"},
		{"collected=no", "Ana Lopez", "Jo Park"},
		{"printed=&collected=", "Ana Lopez", "No pass matches"},
	} {
		a := b.get("/office/passes?event=ber&" + tt.q)
		wantStatus(t, tt.q, a, http.StatusOK, tt.has)
		if strings.Contains(a.body, tt.not) {
			t.Errorf("%s: the page says %q", tt.q, tt.not)
		}
	}
	wantStatus(t, "kept in the form", b.get("/office/passes?event=ber&printed=no"), http.StatusOK, `<option value="no" selected>Not printed</option>`)
	wantStatus(t, "bad printed", b.get("/office/passes?event=ber&printed=maybe"), http.StatusUnprocessableEntity, "Printed: choose Any, Printed or Not printed.")
	wantStatus(t, "bad collected", b.get("/office/passes?event=ber&collected=1"), http.StatusUnprocessableEntity, "Collected: choose")
}
