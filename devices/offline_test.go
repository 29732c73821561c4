package devices_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/laminate/laminate/devices"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
)

func TestOffline(t *testing.T) {
	now := time.Date(2027, 3, 5, 20, 0, 0, 0, time.UTC)
	toks := []store.APIToken{
		{ID: "quiet", Name: "north phone", Role: "scanner", Event: "ev", Gate: "north"},
		{ID: "online", Role: "scanner"},
		{ID: "revoked", Role: "scanner", Revoked: now.Add(-time.Hour)},
		{ID: "admin", Role: "admin"},
		{ID: "never", Role: "scanner"},
		{ID: "long-gone", Role: "scanner"},
		{ID: "back", Role: "scanner"},
	}
	seen := []store.DeviceSeen{
		{Token: "quiet", At: now.Add(-2 * time.Minute)},
		{Token: "online", At: now.Add(-10 * time.Second)},
		{Token: "revoked", At: now.Add(-2 * time.Minute)},
		{Token: "admin", At: now.Add(-2 * time.Minute)},
		{Token: "long-gone", At: now.Add(-24 * time.Hour)},
		{Token: "back", At: now.Add(-2 * time.Minute)},
		{Token: "back", At: now.Add(-time.Second)}, // a node's newer report
	}
	got := devices.Offline(toks, seen, now)
	if len(got) != 1 {
		t.Fatalf("Offline() = %+v, want the quiet device only", got)
	}
	ev := got[0]
	if ev.Type != store.WebhookDeviceOffline || !ev.At.Equal(now.Add(-2*time.Minute+devices.OnlineWithin)) {
		t.Errorf("Offline() = %+v", ev)
	}
	b, err := ev.Body()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"device":"quiet"`, `"name":"north phone"`, `"event":"ev"`, `"gate":"north"`, `"last_seen":"2027-03-05T19:58:00Z"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("body %s lacks %s", b, want)
		}
	}
	// The same silence, checked later: the same ID (the others are
	// offline by then too).
	again := devices.Offline(toks, seen, now.Add(time.Minute))
	if len(again) != 3 || again[0].ID != ev.ID {
		t.Errorf("Offline(later) = %+v, want the quiet device's event ID %s first", again, ev.ID)
	}
}

// TestNotifyOfflineOnce: a device that goes quiet is reported once,
// however often (and on however many nodes) the check runs; it is
// reported again only after it came back and went quiet again.
func TestNotifyOfflineOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "laminate.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	other, err := sqlite.Open(ctx, path) // a second node
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	t0 := time.Date(2027, 3, 5, 20, 0, 0, 0, time.UTC)
	if err := st.CreateWebhook(ctx, &store.Webhook{ID: "wh", URL: "https://hooks.example.com/x", Events: []string{store.WebhookDeviceOffline},
		Secret: bytes.Repeat([]byte{1}, 32)}, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIToken(ctx, &store.APIToken{ID: "dev1", Name: "north phone", Role: "scanner", Event: "ev", Gate: "north",
		Hash: bytes.Repeat([]byte{2}, 32), Created: t0}, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := st.TouchDevices(ctx, []store.DeviceSeen{{Token: "dev1", At: t0}}); err != nil {
		t.Fatal(err)
	}
	check := func(s store.Store, at time.Duration, pending []store.DeviceSeen, want int) {
		t.Helper()
		n, err := devices.NotifyOffline(ctx, s, pending, t0.Add(at))
		if err != nil || n != want {
			t.Fatalf("NotifyOffline(t0+%s) = %d, %v, want %d", at, n, err, want)
		}
	}
	check(st, 30*time.Second, nil, 0)                                         // online
	check(st, 61*time.Second, []store.DeviceSeen{{Token: "dev1", At: t0}}, 1) // offline now
	check(st, 70*time.Second, nil, 0)                                         // again
	check(other, 75*time.Second, nil, 0)                                      // another node
	// Seen by a node that has not flushed yet: online, nothing.
	check(st, 2*time.Minute, []store.DeviceSeen{{Token: "dev1", At: t0.Add(100 * time.Second)}}, 0)
	if err := st.TouchDevices(ctx, []store.DeviceSeen{{Token: "dev1", At: t0.Add(100 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	check(other, 3*time.Minute, nil, 1) // quiet again: a new episode
	check(st, 4*time.Minute, nil, 0)
	ds, err := st.Deliveries(ctx, "wh", 0)
	if err != nil || len(ds) != 2 {
		t.Fatalf("Deliveries() = %d, %v, want 2", len(ds), err)
	}
	var b struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(ds[0].Body, &b); err != nil {
		t.Fatal(err)
	}
	if b.Data["device"] != "dev1" || b.Data["last_seen"] != t0.Add(100*time.Second).Format(time.RFC3339Nano) {
		t.Errorf("newest device.offline data = %v", b.Data)
	}
}
