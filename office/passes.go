package office

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/photo"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// Passes pages (issue 13, items 4 and 5): search, the pass page, revoke
// and reissue. The pass page shows stored facts; changes go through the
// same domain code as the API (store.Revoke, issue.Reissue).

var passStatuses = []store.PassStatus{store.PassValid, store.PassRevoked, store.PassSuperseded}

type passesView struct {
	Events               []eventRow // the events the person may search
	Event                string
	Q, Type, Status      string
	Printed, Collected   string // yes, no or "" (either)
	Types                []pass.Type
	Statuses             []store.PassStatus
	Hits                 []store.PassHit
	Next                 string // the cursor of the next page
	Searched             bool
	Error                string
	EventError, QueryErr string
}

// passesPage is GET /office/passes?event=&q=&type=&status=&printed=&collected=&cursor=.
func (o *Office) passesPage(c echo.Context) error {
	u, ctx := UserOf(c), c.Request().Context()
	v := passesView{Event: c.QueryParam("event"), Q: strings.TrimSpace(c.QueryParam("q")), Type: c.QueryParam("type"),
		Status: c.QueryParam("status"), Printed: c.QueryParam("printed"), Collected: c.QueryParam("collected"),
		Types: pass.Types, Statuses: passStatuses}
	evs, err := o.st.Events(ctx)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if u.MayActFor(ev.ID) {
			v.Events = append(v.Events, eventRow{ID: ev.ID, Name: ev.Name})
		}
	}
	if v.Event == "" && len(v.Events) == 1 {
		v.Event = v.Events[0].ID
	}
	if v.Event == "" {
		return o.page(c, http.StatusOK, "passes.html", "Passes", v)
	}
	if err := u.Allows(v.Event); err != nil {
		return err
	}
	if !slices.ContainsFunc(v.Events, func(e eventRow) bool { return e.ID == v.Event }) {
		v.EventError = "There is no event " + v.Event + ". Choose one of the list."
		return o.page(c, http.StatusNotFound, "passes.html", "Passes", v)
	}
	var f store.SearchFilter
	status := http.StatusOK
	if v.Type != "" {
		if f.Type, err = pass.ParseType(v.Type); err != nil {
			v.Error, status = "Type: "+err.Error()+".", http.StatusUnprocessableEntity
		}
	}
	switch st := store.PassStatus(v.Status); st {
	case "", store.PassValid, store.PassRevoked, store.PassSuperseded:
		f.Status = st
	default:
		v.Error, status = "Status: choose valid, revoked or superseded.", http.StatusUnprocessableEntity
	}
	if f.Printed, err = store.ParseYesNo("printed", v.Printed); err != nil {
		v.Error, status = "Printed: choose Any, Printed or Not printed.", http.StatusUnprocessableEntity
	}
	if f.Collected, err = store.ParseYesNo("collected", v.Collected); err != nil {
		v.Error, status = "Collected: choose Any, Collected or Not collected.", http.StatusUnprocessableEntity
	}
	if utf8.RuneCountInString(v.Q) > store.MaxSearchQuery {
		v.QueryErr, status = "At most 100 characters.", http.StatusUnprocessableEntity
	}
	if status != http.StatusOK {
		return o.page(c, status, "passes.html", "Passes", v)
	}
	page, err := o.st.SearchPasses(ctx, v.Event, v.Q, f, 0, c.QueryParam("cursor"))
	if err != nil {
		if strings.HasPrefix(err.Error(), "search: ") {
			v.Error = strings.TrimPrefix(err.Error(), "search: ")
			return o.page(c, http.StatusUnprocessableEntity, "passes.html", "Passes", v)
		}
		return err
	}
	v.Hits, v.Next, v.Searched = page.Hits, page.Next, true
	return o.page(c, http.StatusOK, "passes.html", "Passes", v)
}

