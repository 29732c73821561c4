package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

func newWebhook(id string, events ...string) *store.Webhook {
	return &store.Webhook{ID: id, URL: "https://hooks.example.com/" + id + "?token=receiver-own-token",
		Events: events, Secret: bytes.Repeat([]byte{0x5e}, 32)}
}

// testWebhooks: endpoints are stored with an audit row that never holds
// the secret or the URL's query, listed without secrets, refused with an
// unknown type, a short secret or a taken ID, and removed with their
// outbox rows.
func testWebhooks(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	a := newWebhook("wh_a", store.WebhookPassRevoked, store.WebhookAlertRaised)
	b := newWebhook("wh_b", store.WebhookZoneFull)
	b.AllowPrivate = true
	for _, w := range []*store.Webhook{a, b} {
		if err := s.CreateWebhook(ctx, w, "admin"); err != nil {
			t.Fatalf("CreateWebhook(%s) error = %v", w.ID, err)
		}
	}
	if err := s.CreateWebhook(ctx, newWebhook("wh_a", store.WebhookZoneFull), "admin"); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateWebhook(taken id) error = %v, want ErrExists", err)
	}
	if err := s.CreateWebhook(ctx, newWebhook("wh_c", "pass.eaten"), "admin"); err == nil {
		t.Error("CreateWebhook(unknown type) succeeded")
	}
	short := newWebhook("wh_d", store.WebhookZoneFull)
	short.Secret = []byte("short")
	if err := s.CreateWebhook(ctx, short, "admin"); err == nil {
		t.Error("CreateWebhook(short secret) succeeded")
	}
	got, err := s.Webhooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "wh_a" || got[1].ID != "wh_b" {
		t.Fatalf("Webhooks() = %+v, want wh_a, wh_b", got)
	}
	if got[0].Secret != nil || !slices.Equal(got[0].Events, a.Events) || got[0].URL != a.URL || got[0].AllowPrivate || !got[1].AllowPrivate || got[0].By != "admin" || got[0].Created.IsZero() {
		t.Errorf("Webhooks()[0] = %+v, want %+v without its secret", got[0], a)
	}
	if err := s.DeleteWebhook(ctx, "wh_b", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, "wh_b", "admin"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteWebhook(gone) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Deliveries(ctx, "wh_b", 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Deliveries(gone) error = %v, want ErrNotFound", err)
	}
	audit, err := s.Audit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action)
		if strings.Contains(e.Detail, "receiver-own-token") || strings.Contains(e.Detail, "Xl5e") || strings.Contains(e.Detail, "secret") {
			t.Errorf("audit row %+v holds the query or the secret", e)
		}
	}
	if !slices.Equal(actions, []string{store.ActionWebhookDelete, store.ActionWebhookCreate, store.ActionWebhookCreate}) {
		t.Errorf("audit actions %v, want delete, create, create", actions)
	}
}

