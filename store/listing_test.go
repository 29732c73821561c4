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
