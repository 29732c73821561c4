package office

// Guest lists in the office (issue 13, item 3): upload a CSV or XLSX list
// for an event, see every row with its errors and duplicates, choose what
// to do with the duplicates, and confirm: all or nothing, through
// issue.Lists as POST /v1/passes/batch.
//
// Between the preview and the confirm the parsed list stays on the server
// (guestUploads), keyed by a random 128-bit id and bound to the session
// that uploaded it: the browser sends back only the id and the choice, so
// nothing it could change between the two is trusted, and nothing is read
// twice. The store is bounded (previews expire after uploadTTL, a person
// keeps at most maxUploadsPerUser, the node at most maxHeldRows rows in
// all, the oldest forgotten first): a preview that is gone says to upload
// the list again.

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/guestlist"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

const (
	// maxUploadForm is the upload form's body: the list at its limit and
	// the form's other fields and multipart framing.
	maxUploadForm = guestlist.MaxBytes + 64<<10
	// uploadTTL is how long a preview (or a confirmed list's result) is kept.
	uploadTTL = 30 * time.Minute
	// maxUploadsPerUser is how many previews one person keeps; a new one
	// forgets their oldest.
	maxUploadsPerUser = 3
	// maxHeldRows is how many rows of previews a node keeps in all.
	maxHeldRows = 250_000
	// previewRows is how many rows one preview page shows.
	previewRows = 200
	// maxListedErrors is how many errors the preview lists above its table.
	maxListedErrors = 100
	// maxUploadReads is how many lists the office reads at once when the
	// host shares none (httpkit.ListIssuer).
	maxUploadReads = 2
)

// mountGuestlists adds the guest-list routes (issuer; admin always). The
// upload has its own body limit, the list's, instead of the forms' 64 KB.
func (o *Office) mountGuestlists(e *echo.Echo, g *echo.Group) {
	o.uploads = &guestUploads{m: map[string]*guestUpload{}}
	o.lists = issue.NewLists(maxUploadReads)
	if li, ok := o.host.(httpkit.ListIssuer); ok {
		o.lists = li.GuestLists()
	}
	issuer := o.requireUser(staff.RoleIssuer)
	g.GET("/events/:id/guestlist", o.guestlistPage, issuer)
	e.POST(Prefix+"/events/:id/guestlist", o.uploadGuestlist, o.headers, o.errors, uploadLimit, issuer)
	g.GET("/events/:id/guestlist/:upload", o.guestlistPreview, issuer)
	g.POST("/events/:id/guestlist/:upload", o.confirmGuestlist, issuer)
}

// errUploadTooLarge is the answer to a body over maxUploadForm.
var errUploadTooLarge = httpkit.NewError(http.StatusRequestEntityTooLarge, "too_large",
	fmt.Sprintf("The file is larger than %d MiB: split the list into smaller files and upload each.", guestlist.MaxBytes>>20))

// uploadLimit refuses a body announced over maxUploadForm before reading
// any of it, and stops reading one that grows past it; a form cut short
// is answered 413, not as the missing CSRF token it then looks like.
func uploadLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > maxUploadForm {
			c.Response().Header().Set("Connection", "close")
			return errUploadTooLarge
		}
		lb := &limitedBody{ReadCloser: http.MaxBytesReader(c.Response(), r.Body, maxUploadForm)}
		r.Body = lb
		err := next(c)
		if lb.hit && !c.Response().Committed {
			return errUploadTooLarge
		}
		return err
	}
}

// limitedBody notes when its limit was reached.
type limitedBody struct {
	io.ReadCloser
	hit bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.hit = true
	}
	return n, err
}

// guestUpload is a list read for an event, kept for its uploader's
// session until confirmed or expired; once confirmed it keeps only what
// was issued.
type guestUpload struct {
	id       string
	username string
	session  []byte // the session's key (SHA-256 of its token)
	event    string
	file     string
	at       time.Time
	preview  *guestlist.Preview // nil once confirmed
	rows     int                // rows held (preview's), counted in guestUploads.rows
	busy     bool               // being confirmed
	done     *guestResult
}

