package office

// The door devices' screen (issue 14, item 1): an admin lists the door
// devices, revokes one, and enrols a new one by QR code. The list, the
// enrolment and the revocation are package devices', as behind
// GET /v1/devices, POST /v1/devices/enrolments and
// POST /v1/devices/{id}/revoke.
//
// The enrolment code is shown once, as a QR image, and never travels in
// the clear after the form's POST: the page's address holds a ticket, the
// code sealed (AES-GCM) with a key derived from the session's token, so
// that a request log, the browser's history or another person's session
// learn nothing from it. The image and the page answer only while the
// code waits: once used or expired they show no code, and the page says
// which device took it.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/laminate/laminate/devices"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

func init() {
	notices["device-revoked"] = "Door device revoked: its next request is refused."
	notices["device-already-revoked"] = "That door device was revoked already."
}

// deviceRow is a door device as the list shows it.
type deviceRow struct {
	devices.Status
	State    string // online, offline or revoked
	LastSeen string // in its event's time zone; "never"
}

type eventChoice struct{ ID, Name string }

// enrolForm is the enrolment form: what was typed and what is wrong.
type enrolForm struct {
	Event, Gate, Zone, Name string
	Errors                  map[string]string
	Problem                 string // not a field's: said above the form
}

type devicesView struct {
	Devices []deviceRow
	Events  []eventChoice
	Chosen  *pass.Event // the event of the enrolment form; nil: not chosen yet
	Gates   []string    // its declared gates; none: any gate name
	Zones   []string
	Form    enrolForm
}

// deviceReports is this node's reports of door devices not yet in the
// store, where the host keeps them (server).
func (o *Office) deviceReports() []store.DeviceSeen {
	if r, ok := o.host.(httpkit.DeviceReporter); ok {
		return r.DeviceReports()
	}
	return nil
}

// devicesPage is GET /office/devices[?event=ID] (admin).
func (o *Office) devicesPage(c echo.Context) error {
	return o.devicesForm(c, http.StatusOK, enrolForm{Event: strings.TrimSpace(c.QueryParam("event")), Name: c.QueryParam("name")})
}

func (o *Office) devicesForm(c echo.Context, status int, f enrolForm) error {
	u := UserOf(c)
	ctx := c.Request().Context()
	now := o.cfg.Now()
	list, err := devices.Listed(ctx, o.st, o.deviceReports(), now)
	if err != nil {
		return err
	}
	evs, err := o.st.Events(ctx)
	if err != nil {
		return err
	}
	v := devicesView{Form: f}
	locs := map[string]*time.Location{}
	for _, ev := range evs {
		locs[ev.ID] = ev.Location()
		if u.MayActFor(ev.ID) {
			v.Events = append(v.Events, eventChoice{ID: ev.ID, Name: ev.Name})
		}
		if ev.ID == f.Event && u.MayActFor(ev.ID) {
			v.Chosen = ev
		}
	}
	for _, d := range list {
		if len(u.Events) > 0 && !u.MayActFor(d.Event) { // an account limited to events sees their devices only
			continue
		}
		r := deviceRow{Status: d, State: "offline", LastSeen: "never"}
		switch {
		case d.Revoked:
			r.State = "revoked"
		case d.Online:
			r.State = "online"
		}
		if !d.LastSeen.IsZero() {
			r.LastSeen = pass.FormatTime(d.LastSeen, locs[d.Event])
		}
		v.Devices = append(v.Devices, r)
	}
	if f.Event != "" && v.Chosen == nil && f.Errors["event"] == "" {
		if err := u.Allows(f.Event); err != nil {
			return err
		}
		if v.Form.Errors == nil {
			v.Form.Errors = map[string]string{}
		}
		v.Form.Errors["event"] = "There is no event " + f.Event + ": choose one from the list."
	}
	if v.Chosen != nil {
		p := v.Chosen.EffectivePolicy()
		v.Gates = slices.Clone(p.Gates)
		for _, z := range p.Zones {
			v.Zones = append(v.Zones, string(z))
		}
	}
	return o.page(c, status, "devices.html", "Door devices", v)
}

