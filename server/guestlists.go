package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/guestlist"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/photo"
	"github.com/laminate/laminate/signer"
)

// maxErrorDetails caps the errors of a guest list sent in one answer.
const maxErrorDetails = 1000

// maxListReads is how many guest lists a node reads (parses) at once.
const maxListReads = 2

// errListBusy is the answer when maxListReads lists are being read.
var errListBusy = apiError(http.StatusServiceUnavailable, "busy", "busy: another guest list is being read; try again in a moment")

// checkList is issue.Lists.Check, the node's list reading shared with
// the office: the upload is read into memory first (a slow sender holds
// no slot), then parsed in a slot, or refused with 503 when none is free.
func (s *Server) checkList(c echo.Context, r io.Reader, ev *pass.Event) (*guestlist.Preview, error) {
	b, err := io.ReadAll(io.LimitReader(r, guestlist.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", guestlist.ErrRead, err)
	}
	p, err := s.lists.Check(c.Request().Context(), b, ev, s.printable(), s.cfg.Store)
	if errors.Is(err, issue.ErrListBusy) {
		c.Response().Header().Set("Retry-After", "2")
		return nil, errListBusy
	}
	return p, err
}

// PreviewResponse is the answer of POST /v1/events/{id}/guestlists/preview.
type PreviewResponse struct {
	*guestlist.Preview
	Summary string `json:"summary"` // "9 already issued, 0 new"
}

// previewGuestList is POST /v1/events/{id}/guestlists/preview: a CSV or
// XLSX guest list as the body, answered with every row, every error by
// line and column, and the duplicates against the passes already issued
// for the event. Nothing is stored: confirm with POST /v1/passes/batch
// and an explicit duplicates choice.
func (s *Server) previewGuestList(c echo.Context) error {
	id := c.Param("id")
	if err := c.Get("caller").(caller).Allows(id, ""); err != nil {
		return err
	}
	ev, err := s.eventOr404(c, id)
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(c.Response(), c.Request().Body, guestlist.MaxBytes)
	p, err := s.checkList(c, body, ev)
	if err != nil {
		return unreadableList(err, "")
	}
	return c.JSON(http.StatusOK, PreviewResponse{Preview: p, Summary: p.Summary()})
}

// unreadableList is the answer to a list that could not be read at all.
func unreadableList(err error, prefix string) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return apiError(http.StatusRequestEntityTooLarge, "too_large", prefix+"guest list larger than 32 MiB; split the list")
	case errors.Is(err, guestlist.ErrTooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: prefix + err.Error(), Err: err}
	case errors.Is(err, guestlist.ErrUnreadable):
		return &Error{Status: http.StatusBadRequest, Code: "bad_guest_list", Message: prefix + err.Error(), Err: err}
	case errors.Is(err, guestlist.ErrRead): // a reader's error is not the sender's to read
		return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: prefix + "the guest list could not be read", Err: err}
	}
	return err // the store's or the connection's: not the sender's to see
}

// badList is the 400 of a list with errors: the first in the message,
// every one (up to maxErrorDetails) in details.
func badList(p *guestlist.Preview) error {
	d := p.Errors
	if len(d) > maxErrorDetails {
		d = d[:maxErrorDetails]
	}
	return &Error{Status: http.StatusBadRequest, Code: "bad_guest_list", Message: "nothing issued: " + p.Errors.Error(), Details: d}
}

// BatchResponse is the answer of POST /v1/passes/batch.
type BatchResponse struct {
	Issued        int             `json:"issued"`         // passes issued now
	New           int             `json:"new"`            // rows that repeat nothing
	AlreadyIssued int             `json:"already_issued"` // rows that repeat a pass already issued
	Repeated      int             `json:"repeated"`       // rows that repeat an earlier row
	Skipped       int             `json:"skipped"`        // duplicate rows not issued (duplicates "skip")
	Duplicates    string          `json:"duplicates"`     // the choice applied: skip or issue
	Summary       string          `json:"summary"`        // "9 already issued, 0 new"
	Passes        []IssueResponse `json:"passes"`
}

// duplicatesChoice reads the duplicates choice of a batch from get (a
// query or form value): duplicates=skip|issue, or allow_duplicates=true
// (issue). Without either, duplicates are skipped.
func duplicatesChoice(get func(string) string) (string, error) {
	d, a := get("duplicates"), get("allow_duplicates")
	allow := false
	if a != "" {
		var err error
		if allow, err = strconv.ParseBool(a); err != nil {
			return "", badBody(`field "allow_duplicates": want true or false`)
		}
	}
	if d == "" {
		if allow {
			return guestlist.Issue, nil
		}
		return guestlist.Skip, nil
	}
	choice, err := guestlist.ParseChoice(d)
	if err != nil {
		return "", badBody(`field "duplicates": ` + err.Error())
	}
	if a != "" && allow != (choice == guestlist.Issue) {
		return "", badBody(`fields "duplicates" and "allow_duplicates" disagree: send one`)
	}
	return choice, nil
}

