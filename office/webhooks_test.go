package office

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// Webhooks in the office: a refused address by its field, an endpoint
// added with its secret shown once, its deliveries, and its removal; CSRF
// on every form.
func TestWebhooksPages(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("admin", staff.RoleAdmin)
	b := e.browser()
	b.mustSignIn("admin")
	wantStatus(t, "webhooks", b.get("/office/webhooks"), http.StatusOK, "No webhooks yet", `value="pass.revoked" checked`, `value="device.offline" checked`)

	good := url.Values{"url": {"https://93.184.216.34/laminate"}, "events": {"pass.revoked", "alert.raised"}}
	wantStatus(t, "add without CSRF", b.post("/office/webhooks", good, ""), http.StatusForbidden)
	b.get("/office/webhooks")
	wantStatus(t, "a private address", b.post("/office/webhooks", url.Values{"url": {"https://10.0.0.7/h"}, "events": {"pass.revoked"}}, "auto"),
		http.StatusBadRequest, `id="e-url"`, "10.0.0.7", `value="https://10.0.0.7/h"`)
	wantStatus(t, "no events", b.post("/office/webhooks", url.Values{"url": {"https://93.184.216.34/h"}}, "auto"),
		http.StatusBadRequest, `id="e-events"`, "Tick at least one event type")
	wantStatus(t, "an unknown event", b.post("/office/webhooks", url.Values{"url": {"https://93.184.216.34/h"}, "events": {"pass.eaten"}}, "auto"),
		http.StatusBadRequest, `id="e-events"`, "pass.eaten")
	if ws, _ := e.st.Webhooks(context.Background()); len(ws) != 0 {
		t.Fatalf("refused forms made webhooks: %+v", ws)
	}

	a := b.post("/office/webhooks", good, "auto")
	wantStatus(t, "add", a, http.StatusCreated, "shown <strong>this once</strong>", "whsec_", "https://93.184.216.34/laminate", "pass.revoked, alert.raised")
	ws, err := e.st.Webhooks(context.Background())
	if err != nil || len(ws) != 1 || ws[0].By != "user:admin (Admin Example)" {
		t.Fatalf("Webhooks() = %+v, %v", ws, err)
	}
	id := ws[0].ID
	if a := b.get("/office/webhooks"); strings.Contains(a.body, "whsec_") {
		t.Fatal("the list shows the secret again")
	}

	// A delivery, as the outbox has it: pending, with its next try.
	if n, err := e.st.EnqueueWebhook(context.Background(), store.WebhookEvent{ID: "msg_test1", Type: store.WebhookPassRevoked, Data: map[string]any{"serial": "X"}}); err != nil || n != 1 {
		t.Fatalf("EnqueueWebhook = %d, %v", n, err)
	}
	wantStatus(t, "list with a delivery", b.get("/office/webhooks"), http.StatusOK, `href="/office/webhooks/`+id+`"`, "pending</span> pass.revoked", "0 attempts")
	wantStatus(t, "endpoint page", b.get("/office/webhooks/"+id), http.StatusOK, "msg_test1", "pending", "Next try", "UTC", "by user:admin (Admin Example)")
	wantStatus(t, "no such webhook", b.get("/office/webhooks/wh_nosuch"), http.StatusNotFound, "There is no webhook wh_nosuch")

	wantStatus(t, "remove without CSRF", b.post("/office/webhooks/"+id+"/remove", url.Values{}, ""), http.StatusForbidden)
	a = b.post("/office/webhooks/"+id+"/remove", url.Values{}, "auto")
	if a.status != http.StatusSeeOther || a.location != "/office/webhooks?m=webhook-removed" {
		t.Fatalf("remove = %d to %q", a.status, a.location)
	}
	if ws, _ := e.st.Webhooks(context.Background()); len(ws) != 0 {
		t.Fatalf("still there after remove: %+v", ws)
	}
	wantStatus(t, "after remove", b.get(a.location), http.StatusOK, "Webhook removed", "No webhooks yet")
}
