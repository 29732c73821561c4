package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// ReissueRequest is the body of POST /v1/passes/{serial}/reissue (issue
// 13): a new pass for the same holder and access, the old one superseded.
type ReissueRequest struct {
	Reason string `json:"reason,omitempty"` // lost, damaged, name_change, new_photo; inferred from name or photo when empty
	Name   string `json:"name,omitempty"`   // the new name; empty: unchanged
	Note   string `json:"note,omitempty"`   // for staff
	// Photo is a new photo of the holder, a JPEG or PNG in standard
	// base64, as in POST /v1/passes; empty: the old pass's photo.
	Photo []byte `json:"photo,omitempty"`
}

// ReissueResponse answers a reissue: the new pass with its token, and
// the old pass's serial, now superseded.
type ReissueResponse struct {
	IssueResponse
	Replaces     pass.Serial        `json:"replaces"`
	Reason       pass.ReissueReason `json:"reason"`
	SupersededAt time.Time          `json:"superseded_at"`
	Seq          int64              `json:"seq"` // of the old pass's revocation
}

func (s *Server) reissuePass(c echo.Context) error {
	p, err := s.passParam(c)
	if err != nil {
		return err
	}
	var req ReissueRequest
	if err := decodeJSONLimit(c, &req, maxPhotoJSON); err != nil {
		return err
	}
	rr := issue.ReissueRequest{Serial: p.Serial, Name: req.Name, Note: req.Note,
		By: c.Get("caller").(caller).Actor(), At: s.cfg.Now()}
	if rr.Reason, err = pass.ParseReissueReason(req.Reason); err != nil {
		return apiError(http.StatusBadRequest, "bad_request", "reason: "+err.Error())
	}
	if rr.Photo, err = preparePhoto(req.Photo); err != nil {
		return err
	}
	sg, err := s.signerOr503()
	if err != nil {
		return err
	}
	out, err := issue.Reissue(c.Request().Context(), sg, s.cfg.Store, rr, issue.Options{Printable: s.printable()})
	var re *issue.ReissueError
	if errors.As(err, &re) {
		status := map[string]int{issue.ReissueNotFound: http.StatusNotFound, issue.ReissueRevoked: http.StatusConflict,
			issue.ReissueSuperseded: http.StatusConflict}[re.Code]
		if status == 0 {
			status = http.StatusBadRequest
		}
		return &Error{Status: status, Code: re.Code, Message: "nothing issued: " + re.Message, Err: err}
	}
	if err != nil {
		return err
	}
	s.cfg.Revocations.Add(out.Revocation) // this node turns the old pass away at once; others at their next sync
	return c.JSON(http.StatusCreated, ReissueResponse{IssueResponse: Issued(&out.New), Replaces: out.Old.Serial,
		Reason: out.Reason, SupersededAt: out.Revocation.At, Seq: out.Revocation.Seq})
}

// SearchResponse is GET /v1/passes: one page of passes, and the cursor of
// the next ("" on the last page).
type SearchResponse struct {
	Passes []SearchHit `json:"passes"`
	Next   string      `json:"next,omitempty"`
}

// SearchHit is one pass found, with its status (valid, revoked,
// superseded) and, when superseded, the pass that replaced it; how many
// times it was printed and whether the desk marked it collected.
type SearchHit struct {
	PassView
	Status       store.PassStatus    `json:"status"`
	Reason       pass.RevokeCategory `json:"reason,omitempty"`
	SupersededBy pass.Serial         `json:"superseded_by,omitempty"`
	Prints       int                 `json:"prints"`
	Collected    bool                `json:"collected"`
}

// searchPasses is GET /v1/passes?event=&q=&type=&status=&printed=&collected=&limit=&cursor=.
func (s *Server) searchPasses(c echo.Context) error {
	for name := range c.QueryParams() {
		switch name {
		case "event", "q", "type", "status", "printed", "collected", "limit", "cursor":
		default:
			return apiError(http.StatusBadRequest, "bad_request", fmt.Sprintf("unknown parameter %q (want event, q, type, status, printed, collected, limit, cursor)", name))
		}
	}
	event := c.QueryParam("event")
	if event == "" {
		return apiError(http.StatusBadRequest, "bad_request", "event: required (the event whose passes to search)")
	}
	if err := c.Get("caller").(caller).Allows(event, ""); err != nil {
		return err
	}
	var f store.SearchFilter
	var err error
	if t := c.QueryParam("type"); t != "" {
		if f.Type, err = pass.ParseType(t); err != nil {
			return apiError(http.StatusBadRequest, "bad_request", "type: "+err.Error())
		}
	}
	switch st := store.PassStatus(c.QueryParam("status")); st {
	case "", store.PassValid, store.PassRevoked, store.PassSuperseded:
		f.Status = st
	default:
		return apiError(http.StatusBadRequest, "bad_request", fmt.Sprintf("status %q: want valid, revoked or superseded", st))
	}
	if f.Printed, err = store.ParseYesNo("printed", c.QueryParam("printed")); err != nil {
		return apiError(http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), "search: "))
	}
	if f.Collected, err = store.ParseYesNo("collected", c.QueryParam("collected")); err != nil {
		return apiError(http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), "search: "))
	}
	limit := 0
	if l := c.QueryParam("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > store.MaxSearchLimit {
			return apiError(http.StatusBadRequest, "bad_request", fmt.Sprintf("limit %q: want 1 to %d", l, store.MaxSearchLimit))
		}
	}
	if ev, err := s.event(c.Request().Context(), event); err != nil {
		return err
	} else if ev == nil {
		return apiError(http.StatusNotFound, "not_found", "no event "+event)
	}
	page, err := s.cfg.Store.SearchPasses(c.Request().Context(), event, c.QueryParam("q"), f, limit, c.QueryParam("cursor"))
	if err != nil {
		if strings.HasPrefix(err.Error(), "search: ") { // the request's: q too long, a cursor we never gave
			return apiError(http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), "search: "))
		}
		return err
	}
	resp := SearchResponse{Passes: make([]SearchHit, len(page.Hits)), Next: page.Next}
	for i := range page.Hits {
		h := &page.Hits[i]
		resp.Passes[i] = SearchHit{PassView: NewPassView(&h.Issued), Status: h.Status, Reason: h.Category, SupersededBy: h.SupersededBy,
			Prints: h.Prints, Collected: h.Collected}
	}
	return c.JSON(http.StatusOK, resp)
}