// issueBatch is POST /v1/passes/batch?event=ID with a CSV or XLSX guest
// list as the body (or a multipart form: "guests" and a "photos" ZIP):
// all or nothing, and rows that repeat a pass already issued (or an
// earlier row) are skipped unless duplicates=issue.
func (s *Server) issueBatch(c echo.Context) error {
	if err := c.Get("caller").(caller).Allows(c.QueryParam("event"), ""); err != nil {
		return err
	}
	sg, err := s.signerOr503()
	if err != nil {
		return err
	}
	ev, err := s.eventOr404(c, c.QueryParam("event"))
	if err != nil {
		return err
	}
	var reqs []signer.Request
	var p *guestlist.Preview
	var choice string
	if isMultipart(c.Request()) {
		if reqs, p, choice, err = s.batchForm(c, ev); err != nil {
			return err
		}
	} else {
		if choice, err = duplicatesChoice(c.QueryParam); err != nil {
			return err
		}
		body := http.MaxBytesReader(c.Response(), c.Request().Body, guestlist.MaxBytes)
		if p, err = s.checkList(c, body, ev); err != nil {
			return unreadableList(err, "nothing issued: ")
		}
		if reqs, err = p.Requests(choice); err != nil {
			return badList(p)
		}
		if err := signer.LoadPhotos(reqs, nil); err != nil {
			return apiError(http.StatusBadRequest, "bad_photo", "nothing issued: "+err.Error()+`: send the list and a ZIP of the photos as a multipart form (parts "guests" and "photos")`)
		}
	}
	// issue.Lists checks again for passes issued since, under the node's
	// list lock: two uploads of one list at once issue it once.
	out, err := s.lists.Issue(c.Request().Context(), sg, s.cfg.Store, ev, p, reqs, choice, c.Get("caller").(caller).Actor())
	if err != nil {
		return badIssue(err)
	}
	resp := BatchResponse{New: p.Counts.New, AlreadyIssued: p.Counts.AlreadyIssued, Repeated: p.Counts.Repeated,
		Duplicates: choice, Summary: p.Summary(), Passes: []IssueResponse{}}
	if choice == guestlist.Skip {
		resp.Skipped = p.Counts.AlreadyIssued + p.Counts.Repeated
	}
	if len(out) == 0 {
		return c.JSON(http.StatusOK, resp)
	}
	resp.Issued = len(out)
	for i := range out {
		resp.Passes = append(resp.Passes, Issued(&out[i]))
	}
	return c.JSON(http.StatusCreated, resp)
}

// batchForm reads POST /v1/passes/batch as a multipart form: the guest
// list in the part "guests", when its photo column names files a ZIP of
// them in the part "photos", and the duplicates choice as a field (or in
// the query).
func (s *Server) batchForm(c echo.Context, ev *pass.Event) ([]signer.Request, *guestlist.Preview, string, error) {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxBatchForm)
	if err := r.ParseMultipartForm(formMemory); err != nil {
		return nil, nil, "", formError(err, maxBatchForm)
	}
	defer r.MultipartForm.RemoveAll()
	choice, err := duplicatesChoice(func(k string) string {
		if v := r.FormValue(k); v != "" {
			return v
		}
		return c.QueryParam(k)
	})
	if err != nil {
		return nil, nil, "", err
	}
	guests := r.MultipartForm.File["guests"]
	if len(guests) != 1 {
		return nil, nil, "", apiError(http.StatusBadRequest, "bad_request", `the form needs one file part "guests" (the CSV or XLSX guest list), and "photos" (a ZIP) when it names photos`)
	}
	gf, err := guests[0].Open()
	if err != nil {
		return nil, nil, "", formError(err, maxBatchForm)
	}
	defer gf.Close()
	p, err := s.checkList(c, gf, ev)
	if err != nil {
		return nil, nil, "", unreadableList(err, "nothing issued: ")
	}
	reqs, err := p.Requests(choice)
	if err != nil {
		return nil, nil, "", badList(p)
	}
	var load func(string) ([]byte, error)
	if zips := r.MultipartForm.File["photos"]; len(zips) == 1 {
		zf, err := zips[0].Open()
		if err != nil {
			return nil, nil, "", formError(err, maxBatchForm)
		}
		defer zf.Close()
		src, err := photo.OpenZip(zf, zips[0].Size)
		if err != nil {
			return nil, nil, "", apiError(http.StatusBadRequest, "bad_photo", "nothing issued: photos: "+err.Error())
		}
		load = func(name string) ([]byte, error) {
			b, err := src.Read(name)
			if err == nil {
				b, err = photo.Process(b)
			}
			return b, err
		}
	} else if len(zips) > 1 {
		return nil, nil, "", apiError(http.StatusBadRequest, "bad_request", `one "photos" ZIP per guest list`)
	}
	if err := signer.LoadPhotos(reqs, load); err != nil {
		return nil, nil, "", apiError(http.StatusBadRequest, "bad_photo", "nothing issued: "+err.Error())
	}
	return reqs, p, choice, nil
}
