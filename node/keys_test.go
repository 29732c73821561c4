package node

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

func TestRotateRetireKey(t *testing.T) {
	ctx := context.Background()
	n := started(t, "sqlite:"+filepath.Join(t.TempDir(), "k.db"))
	old := n.Keys().Active().KID
	k, err := n.RotateKey(ctx, keys.EdDSA, pp, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n.Keys().Active().KID != k.KID || k.KID == old {
		t.Errorf("active key %s after rotating to %s", n.Keys().Active().KID, k.KID)
	}
	if err := n.RetireKey(ctx, k.KID, t0.Add(2*time.Hour)); !errors.Is(err, keys.ErrActiveKey) {
		t.Errorf("RetireKey(active) error = %v, want ErrActiveKey", err)
	}
	if err := n.RetireKey(ctx, old, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	all, err := n.Store().Audit(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	var got []store.AuditEntry // the shared store also logs shared.put
	for _, e := range all {
		if e.Action == store.ActionKeyRotate || e.Action == store.ActionKeyRetire {
			got = append(got, e)
		}
	}
	want := []store.AuditEntry{{Action: store.ActionKeyRetire, Subject: old}, {Action: store.ActionKeyRotate, Subject: k.KID}}
	if len(got) != 2 {
		t.Fatalf("audit = %+v", got)
	}
	for i := range want {
		if got[i].Action != want[i].Action || got[i].Subject != want[i].Subject || got[i].Actor != "test" {
			t.Errorf("audit[%d] = %+v, want %+v by test", i, got[i], want[i])
		}
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	n := started(t, "sqlite:"+filepath.Join(t.TempDir(), "v.db"))
	zone := pass.Zone("stage")
	vd, loc, err := n.Verify(ctx, "not-a-token", "", &zone, t0)
	if err != nil {
		t.Fatal(err)
	}
	if vd.Valid() || loc != nil || vd.Pass != nil {
		t.Errorf("Verify(garbage) = %+v, %v; want not valid, no pass, no zone", vd, loc)
	}
}