type passView struct {
	Pass       *store.Issued
	Event      *pass.Event
	Status     store.PassStatus
	Revocation *record.Revocation
	Scans      []store.Scan
	Audit      []store.AuditEntry
	Prints     []record.Print
	LastPrint  *record.Print
	HasPhoto   bool
	CanPrint   bool // the host prints (httpkit.PassPrinter)
	MayChange  bool // issuer or admin: revoke and reissue
	Revoke     *form
	Reissue    *form
	Categories []pass.RevokeCategory
	Reasons    []pass.ReissueReason
	PhotoMiB   int // the largest photo a reissue takes
}

// maxPassAudit caps the audit rows shown on a pass page.
const maxPassAudit = 200

// passOf finds the pass of the :serial in the path and checks the
// person's event limits.
func (o *Office) passOf(c echo.Context) (*store.Issued, error) {
	raw := c.Param("serial")
	s, err := pass.ParseSerial(raw)
	if err != nil {
		return nil, httpkit.NewError(http.StatusNotFound, "not_found", "There is no pass "+raw+": a serial looks like 7k2m-9qx4.")
	}
	p, err := o.st.Pass(c.Request().Context(), s)
	if errors.Is(err, store.ErrNotFound) {
		return nil, httpkit.NewError(http.StatusNotFound, "not_found", "There is no pass "+s.String()+".")
	}
	if err != nil {
		return nil, err
	}
	if err := UserOf(c).Allows(p.Event); err != nil {
		return nil, err
	}
	return p, nil
}

func (o *Office) passPage(c echo.Context) error {
	p, err := o.passOf(c)
	if err != nil {
		return err
	}
	return o.renderPass(c, http.StatusOK, p, nil, nil)
}

