package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

// Webhook event types (issue 14, item 5). The store enqueues
// [WebhookPassRevoked] in the transaction of a revocation and
// [WebhookAlertRaised] in the transaction of an alert; the other three are
// enqueued by the code that makes the change, in its own transaction,
// through the backend's enqueueWebhook helper (see docs/design.md,
// "Webhooks"), or with [Store.EnqueueWebhook] when there is no change to
// join.
const (
	WebhookPassRevoked   = "pass.revoked"
	WebhookPassReissued  = "pass.reissued"
	WebhookAlertRaised   = "alert.raised"
	WebhookZoneFull      = "zone.full"
	WebhookDeviceOffline = "device.offline"
)

// WebhookTypes lists the event types an endpoint may subscribe to.
var WebhookTypes = []string{WebhookPassRevoked, WebhookPassReissued, WebhookAlertRaised, WebhookZoneFull, WebhookDeviceOffline}

// Audit actions of webhook endpoints.
const (
	ActionWebhookCreate = "webhook.create"
	ActionWebhookDelete = "webhook.delete"
)

// Webhook is an endpoint an admin entered. Its secret signs every
// delivery; it is shown once, when the endpoint is made, never logged and
// never listed.
type Webhook struct {
	ID           string   // "wh_…"
	URL          string   // as the admin entered it
	Events       []string // subscribed types, from WebhookTypes
	AllowPrivate bool     // the admin allowed a private, loopback or link-local address (and http)
	Secret       []byte   // 32 random bytes; nil in lists
	Created      time.Time
	By           string
}

// EventsColumn is how both backends keep Events: ",a,b," so that
// `events LIKE '%,' || type || ',%'` finds the subscribers of a type.
func (w *Webhook) EventsColumn() string { return "," + strings.Join(w.Events, ",") + "," }

// ParseEventsColumn is the inverse of [Webhook.EventsColumn].
func ParseEventsColumn(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}

// CheckWebhookEvents checks a subscription list: at least one type, each
// known, none twice.
func CheckWebhookEvents(events []string) error {
	if len(events) == 0 {
		return errors.New("a webhook needs at least one event type (" + strings.Join(WebhookTypes, ", ") + ")")
	}
	for i, e := range events {
		if !slices.Contains(WebhookTypes, e) {
			return fmt.Errorf("unknown webhook event type %q: use %s", e, strings.Join(WebhookTypes, ", "))
		}
		if slices.Contains(events[:i], e) {
			return fmt.Errorf("webhook event type %q given twice", e)
		}
	}
	return nil
}

// WebhookEvent is one thing that happened, to be delivered to every
// endpoint subscribed to its type. ID is its message id: the webhook-id
// header of every delivery and every retry of it, so a receiver can drop
// duplicates; enqueueing the same ID again adds nothing.
type WebhookEvent struct {
	ID   string    // "msg_…"; required
	Type string    // one of WebhookTypes
	At   time.Time // zero: when it is enqueued
	Data any       // the "data" object of the body; must marshal to a JSON object
}

// Body is the JSON a delivery carries, in the shape the Standard Webhooks
// specification suggests: {"type", "timestamp", "data"}.
func (e WebhookEvent) Body() ([]byte, error) {
	// The id is signed as "id.timestamp.body": it holds no full stop.
	if e.ID == "" || len(e.ID) > 100 || strings.ContainsAny(e.ID, ". \t\r\n") || !slices.Contains(WebhookTypes, e.Type) {
		return nil, fmt.Errorf("store: webhook event %q of type %q", e.ID, e.Type)
	}
	b, err := json.Marshal(struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      any    `json:"data"`
	}{e.Type, e.At.UTC().Format(time.RFC3339Nano), e.Data})
	if err != nil {
		return nil, fmt.Errorf("store: webhook event %s: %w", e.ID, err)
	}
	return b, nil
}

// RevokedWebhook is the pass.revoked event of revocation r: its public
// fields only (the note is for staff).
func RevokedWebhook(r *record.Revocation) WebhookEvent {
	return WebhookEvent{
		ID: fmt.Sprintf("msg_revocation_%d", r.Seq), Type: WebhookPassRevoked, At: r.At,
		Data: map[string]any{"event": r.Event, "serial": r.Serial, "category": r.Category, "seq": r.Seq, "revoked_at": r.At.UTC()},
	}
}