// guestResult is what a confirm did.
type guestResult struct {
	Choice  string
	Skipped int
	Passes  []issuedPass
}

type issuedPass struct {
	Serial     pass.Serial
	Name, Type string
}

// guestUploads holds the previews of this node.
type guestUploads struct {
	mu   sync.Mutex
	m    map[string]*guestUpload
	rows int
}

// errUploadGone is the answer for an id that is not (or no longer) one of
// this session's previews: expired, forgotten, confirmed in another tab
// long ago, another person's or another session's: all alike, so an id
// tells nothing about anyone else's lists.
var errUploadGone = httpkit.NewError(http.StatusNotFound, "not_found",
	"This preview is gone: previews are kept for 30 minutes, and only for the session that uploaded the list. Upload the list again.")

func newUploadID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// add keeps u, forgetting expired previews, the person's oldest beyond
// maxUploadsPerUser and then the node's oldest beyond maxHeldRows.
func (s *guestUploads) add(u *guestUpload, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	s.m[u.id] = u
	s.rows += u.rows
	for {
		var mine []*guestUpload
		for _, x := range s.m {
			if x.username == u.username {
				mine = append(mine, x)
			}
		}
		old := oldest(mine, u)
		if len(mine) <= maxUploadsPerUser || old == nil {
			break
		}
		s.drop(old)
	}
	for s.rows > maxHeldRows {
		var all []*guestUpload
		for _, x := range s.m {
			if x.rows > 0 && !x.busy {
				all = append(all, x)
			}
		}
		old := oldest(all, u)
		if old == nil {
			break
		}
		s.drop(old)
	}
}

// oldest is the oldest of xs other than keep; nil if none.
func oldest(xs []*guestUpload, keep *guestUpload) *guestUpload {
	var o *guestUpload
	for _, x := range xs {
		if x != keep && !x.busy && (o == nil || x.at.Before(o.at)) {
			o = x
		}
	}
	return o
}

func (s *guestUploads) drop(u *guestUpload) {
	if u == nil {
		return
	}
	delete(s.m, u.id)
	s.rows -= u.rows
}

func (s *guestUploads) sweep(now time.Time) {
	for _, x := range s.m {
		if !x.busy && now.Sub(x.at) > uploadTTL {
			s.drop(x)
		}
	}
}

// get is preview id of event for the person's session, or errUploadGone.
// With take, it is marked busy for a confirm (a second confirm at the
// same time is refused), until release.
func (s *guestUploads) get(id, event string, u *User, now time.Time, take bool) (*guestUpload, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.m[id]
	if x == nil || x.event != event || x.username != u.Username || subtle.ConstantTimeCompare(x.session, u.hash) != 1 {
		return nil, errUploadGone
	}
	if now.Sub(x.at) > uploadTTL && !x.busy {
		s.drop(x)
		return nil, errUploadGone
	}
	if take {
		if x.busy {
			return nil, httpkit.NewError(http.StatusConflict, "busy", "This list is being issued right now (a second click?). Wait a moment and reload the page.")
		}
		if x.done == nil {
			x.busy = true
		}
	}
	return x, nil
}

// finish records what a confirm did and frees the preview's rows; with
// res nil (the confirm failed) the preview stays for another try.
func (s *guestUploads) finish(x *guestUpload, res *guestResult, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x.busy = false
	if res == nil {
		return
	}
	x.done, x.preview, x.at = res, nil, now
	s.rows -= x.rows
	x.rows = 0
}

