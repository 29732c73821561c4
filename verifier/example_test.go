package verifier_test

import (
	"fmt"
	"os"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/verifier"
)

// A door checks a scanned token and asks whether its holder may enter a
// zone now. Revocations live in a RevocationSet, kept in step with the
// store by RevocationSet.Sync.
func Example() {
	dir, _ := os.MkdirTemp("", "laminate-example-")
	defer os.RemoveAll(dir)
	ring, _ := keys.Init(dir, keys.EdDSA, nil, time.Now())
	js, key, _ := ring.Signer(nil)
	sg := signer.New(js, key.KID, "lam")

	show := time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("CET", 3600))
	ev := &pass.Event{ID: "tour27-ber01", Name: "Tour — Berlin", Schedule: pass.Schedule{ShowStart: show, ShowEnd: show.Add(3 * time.Hour)}}
	_ = ev.Validate()
	sg.Now = func() time.Time { return show.Add(-24 * time.Hour) }
	aftershow, _ := sg.Issue(ev, signer.Request{Type: pass.AfterShow, Name: "Lemmy"})

	revoked := verifier.NewRevocationSet()
	v, _ := verifier.New(verifier.Config{Keys: ring, Revocations: revoked, Event: ev.ID})

	at := show.Add(90 * time.Minute) // mid-show
	vd := v.Verify(aftershow.Token, at)
	v.Access(&vd, ev, "green-room", at)
	fmt.Println(vd.Status, *vd.Allowed, vd.Code)
	fmt.Println(vd.Reason)

	revoked.Add(record.Revocation{Seq: 1, Serial: aftershow.Serial, Category: pass.RevokeLost, At: at})
	vd = v.Verify(aftershow.Token, show.Add(4*time.Hour))
	fmt.Println(vd.Status, vd.Authentic)
	// Output:
	// valid false not_now
	// After Show pass: valid from 23:00, show still on
	// revoked true
}
