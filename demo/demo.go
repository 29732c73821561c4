// Package demo is "laminate demo": on a node that is open, an event
// starting in two hours, a guest list issued and signed, each pass checked
// at the doors at four moments of the show, one pass revoked, one forged.
package demo

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/laminate/laminate/guestlist"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/node"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

//go:embed guests.csv
var guests []byte

// Run writes steps 2 to 6 of the demo to w (step 1, the data folder, is
// the caller's): n must be open; now is the demo's clock, to the minute;
// data is the data folder named in the closing hint.
func Run(ctx context.Context, n *node.Node, actor, data string, now time.Time, w io.Writer) error {
	st := n.Store()
	ev := &pass.Event{ID: "demo-" + time.Now().Format("0102-150405"), Name: "Laminate Demo Night", Venue: "The Roundhouse",
		Schedule: pass.Schedule{ShowStart: now.Add(2 * time.Hour), ShowEnd: now.Add(4*time.Hour + 30*time.Minute)}}
	if err := ev.Validate(); err != nil {
		return err
	}
	if err := st.CreateEvent(ctx, ev, actor); err != nil {
		return err
	}
	fmt.Fprintf(w, "2. created event %s: show %s to %s\n", ev.ID, ev.Schedule.ShowStart.Format("15:04"), ev.Schedule.ShowEnd.Format("15:04"))
	list, err := guestlist.Parse(guests, ev, nil)
	if err != nil {
		return err
	}
	reqs, err := list.Requests(guestlist.Issue)
	if err != nil {
		return err
	}
	sg, err := n.Signer()
	if err != nil {
		return err
	}
	issued, err := issue.Batch(ctx, sg, st, ev, reqs, actor, issue.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "3. issued %d signed passes (key %s)\n", len(issued), sg.KID())
	v, err := n.Verifier(ctx, ev.ID, nil)
	if err != nil {
		return err
	}
	moments := []time.Time{now.Add(time.Hour), now.Add(2*time.Hour + 5*time.Minute), now.Add(3 * time.Hour), now.Add(5 * time.Hour)}
	fmt.Fprintf(w, "4. door decisions (zone checked: the pass's first zone, then stage):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "   SERIAL\tTYPE\tNAME\tZONE\tBEFORE\tFIRST SONGS\tDURING\tAFTER")
	for _, p := range issued {
		zones := ev.EffectivePolicy().Allows(p.Type, p.Role)
		first := pass.Zone("stage")
		if len(zones) > 0 && len(zones[0].Zones) > 0 {
			first = zones[0].Zones[0]
		}
		for _, z := range []pass.Zone{first, "stage"} {
			row := []string{"   " + p.Serial.String(), string(p.Type), p.Name, string(z)}
			for _, at := range moments {
				vd := v.Verify(p.Token, at)
				v.Access(&vd, ev, z, at)
				word := "deny"
				if *vd.Allowed {
					word = "ADMIT"
				}
				row = append(row, word)
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
			if z == "stage" {
				break
			}
		}
	}
	tw.Flush()
	lost := issued[1]
	if err := st.Revoke(ctx, &store.Revocation{Serial: lost.Serial, Category: pass.RevokeLost, Note: "reported at the box office", By: actor, At: now}); err != nil {
		return err
	}
	if v, err = n.Verifier(ctx, ev.ID, nil); err != nil {
		return err
	}
	vd := v.Verify(lost.Token, now)
	fmt.Fprintf(w, "5. revoked %s (%s): verify says %s, authentic=%v\n", lost.Serial, lost.Name, vd.Status, vd.Authentic)
	fake := []byte(issued[0].Token)
	fake[len(fake)/2] ^= 1 // one bit of the payload flipped
	vd = v.Verify(string(fake), now)
	fmt.Fprintf(w, "6. a copy with one character changed: %s (%s)\n", vd.Status, vd.Message)
	fmt.Fprintf(w, "\nTry: laminate --data %s verify --zone stage %s\n", data, issued[0].Token)
	return nil
}
