package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/signer"
)

// IssueRequest is the body of POST /v1/passes.
type IssueRequest struct {
	Event string `json:"event"`
	Type  string `json:"type"`
	Name  string `json:"name"`
	Org   string `json:"org,omitempty"`
	Role  string `json:"role,omitempty"`
	// ValidFrom and ValidUntil follow the one time rule: RFC 3339, or a
	// local time without offset read in the event's time zone.
	ValidFrom  *LocalTime `json:"valid_from,omitempty"`
	ValidUntil *LocalTime `json:"valid_until,omitempty"`
	// Ref is an external reference (a ticketing system's id), stored with
	// the pass and never signed; guest lists are matched by it.
	Ref string `json:"ref,omitempty"`
	// Photo is the holder's photo, a JPEG or PNG in standard base64 (at
	// most photo.MaxBytes before encoding); its hash is signed into the pass.
	Photo []byte `json:"photo,omitempty"`
}

// PassView is a stored pass as the API and the CLI show it: [pass.Shown]
// with when and by which key it was issued.
type PassView struct {
	Serial     pass.Serial `json:"serial"`
	Printed    string      `json:"printed"` // XXXX-XXXX
	Event      string      `json:"event"`
	Type       pass.Type   `json:"type"`
	Role       string      `json:"role,omitempty"`
	Name       string      `json:"name"`
	Org        string      `json:"org,omitempty"`
	ValidFrom  time.Time   `json:"valid_from,omitzero"`
	ValidUntil time.Time   `json:"valid_until"`
	IssuedAt   time.Time   `json:"issued_at"`
	KID        string      `json:"kid"`
	Photo      string      `json:"photo,omitempty"` // pass.PhotoHash of the holder's photo, as signed
}

// NewPassView describes a stored pass.
func NewPassView(i *record.Issued) PassView {
	sh := i.Shown()
	return PassView{Serial: sh.Serial, Printed: sh.Printed, Event: sh.Event, Type: sh.Type, Role: sh.Role, Name: sh.Name,
		Org: sh.Org, ValidFrom: sh.ValidFrom, ValidUntil: sh.ValidUntil, IssuedAt: i.IssuedAt, KID: i.KID, Photo: i.Photo}
}

// IssueResponse is one issued pass with its token: the answer of the
// issuing endpoints and each line of "laminate issue --json".
type IssueResponse struct {
	PassView
	Token string `json:"token"`
}

// Issued describes a newly issued pass.
func Issued(i *record.Issued) IssueResponse {
	return IssueResponse{PassView: NewPassView(i), Token: i.Token}
}

// signerOr503 is the signer, or the reason this node cannot sign.
func (s *Server) signerOr503() (*signer.Signer, error) {
	sg := s.signer.Load()
	if sg == nil {
		return nil, apiError(http.StatusServiceUnavailable, "cannot_sign",
			"this node has no signing key (its keyring is encrypted and it was started without the passphrase)")
	}
	return sg, nil
}

func (s *Server) eventOr404(c echo.Context, id string) (*pass.Event, error) {
	ev, err := s.event(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	if ev == nil {
		return nil, apiError(http.StatusNotFound, "not_found", "no event "+id)
	}
	return ev, nil
}

// issueOne is POST /v1/passes: JSON, or a multipart form when it carries
// a photo as a file.
func (s *Server) issueOne(c echo.Context) error {
	var req IssueRequest
	if isMultipart(c.Request()) {
		var err error
		if req, req.Photo, err = issueForm(c); err != nil {
			return err
		}
	} else if err := decodeJSONLimit(c, &req, maxPhotoJSON); err != nil {
		return err
	}
	if err := c.Get("caller").(caller).Allows(req.Event, ""); err != nil {
		return err
	}
	sg, err := s.signerOr503()
	if err != nil {
		return err
	}
	ev, err := s.eventOr404(c, req.Event)
	if err != nil {
		return err
	}
	r := signer.Request{Name: req.Name, Org: req.Org, Ref: strings.TrimSpace(req.Ref)}
	if r.Type, err = pass.ParseType(req.Type); err != nil {
		return badBody(`field "type": ` + err.Error())
	}
	if req.Role != "" {
		if r.Role, err = pass.ParseRole(req.Role); err != nil {
			return badBody(`field "role": ` + err.Error())
		}
	}
	if r.ValidFrom, err = req.ValidFrom.In(ev.Location()); err != nil {
		return badBody(`field "valid_from": ` + err.Error())
	}
	if r.ValidUntil, err = req.ValidUntil.In(ev.Location()); err != nil {
		return badBody(`field "valid_until": ` + err.Error())
	}
	if r.Ref != "" {
		if err := pass.CheckText("ref", r.Ref, record.MaxRefLen, false); err != nil {
			return badBody(`field "ref": ` + err.Error())
		}
	}
	if r.Photo, err = preparePhoto(req.Photo); err != nil {
		return err
	}
	out, err := issue.Batch(c.Request().Context(), sg, s.cfg.Store, ev, []signer.Request{r}, c.Get("caller").(caller).Actor(), issue.Options{Printable: s.printable()})
	if err != nil {
		return badIssue(err)
	}
	return c.JSON(http.StatusCreated, Issued(&out[0]))
}

// printable refuses, at issue, a name or org that no font prints or a
// name too long for any template.
func (s *Server) printable() signer.TextChecker { return render.Printable{Fonts: s.cfg.Fonts} }

// badIssue turns a request the signer refused into a 400 naming the
// problem (its messages name fields, lines and columns, never internals).
// Anything else (the store, the machine) is the server's: 503 when the
// database is unreachable, 500 otherwise, and its text is only logged.
func badIssue(err error) error {
	var re *signer.RequestError
	if !errors.As(err, &re) {
		return err
	}
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "nothing issued: " + err.Error(), Err: err}
}
