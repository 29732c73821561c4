package main

import (
	"context"
	_ "embed"
	"time"

	"github.com/laminate/laminate/guestlist"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/node"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

//go:embed demo_guests.csv
var demoGuests []byte

// cmdDemo shows the whole path on a fresh machine: init, an event starting
// in two hours, a guest list issued and signed, each pass checked at the
// doors at three moments of the show, one pass revoked, one forged.
func cmdDemo(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("demo", a.ui)
	a.g.register(fs.FlagSet)
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	now := time.Now().Truncate(time.Minute)
	pp, err := a.passphrase()
	if err != nil {
		return err
	}
	res, err := a.node().Init(ctx, "EdDSA", "lam", pp, now)
	if err != nil {
		return err
	}
	if res == node.Created {
		a.printf("1. initialised data folder %s (keyring + database)\n", a.g.data)
	} else {
		a.printf("1. using data folder %s\n", a.g.data)
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	ev := &pass.Event{ID: "demo-" + time.Now().Format("0102-150405"), Name: "Laminate Demo Night", Venue: "The Roundhouse",
		Schedule: pass.Schedule{ShowStart: now.Add(2 * time.Hour), ShowEnd: now.Add(4*time.Hour + 30*time.Minute)}}
	if err := ev.Validate(); err != nil {
		return err
	}
	if err := a.st.CreateEvent(ctx, ev, a.actor()); err != nil {
		return err
	}
	a.printf("2. created event %s: show %s to %s\n", ev.ID, ev.Schedule.ShowStart.Format("15:04"), ev.Schedule.ShowEnd.Format("15:04"))
	reqs, err := a.readGuestListBytes(demoGuests, ev)
	if err != nil {
		return err
	}
	sg, err := a.signer()
	if err != nil {
		return err
	}
	issued, err := issue.Batch(ctx, sg, a.st, ev, reqs, a.actor(), issue.Options{})
	if err != nil {
		return err
	}
	a.printf("3. issued %d signed passes (key %s)\n", len(issued), sg.KID())
	v, err := a.node().Verifier(ctx, ev.ID, nil)
	if err != nil {
		return err
	}
	moments := []struct {
		name string
		at   time.Time
	}{
		{"before", now.Add(time.Hour)},
		{"first songs", now.Add(2*time.Hour + 5*time.Minute)},
		{"during", now.Add(3 * time.Hour)},
		{"after", now.Add(5 * time.Hour)},
	}
	a.printf("4. door decisions (zone checked: the pass's first zone, then stage):\n")
	rows := [][]string{}
	for _, p := range issued {
		zones := ev.EffectivePolicy().Allows(p.Type, p.Role)
		first := pass.Zone("stage")
		if len(zones) > 0 && len(zones[0].Zones) > 0 {
			first = zones[0].Zones[0]
		}
		for _, z := range []pass.Zone{first, "stage"} {
			row := []string{p.Serial.String(), string(p.Type), p.Name, string(z)}
			for _, m := range moments {
				vd := v.Verify(p.Token, m.at)
				v.Access(&vd, ev, z, m.at)
				word := "deny"
				if *vd.Allowed {
					word = "ADMIT"
				}
				row = append(row, word)
			}
			rows = append(rows, row)
			if z == "stage" {
				break
			}
		}
	}
	a.table([]string{"   SERIAL", "TYPE", "NAME", "ZONE", "BEFORE", "FIRST SONGS", "DURING", "AFTER"}, indent(rows))
	lost := issued[1]
	if err := a.st.Revoke(ctx, &store.Revocation{Serial: lost.Serial, Category: pass.RevokeLost, Note: "reported at the box office", By: a.actor(), At: now}); err != nil {
		return err
	}
	if v, err = a.node().Verifier(ctx, ev.ID, nil); err != nil {
		return err
	}
	vd := v.Verify(lost.Token, now)
	a.printf("5. revoked %s (%s): verify says %s, authentic=%v\n", lost.Serial, lost.Name, vd.Status, vd.Authentic)
	fake := []byte(issued[0].Token)
	fake[len(fake)/2] ^= 1 // one bit of the payload flipped
	vd = v.Verify(string(fake), now)
	a.printf("6. a copy with one character changed: %s (%s)\n", vd.Status, vd.Message)
	a.printf("\nTry: laminate --data %s verify --zone stage %s\n", a.g.data, issued[0].Token)
	return nil
}

func indent(rows [][]string) [][]string {
	for _, r := range rows {
		r[0] = "   " + r[0]
	}
	return rows
}

func (a *app) readGuestListBytes(b []byte, ev *pass.Event) ([]signer.Request, error) {
	p, err := guestlist.Parse(b, ev, nil)
	if err != nil {
		return nil, err
	}
	return p.Requests(guestlist.Issue)
}
