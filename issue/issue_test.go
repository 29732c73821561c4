package issue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
)

var (
	now   = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	event = func() *pass.Event {
		e := &pass.Event{ID: "tour27-ber01", Name: "Tour", Schedule: pass.Schedule{
			ShowStart: time.Date(2027, 3, 5, 20, 0, 0, 0, time.UTC), ShowEnd: time.Date(2027, 3, 5, 23, 0, 0, 0, time.UTC)}}
		if err := e.Validate(); err != nil {
			panic(err)
		}
		return e
	}()
)

func newSigner(t testing.TB) *signer.Signer {
	_, s := newRing(t)
	return s
}

// newRing is a new keyring and a signer over its active key.
func newRing(t testing.TB) (*keys.Keyring, *signer.Signer) {
	t.Helper()
	ring, err := keys.Init(t.TempDir(), keys.EdDSA, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	js, key, err := ring.Signer(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := signer.New(js, key.KID, "lam")
	s.Now = func() time.Time { return now }
	return ring, s
}

func newStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/l.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateEvent(context.Background(), event, "test"); err != nil {
		t.Fatal(err)
	}
	return st
}

// A store failure is not the request's fault.
func TestBatchStoreError(t *testing.T) {
	s := newSigner(t)
	st := newStore(t)
	st.Close()
	_, err := issue.Batch(context.Background(), s, st, event, []signer.Request{{Type: pass.AAA, Name: "A"}}, "test", issue.Options{})
	var re *signer.RequestError
	if err == nil || errors.As(err, &re) {
		t.Errorf("Batch(closed store) error = %v, want an error that is not a *RequestError", err)
	}
}

// A batch with one bad pass stores nothing.
func TestBatchAllOrNothing(t *testing.T) {
	s := newSigner(t)
	st := newStore(t)
	ctx := context.Background()
	reqs := []signer.Request{{Type: pass.AAA, Name: "A"}, {Type: pass.VIP, Name: "B"}, {Type: pass.Staff, Name: "C"}}
	if _, err := issue.Batch(ctx, s, st, event, reqs, "test", issue.Options{}); err == nil || !strings.Contains(err.Error(), "pass 3 (C)") {
		t.Fatalf("Batch() error = %v, want one naming pass 3", err)
	}
	if ps, _ := st.Passes(ctx, store.PassFilter{}); len(ps) != 0 {
		t.Fatalf("after a failed batch the store has %d passes, want 0", len(ps))
	}
	var calls int
	out, err := issue.Batch(ctx, s, st, event, reqs[:2], "test", issue.Options{Progress: func(done, total int) { calls++ }})
	if err != nil || len(out) != 2 || calls != 2 {
		t.Fatalf("Batch() = %d passes, %v, %d progress calls", len(out), err, calls)
	}
	if ps, _ := st.Passes(ctx, store.PassFilter{Event: event.ID}); len(ps) != 2 {
		t.Fatalf("store has %d passes, want 2", len(ps))
	}
	// A failing Check (a PDF that cannot be drawn, say) stores nothing.
	_, err = issue.Batch(ctx, s, st, event, reqs[:2], "test", issue.Options{Check: func([]record.Issued) error { return errors.New("printer on fire") }})
	if err == nil || !strings.Contains(err.Error(), "printer on fire") {
		t.Fatalf("Batch(failing Check) error = %v", err)
	}
	if ps, _ := st.Passes(ctx, store.PassFilter{Event: event.ID}); len(ps) != 2 {
		t.Fatalf("after a failed Check the store has %d passes, want 2", len(ps))
	}
}

// A serial already in the store is drawn again, not an error.
func TestBatchRetriesSerialCollision(t *testing.T) {
	s := newSigner(t)
	st := newStore(t)
	ctx := context.Background()
	first, err := issue.Batch(ctx, s, st, event, []signer.Request{{Type: pass.AAA, Name: "A"}}, "test", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Replay the random bytes of the first serial, then fresh ones.
	s.Rand = &replay{serial: first[0].Serial}
	out, err := issue.Batch(ctx, s, st, event, []signer.Request{{Type: pass.VIP, Name: "B"}}, "test", issue.Options{})
	if err != nil || out[0].Serial == first[0].Serial {
		t.Fatalf("Batch() = %+v, %v; want a fresh serial", out, err)
	}
}

// replay yields the symbols of serial once, then counts upward.
type replay struct {
	serial pass.Serial
	n      int
}

func (r *replay) Read(p []byte) (int, error) {
	for i := range p {
		if r.n < 7 {
			p[i] = byte(strings.IndexByte(pass.SerialAlphabet, r.serial[r.n]))
		} else {
			p[i] = byte(r.n % 31)
		}
		r.n++
	}
	return len(p), nil
}

// BenchmarkBatch10k signs and stores a 10,000-pass guest list, as
// "laminate issue --csv" does.
func BenchmarkBatch10k(b *testing.B) {
	s := newSigner(b)
	reqs := make([]signer.Request, 10_000)
	for i := range reqs {
		reqs[i] = signer.Request{Type: pass.Types[i%7], Name: fmt.Sprintf("Guest Number %05d", i)}
	}
	for b.Loop() {
		st := newStore(b)
		if _, err := issue.Batch(context.Background(), s, st, event, reqs, "bench", issue.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// refuseX is a TextChecker that no font prints "X" for.
type refuseX struct{}

func (refuseX) CheckPrintable(field, s string) error {
	if strings.Contains(s, "X") {
		return fmt.Errorf("%s has the character U+0058 \"X\", which no font here prints", field)
	}
	return nil
}

// A name or org the checker refuses is a *RequestError, and nothing is
// signed or stored.
func TestBatchPrintable(t *testing.T) {
	s := newSigner(t)
	st := newStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		reqs []signer.Request
		want string
	}{
		{[]signer.Request{{Type: pass.AAA, Name: "X"}}, `name has the character U+0058 "X"`},
		{[]signer.Request{{Type: pass.AAA, Name: "A"}, {Type: pass.VIP, Name: "B", Org: "XO"}}, `pass 2 (B): org has the character U+0058`},
		{[]signer.Request{{Type: pass.AAA, Name: "X", Line: 7}}, `line 7 (X): name has`},
	} {
		_, err := issue.Batch(ctx, s, st, event, tc.reqs, "test", issue.Options{Printable: refuseX{}})
		var re *signer.RequestError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Batch() = %v, want a *RequestError saying %q", err, tc.want)
		}
	}
	if ps, _ := st.Passes(ctx, store.PassFilter{}); len(ps) != 0 {
		t.Fatalf("the store has %d passes, want 0", len(ps))
	}
}