// guestEvent reads :id, checks the person may act for it, and returns it.
func (o *Office) guestEvent(c echo.Context) (*pass.Event, error) {
	id := c.Param("id")
	if len(id) > 200 {
		return nil, httpkit.NewError(http.StatusBadRequest, "bad_request", "That event ID is too long.")
	}
	if err := UserOf(c).Allows(id); err != nil {
		return nil, err
	}
	ev, err := o.st.Event(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, httpkit.NewError(http.StatusNotFound, "not_found", "There is no event "+id+".")
	}
	return ev, err
}

type uploadView struct {
	Event   *pass.Event
	Error   string
	Columns string
	MaxMiB  int
	MaxRows string
	Zone    string // the event's time zone, and its offset at the show
}

// guestlistPage is GET /office/events/:id/guestlist: the upload form.
func (o *Office) guestlistPage(c echo.Context) error {
	ev, err := o.guestEvent(c)
	if err != nil {
		return err
	}
	return o.renderUpload(c, http.StatusOK, ev, "")
}

func (o *Office) renderUpload(c echo.Context, status int, ev *pass.Event, msg string) error {
	return o.page(c, status, "guestlist.html", "Upload a guest list · "+ev.Name, uploadView{Event: ev, Error: msg,
		Columns: strings.Join(guestlist.Columns, ", "), MaxMiB: guestlist.MaxBytes >> 20, MaxRows: thousands(guestlist.MaxRows), Zone: zoneOf(ev)})
}

// zoneOf is "Europe/Berlin, UTC+01:00 at the show", or the offset alone
// for a zone without a name.
func zoneOf(ev *pass.Event) string {
	off := "UTC" + ev.Schedule.ShowStart.Format("-07:00") + " at the show"
	if name := ev.Location().String(); name != "" && name != "Local" {
		return name + ", " + off
	}
	return off
}

// uploadGuestlist is POST /office/events/:id/guestlist (multipart, the
// file in "file"): the list is read and checked, kept for this session,
// and the preview shown (303 to it). Nothing is stored.
func (o *Office) uploadGuestlist(c echo.Context) error {
	ev, err := o.guestEvent(c)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return o.renderUpload(c, http.StatusUnprocessableEntity, ev, "Choose a guest list file (CSV or XLSX) to upload.")
	}
	if fh.Size > guestlist.MaxBytes {
		return errUploadTooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, guestlist.MaxBytes+1))
	if err != nil {
		return err
	}
	if len(b) > guestlist.MaxBytes {
		return errUploadTooLarge
	}
	var chk signer.TextChecker
	if tc, ok := o.host.(httpkit.TextChecker); ok {
		chk = tc.Printable()
	}
	p, err := o.lists.Check(c.Request().Context(), b, ev, chk, o.st)
	switch {
	case errors.Is(err, issue.ErrListBusy):
		c.Response().Header().Set("Retry-After", "2")
		return httpkit.NewError(http.StatusServiceUnavailable, "busy", "Another guest list is being read on this server. Try again in a moment.")
	case errors.Is(err, guestlist.ErrTooLarge), errors.Is(err, guestlist.ErrUnreadable):
		return o.renderUpload(c, http.StatusUnprocessableEntity, ev, "Nothing was read: "+message(err))
	case errors.Is(err, guestlist.ErrRead):
		return o.renderUpload(c, http.StatusBadRequest, ev, "The file could not be read. Upload it again.")
	case err != nil:
		return err
	}
	u := UserOf(c)
	up := &guestUpload{id: newUploadID(), username: u.Username, session: u.hash, event: ev.ID,
		file: clipName(fh.Filename), at: o.cfg.Now(), preview: p, rows: max(len(p.Rows), 1)}
	o.uploads.add(up, o.cfg.Now())
	return c.Redirect(http.StatusSeeOther, guestURL(ev.ID, up.id))
}

func guestURL(event, id string) string {
	return Prefix + "/events/" + url.PathEscape(event) + "/guestlist/" + id
}

// clipName is a file's base name, at most 80 bytes of it.
func clipName(s string) string {
	s = filepath.Base(strings.ReplaceAll(s, "\\", "/"))
	if len(s) > 80 {
		s = strings.ToValidUTF8(s[:80], "") + "…"
	}
	return s
}

