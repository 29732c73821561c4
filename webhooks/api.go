package webhooks

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/store"
)

// API is the admin API of webhooks, an [httpkit.Surface]:
//
//	POST   /v1/webhooks                  {"url", "events", "allow_private"} → the endpoint and its secret (shown once)
//	GET    /v1/webhooks                  the endpoints, without secrets
//	DELETE /v1/webhooks/{id}
//	GET    /v1/webhooks/{id}/deliveries  ?limit=N (at most 1000): state, attempts, last status, next try
type API struct{}

var _ httpkit.Surface = API{}

// maxBody bounds the JSON of a new endpoint.
const maxBody = 8 << 10

// Mount implements [httpkit.Surface]; every route is for admins.
func (API) Mount(e *echo.Echo, h httpkit.Host) {
	admin := h.Require(httpkit.RoleAdmin)
	a := &api{h: h}
	e.POST("/v1/webhooks", a.create, admin)
	e.GET("/v1/webhooks", a.list, admin)
	e.DELETE("/v1/webhooks/:id", a.remove, admin)
	e.GET("/v1/webhooks/:id/deliveries", a.deliveries, admin)
}

type api struct{ h httpkit.Host }

// Endpoint is an endpoint as the API shows it.
type Endpoint struct {
	ID           string    `json:"id"`
	URL          string    `json:"url"`
	Events       []string  `json:"events"`
	AllowPrivate bool      `json:"allow_private"`
	Created      time.Time `json:"created"`
	CreatedBy    string    `json:"created_by"`
	Secret       string    `json:"secret,omitempty"` // on creation only
}

// EndpointOf is how the API and the CLI show w.
func EndpointOf(w *store.Webhook) Endpoint {
	return Endpoint{ID: w.ID, URL: w.URL, Events: w.Events, AllowPrivate: w.AllowPrivate, Created: w.Created.UTC(), CreatedBy: w.By}
}

// DeliveryView is a delivery as the API and the CLI show it.
type DeliveryView struct {
	ID         int64      `json:"id"`
	MsgID      string     `json:"webhook_id"`
	Type       string     `json:"type"`
	State      string     `json:"state"`
	Attempts   int        `json:"attempts"`
	LastStatus int        `json:"last_status,omitempty"`
	LastError  string     `json:"last_error,omitempty"`
	NextTry    *time.Time `json:"next_try,omitempty"` // pending only
	Created    time.Time  `json:"created"`
	Done       *time.Time `json:"done,omitempty"`
}

// ViewOf is how the API and the CLI show d.
func ViewOf(d *store.Delivery) DeliveryView {
	v := DeliveryView{ID: d.ID, MsgID: d.MsgID, Type: d.Type, State: d.State, Attempts: d.Attempts,
		LastStatus: d.LastStatus, LastError: d.LastError, Created: d.Created.UTC()}
	if d.State == store.DeliveryPending {
		t := d.NextAt.UTC()
		v.NextTry = &t
	}
	if !d.Done.IsZero() {
		t := d.Done.UTC()
		v.Done = &t
	}
	return v
}

func bad(msg string) error { return httpkit.NewError(http.StatusBadRequest, "bad_request", msg) }

func (a *api) create(c echo.Context) error {
	var req struct {
		URL          string   `json:"url"`
		Events       []string `json:"events"`
		AllowPrivate bool     `json:"allow_private"`
	}
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return bad("the body must be JSON {\"url\": …, \"events\": […], \"allow_private\": false} of at most 8 KiB: " + err.Error())
	}
	w, secret, err := Add(c.Request().Context(), a.h.Store(), req.URL, req.Events, req.AllowPrivate, httpkit.CallerOf(c).Actor())
	var input *InputError
	if errors.As(err, &input) {
		return bad(err.Error())
	}
	if err != nil {
		return err
	}
	out := EndpointOf(w)
	out.Secret = secret
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, out)
}

func (a *api) list(c echo.Context) error {
	ws, err := a.h.Store().Webhooks(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]Endpoint, len(ws))
	for i := range ws {
		out[i] = EndpointOf(&ws[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"webhooks": out})
}

func notFound(id string) error {
	return httpkit.NewError(http.StatusNotFound, "not_found", "no webhook "+id+": see GET /v1/webhooks")
}

func (a *api) remove(c echo.Context) error {
	id := c.Param("id")
	err := a.h.Store().DeleteWebhook(c.Request().Context(), id, httpkit.CallerOf(c).Actor())
	if errors.Is(err, store.ErrNotFound) {
		return notFound(id)
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *api) deliveries(c echo.Context) error {
	id := c.Param("id")
	limit := 100
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return bad("limit must be a number from 1 to 1000")
		}
		limit = n
	}
	ds, err := a.h.Store().Deliveries(c.Request().Context(), id, limit)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(id)
	}
	if err != nil {
		return err
	}
	out := make([]DeliveryView, len(ds))
	for i := range ds {
		out[i] = ViewOf(&ds[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"deliveries": out})
}

// Table is the endpoints as the CLI lists them: a header and rows.
func Table(ws []store.Webhook) ([]string, [][]string) {
	var rows [][]string
	for _, w := range ws {
		rows = append(rows, []string{w.ID, w.URL, strings.Join(w.Events, ","), strconv.FormatBool(w.AllowPrivate), w.Created.UTC().Format(time.RFC3339)})
	}
	return []string{"ID", "URL", "EVENTS", "PRIVATE", "CREATED"}, rows
}

// DeliveryTable is the deliveries as the CLI lists them: a header and
// rows, "-" for nothing.
func DeliveryTable(ds []store.Delivery) ([]string, [][]string) {
	dash := func(s string) string {
		if s = strings.Join(strings.Fields(s), " "); s == "" {
			return "-"
		}
		return s
	}
	var rows [][]string
	for _, d := range ds {
		v := ViewOf(&d)
		next, status := "", ""
		if v.NextTry != nil {
			next = v.NextTry.Format(time.RFC3339)
		}
		if v.LastStatus != 0 {
			status = strconv.Itoa(v.LastStatus)
		}
		rows = append(rows, []string{v.MsgID, v.Type, v.State, strconv.Itoa(v.Attempts), dash(status), dash(next), dash(v.LastError)})
	}
	return []string{"WEBHOOK-ID", "TYPE", "STATE", "ATTEMPTS", "LAST", "NEXT TRY", "LAST ERROR"}, rows
}
