package signer_test

import (
	"context"
	"crypto/ed25519"
	"errors"

	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
	"github.com/laminate/laminate/verifier"
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

func newSigner(t testing.TB) (*signer.Signer, *keys.Keyring) {
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
	return s, ring
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

func TestIssueHeaderAndClaims(t *testing.T) {
	s, ring := newSigner(t)
	iss, err := s.Issue(event, signer.Request{Type: pass.Staff, Role: "catering", Name: "Sam & Co <x>", Org: "Catering Co"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(iss.Token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	wantHeader := fmt.Sprintf(`{"alg":"EdDSA","kid":"%s"}`, ring.Active().KID)
	if got := b64dec(t, parts[0]); got != wantHeader {
		t.Fatalf("header = %s, want %s", got, wantHeader)
	}
	wantPayload := fmt.Sprintf(`{"iss":"lam","sub":"%s","ev":"tour27-ber01","pt":"STF","n":"Sam & Co <x>","o":"Catering Co","r":"catering","exp":%d}`,
		string(iss.Serial), event.Schedule.AccessUntil.Unix())
	if got := b64dec(t, parts[1]); got != wantPayload {
		t.Fatalf("payload = %s, want %s", got, wantPayload)
	}
	if iss.KID != ring.Active().KID || !iss.IssuedAt.Equal(now) {
		t.Fatalf("Issue() = %+v", iss)
	}
}

// TestIssueWithPhoto: the photo's hash is signed as "ph" at the end of the
// claims, and the verifier reads it back; the store keeps the photo.
func TestIssueWithPhoto(t *testing.T) {
	s, ring := newSigner(t)
	jpeg := []byte("\xff\xd8 a photo \xff\xd9")
	st := newStore(t)
	out, err := s.IssueBatch(context.Background(), st, event, []signer.Request{{Type: pass.VIP, Name: "Ann", Photo: jpeg}}, "test", signer.BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	iss := out[0]
	wantPayload := fmt.Sprintf(`{"iss":"lam","sub":"%s","ev":"tour27-ber01","pt":"VIP","n":"Ann","exp":%d,"ph":"%s"}`,
		string(iss.Serial), event.Schedule.AccessUntil.Unix(), pass.PhotoHash(jpeg))
	if got := b64dec(t, strings.Split(iss.Token, ".")[1]); got != wantPayload {
		t.Fatalf("payload = %s, want %s", got, wantPayload)
	}
	v, _ := verifier.New(verifier.Config{Keys: ring, Revocations: verifier.NewRevocationSet()})
	if vd := v.Verify(iss.Token, now); vd.Pass == nil || vd.Pass.Photo != pass.PhotoHash(jpeg) {
		t.Fatalf("Verify() = %+v, want the photo hash", vd)
	}
	if b, err := st.PassPhoto(context.Background(), iss.Serial); err != nil || string(b) != string(jpeg) {
		t.Fatalf("PassPhoto() = %q, %v", b, err)
	}
}

func TestIssueErrors(t *testing.T) {
	s, _ := newSigner(t)
	tests := []struct {
		name string
		req  signer.Request
		want string
	}{
		{"fail/no-name", signer.Request{Type: pass.AAA}, "name is empty"},
		{"fail/staff-without-role", signer.Request{Type: pass.Staff, Name: "A"}, "needs a role"},
		{"fail/already-expired", signer.Request{Type: pass.AAA, Name: "A", ValidUntil: now.Add(-time.Hour)}, "already be expired"},
		{"fail/unknown-type", signer.Request{Type: "ROADIE", Name: "A"}, "unknown pass type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Issue(event, tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Issue() error = %v, want %q", err, tt.want)
			}
			// The request's own fault: its text may be shown to its sender.
			var re *signer.RequestError
			if !errors.As(err, &re) {
				t.Errorf("Issue() error %v is not a *RequestError", err)
			}
		})
	}
	// A store failure is not the request's fault.
	st := newStore(t)
	st.Close()
	_, err := s.IssueBatch(context.Background(), st, event, []signer.Request{{Type: pass.AAA, Name: "A"}}, "test", signer.BatchOptions{})
	var re *signer.RequestError
	if err == nil || errors.As(err, &re) {
		t.Errorf("IssueBatch(closed store) error = %v, want an error that is not a *RequestError", err)
	}
}

// A batch with one bad pass stores nothing.
func TestIssueBatchAllOrNothing(t *testing.T) {
	s, _ := newSigner(t)
	st := newStore(t)
	ctx := context.Background()
	reqs := []signer.Request{{Type: pass.AAA, Name: "A"}, {Type: pass.VIP, Name: "B"}, {Type: pass.Staff, Name: "C"}}
	if _, err := s.IssueBatch(ctx, st, event, reqs, "test", signer.BatchOptions{}); err == nil || !strings.Contains(err.Error(), "pass 3 (C)") {
		t.Fatalf("IssueBatch() error = %v, want one naming pass 3", err)
	}
	if ps, _ := st.Passes(ctx, store.PassFilter{}); len(ps) != 0 {
		t.Fatalf("after a failed batch the store has %d passes, want 0", len(ps))
	}
	var calls int
	out, err := s.IssueBatch(ctx, st, event, reqs[:2], "test", signer.BatchOptions{Progress: func(done, total int) { calls++ }})
	if err != nil || len(out) != 2 || calls != 2 {
		t.Fatalf("IssueBatch() = %d passes, %v, %d progress calls", len(out), err, calls)
	}
	if ps, _ := st.Passes(ctx, store.PassFilter{Event: event.ID}); len(ps) != 2 {
		t.Fatalf("store has %d passes, want 2", len(ps))
	}
	// A failing Check (a PDF that cannot be drawn, say) stores nothing.
	_, err = s.IssueBatch(ctx, st, event, reqs[:2], "test", signer.BatchOptions{Check: func([]store.Issued) error { return errors.New("printer on fire") }})
	if err == nil || !strings.Contains(err.Error(), "printer on fire") {
		t.Fatalf("IssueBatch(failing Check) error = %v", err)
	}
	if ps, _ := st.Passes(ctx, store.PassFilter{Event: event.ID}); len(ps) != 2 {
		t.Fatalf("after a failed Check the store has %d passes, want 2", len(ps))
	}
}

// A serial already in the store is drawn again, not an error.
func TestIssueBatchRetriesSerialCollision(t *testing.T) {
	s, _ := newSigner(t)
	st := newStore(t)
	ctx := context.Background()
	first, err := s.IssueBatch(ctx, st, event, []signer.Request{{Type: pass.AAA, Name: "A"}}, "test", signer.BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Replay the random bytes of the first serial, then fresh ones.
	s.Rand = &replay{serial: first[0].Serial}
	out, err := s.IssueBatch(ctx, st, event, []signer.Request{{Type: pass.VIP, Name: "B"}}, "test", signer.BatchOptions{})
	if err != nil || out[0].Serial == first[0].Serial {
		t.Fatalf("IssueBatch() = %+v, %v; want a fresh serial", out, err)
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

func b64dec(t *testing.T, s string) string {
	t.Helper()
	b, err := b64.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func BenchmarkSign(b *testing.B) {
	s, _ := newSigner(b)
	serial, _ := pass.NewSerial(nil)
	p := &pass.Pass{Serial: serial, Event: event.ID, Type: pass.AAA, Name: "Abcdefghij Klmnopqrs", ValidUntil: event.Schedule.AccessUntil}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEd25519Sign(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 180) // header.payload of a typical token
	b.ReportAllocs()
	for b.Loop() {
		ed25519.Sign(priv, msg)
	}
}

// BenchmarkIssueBatch10k signs and stores a 10,000-pass guest list, as
// "laminate issue --csv" does.
func BenchmarkIssueBatch10k(b *testing.B) {
	s, _ := newSigner(b)
	reqs := make([]signer.Request, 10_000)
	for i := range reqs {
		reqs[i] = signer.Request{Type: pass.Types[i%7], Name: fmt.Sprintf("Guest Number %05d", i)}
	}
	for b.Loop() {
		st := newStore(b)
		if _, err := s.IssueBatch(context.Background(), st, event, reqs, "bench", signer.BatchOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func Example() {
	dir, _ := tempDir()
	defer os.RemoveAll(dir)
	ring, _ := keys.Init(dir, keys.EdDSA, nil, time.Now())
	js, key, _ := ring.Signer(nil) // a passphrase decrypts an encrypted keyring
	s := signer.New(js, key.KID, "lam")

	ev := &pass.Event{ID: "tour27-ber01", Name: "Tour — Berlin", Schedule: pass.Schedule{
		ShowStart: time.Now().Add(2 * time.Hour), ShowEnd: time.Now().Add(5 * time.Hour)}}
	_ = ev.Validate() // fills the access window and sub-windows
	iss, err := s.Issue(ev, signer.Request{Type: pass.AAA, Name: "Björk"})
	if err != nil {
		fmt.Println(err)
		return
	}

	v, _ := verifier.New(verifier.Config{Keys: ring, Revocations: verifier.NewRevocationSet()})
	vd := v.Verify(iss.Token, time.Now())
	fmt.Println(vd.Status, vd.Authentic, vd.Name, len(iss.Serial))
	// Output: valid true Björk 8
}
