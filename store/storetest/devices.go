package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laminate/laminate/store"
)

func testEnrolments(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	now := time.Date(2027, 3, 5, 18, 0, 0, 0, time.UTC)
	hash := bytes.Repeat([]byte{7}, 32)
	e := &store.Enrolment{Hash: hash, Event: "ber01", Gate: "north", Zone: "foh", Name: "north phone 3", Created: now, Expires: now.Add(10 * time.Minute)}
	if err := s.CreateEnrolment(ctx, e, "user:u1 (Ana)"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateEnrolment(ctx, e, "user:u1 (Ana)"); !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateEnrolment() again = %v, want ErrExists", err)
	}
	got, err := s.Enrolment(ctx, hash)
	if err != nil || got.Event != "ber01" || got.Gate != "north" || got.Zone != "foh" || got.Name != "north phone 3" ||
		!got.Created.Equal(now) || !got.Expires.Equal(e.Expires) || !got.Used.IsZero() || got.Token != "" {
		t.Fatalf("Enrolment() = %+v, %v", got, err)
	}
	if _, err := s.Enrolment(ctx, bytes.Repeat([]byte{8}, 32)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Enrolment(unknown) = %v, want ErrNotFound", err)
	}
	mints := 0
	mint := func(id string) func(store.Enrolment) (*store.APIToken, error) {
		return func(e store.Enrolment) (*store.APIToken, error) {
			mints++
			return &store.APIToken{ID: id, Name: e.Name, Role: "scanner", Event: e.Event, Gate: e.Gate, Hash: bytes.Repeat([]byte{1}, 32), Created: now}, nil
		}
	}
	t.Run("fail/expired", func(t *testing.T) {
		if _, err := s.RedeemEnrolment(ctx, hash, e.Expires, mint("expired1")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("RedeemEnrolment(at expiry) = %v, want ErrNotFound", err)
		}
		if mints != 0 {
			t.Fatal("an expired code minted a token")
		}
	})
	t.Run("fail/mint-error-stores-nothing", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := s.RedeemEnrolment(ctx, hash, now.Add(time.Minute), func(store.Enrolment) (*store.APIToken, error) { return nil, boom })
		if !errors.Is(err, boom) {
			t.Fatalf("RedeemEnrolment() = %v, want the mint's error", err)
		}
		if got, _ := s.Enrolment(ctx, hash); !got.Used.IsZero() {
			t.Fatal("a failed redemption used the code")
		}
	})
	t.Run("ok/redeem-once", func(t *testing.T) {
		before, _ := s.Audit(ctx, 0)
		at := now.Add(2 * time.Minute)
		got, err := s.RedeemEnrolment(ctx, hash, at, mint("devtok01"))
		if err != nil || got.Token != "devtok01" || !got.Used.Equal(at) || got.Gate != "north" {
			t.Fatalf("RedeemEnrolment() = %+v, %v", got, err)
		}
		tok, err := s.APIToken(ctx, "devtok01")
		if err != nil || tok.Role != "scanner" || tok.Event != "ber01" || tok.Gate != "north" {
			t.Fatalf("APIToken() = %+v, %v", tok, err)
		}
		after, _ := s.Audit(ctx, 0)
		if len(after) != len(before)+1 || after[0].Action != store.ActionDeviceJoin || after[0].Subject != "devtok01" {
			t.Fatalf("audit after redemption = %+v", after[0])
		}
		for _, a := range after {
			if strings.Contains(a.Detail, "\x07\x07") {
				t.Fatal("the audit log holds the code's hash")
			}
		}
		if _, err := s.RedeemEnrolment(ctx, hash, at.Add(time.Second), mint("devtok02")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second RedeemEnrolment() = %v, want ErrNotFound", err)
		}
		if _, err := s.APIToken(ctx, "devtok02"); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("a used code minted a second token")
		}
	})
	t.Run("ok/one-of-concurrent-redemptions", func(t *testing.T) {
		h := bytes.Repeat([]byte{9}, 32)
		e := &store.Enrolment{Hash: h, Event: "ber01", Gate: "south", Name: "south phone", Created: now, Expires: now.Add(10 * time.Minute)}
		if err := s.CreateEnrolment(ctx, e, "admin"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := "race" + string(rune('a'+i)) + "xyz"
				_, err := s.RedeemEnrolment(ctx, h, now.Add(time.Minute), func(e store.Enrolment) (*store.APIToken, error) {
					return &store.APIToken{ID: id[:8], Name: e.Name, Role: "scanner", Event: e.Event, Gate: e.Gate, Hash: []byte{1}, Created: now}, nil
				})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrUnavailable) {
					t.Errorf("RedeemEnrolment() = %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("%d concurrent redemptions succeeded, want 1", ok)
		}
	})
}