// enrol is POST /office/devices/enrol (admin): a one-time code, then the
// page that shows it as a QR code.
func (o *Office) enrol(c echo.Context) error {
	u := UserOf(c)
	f := enrolForm{Event: strings.TrimSpace(c.FormValue("event")), Gate: strings.TrimSpace(c.FormValue("gate")),
		Zone: strings.TrimSpace(c.FormValue("zone")), Name: strings.TrimSpace(c.FormValue("name")), Errors: map[string]string{}}
	if !pass.ValidEventID(f.Event) {
		f.Errors["event"] = "Choose the event the device scans for."
		f.Event = ""
		return o.devicesForm(c, http.StatusBadRequest, f)
	}
	if err := u.Allows(f.Event); err != nil {
		return err
	}
	ctx := c.Request().Context()
	ev, err := o.host.Event(ctx, f.Event)
	if err != nil {
		return err
	}
	if ev == nil {
		f.Errors["event"] = "There is no event " + f.Event + ": choose one from the list."
		return o.devicesForm(c, http.StatusBadRequest, f)
	}
	switch {
	case f.Name == "":
		f.Errors["name"] = "Give the device a name people recognise, e.g. \"north gate phone 3\"."
	case f.Gate == "":
		f.Errors["gate"] = "Choose the gate the device scans at."
	}
	if len(f.Errors) > 0 {
		return o.devicesForm(c, http.StatusBadRequest, f)
	}
	code, _, err := devices.Enrol(ctx, o.st, ev, devices.Request{Gate: f.Gate, Zone: f.Zone, Name: f.Name}, u.Actor(), o.cfg.Now())
	switch {
	case errors.Is(err, store.ErrUnavailable):
		return err
	case errors.Is(err, pass.ErrUnknownGate), err != nil && strings.Contains(err.Error(), "gate"):
		f.Errors["gate"] = err.Error()
	case errors.Is(err, pass.ErrUnknownZone), err != nil && strings.Contains(err.Error(), "zone"):
		f.Errors["zone"] = err.Error()
	case err != nil && strings.Contains(err.Error(), "name"):
		f.Errors["name"] = err.Error()
	case err != nil:
		return err
	}
	if len(f.Errors) > 0 {
		return o.devicesForm(c, http.StatusBadRequest, f)
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/devices/enrolment/"+sealCode(u, code))
}

// Enrolment states, as the page and its poll name them.
const (
	enrolWaiting = "waiting"
	enrolUsed    = "used"
	enrolExpired = "expired"
)

// enrolment finds the enrolment of the ticket in c's path, for the
// person who made it (the ticket opens with their session only).
func (o *Office) enrolment(c echo.Context) (code string, e *store.Enrolment, state string, err error) {
	u := UserOf(c)
	gone := httpkit.NewError(http.StatusNotFound, "not_found", "There is no such enrolment for your session: a code is shown only in the session that made it. Make a new one on the Door devices page.")
	code, ok := openTicket(u, c.Param("ticket"))
	if !ok {
		return "", nil, "", gone
	}
	e, err = o.st.Enrolment(c.Request().Context(), devices.Hash(code))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, "", gone
	}
	if err != nil {
		return "", nil, "", err
	}
	if err := u.Allows(e.Event); err != nil {
		return "", nil, "", err
	}
	switch {
	case !e.Used.IsZero():
		state = enrolUsed
	case !o.cfg.Now().Before(e.Expires):
		state = enrolExpired
	default:
		state = enrolWaiting
	}
	return code, e, state, nil
}

type enrolmentView struct {
	E       *store.Enrolment
	State   string
	Ticket  string
	Expires string // in the event's time zone
	Until   string // RFC 3339, for the countdown
	Left    string // "9 min 58 s", at the time of the page
	Used    string
}

