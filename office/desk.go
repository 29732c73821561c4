package office

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// deskHit is a pass found at the desk.
type deskHit struct {
	Serial       pass.Serial
	Name, Org    string
	Type, Role   string
	Status       store.PassStatus
	Photo        bool
	Printed      int
	PrintWarning string
	Collected    string // "collected at … by …"; "" when not
}

type deskView struct {
	Event     *pass.Event
	Query     string
	Template  string
	Templates []string
	Hits      []deskHit
	More      bool
	Searched  bool
	Error     string
	Message   string // what just happened
}

// deskPage is GET /office/desk?event=ID[&q=…&template=…]: the
// accreditation desk's search, one pass at a time.
func (o *Office) deskPage(c echo.Context) error {
	if c.QueryParam("event") == "" {
		return o.pickEvent(c, "Accreditation desk", Prefix+"/desk")
	}
	ev, err := o.printEvent(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v := deskView{Event: ev, Query: c.QueryParam("q"), Template: c.QueryParam("template"), Templates: o.cfg.Printer.Templates()}
	if v.Template == "" {
		v.Template = DefaultTemplate
	}
	status, err := o.st.PrintStatus(ctx, ev.ID)
	if err != nil {
		return err
	}
	loc := ev.Location()
	if s, err := pass.ParseSerial(c.QueryParam("serial")); err == nil {
		if col := status[s].Collected; col != nil {
			name := s.String()
			if p, err := o.st.Pass(ctx, s); err == nil && p.Event == ev.ID {
				name = p.Name + " (" + s.String() + ")"
			}
			switch c.QueryParam("m") {
			case "collected":
				v.Message = name + ": collected at " + when(col.At.In(loc)) + " by " + col.Actor + ". Hand the pass over; it is not entry."
			case "already":
				v.Message = name + " was already collected at " + when(col.At.In(loc)) + " by " + col.Actor + ". Check ID before handing out another."
			}
		}
	}
	code := http.StatusOK
	if v.Query != "" {
		v.Searched = true
		page, err := o.st.SearchPasses(ctx, ev.ID, v.Query, store.SearchFilter{}, 20, "")
		if err != nil && !errors.Is(err, store.ErrUnavailable) {
			v.Error, code = message(err), http.StatusUnprocessableEntity
		} else if err != nil {
			return err
		}
		v.More = page.Next != ""
		now := o.cfg.Now()
		for _, h := range page.Hits {
			st := status[h.Serial]
			d := deskHit{Serial: h.Serial, Name: h.Name, Org: h.Org, Type: h.Type.Label(), Role: h.Role, Status: h.Status,
				Photo: h.Photo != "", Printed: st.Count, PrintWarning: st.ReprintWarning(loc, now)}
			if st.Collected != nil {
				d.Collected = "collected at " + when(st.Collected.At.In(loc)) + " by " + st.Collected.Actor
			}
			v.Hits = append(v.Hits, d)
		}
	}
	return o.page(c, code, "desk.html", "Desk · "+ev.Name, v)
}

// when is the office's one time format.
func when(t interface{ Format(string) string }) string {
	return t.Format("Mon 2 Jan 2006 15:04 -07:00")
}

// deskPhoto is GET /office/desk/photo?event&serial: the stored photo of
// a pass, JPEG, when it is the one the pass signs.
func (o *Office) deskPhoto(c echo.Context) error {
	ev, err := o.printEvent(c)
	if err != nil {
		return err
	}
	p, err := o.eventPass(c, ev)
	if err != nil {
		return err
	}
	return o.signedPhoto(c, p)
}

// deskPrint is POST /office/desk/print (event, serial, template): that
// one pass as a PDF, logged under the person's name.
func (o *Office) deskPrint(c echo.Context) error {
	ev, err := o.printEvent(c)
	if err != nil {
		return err
	}
	p, err := o.eventPass(c, ev)
	if err != nil {
		return err
	}
	f := newForm()
	ch := o.readChoice(c, f)
	if msg, ok := f.Errors["template"]; ok {
		return httpkit.NewError(http.StatusUnprocessableEntity, "bad_request", msg)
	}
	sel, err := o.cfg.Printer.Select(c.Request().Context(), ev.ID, []pass.Serial{p.Serial}, false, false)
	if msg, ok := personMessage(err); ok {
		return httpkit.NewError(http.StatusConflict, "not_printed", msg+" Nothing was printed.")
	}
	if err != nil {
		return err
	}
	ch.Format = "pdf"
	return o.sendPrint(c, ev, sel, ch, "pass-"+string(p.Serial))
}

// deskCollected is POST /office/desk/collected (event, serial, q): the
// pass was handed to its holder; audited by the store. The first
// collection is kept; a second says when and by whom it was.
func (o *Office) deskCollected(c echo.Context) error {
	ev, err := o.printEvent(c)
	if err != nil {
		return err
	}
	p, err := o.eventPass(c, ev)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := o.st.Revocation(ctx, p.Serial); err == nil {
		return httpkit.NewError(http.StatusConflict, "revoked", "Pass "+p.Serial.String()+" is revoked or replaced: do not hand it out. Search the holder's name for the pass that replaces it.")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_, already, err := o.st.MarkCollected(ctx, p.Serial, o.cfg.Now(), httpkit.CallerOf(c).Actor())
	if err != nil {
		return err
	}
	m := "collected"
	if already {
		m = "already"
	}
	q := url.Values{"event": {ev.ID}, "q": {c.FormValue("q")}, "template": {c.FormValue("template")}, "serial": {string(p.Serial)}, "m": {m}}
	return c.Redirect(http.StatusSeeOther, Prefix+"/desk?"+q.Encode())
}
