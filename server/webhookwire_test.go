package server

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/verifier"
)

func hookDeliveries(t *testing.T, f *fixture, id string) []store.Delivery {
	t.Helper()
	ds, err := f.st.Deliveries(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestZoneFullWebhook: the door's zone_full answer, hard (deny) or soft
// (attention), enqueues zone.full once per zone and full episode, not
// once per refused scan.
func TestZoneFullWebhook(t *testing.T) {
	if verifier.CodeZoneFull != record.CodeZoneFull {
		t.Fatal("verifier and record disagree on the zone_full code")
	}
	ctx := context.Background()
	f := newFixture(t, 0)
	if err := f.st.CreateWebhook(ctx, &store.Webhook{ID: "wh", URL: "https://hooks.example.com/x", Events: []string{store.WebhookZoneFull},
		Secret: bytes.Repeat([]byte{1}, 32)}, "admin"); err != nil {
		t.Fatal(err)
	}
	auth := scannerToken(t, f)
	_, toks := capEvent(t, f, 3)
	show := f.now.Add(9 * time.Hour)
	steps := []struct {
		zone, dir string
		tok       int
		code      record.Code
		hooks     int
	}{
		{"stage", "in", 0, "ok", 0},
		{"stage", "in", 1, "zone_full", 1},
		{"stage", "in", 2, "zone_full", 1},
		{"stage", "in", 1, "zone_full", 1},
		{"foh", "in", 2, "ok", 1},
		{"foh", "in", 1, "zone_full", 2}, // soft: attention
		{"foh", "in", 1, "zone_full", 2},
	}
	for i, st := range steps {
		at := show.Add(time.Duration(i) * time.Minute)
		f.setNow(at)
		code, r, body := f.scan(t, auth, toks[st.tok], "north", st.zone, st.dir, fmt.Sprintf("w%d", i), at)
		if code != 200 || r.Code != st.code {
			t.Fatalf("step %d: %d %s, want code %q", i, code, body, st.code)
		}
		if n := len(hookDeliveries(t, f, "wh")); n != st.hooks {
			t.Fatalf("step %d: %d zone.full deliveries, want %d", i, n, st.hooks)
		}
	}
	ds := hookDeliveries(t, f, "wh")
	if !bytes.Contains(ds[0].Body, []byte(`"zone":"foh"`)) || !bytes.Contains(ds[1].Body, []byte(`"zone":"stage"`)) ||
		!bytes.Contains(ds[1].Body, []byte(`"capacity":1`)) || !bytes.Contains(ds[1].Body, []byte(`"inside":1`)) {
		t.Errorf("zone.full bodies: %s, %s", ds[0].Body, ds[1].Body)
	}
}

// TestSyncDeviceOffline: the Sync loop notices a door device gone quiet
// and enqueues device.offline once.
func TestSyncDeviceOffline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFixture(t, 0)
	if err := f.st.CreateWebhook(ctx, &store.Webhook{ID: "wh", URL: "https://hooks.example.com/x", Events: []string{store.WebhookDeviceOffline},
		Secret: bytes.Repeat([]byte{1}, 32)}, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateAPIToken(ctx, &store.APIToken{ID: "door1", Name: "north phone", Role: RoleScanner, Event: "ev", Gate: "north",
		Hash: bytes.Repeat([]byte{2}, 32), Created: f.now}, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := f.st.TouchDevices(ctx, []store.DeviceSeen{{Token: "door1", At: f.now.Add(-2 * time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); f.s.Sync(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for len(hookDeliveries(t, f, "wh")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no device.offline enqueued")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	ds := hookDeliveries(t, f, "wh")
	if len(ds) != 1 || !bytes.Contains(ds[0].Body, []byte(`"device":"door1"`)) {
		t.Fatalf("deliveries = %+v", ds)
	}
}
