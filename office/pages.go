package office

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// static holds the office's one stylesheet and one script.
//
//go:embed static
var staticFS embed.FS

// pageTemplate is a page's template parsed with the layout.
type pageTemplate struct{ t *template.Template }

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	// when is a time in the event's own zone with its offset, the one
	// format of the office (issue 13, item 8).
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Format("Mon 2 Jan 2006 15:04 -07:00")
	},
	// utc is an instant with no zone of its own (an account's), in UTC.
	"utc": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"join": strings.Join,
	// timezone is an event's time zone as its offset from UTC.
	"timezone": pass.TimeZoneOf,
	// dict makes a map of key, value pairs: the arguments of "field".
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, errors.New("dict: a key is not a string")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
}

func mustParsePages() map[string]*pageTemplate {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*pageTemplate{}
	for _, n := range names {
		base := path.Base(n)
		if base == "base.html" {
			continue
		}
		t := template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/base.html", n))
		out[base] = &pageTemplate{t}
	}
	return out
}

// view is what every page template gets: the layout's part (the person,
// the navigation, the CSRF token) and the page's own Data.
type view struct {
	Title  string
	User   *User
	CSRF   string
	Nav    []navItem
	Notice string // a line at the top: what just happened
	Data   any
}

type navItem struct {
	Href, Label string
	Current     bool
}

// nav is the header's links: every page a person may open.
func nav(u *User, current string) []navItem {
	items := []navItem{{Href: Prefix + "/", Label: "Home"}}
	if u.Has(staff.RoleIssuer, staff.RolePrinter) {
		items = append(items, navItem{Href: Prefix + "/passes", Label: "Passes"}, navItem{Href: Prefix + "/print", Label: "Print"}, navItem{Href: Prefix + "/desk", Label: "Desk"})
	}
	if u.Has(staff.RoleAdmin) {
		items = append(items, navItem{Href: Prefix + "/users", Label: "Users"})
		items = append(items, navItem{Href: Prefix + "/devices", Label: "Devices"}, navItem{Href: Prefix + "/webhooks", Label: "Webhooks"})
	}
	items = append(items, navItem{Href: Prefix + "/account", Label: "Your account"})
	for i := range items {
		items[i].Current = items[i].Href == current || current != Prefix+"/" && items[i].Href != Prefix+"/" && strings.HasPrefix(current, items[i].Href+"/")
	}
	return items
}

// page renders the page template name for the person signed in, with
// data: the one way a handler answers with a page.
func (o *Office) page(c echo.Context, status int, name string, title string, data any) error {
	v := view{Title: title, Data: data, Notice: notices[c.QueryParam("m")]}
	if u := UserOf(c); u != nil {
		v.User, v.CSRF, v.Nav = u, u.CSRF(), nav(u, c.Request().URL.Path)
	}
	return o.render(c, status, name, v)
}

func (o *Office) render(c echo.Context, status int, name string, v view) error {
	p, ok := o.pages[name]
	if !ok {
		return errors.New("office: no page " + name)
	}
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, "base", v); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// static serves office.css and office.js.
func (o *Office) static(c echo.Context) error {
	name := c.Param("file")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "/") {
		return httpkit.NewError(http.StatusNotFound, "not_found", "There is no such file.")
	}
	ct := "text/css; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, ct, b)
}

// eventRow is an event as the home page lists it.
type eventRow struct {
	ID, Name, Venue string
	Start           time.Time
	Phase           pass.Phase
}

// home is GET /office/: the events the person may see.
func (o *Office) home(c echo.Context) error {
	u := UserOf(c)
	evs, err := o.st.Events(c.Request().Context())
	if err != nil {
		return err
	}
	now := o.cfg.Now()
	var rows []eventRow
	for _, ev := range evs {
		if u.MayActFor(ev.ID) {
			rows = append(rows, eventRow{ID: ev.ID, Name: ev.Name, Venue: ev.Venue, Start: ev.Schedule.ShowStart, Phase: ev.PhaseAt(now.In(ev.Location()))})
		}
	}
	return o.page(c, http.StatusOK, "home.html", "Home", homeView{Events: rows, Limited: len(u.Events) > 0})
}

type homeView struct {
	Events  []eventRow
	Limited bool
}

// eventPage is GET /office/events/:id: an event's schedule, in its own
// time zone. An account limited to other events gets a 403.
func (o *Office) eventPage(c echo.Context) error {
	id := c.Param("id")
	if err := UserOf(c).Allows(id); err != nil {
		return err
	}
	ev, err := o.st.Event(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return httpkit.NewError(http.StatusNotFound, "not_found", "There is no event "+id+".")
	}
	if err != nil {
		return err
	}
	return o.page(c, http.StatusOK, "event.html", ev.Name, eventView{Event: ev, Phase: ev.PhaseAt(o.cfg.Now().In(ev.Location()))})
}

type eventView struct {
	Event *pass.Event
	Phase pass.Phase
}