// enrolmentPage is GET /office/devices/enrolment/:ticket (admin): the QR
// code while it waits, then which device used it, or that it expired.
func (o *Office) enrolmentPage(c echo.Context) error {
	_, e, state, err := o.enrolment(c)
	if err != nil {
		return err
	}
	var loc *time.Location
	if ev, err := o.host.Event(c.Request().Context(), e.Event); err != nil {
		return err
	} else if ev != nil {
		loc = ev.Location()
	}
	v := enrolmentView{E: e, State: state, Ticket: c.Param("ticket"), Expires: pass.FormatTime(e.Expires, loc),
		Until: e.Expires.UTC().Format(time.RFC3339), Used: pass.FormatTime(e.Used, loc)}
	if left := e.Expires.Sub(o.cfg.Now()).Round(time.Second); left > 0 {
		v.Left = fmt.Sprintf("%d min %02d s left", int(left/time.Minute), int(left%time.Minute/time.Second))
	}
	return o.page(c, http.StatusOK, "devices-enrolment.html", "Enrol a door device", v)
}

// qrSize is the side of the enrolment QR image in pixels: large enough
// for a phone's camera across a desk.
const qrSize = 320

// enrolmentQR is GET /office/devices/enrolment/:ticket/qr.png (admin):
// the QR code of the door page's address with the code, while the code
// waits; 410 once used or expired. Never cached (the office's headers).
func (o *Office) enrolmentQR(c echo.Context) error {
	code, _, state, err := o.enrolment(c)
	if err != nil {
		return err
	}
	if state != enrolWaiting {
		return httpkit.NewError(http.StatusGone, "gone", "This enrolment code was "+state+": it is not shown any more.")
	}
	png, err := qrcode.Encode(devices.URL(httpkit.BaseURL(c), code), qrcode.Medium, qrSize)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "image/png", png)
}

// enrolmentState is GET /office/devices/enrolment/:ticket/state (admin):
// {"state": "waiting"|"used"|"expired"}, which the page polls to reload
// when the code is used.
func (o *Office) enrolmentState(c echo.Context) error {
	_, _, state, err := o.enrolment(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"state": state})
}

// revokeDevice is POST /office/devices/:id/revoke (admin): the device's
// token is refused from its next request.
func (o *Office) revokeDevice(c echo.Context) error {
	u := UserOf(c)
	id := c.Param("id")
	ctx := c.Request().Context()
	none := httpkit.NewError(http.StatusNotFound, "not_found", "There is no door device "+id+".")
	if len(id) > 40 {
		return none
	}
	t, err := o.st.APIToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return none
	}
	if err != nil {
		return err
	}
	if t.Event != "" || len(u.Events) > 0 {
		if err := u.Allows(t.Event); err != nil {
			return err
		}
	}
	err = devices.Revoke(ctx, o.st, id, u.Actor())
	switch {
	case errors.Is(err, devices.ErrNoDevice):
		return none
	case errors.Is(err, store.ErrAlreadyRevoked):
		return c.Redirect(http.StatusSeeOther, Prefix+"/devices?m=device-already-revoked")
	case err != nil:
		return err
	}
	if f, ok := o.host.(httpkit.TokenForgetter); ok {
		f.ForgetToken(id)
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/devices?m=device-revoked")
}

// ticketKey is the key that seals enrolment codes for u's session.
func ticketKey(u *User) []byte {
	m := hmac.New(sha256.New, []byte(u.token))
	m.Write([]byte("laminate office: enrolment ticket"))
	return m.Sum(nil)
}

func ticketAEAD(u *User) cipher.AEAD {
	b, err := aes.NewCipher(ticketKey(u))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return g
}

// sealCode is the ticket of code for u's session: the code sealed with
// a key of the session, in base64url.
func sealCode(u *User, code string) string {
	g := ticketAEAD(u)
	nonce := make([]byte, g.NonceSize())
	rand.Read(nonce) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(g.Seal(nonce, nonce, []byte(code), nil))
}

// maxTicket bounds a ticket read from a path.
const maxTicket = 200

// openTicket is the code a ticket of u's session seals.
func openTicket(u *User, ticket string) (string, bool) {
	if len(ticket) > maxTicket {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(ticket)
	g := ticketAEAD(u)
	if err != nil || len(b) < g.NonceSize()+g.Overhead() {
		return "", false
	}
	code, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], nil)
	if err != nil {
		return "", false
	}
	return string(code), true
}