func testDevicesSeen(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	at := time.Date(2027, 3, 5, 20, 0, 0, 0, time.UTC)
	if err := s.TouchDevices(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchDevices(ctx, []store.DeviceSeen{{Token: "b", At: at, App: "scan 1", Queued: 2}, {Token: "a", At: at, App: "scan 1"}}); err != nil {
		t.Fatal(err)
	}
	// An older report (from a slower node) does not win over a newer one.
	if err := s.TouchDevices(ctx, []store.DeviceSeen{{Token: "b", At: at.Add(-time.Second), App: "old", Queued: 9}, {Token: "a", At: at.Add(time.Second), App: "scan 2", Queued: 1}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.DevicesSeen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DeviceSeen{{Token: "a", At: at.Add(time.Second), App: "scan 2", Queued: 1}, {Token: "b", At: at, App: "scan 1", Queued: 2}}
	if len(got) != 2 {
		t.Fatalf("DevicesSeen() = %+v", got)
	}
	for i := range want {
		if got[i].Token != want[i].Token || !got[i].At.Equal(want[i].At) || got[i].App != want[i].App || got[i].Queued != want[i].Queued {
			t.Errorf("DevicesSeen()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func testDoorsSeen(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	at := time.Date(2027, 3, 5, 20, 0, 0, 0, time.UTC)
	if err := s.TouchDoors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchDoors(ctx, []store.DoorSeen{
		{Event: "ev", Gate: "north", Token: "b", At: at, RevocationAge: 3},
		{Event: "ev", Gate: "north", Token: "a", At: at, RevocationAge: 4},
		{Event: "ev", Gate: "south", Token: "a", At: at, RevocationAge: 5},
		{Event: "other", Gate: "north", Token: "a", At: at, RevocationAge: 6},
	}); err != nil {
		t.Fatal(err)
	}
	// An older heartbeat (from a slower node) does not win over a newer one.
	if err := s.TouchDoors(ctx, []store.DoorSeen{
		{Event: "ev", Gate: "north", Token: "b", At: at.Add(-time.Second), RevocationAge: 99},
		{Event: "ev", Gate: "south", Token: "a", At: at.Add(2 * time.Second), RevocationAge: 1},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.DoorsSeen(ctx, "ev")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DoorSeen{
		{Event: "ev", Gate: "north", Token: "a", At: at, RevocationAge: 4},
		{Event: "ev", Gate: "north", Token: "b", At: at, RevocationAge: 3},
		{Event: "ev", Gate: "south", Token: "a", At: at.Add(2 * time.Second), RevocationAge: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("DoorsSeen(ev) = %+v, want %+v", got, want)
	}
	for i := range want {
		if g, w := got[i], want[i]; g.Event != w.Event || g.Gate != w.Gate || g.Token != w.Token || !g.At.Equal(w.At) || g.RevocationAge != w.RevocationAge {
			t.Errorf("DoorsSeen(ev)[%d] = %+v, want %+v", i, g, w)
		}
	}
	if got, err := s.DoorsSeen(ctx, "none"); err != nil || len(got) != 0 {
		t.Errorf("DoorsSeen(none) = %+v, %v; want none", got, err)
	}
}