// rowView is a row as the preview shows it.
type rowView struct {
	guestlist.Row
	Problems []string    // its errors, each with its column and cell
	Issued   pass.Serial // the pass it repeats; "" for none
	Repeats  int         // the earlier line it repeats; 0 for none
}

type previewView struct {
	Event      *pass.Event
	ID         string
	File       string
	Format     string
	Summary    string
	Counts     guestlist.Counts
	ErrorCount int
	Errors     []string // the list's errors, at most maxListedErrors
	MoreErrors int
	Dups       int    // rows repeating a pass or a row
	DupLabel   string // "the 9 already issued"
	Photos     bool   // the list names photos, which the office cannot take
	Rows       []rowView
	Show       string // "all" or "problems"
	Page, Of   int
	First      int // number of the first row shown
	PrevURL    string
	NextURL    string
	AllURL     string
	ProblemURL string
	ChoiceErr  string
	Skip       int // passes issued with skip
	IssueAll   int // passes issued with issue
	Problem    string
}

// guestlistPreview is GET /office/events/:id/guestlist/:upload[?show=problems&page=N]:
// the preview of a list this session uploaded, or what its confirm did.
func (o *Office) guestlistPreview(c echo.Context) error {
	ev, err := o.guestEvent(c)
	if err != nil {
		return err
	}
	up, err := o.uploads.get(c.Param("upload"), ev.ID, UserOf(c), o.cfg.Now(), false)
	if err != nil {
		return err
	}
	if up.done != nil {
		return o.renderDone(c, ev, up)
	}
	return o.renderPreview(c, http.StatusOK, ev, up, "", "")
}

