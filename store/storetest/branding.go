package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// testBranding: an event's branding is kept with it, logo bytes exact,
// replaced and cleared by SetBranding with an audit row that names the
// logo by hash only; an unknown event is ErrNotFound.
func testBranding(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	logo := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 0xff}, 1000)
	ev := NewEvent(t, "branded", time.Date(2026, 11, 20, 20, 0, 0, 0, cet))
	ev.Branding = &pass.Branding{Tour: "Ágætis byrjun — World Tour", Short: "LDN 20 NOV", Accent: "#C8102E",
		Contact: "Production office: +44 20 7946 0000", Logo: logo}
	MustCreate(t, s, ev)
	got, err := s.Event(ctx, "branded")
	if err != nil {
		t.Fatal(err)
	}
	if b := got.Branding; b == nil || b.Tour != ev.Branding.Tour || b.Accent != "#c8102e" || b.Contact != ev.Branding.Contact ||
		b.Short != "LDN 20 NOV" || !bytes.Equal(b.Logo, logo) {
		t.Fatalf("Event().Branding = %+v, want %+v (accent in lower case)", got.Branding, ev.Branding)
	}

	plain := NewEvent(t, "plain", time.Date(2026, 11, 21, 20, 0, 0, 0, cet))
	MustCreate(t, s, plain)
	if got, _ := s.Event(ctx, "plain"); got.Branding != nil {
		t.Errorf("unbranded event read back with %+v", got.Branding)
	}

	nb := &pass.Branding{Tour: "Second leg", Accent: "#0b6e4f"}
	got, err = s.SetBranding(ctx, "branded", nb, "admin")
	if err != nil {
		t.Fatalf("SetBranding() = %v", err)
	}
	if got.Branding == nil || got.Branding.Tour != "Second leg" || len(got.Branding.Logo) != 0 || got.Name != ev.Name {
		t.Errorf("SetBranding() returned %+v / %+v", got, got.Branding)
	}
	if again, _ := s.Event(ctx, "branded"); again.Branding == nil || again.Branding.Tour != "Second leg" || again.Schedule != ev.Schedule {
		t.Errorf("after SetBranding, Event() = %+v", again)
	}
	if got, err = s.SetBranding(ctx, "branded", nil, "admin"); err != nil || got.Branding != nil {
		t.Errorf("SetBranding(nil) = %+v, %v; want no branding", got.Branding, err)
	}
	if _, err := s.SetBranding(ctx, "nope", nb, "admin"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetBranding(unknown event) = %v, want ErrNotFound", err)
	}
	if _, err := s.SetBranding(ctx, "branded", &pass.Branding{Accent: "red"}, "admin"); err == nil {
		t.Errorf("SetBranding(accent red) stored it")
	}

	var audit []store.AuditEntry
	if audit, err = s.Audit(ctx, 0); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action != store.ActionEventBranding {
			continue
		}
		n++
		if strings.Contains(a.Detail, "UE5H") || len(a.Detail) > 1000 {
			t.Errorf("audit detail holds the logo: %.200s", a.Detail)
		}
	}
	if n != 2 {
		t.Errorf("%d %s audit rows, want 2", n, store.ActionEventBranding)
	}
}
