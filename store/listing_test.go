package store_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
	"github.com/laminate/laminate/store/storetest"
)

func TestPassListing(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2027, 3, 5, 20, 0, 0, 0, time.UTC)
	storetest.MustCreate(t, st, storetest.NewEvent(t, "ev1", start))
	ps := storetest.NewPasses(t, "ev1", 2, start.Add(-time.Hour))
	ps[1].Role = "catering"
	storetest.MustInsert(t, st, ps)
	if err := st.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, Category: pass.RevokeLost, By: "t", At: start}); err != nil {
		t.Fatal(err)
	}
	states, err := store.PassStates(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(store.PassRow(&ps[0], states), "|"); got != ps[0].Serial.String()+"|ev1|AAA|Holder 0|revoked" {
		t.Errorf("revoked row = %q", got)
	}
	if got := strings.Join(store.PassRow(&ps[1], states), "|"); got != ps[1].Serial.String()+"|ev1|AAA/catering|Holder 1|issued" {
		t.Errorf("issued row = %q", got)
	}
	rows, err := store.PassRows(ctx, st, []*store.Issued{&ps[0], &ps[1]})
	if err != nil || len(rows) != 2 || rows[0][4] != "revoked" || rows[1][4] != "issued" {
		t.Errorf("PassRows = %q, %v", rows, err)
	}
	again := st.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, Category: pass.RevokeLost, By: "t", At: start})
	if !errors.Is(again, store.ErrAlreadyRevoked) {
		t.Fatalf("second Revoke err = %v", again)
	}
	if err := store.AlreadyRevokedError(ctx, st, ps[0].Serial, again); err == nil ||
		!strings.HasPrefix(err.Error(), "pass "+ps[0].Serial.String()+" is already revoked (lost, ") {
		t.Errorf("AlreadyRevokedError = %v", err)
	}
	if err := store.AlreadyRevokedError(ctx, st, ps[1].Serial, again); err != again {
		t.Errorf("AlreadyRevokedError of a pass with no revocation = %v, want the error given", err)
	}
	var buf bytes.Buffer
	if err := store.ShowPass(ctx, st, ps[0].Serial, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), ps[0].Serial.String()) || !strings.Contains(buf.String(), "lost") {
		t.Errorf("ShowPass = %q", buf.String())
	}
	if err := store.ShowPass(ctx, st, "ZZZZZZZZ", &buf); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ShowPass(unknown) error = %v, want ErrNotFound", err)
	}
}
