package office

// The webhooks' screen (issue 14, item 5): an admin lists the endpoints
// with their last delivery, adds one (its secret shown once), removes
// one, and reads an endpoint's deliveries. Endpoints are made by
// webhooks.Add and shown by webhooks.EndpointOf and webhooks.ViewOf, as
// the API (/v1/webhooks) and the CLI make and show them.
//
// Webhooks carry every event's changes, so only an admin manages them;
// admin accounts are never limited to events (staff.AdminEventsMessage).

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/webhooks"
)

func init() {
	notices["webhook-removed"] = "Webhook removed: it receives nothing more."
}

// webhookRow is an endpoint in the list, with its newest delivery.
type webhookRow struct {
	webhooks.Endpoint
	Last *webhooks.DeliveryView
}

// webhookForm is the new endpoint form.
type webhookForm struct {
	URL          string
	Events       []string
	AllowPrivate bool
	Errors       map[string]string
}

// Has says whether the form ticks event type t.
func (f webhookForm) Has(t string) bool { return slices.Contains(f.Events, t) }

type webhooksView struct {
	Webhooks []webhookRow
	Types    []string
	Form     webhookForm
	Created  *webhooks.Endpoint // just made: its secret, shown this once
}

// webhooksPage is GET /office/webhooks (admin).
func (o *Office) webhooksPage(c echo.Context) error {
	return o.webhooksForm(c, http.StatusOK, webhooksView{Form: webhookForm{Events: slices.Clone(store.WebhookTypes)}})
}

func (o *Office) webhooksForm(c echo.Context, status int, v webhooksView) error {
	ctx := c.Request().Context()
	ws, err := o.st.Webhooks(ctx)
	if err != nil {
		return err
	}
	for i := range ws {
		r := webhookRow{Endpoint: webhooks.EndpointOf(&ws[i])}
		ds, err := o.st.Deliveries(ctx, ws[i].ID, 1)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if len(ds) > 0 {
			d := webhooks.ViewOf(&ds[0])
			r.Last = &d
		}
		v.Webhooks = append(v.Webhooks, r)
	}
	v.Types = store.WebhookTypes
	return o.page(c, status, "webhooks.html", "Webhooks", v)
}

// addWebhook is POST /office/webhooks (admin): the endpoint is made and
// its secret shown on the answer, once; the store never gives it back.
func (o *Office) addWebhook(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	f := webhookForm{URL: strings.TrimSpace(form.Get("url")), Events: form["events"], AllowPrivate: form.Get("allow_private") == "on", Errors: map[string]string{}}
	switch {
	case f.URL == "":
		f.Errors["url"] = "Give the receiver's address, e.g. https://hooks.example.org/laminate."
	case len(f.Events) == 0:
		f.Errors["events"] = "Tick at least one event type."
	}
	if len(f.Errors) == 0 {
		w, secret, err := webhooks.Add(c.Request().Context(), o.st, f.URL, f.Events, f.AllowPrivate, UserOf(c).Actor())
		var input *webhooks.InputError
		switch {
		case errors.As(err, &input) && strings.Contains(err.Error(), "event type"):
			f.Errors["events"] = err.Error()
		case errors.As(err, &input):
			f.Errors["url"] = err.Error()
		case err != nil:
			return err
		default:
			ep := webhooks.EndpointOf(w)
			ep.Secret = secret
			return o.webhooksForm(c, http.StatusCreated, webhooksView{Created: &ep, Form: webhookForm{Events: slices.Clone(store.WebhookTypes)}})
		}
	}
	return o.webhooksForm(c, http.StatusBadRequest, webhooksView{Form: f})
}

// webhookView is an endpoint's page.
type webhookView struct {
	Endpoint   webhooks.Endpoint
	Deliveries []webhooks.DeliveryView
	Limit      int
}

// deliveriesShown is how many of an endpoint's newest deliveries its
// page lists.
const deliveriesShown = 100

// webhookPage is GET /office/webhooks/:id (admin): the endpoint and its
// newest deliveries, with their state, attempts, last status and next try.
func (o *Office) webhookPage(c echo.Context) error {
	w, err := o.webhook(c)
	if err != nil {
		return err
	}
	ds, err := o.st.Deliveries(c.Request().Context(), w.ID, deliveriesShown)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	v := webhookView{Endpoint: webhooks.EndpointOf(w), Limit: deliveriesShown}
	for i := range ds {
		v.Deliveries = append(v.Deliveries, webhooks.ViewOf(&ds[i]))
	}
	return o.page(c, http.StatusOK, "webhook.html", "Webhook "+w.ID, v)
}

// webhook is the endpoint named in c's path.
func (o *Office) webhook(c echo.Context) (*store.Webhook, error) {
	id := c.Param("id")
	if len(id) <= 40 {
		ws, err := o.st.Webhooks(c.Request().Context())
		if err != nil {
			return nil, err
		}
		for i := range ws {
			if ws[i].ID == id {
				return &ws[i], nil
			}
		}
	}
	return nil, httpkit.NewError(http.StatusNotFound, "not_found", "There is no webhook "+id+": see the list of webhooks.")
}

// removeWebhook is POST /office/webhooks/:id/remove (admin).
func (o *Office) removeWebhook(c echo.Context) error {
	w, err := o.webhook(c)
	if err != nil {
		return err
	}
	err = o.st.DeleteWebhook(c.Request().Context(), w.ID, UserOf(c).Actor())
	if errors.Is(err, store.ErrNotFound) {
		return httpkit.NewError(http.StatusNotFound, "not_found", "There is no webhook "+w.ID+": see the list of webhooks.")
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/webhooks?m=webhook-removed")
}