func (o *Office) renderPreview(c echo.Context, status int, ev *pass.Event, up *guestUpload, choiceErr, problem string) error {
	p := up.preview
	v := previewView{Event: ev, ID: up.id, File: up.file, Format: strings.ToUpper(p.Format), Counts: p.Counts,
		ErrorCount: len(p.Errors), Dups: p.Counts.AlreadyIssued + p.Counts.Repeated, ChoiceErr: choiceErr, Problem: problem,
		Skip: p.Counts.New, IssueAll: p.Counts.New + p.Counts.AlreadyIssued + p.Counts.Repeated}
	v.Summary = previewSummary(p)
	for i, e := range p.Errors {
		if i == maxListedErrors {
			v.MoreErrors = len(p.Errors) - i
			break
		}
		v.Errors = append(v.Errors, errorText(e, true))
	}
	switch {
	case p.Counts.Repeated == 0:
		v.DupLabel = "the " + strconv.Itoa(v.Dups) + " already issued"
	case p.Counts.AlreadyIssued == 0:
		v.DupLabel = "the " + count(v.Dups, "row", "rows") + " repeated in the list"
	default:
		v.DupLabel = "the " + count(v.Dups, "duplicate", "duplicates") + " (" + strconv.Itoa(p.Counts.AlreadyIssued) + " already issued, " + strconv.Itoa(p.Counts.Repeated) + " repeated in the list)"
	}
	for _, r := range p.Rows {
		if r.Photo != "" && r.OK() {
			v.Photos = true
			break
		}
	}
	// The rows: all, or those with an error or a duplicate; a page of them.
	v.Show = "all"
	if c.QueryParam("show") == "problems" {
		v.Show = "problems"
	}
	rows := p.Rows
	if v.Show == "problems" {
		rows = nil
		for _, r := range p.Rows {
			if !r.OK() || r.Duplicate != nil {
				rows = append(rows, r)
			}
		}
	}
	v.Of = max((len(rows)+previewRows-1)/previewRows, 1)
	v.Page, _ = strconv.Atoi(c.QueryParam("page"))
	v.Page = min(max(v.Page, 1), v.Of)
	from := (v.Page - 1) * previewRows
	v.First = from + 1
	base := guestURL(ev.ID, up.id)
	link := func(show string, page int) string {
		q := url.Values{}
		if show == "problems" {
			q.Set("show", show)
		}
		if page > 1 {
			q.Set("page", strconv.Itoa(page))
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + q.Encode()
	}
	if v.Page > 1 {
		v.PrevURL = link(v.Show, v.Page-1)
	}
	if v.Page < v.Of {
		v.NextURL = link(v.Show, v.Page+1)
	}
	v.AllURL, v.ProblemURL = link("all", 1), link("problems", 1)
	for _, r := range rows[from:min(from+previewRows, len(rows))] {
		rv := rowView{Row: r}
		for _, e := range r.Errors {
			rv.Problems = append(rv.Problems, errorText(e, false))
		}
		if d := r.Duplicate; d != nil {
			if d.Of == guestlist.OfIssued {
				rv.Issued = d.Serial
			} else {
				rv.Repeats = d.Line
			}
		}
		v.Rows = append(v.Rows, rv)
	}
	return o.page(c, status, "guestlist-preview.html", "Guest list preview · "+ev.Name, v)
}

// previewSummary is the counts as a sentence: "120 rows: 3 errors, 9
// already issued, 108 new".
func previewSummary(p *guestlist.Preview) string {
	cn := p.Counts
	s := count(cn.Rows, "row", "rows") + ": " + count(len(p.Errors), "error", "errors")
	if len(p.Errors) > 0 && cn.Errors > 0 && cn.Errors != len(p.Errors) {
		s += " in " + count(cn.Errors, "row", "rows")
	}
	s += ", " + strconv.Itoa(cn.AlreadyIssued) + " already issued, " + strconv.Itoa(cn.New) + " new"
	if cn.Repeated > 0 {
		s += ", " + strconv.Itoa(cn.Repeated) + " repeated in the list"
	}
	return s
}

// count is "1 pass", "2 passes", "10,000 passes".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// thousands is n with commas: 100,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// errorText names where a problem is: "Line 7, column 2 (type), cell B7:
// …", without the line inside the row's own cell.
func errorText(e guestlist.CellError, withLine bool) string {
	var where []string
	if withLine {
		where = append(where, "Line "+strconv.Itoa(e.Line))
	}
	if e.Column > 0 {
		col := "column " + strconv.Itoa(e.Column)
		if e.Header != "" {
			col += " (" + e.Header + ")"
		}
		where = append(where, col)
	}
	if e.Cell != "" {
		where = append(where, "cell "+e.Cell)
	}
	if len(where) == 0 {
		return message(errors.New(e.Message))
	}
	s := strings.Join(where, ", ")
	s = strings.ToUpper(s[:1]) + s[1:]
	return s + ": " + e.Message
}

// confirmGuestlist is POST /office/events/:id/guestlist/:upload with the
// duplicates choice: the preview's rows issued all or nothing through
// issue.Lists (the API's batch: a last duplicate check under the node's
// list lock, then one transaction), then the result page (303).
func (o *Office) confirmGuestlist(c echo.Context) error {
	ev, err := o.guestEvent(c)
	if err != nil {
		return err
	}
	u, now := UserOf(c), o.cfg.Now()
	up, err := o.uploads.get(c.Param("upload"), ev.ID, u, now, true)
	if err != nil {
		return err
	}
	if up.done != nil { // confirmed already (Back and a second click): the result
		return c.Redirect(http.StatusSeeOther, guestURL(ev.ID, up.id))
	}
	res, status, choiceErr, problem, err := o.issueUpload(c, ev, up)
	o.uploads.finish(up, res, o.cfg.Now())
	if err != nil {
		return err
	}
	if res == nil {
		return o.renderPreview(c, status, ev, up, choiceErr, problem)
	}
	return c.Redirect(http.StatusSeeOther, guestURL(ev.ID, up.id))
}

// issueUpload issues up's preview by the form's choice. Without a result,
// status and choiceErr or problem say why nothing was issued.
func (o *Office) issueUpload(c echo.Context, ev *pass.Event, up *guestUpload) (res *guestResult, status int, choiceErr, problem string, err error) {
	p := up.preview
	if len(p.Errors) > 0 {
		return nil, http.StatusConflict, "", "Nothing was issued: the list has errors. Fix the file and upload it again.", nil
	}
	choice := guestlist.Skip
	if dups := p.Counts.AlreadyIssued + p.Counts.Repeated; dups > 0 {
		v := c.FormValue("duplicates")
		if v == "" {
			return nil, http.StatusUnprocessableEntity, "Choose whether to skip the duplicates or issue them anyway.", "", nil
		}
		if choice, err = guestlist.ParseChoice(v); err != nil {
			return nil, http.StatusUnprocessableEntity, "Choose whether to skip the duplicates or issue them anyway.", "", nil
		}
	}
	reqs, err := p.Requests(choice)
	if err != nil {
		return nil, http.StatusConflict, "", "Nothing was issued: the list has errors. Fix the file and upload it again.", nil
	}
	if err := signer.LoadPhotos(reqs, nil); err != nil {
		return nil, http.StatusConflict, "", "Nothing was issued: " + message(err) + " The office cannot take photos yet: remove the photo column, or issue this list with laminate issue --photos or the API.", nil
	}
	sg := o.host.Signer()
	if sg == nil {
		return nil, 0, "", "", httpkit.NewError(http.StatusServiceUnavailable, "no_signer", "This server cannot sign passes (it has no signing key). Issue the list on the node that issues.")
	}
	out, err := o.lists.Issue(c.Request().Context(), sg, o.st, ev, p, reqs, choice, UserOf(c).Actor())
	var re *signer.RequestError
	if errors.As(err, &re) {
		return nil, http.StatusUnprocessableEntity, "", "Nothing was issued: " + message(err), nil
	}
	if err != nil {
		return nil, 0, "", "", err
	}
	res = &guestResult{Choice: choice}
	if choice == guestlist.Skip {
		res.Skipped = p.Counts.AlreadyIssued + p.Counts.Repeated
	}
	for _, is := range out {
		res.Passes = append(res.Passes, issuedPass{Serial: is.Serial, Name: is.Name, Type: is.Type.Label()})
	}
	return res, 0, "", "", nil
}

type doneView struct {
	Event    *pass.Event
	File     string
	Issued   string // "108 passes issued"
	Skipped  string // "9 duplicates skipped"; "" for none
	Passes   []issuedPass
	More     int    // passes not listed
	PrintURL string // the print page with the new passes chosen
}

func (o *Office) renderDone(c echo.Context, ev *pass.Event, up *guestUpload) error {
	d := up.done
	v := doneView{Event: ev, File: up.file, Issued: count(len(d.Passes), "pass", "passes") + " issued"}
	if len(d.Passes) == 0 {
		v.Issued = "No passes issued"
	}
	if d.Skipped > 0 {
		v.Skipped = count(d.Skipped, "duplicate", "duplicates") + " skipped"
	}
	v.Passes = d.Passes
	if len(v.Passes) > maxListed {
		v.Passes, v.More = v.Passes[:maxListed], len(d.Passes)-maxListed
	}
	if len(d.Passes) > 0 {
		q := url.Values{"event": {ev.ID}, "mode": {"selected"}}
		if v.More > 0 {
			q.Set("mode", "unprinted") // the print page takes maxListed serials by hand
		} else {
			for _, p := range d.Passes {
				q.Add("serial", string(p.Serial))
			}
		}
		v.PrintURL = Prefix + "/print?" + q.Encode()
	}
	return o.page(c, http.StatusOK, "guestlist-done.html", v.Issued+" · "+ev.Name, v)
}
