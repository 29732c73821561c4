package issue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// ReissueStore is what [Reissue] needs; a store.Store is one.
type ReissueStore interface {
	Event(ctx context.Context, id string) (*pass.Event, error)
	Pass(ctx context.Context, serial pass.Serial) (*record.Issued, error)
	PassPhoto(ctx context.Context, serial pass.Serial) ([]byte, error)
	Revocation(ctx context.Context, serial pass.Serial) (*record.Revocation, error)
	Reissue(ctx context.Context, next record.Issued, r *record.Revocation, reason pass.ReissueReason) error
}

// ReissueRequest asks for a new pass in place of Serial (issue 13): lost,
// damaged, a name change or a new photo.
type ReissueRequest struct {
	Serial pass.Serial
	Name   string             // "": the old pass's name
	Photo  []byte             // a JPEG as photo.Process made it; nil: the old pass's photo, if any
	Reason pass.ReissueReason // "": name_change with a new name, new_photo with a photo; else required
	Note   string             // for staff: the audit log and the old pass's revocation
	By     string             // actor
	At     time.Time          // when the old pass stops; zero: the store's clock
}

// Reissued is a reissue done: the old pass as it was, the new one, and
// the revocation that supersedes the old.
type Reissued struct {
	Old        *record.Issued
	New        record.Issued
	Revocation record.Revocation
	Reason     pass.ReissueReason
}

// Codes of a [ReissueError].
const (
	ReissueBadRequest = "bad_request" // a field of the request
	ReissueNotFound   = "not_found"   // no such pass
	ReissueRevoked    = "revoked"     // the pass is revoked: not reissued
	ReissueSuperseded = "superseded"  // the pass was already replaced
)

// ReissueError is a reissue refused for a reason its requester can act
// on: Message says what and what to do, Code which case it is.
type ReissueError struct {
	Code    string
	Message string
	Err     error // the store's or the signer's, if any
}

func (e *ReissueError) Error() string { return e.Message }
func (e *ReissueError) Unwrap() error { return e.Err }

func refuse(code string, err error, format string, args ...any) *ReissueError {
	return &ReissueError{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Reissue signs a new serial with sg for the holder of req.Serial, with
// the same event, type, role, org and validity (and the changes asked),
// and stores it in place of the old pass, which becomes superseded and
// links to the new one, in one transaction. The CLI ("laminate reissue")
// and the API (POST /v1/passes/{serial}/reissue) both call it. A revoked
// or already superseded pass is refused with a [*ReissueError] saying
// what to do instead, as is a request with a bad field; other errors are
// the machine's or the store's.
func Reissue(ctx context.Context, sg *signer.Signer, st ReissueStore, req ReissueRequest, opt Options) (*Reissued, error) {
	if err := checkReissueRequest(&req); err != nil {
		return nil, err
	}
	old, err := st.Pass(ctx, req.Serial)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(ReissueNotFound, err, "no pass %s", req.Serial)
	}
	if err != nil {
		return nil, err
	}
	if err := checkNotRevoked(ctx, st, old.Serial); err != nil {
		return nil, err
	}
	ev, err := st.Event(ctx, old.Event)
	if err != nil {
		return nil, fmt.Errorf("event %s of pass %s: %w", old.Event, old.Serial, err)
	}
	r := signer.Request{
		Type: old.Type, Role: old.Role, Name: old.Name, Org: old.Org,
		ValidFrom: old.ValidFrom, ValidUntil: old.ValidUntil, Photo: req.Photo,
	}
	if req.Name != "" {
		r.Name = req.Name
	}
	if req.Reason == "" {
		switch {
		case r.Name != old.Name:
			req.Reason = pass.ReissueNameChange
		case req.Photo != nil:
			req.Reason = pass.ReissueNewPhoto
		default:
			return nil, refuse(ReissueBadRequest, nil, "reason: say why the pass is reissued: one of %s", pass.ReissueReasonList())
		}
	}
	if req.Reason == pass.ReissueNameChange && r.Name == old.Name {
		return nil, refuse(ReissueBadRequest, nil, "name: a name change needs the new name (the pass already says %q)", old.Name)
	}
	if req.Reason == pass.ReissueNewPhoto && req.Photo == nil {
		return nil, refuse(ReissueBadRequest, nil, "photo: a new photo needs the photo")
	}
	if r.Photo == nil && old.Photo != "" {
		// The old photo goes on the new pass, checked against the hash the
		// old pass signs: the store is not trusted for the binding.
		jpeg, err := st.PassPhoto(ctx, old.Serial)
		if err != nil {
			return nil, fmt.Errorf("photo of pass %s: %w", old.Serial, err)
		}
		if pass.PhotoHash(jpeg) != old.Photo {
			return nil, refuse(ReissueBadRequest, nil, "photo: the stored photo of pass %s does not match the photo it signs; give the holder's photo again", old.Serial)
		}
		r.Photo = jpeg
	}
	if err := signer.CheckPrintable(opt.Printable, &r); err != nil {
		return nil, refuse(ReissueBadRequest, err, "%s", err.Error())
	}
	for attempt := 0; ; attempt++ {
		next, err := sg.Issue(ev, r)
		var re *signer.RequestError
		if errors.As(err, &re) {
			return nil, refuse(ReissueBadRequest, err, "%s", err.Error())
		}
		if err != nil {
			return nil, err
		}
		if opt.Check != nil {
			if err := opt.Check([]record.Issued{next}); err != nil {
				return nil, err
			}
		}
		rev := record.Revocation{Serial: old.Serial, Note: req.Note, By: req.By, At: req.At}
		err = st.Reissue(ctx, next, &rev, req.Reason)
		switch {
		case errors.Is(err, store.ErrDuplicateSerial) && attempt < maxSerialRetries:
			continue
		case errors.Is(err, store.ErrSuperseded), errors.Is(err, store.ErrAlreadyRevoked):
			// Revoked or reissued by someone else since the check above.
			if err := checkNotRevoked(ctx, st, old.Serial); err != nil {
				return nil, err
			}
			return nil, err
		case err != nil:
			return nil, err
		}
		return &Reissued{Old: old, New: next, Revocation: rev, Reason: req.Reason}, nil
	}
}

func checkReissueRequest(req *ReissueRequest) error {
	req.Name = strings.TrimSpace(req.Name)
	req.Note = strings.TrimSpace(req.Note)
	if err := pass.CheckText("note", req.Note, pass.MaxRevokeNoteLen, false); err != nil {
		return refuse(ReissueBadRequest, err, "%s", err.Error())
	}
	if req.Reason != "" {
		if _, err := pass.ParseReissueReason(string(req.Reason)); err != nil {
			return refuse(ReissueBadRequest, err, "reason: %s", err.Error())
		}
	}
	return nil
}

// checkNotRevoked refuses a pass that is revoked or superseded, saying
// what to do instead.
func checkNotRevoked(ctx context.Context, st ReissueStore, serial pass.Serial) error {
	rev, err := st.Revocation(ctx, serial)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case rev.Superseded():
		return refuse(ReissueSuperseded, store.ErrSuperseded,
			"pass %s was already replaced by pass %s on %s: reissue %s instead",
			serial, rev.SupersededBy, rev.At.UTC().Format("2006-01-02 15:04 MST"), rev.SupersededBy)
	default:
		return refuse(ReissueRevoked, store.ErrAlreadyRevoked,
			"pass %s is revoked (%s, %s) and is not reissued: issue a new pass if the holder still needs access",
			serial, rev.Category, rev.At.UTC().Format("2006-01-02 15:04 MST"))
	}
}