// testWebhookEnqueue: an event goes to the endpoints subscribed to its
// type, once per ID; a revocation (single and scoped) and a new alert
// enqueue theirs in their own transaction, and a failed revocation
// enqueues nothing.
func testWebhookEnqueue(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	for _, w := range []*store.Webhook{
		newWebhook("wh_rev", store.WebhookPassRevoked),
		newWebhook("wh_all", store.WebhookTypes...),
	} {
		if err := s.CreateWebhook(ctx, w, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	ev := store.WebhookEvent{ID: "msg_zone_1", Type: store.WebhookZoneFull, At: time.Now(), Data: map[string]any{"zone": "stage"}}
	if n, err := s.EnqueueWebhook(ctx, ev); err != nil || n != 1 {
		t.Fatalf("EnqueueWebhook() = %d, %v, want 1 (wh_all only)", n, err)
	}
	if n, err := s.EnqueueWebhook(ctx, ev); err != nil || n != 0 {
		t.Fatalf("EnqueueWebhook(again) = %d, %v, want 0", n, err)
	}
	if _, err := s.EnqueueWebhook(ctx, store.WebhookEvent{ID: "msg_x", Type: "pass.eaten"}); err == nil {
		t.Error("EnqueueWebhook(unknown type) succeeded")
	}
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 3, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, Category: pass.RevokeStolen, Note: "staff-only note", By: "admin"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, By: "admin"}); !errors.Is(err, store.ErrAlreadyRevoked) {
		t.Fatalf("Revoke(again) error = %v", err)
	}
	if _, err := s.RevokeWhere(ctx, store.RevokeFilter{Event: "ev"}, pass.RevokeOther, "", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddAlerts(ctx, []store.Alert{{Event: "ev", Serial: ps[1].Serial, Kind: store.AlertDoubleEntry,
		Scans: [2]string{"s1", "s2"}, Gates: [2]string{"north", "south"}, At: scanAt, Reason: "in twice"}}); err != nil {
		t.Fatal(err)
	}
	rev, err := s.Deliveries(ctx, "wh_rev", 0)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Deliveries(ctx, "wh_all", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rev) != 3 || len(all) != 5 {
		t.Fatalf("deliveries: wh_rev %d, wh_all %d, want 3 revocations and 3 revocations + 1 alert + 1 zone", len(rev), len(all))
	}
	for _, d := range rev {
		if d.Type != store.WebhookPassRevoked || d.State != store.DeliveryPending || d.Attempts != 0 || d.NextAt.IsZero() {
			t.Errorf("delivery %+v, want a pending pass.revoked", d)
		}
		if bytes.Contains(d.Body, []byte("staff-only")) || !bytes.Contains(d.Body, []byte(`"type":"pass.revoked"`)) {
			t.Errorf("body %s: want the public fields of a revocation only", d.Body)
		}
	}
	if all[0].Type != store.WebhookAlertRaised || !bytes.Contains(all[0].Body, []byte(string(ps[1].Serial))) {
		t.Errorf("newest delivery of wh_all: %+v, want the alert", all[0])
	}
	ids := map[string]bool{}
	for _, d := range all {
		ids[d.MsgID] = true
	}
	for _, d := range rev {
		if !ids[d.MsgID] {
			t.Errorf("revocation message %s went to one subscriber only", d.MsgID)
		}
	}
}

// mustClaim claims due deliveries for owner.
func mustClaim(t *testing.T, s store.Store, owner string, lease time.Duration, limit int) []store.Delivery {
	t.Helper()
	got, err := s.ClaimDeliveries(context.Background(), owner, lease, limit)
	if err != nil {
		t.Fatalf("ClaimDeliveries(%s) error = %v", owner, err)
	}
	return got
}

// testWebhookOutbox: claim, lease, retry, complete, give up. A claimed
// row is no one else's until its lease expires; a worker whose lease
// expired cannot finish it; a retry is due at its time with the same
// message id; delivered and failed rows are never claimed again.
func testWebhookOutbox(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	if err := s.CreateWebhook(ctx, newWebhook("wh", store.WebhookZoneFull), "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimDeliveries(ctx, "", time.Minute, 1); err == nil {
		t.Error("ClaimDeliveries(no owner) succeeded")
	}
	for i := range 3 {
		if _, err := s.EnqueueWebhook(ctx, store.WebhookEvent{ID: fmt.Sprintf("msg_%d", i), Type: store.WebhookZoneFull, At: scanAt, Data: map[string]int{"n": i}}); err != nil {
			t.Fatal(err)
		}
	}
	// The fake clock moves one second per reading: a 5 s lease expires
	// after a few calls.
	a := mustClaim(t, s, "node-a", 5*time.Second, 2)
	if len(a) != 2 || a[0].MsgID != "msg_0" || a[1].MsgID != "msg_1" {
		t.Fatalf("claim a = %+v, want msg_0, msg_1", a)
	}
	if a[0].URL != "https://hooks.example.com/wh?token=receiver-own-token" || len(a[0].Secret) != 32 || a[0].AllowPrivate {
		t.Errorf("claimed delivery %+v: want its endpoint's URL and secret", a[0])
	}
	if !bytes.Contains(a[0].Body, []byte(`"data":{"n":0}`)) {
		t.Errorf("body %s", a[0].Body)
	}
	b := mustClaim(t, s, "node-b", 5*time.Second, 10)
	if len(b) != 1 || b[0].MsgID != "msg_2" {
		t.Fatalf("claim b = %+v, want msg_2 only (the others are leased)", b)
	}
	// a delivers msg_0; msg_1 fails and is due again soon.
	if err := s.FinishDelivery(ctx, a[0].ID, "node-a", store.DeliveryResult{Delivered: true, HTTPStatus: 204}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishDelivery(ctx, a[0].ID, "node-a", store.DeliveryResult{Delivered: true, HTTPStatus: 204}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("FinishDelivery(done) error = %v, want ErrLeaseLost", err)
	}
	if err := s.FinishDelivery(ctx, a[1].ID, "node-b", store.DeliveryResult{Delivered: true}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("FinishDelivery(someone else's) error = %v, want ErrLeaseLost", err)
	}
	retryAt := time.Date(2026, 11, 20, 12, 1, 0, 0, time.UTC) // a minute after the clock's start
	if err := s.FinishDelivery(ctx, a[1].ID, "node-a", store.DeliveryResult{NextAt: retryAt, HTTPStatus: 503, Error: "HTTP 503"}); err != nil {
		t.Fatal(err)
	}
	// b's lease on msg_2 expires while it hangs: a takes it over, and b
	// can no longer finish it.
	var took []store.Delivery
	for range 60 {
		if took = mustClaim(t, s, "node-a", time.Hour, 1); len(took) > 0 {
			break
		}
	}
	if len(took) != 1 || took[0].MsgID != "msg_2" {
		t.Fatalf("after b's lease expired, a claimed %+v, want msg_2", took)
	}
	if err := s.FinishDelivery(ctx, b[0].ID, "node-b", store.DeliveryResult{Delivered: true}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("FinishDelivery(expired lease) error = %v, want ErrLeaseLost", err)
	}
	if err := s.FinishDelivery(ctx, took[0].ID, "node-a", store.DeliveryResult{GiveUp: true, Error: strings.Repeat("é", 400)}); err != nil {
		t.Fatal(err)
	}
	// msg_1 comes back at its retry time, with the same message id.
	var again []store.Delivery
	for range 120 {
		if again = mustClaim(t, s, "node-b", time.Hour, 10); len(again) > 0 {
			break
		}
	}
	if len(again) != 1 || again[0].MsgID != "msg_1" || again[0].Attempts != 1 || again[0].LastStatus != 503 || again[0].NextAt.Before(retryAt) {
		t.Fatalf("retry claimed %+v, want msg_1 after one attempt", again)
	}
	if err := s.FinishDelivery(ctx, again[0].ID, "node-b", store.DeliveryResult{Delivered: true, HTTPStatus: 200}); err != nil {
		t.Fatal(err)
	}
	if left := mustClaim(t, s, "node-c", time.Hour, 10); len(left) != 0 {
		t.Errorf("claimed %+v after every row was finished", left)
	}
	ds, err := s.Deliveries(ctx, "wh", 0)
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]store.Delivery{}
	for _, d := range ds {
		state[d.MsgID] = d
	}
	if d := state["msg_0"]; d.State != store.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != 204 || d.Done.IsZero() {
		t.Errorf("msg_0 %+v, want delivered after 1 attempt", d)
	}
	if d := state["msg_1"]; d.State != store.DeliveryDelivered || d.Attempts != 2 || d.LastStatus != 200 {
		t.Errorf("msg_1 %+v, want delivered after 2 attempts", d)
	}
	if d := state["msg_2"]; d.State != store.DeliveryFailed || d.Attempts != 1 || len(d.LastError) > 500 || d.Done.IsZero() {
		t.Errorf("msg_2 %+v, want failed, its error cut to 500 bytes", d)
	}
	if ds, _ := s.Deliveries(ctx, "wh", 2); len(ds) != 2 || ds[0].MsgID != "msg_2" {
		t.Errorf("Deliveries(limit 2) = %+v, want the newest 2", ds)
	}
}

// testWebhookClaimConcurrent: workers claiming at once never get the
// same row, and between them get every row.
func testWebhookClaimConcurrent(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	if err := s.CreateWebhook(ctx, newWebhook("wh", store.WebhookZoneFull), "admin"); err != nil {
		t.Fatal(err)
	}
	const n = 60
	for i := range n {
		if _, err := s.EnqueueWebhook(ctx, store.WebhookEvent{ID: fmt.Sprintf("msg_%d", i), Type: store.WebhookZoneFull, At: scanAt, Data: map[string]int{}}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		owner := fmt.Sprintf("node-%d", w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimDeliveries(ctx, owner, time.Hour, 3)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					if prev, ok := seen[d.ID]; ok {
						errs <- fmt.Errorf("delivery %d claimed by %s and %s", d.ID, prev, owner)
					}
					seen[d.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != n {
		t.Errorf("claimed %d rows, want %d", len(seen), n)
	}
}
