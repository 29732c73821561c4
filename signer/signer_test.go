package signer_test

import (
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
// claims, and the verifier reads it back; the issued pass carries the photo
// for the store (issue.Batch stores it; the store conformance suite checks).
func TestIssueWithPhoto(t *testing.T) {
	s, ring := newSigner(t)
	jpeg := []byte("\xff\xd8 a photo \xff\xd9")
	iss, err := s.Issue(event, signer.Request{Type: pass.VIP, Name: "Ann", Photo: jpeg})
	if err != nil {
		t.Fatal(err)
	}
	if string(iss.PhotoJPEG) != string(jpeg) {
		t.Fatalf("Issue() PhotoJPEG = %q, want the photo", iss.PhotoJPEG)
	}
	wantPayload := fmt.Sprintf(`{"iss":"lam","sub":"%s","ev":"tour27-ber01","pt":"VIP","n":"Ann","exp":%d,"ph":"%s"}`,
		string(iss.Serial), event.Schedule.AccessUntil.Unix(), pass.PhotoHash(jpeg))
	if got := b64dec(t, strings.Split(iss.Token, ".")[1]); got != wantPayload {
		t.Fatalf("payload = %s, want %s", got, wantPayload)
	}
	v, _ := verifier.New(verifier.Config{Keys: ring, Revocations: verifier.NewRevocationSet()})
	if vd := v.Verify(iss.Token, now); vd.Pass == nil || vd.Pass.Photo != pass.PhotoHash(jpeg) {
		t.Fatalf("Verify() = %+v, want the photo hash", vd)
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