// AlertWebhook is the alert.raised event of alert a (stored: ID set).
func AlertWebhook(a *record.Alert) WebhookEvent {
	return WebhookEvent{
		ID: fmt.Sprintf("msg_alert_%d", a.ID), Type: WebhookAlertRaised, At: a.Detected,
		Data: map[string]any{"id": a.ID, "event": a.Event, "serial": a.Serial, "kind": a.Kind, "status": a.Status,
			"scans": a.Scans, "gates": a.Gates, "at": a.At.UTC(), "reason": a.Reason},
	}
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // gave up after the last attempt
)

// Delivery is one event to one endpoint, in the outbox.
type Delivery struct {
	ID         int64
	Webhook    string
	MsgID      string
	Type       string
	Body       []byte
	State      string // DeliveryPending, DeliveryDelivered, DeliveryFailed
	Attempts   int
	NextAt     time.Time // when a pending delivery is due
	LastStatus int       // HTTP status of the last attempt; 0: none or no answer
	LastError  string    // why the last attempt failed, for people
	Created    time.Time
	Done       time.Time // delivered or given up

	// Set by ClaimDeliveries only: where and how to send it.
	URL          string
	Secret       []byte
	AllowPrivate bool
}

// DeliveryResult is the outcome of one attempt, for [Store.FinishDelivery].
type DeliveryResult struct {
	Delivered  bool
	GiveUp     bool      // not delivered and no attempt left: mark failed
	NextAt     time.Time // not delivered, not given up: when to try again
	HTTPStatus int
	Error      string // at most 500 bytes are kept
}

// ErrLeaseLost is returned by [Store.FinishDelivery] when the worker's
// lease on the delivery expired and another worker may have it.
var ErrLeaseLost = errors.New("store: delivery lease lost")

// TrimError cuts an attempt's error to what the outbox keeps.
func TrimError(s string) string {
	if len(s) <= 500 {
		return s
	}
	return strings.ToValidUTF8(s[:500], "")
}

// ReissuedWebhook is the pass.reissued event of a reissue: r is the old
// pass's supersession as the store wrote it (Seq, Event, At,
// SupersededBy and By set). It names the two serials, never a token.
// Its ID is the old serial's: a pass is reissued once.
func ReissuedWebhook(r *record.Revocation, reason pass.ReissueReason) WebhookEvent {
	return WebhookEvent{
		ID: "msg_reissue_" + string(r.Serial), Type: WebhookPassReissued, At: r.At,
		Data: map[string]any{"event": r.Event, "old_serial": r.Serial, "new_serial": r.SupersededBy,
			"reason": reason, "at": r.At.UTC(), "by": r.By},
	}
}

// ZoneFullWebhook is the zone.full event of a zone found full by a scan
// "in" at at. since is the time of the latest entry into the zone (the
// newest zone_inside row): the zone has been full since then, and every
// scan refused before someone leaves and another enters finds the same
// since, so the ID, derived from event, zone and since, enqueues one
// event per full episode, also across nodes.
func ZoneFullWebhook(event, zone string, inside, capacity int, since, at time.Time) WebhookEvent {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d", event, zone, since.UTC().UnixNano()))
	return WebhookEvent{
		ID: "msg_zonefull_" + hex.EncodeToString(h[:16]), Type: WebhookZoneFull, At: at,
		Data: map[string]any{"event": event, "zone": zone, "inside": inside, "capacity": capacity,
			"full_since": since.UTC(), "at": at.UTC()},
	}
}

// ZoneFullAfter tells a store, after the decider answered scan sc with
// inside passes in its zone, whether to enqueue zone.full: sc is a new
// scan "in" answered zone_full, and the event ev gives the zone a
// capacity (returned).
func ZoneFullAfter(sc *record.Scan, ev *pass.Event) (capacity int, ok bool) {
	if sc.Direction != record.In || sc.Code != record.CodeZoneFull || ev == nil {
		return 0, false
	}
	c, ok := ev.EffectivePolicy().CapacityOf(pass.Zone(sc.Zone))
	if !ok || c.Max <= 0 {
		return 0, false
	}
	return c.Max, true
}

// DeviceOfflineWebhook is the device.offline event of door device d (its
// scanner token t) last seen at d.At. Its ID names the token and that
// time, so every node that notices the same silence enqueues one event,
// and a device that comes back and goes quiet again makes a new one.
func DeviceOfflineWebhook(t *APIToken, d DeviceSeen) WebhookEvent {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", t.ID, d.At.UTC().UnixNano()))
	return WebhookEvent{
		ID: "msg_deviceoffline_" + hex.EncodeToString(h[:16]), Type: WebhookDeviceOffline,
		Data: map[string]any{"device": t.ID, "name": t.Name, "event": t.Event, "gate": t.Gate, "last_seen": d.At.UTC()},
	}
}
