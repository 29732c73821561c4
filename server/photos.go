package server

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/photo"
	"github.com/laminate/laminate/store"
)

// Limits of the issuing forms that carry photos.
const (
	// maxPhotoJSON caps POST /v1/passes as JSON with a photo in base64.
	maxPhotoJSON = photo.MaxBytes/3*4 + maxBody
	// maxPhotoForm caps POST /v1/passes as a multipart form.
	maxPhotoForm = photo.MaxBytes + maxBody
	// maxBatchForm caps POST /v1/passes/batch as a multipart form: a guest
	// list and a ZIP of photos. Parts beyond formMemory wait on disk.
	maxBatchForm = 256 << 20
	formMemory   = 32 << 20
)

// Photo states in a door's answer.
const (
	PhotoMatch    = "match"    // the stored photo is the one the pass signs
	PhotoMismatch = "mismatch" // it is not: it was replaced in the database
	PhotoMissing  = "missing"  // the pass signs a photo that is not stored
)

// ScanPhoto is what a door's answer says of the holder's photo, for a pass
// that signs one.
type ScanPhoto struct {
	Status  string `json:"status"`        // match, mismatch or missing
	Message string `json:"message"`       // for door staff
	URL     string `json:"url,omitempty"` // the photo, only when it matches
}

// scanPhoto compares the stored photo of the pass p (verified: its Photo is
// what a key of ours signed) with that hash. A photo swapped in the
// database shows as a mismatch, never as the holder's face. Nil for a pass
// without a photo.
func (s *Server) scanPhoto(ctx context.Context, p *pass.Pass) (*ScanPhoto, []byte, error) {
	if p == nil || p.Photo == "" {
		return nil, nil, nil
	}
	b, err := s.cfg.Store.PassPhoto(ctx, p.Serial)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &ScanPhoto{Status: PhotoMissing, Message: "photo missing: the signed pass has one, the server does not. Check ID"}, nil, nil
	case err != nil:
		return nil, nil, err
	case pass.PhotoHash(b) != p.Photo:
		return &ScanPhoto{Status: PhotoMismatch, Message: "photo does not match the signed pass: check ID and call the production office"}, nil, nil
	}
	return &ScanPhoto{Status: PhotoMatch, Message: "photo matches the signed pass", URL: "/v1/passes/" + string(p.Serial) + "/photo"}, b, nil
}

// getPhoto is GET /v1/passes/{serial}/photo: the holder's photo, served
// only when it is the one the pass's token signs (the token is verified
// again, so rewriting the stored hash does not help either), and never
// cached.
func (s *Server) getPhoto(c echo.Context) error {
	p, err := s.passParam(c)
	if err != nil {
		return err
	}
	return s.ServePassPhoto(c, p)
}

// ServePassPhoto answers c with the photo of pass p as GET
// /v1/passes/{serial}/photo does (httpkit.PhotoServer): the dashboard's
// clear list serves it to callers the photo route does not admit, once
// it has checked the pass is on the list.
func (s *Server) ServePassPhoto(c echo.Context, p *store.Issued) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	vd := s.cfg.Verifier.Verify(p.Token, s.cfg.Now())
	if vd.Pass == nil || vd.Pass.Serial != p.Serial {
		return apiError(http.StatusConflict, "photo_mismatch", "the stored token of pass "+p.Serial.String()+" does not verify: no photo is shown")
	}
	sp, b, err := s.scanPhoto(c.Request().Context(), vd.Pass)
	if err != nil {
		return err
	}
	switch {
	case sp == nil || sp.Status == PhotoMissing:
		return apiError(http.StatusNotFound, "not_found", "pass "+p.Serial.String()+" has no photo")
	case sp.Status == PhotoMismatch:
		return apiError(http.StatusConflict, "photo_mismatch", "the stored photo of pass "+p.Serial.String()+" does not match the signed pass: it is not shown")
	}
	return c.Blob(http.StatusOK, "image/jpeg", b)
}

// isMultipart reports whether the request is a multipart form.
func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	return mt == "multipart/form-data"
}

// skipBodyLimit lets the batch form through the server-wide body limit:
// issueBatch caps it at maxBatchForm itself.
func skipBodyLimit(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == "/v1/passes/batch" && isMultipart(c.Request())
}

// formError is the answer to a form that could not be read.
func formError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apiError(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("form larger than %d MiB", limit>>20))
	}
	return apiError(http.StatusBadRequest, "bad_request", "body is not a multipart form of the expected shape")
}

// issueForm reads POST /v1/passes as a multipart form: the fields of
// IssueRequest as form fields (valid_from and valid_until by the time rule),
// and the photo as the file part "photo".
func issueForm(c echo.Context) (IssueRequest, []byte, error) {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxPhotoForm)
	if err := r.ParseMultipartForm(formMemory); err != nil {
		return IssueRequest{}, nil, formError(err, maxPhotoForm)
	}
	defer r.MultipartForm.RemoveAll()
	req := IssueRequest{Event: r.FormValue("event"), Type: r.FormValue("type"), Name: r.FormValue("name"),
		Org: r.FormValue("org"), Role: r.FormValue("role")}
	for _, f := range []struct {
		name string
		dst  **LocalTime
	}{{"valid_from", &req.ValidFrom}, {"valid_until", &req.ValidUntil}} {
		if v := r.FormValue(f.name); v != "" {
			if _, err := pass.ParseTime(v, time.UTC); err != nil {
				return req, nil, badBody(`field "` + f.name + `": ` + err.Error())
			}
			*f.dst = NewLocalTime(v)
		}
	}
	req.Ref = r.FormValue("ref")
	fhs := r.MultipartForm.File["photo"]
	if len(fhs) == 0 {
		return req, nil, nil
	}
	if len(fhs) > 1 {
		return req, nil, apiError(http.StatusBadRequest, "bad_request", "one photo per pass")
	}
	f, err := fhs[0].Open()
	if err != nil {
		return req, nil, formError(err, maxPhotoForm)
	}
	defer f.Close()
	b := make([]byte, fhs[0].Size)
	if _, err := f.ReadAt(b, 0); err != nil && fhs[0].Size > 0 {
		return req, nil, formError(err, maxPhotoForm)
	}
	return req, b, nil
}

// preparePhoto turns an uploaded photo into the stored one: 400 naming
// what is wrong with it.
func preparePhoto(b []byte) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	out, err := photo.Process(b)
	if err != nil {
		if len(b) > photo.MaxBytes {
			return nil, apiError(http.StatusRequestEntityTooLarge, "too_large", "nothing issued: photo: "+err.Error())
		}
		return nil, apiError(http.StatusBadRequest, "bad_photo", "nothing issued: photo: "+err.Error())
	}
	return out, nil
}