func (o *Office) renderPass(c echo.Context, status int, p *store.Issued, revoke, reissue *form) error {
	ctx, u := c.Request().Context(), UserOf(c)
	v := passView{Pass: p, Status: store.PassValid, Revoke: revoke, Reissue: reissue,
		Categories: pass.RevokeCategories, Reasons: pass.ReissueReasons, MayChange: u.Has(staff.RoleIssuer), PhotoMiB: photo.MaxBytes >> 20}
	if v.Revoke == nil {
		v.Revoke = newForm()
	}
	if v.Reissue == nil {
		v.Reissue = newForm()
	}
	ev, err := o.st.Event(ctx, p.Event)
	if err != nil {
		return err
	}
	v.Event = ev
	loc := ev.Location()
	r, err := o.st.Revocation(ctx, p.Serial)
	switch {
	case err == nil:
		r.At = r.At.In(loc)
		v.Revocation, v.Status = r, store.PassRevoked
		if r.Superseded() {
			v.Status = store.PassSuperseded
		}
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if v.Scans, err = o.st.Scans(ctx, p.Serial); err != nil {
		return err
	}
	for i := range v.Scans {
		v.Scans[i].At = v.Scans[i].At.In(loc)
	}
	if v.Prints, err = o.st.Prints(ctx, p.Serial); err != nil {
		return err
	}
	for i := range v.Prints {
		v.Prints[i].At = v.Prints[i].At.In(loc)
		if v.LastPrint == nil || v.Prints[i].At.After(v.LastPrint.At) {
			v.LastPrint = &v.Prints[i]
		}
	}
	err = o.st.EachAudit(ctx, store.ExportFilter{Event: p.Event}, func(a *store.AuditEntry) error {
		if a.Subject == string(p.Serial) && len(v.Audit) < maxPassAudit {
			e := *a
			e.At = e.At.In(loc)
			v.Audit = append(v.Audit, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.IssuedAt = p.IssuedAt.In(loc)
	p.ValidUntil = p.ValidUntil.In(loc)
	if !p.ValidFrom.IsZero() {
		p.ValidFrom = p.ValidFrom.In(loc)
	}
	v.HasPhoto = p.Photo != ""
	_, v.CanPrint = o.host.(httpkit.PassPrinter)
	return o.page(c, status, "pass.html", p.Name+" · "+p.Serial.String(), v)
}

// passPhoto is GET /office/passes/:serial/photo: the holder's photo, only
// when its hash is the one the pass signs (as GET /v1/passes/{serial}/photo).
func (o *Office) passPhoto(c echo.Context) error {
	p, err := o.passOf(c)
	if err != nil {
		return err
	}
	return o.signedPhoto(c, p)
}

// signedPhoto answers the stored photo of p, only when it is the one the
// pass signs: a photo replaced in the database is never shown to the
// staff who compare it with the holder (the pass page and the desk).
func (o *Office) signedPhoto(c echo.Context, p *store.Issued) error {
	if p.Photo == "" {
		return httpkit.NewError(http.StatusNotFound, "not_found", "Pass "+p.Serial.String()+" has no photo.")
	}
	b, err := o.st.PassPhoto(c.Request().Context(), p.Serial)
	if errors.Is(err, store.ErrNotFound) {
		return httpkit.NewError(http.StatusNotFound, "not_found", "The photo of pass "+p.Serial.String()+" is missing on the server.")
	}
	if err != nil {
		return err
	}
	if pass.PhotoHash(b) != p.Photo {
		return httpkit.NewError(http.StatusConflict, "photo_mismatch", "The stored photo of pass "+p.Serial.String()+" does not match the signed pass: it is not shown.")
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, "image/jpeg", b)
}

// passPDF is GET /office/passes/:serial/pdf: the pass printed by the
// host (httpkit.PassPrinter) as GET /v1/passes/{serial}/pdf, logged as a
// print under the person's name.
func (o *Office) passPDF(c echo.Context) error {
	p, err := o.passOf(c)
	if err != nil {
		return err
	}
	pp, ok := o.host.(httpkit.PassPrinter)
	if !ok {
		return httpkit.NewError(http.StatusNotFound, "cannot_print", "This server does not print passes. Use laminate print.")
	}
	return pp.ServePassPDF(c, p)
}

// revokePass is POST /office/passes/:serial/revoke: a reason category and
// a note, as POST /v1/passes/{serial}/revoke.
func (o *Office) revokePass(c echo.Context) error {
	u, ctx := UserOf(c), c.Request().Context()
	p, err := o.passOf(c)
	if err != nil {
		return err
	}
	f := newForm()
	f.read(c, 4*pass.MaxRevokeNoteLen, "reason", "revoke_note")
	cat, catErr := pass.ParseRevokeCategory(f.Values["reason"])
	if f.Values["reason"] == "" || catErr != nil {
		f.fail("reason", "Choose a reason.")
	} else if _, note, _, err := pass.ParseRevokeReason(string(cat), f.Values["revoke_note"]); err != nil {
		f.fail("revoke_note", message(err))
	} else {
		f.Values["revoke_note"] = note
	}
	if !f.ok() {
		return o.renderPass(c, http.StatusUnprocessableEntity, p, f, nil)
	}
	r := &store.Revocation{Serial: p.Serial, Category: cat, Note: f.Values["revoke_note"], By: u.Actor(), At: o.cfg.Now()}
	err = o.st.Revoke(ctx, r)
	if errors.Is(err, store.ErrAlreadyRevoked) {
		return httpkit.NewError(http.StatusConflict, "already_revoked", "Pass "+p.Serial.String()+" is already revoked or replaced: nothing changed.")
	}
	if err != nil {
		return err
	}
	if rv, ok := o.host.(httpkit.Revoker); ok {
		rv.Revoked(*r) // this node honours it at once; others at their next sync
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/passes/"+p.Serial.String()+"?m=revoked")
}

// reissuePass is POST /office/passes/:serial/reissue: a new pass for the
// same holder and access, through issue.Reissue as the API and the CLI;
// then the new pass's page. The form is multipart: a new photo may come
// with it (required for the reason new_photo), read as the API and the
// CLI read one (photo.Read).
func (o *Office) reissuePass(c echo.Context) error {
	u, ctx := UserOf(c), c.Request().Context()
	p, err := o.passOf(c)
	if err != nil {
		return err
	}
	f := newForm()
	f.read(c, 4*pass.MaxRevokeNoteLen, "reason", "name", "note")
	rr := issue.ReissueRequest{Serial: p.Serial, Name: f.Values["name"], Note: f.Values["note"], By: u.Actor(), At: o.cfg.Now()}
	if rr.Reason, err = pass.ParseReissueReason(f.Values["reason"]); err != nil || f.Values["reason"] == "" {
		f.fail("reason", "Choose a reason.")
	}
	if rr.Photo, err = formPhoto(c); err != nil {
		f.fail("photo", message(err))
	} else if rr.Reason == pass.ReissueNewPhoto && rr.Photo == nil {
		f.fail("photo", fmt.Sprintf("Choose the new photo: a JPEG or PNG of at most %d MiB.", photo.MaxBytes>>20))
	}
	if rr.Reason == pass.ReissueNameChange && rr.Name == "" {
		f.fail("name", "Enter the new name.")
	}
	if !f.ok() {
		return o.renderPass(c, http.StatusUnprocessableEntity, p, nil, f)
	}
	sg := o.host.Signer()
	if sg == nil {
		return httpkit.NewError(http.StatusServiceUnavailable, "no_signer", "This server cannot sign passes (it has no signing key). Reissue on the node that issues.")
	}
	var opt issue.Options
	if tc, ok := o.host.(httpkit.TextChecker); ok {
		opt.Printable = tc.Printable()
	}
	out, err := issue.Reissue(ctx, sg, o.st, rr, opt)
	var re *issue.ReissueError
	if errors.As(err, &re) && (re.Code == issue.ReissueRevoked || re.Code == issue.ReissueSuperseded || re.Code == issue.ReissueNotFound) {
		return httpkit.NewError(http.StatusConflict, re.Code, message(errors.New("nothing issued: "+re.Message)))
	}
	if errors.As(err, &re) {
		field := "reason"
		if re.Code == issue.ReissueBadRequest && strings.Contains(re.Message, "name") {
			field = "name"
		} else if strings.HasPrefix(re.Message, "note") {
			field = "note"
		} else if strings.HasPrefix(re.Message, "photo") {
			field = "photo"
		}
		f.fail(field, message(errors.New(re.Message)))
		return o.renderPass(c, http.StatusUnprocessableEntity, p, nil, f)
	}
	if err != nil {
		return err
	}
	if rv, ok := o.host.(httpkit.Revoker); ok {
		rv.Revoked(out.Revocation)
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/passes/"+out.New.Serial.String()+"?m=reissued")
}

// maxPhotoForm caps the reissue form, which may carry a photo: the
// photo's own limit (photo.MaxBytes, as the API's) and the 64 KB of any
// other office form.
const maxPhotoForm = photo.MaxBytes + 64<<10

// takesPhoto says which office route takes a photo, and so
// [photoLimit] rather than the office's 64 KB.
func takesPhoto(c echo.Context) bool { return c.Path() == Prefix+"/passes/:serial/reissue" }

// photoLimit caps a form with a photo at maxPhotoForm before the CSRF
// check reads it: a larger declared body is refused unread, naming the
// limit; an undeclared one stops reading there.
func photoLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > maxPhotoForm {
			return httpkit.NewError(http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("The photo is larger than %d MiB: nothing was issued. Go back and choose a smaller JPEG or PNG.", photo.MaxBytes>>20))
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, maxPhotoForm)
		return next(c)
	}
}

// formPhoto is the photo uploaded in the form's field "photo", prepared
// by photo.Read (the API's and the CLI's rule); nil when none was chosen.
func formPhoto(c echo.Context) ([]byte, error) {
	fh, err := c.FormFile("photo")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) { // a form without the field
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the photo could not be read (%v); choose it again", err)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("the photo could not be read (%v); choose it again", err)
	}
	defer f.Close()
	return photo.Read(f)
}
