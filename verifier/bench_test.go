package verifier_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

// BenchmarkVerify is the full door check: parse, signature, revocation
// lookup (in a set of 1,000 revoked serials) and the policy decision.
// BenchmarkEd25519Verify is the raw signature check of the same message;
// the goal is Verify <= 1.25x Ed25519Verify.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b, keys.EdDSA)
	for i := 0; i < 1000; i++ {
		s, _ := pass.NewSerial(nil)
		f.revs.Add(record.Revocation{Seq: int64(i + 1), Serial: s, Category: pass.RevokeOther})
	}
	during := event.Schedule.ShowStart.Add(30 * 60e9)
	b.ReportAllocs()
	for b.Loop() {
		vd := f.v.Verify(f.token, during)
		f.v.Access(&vd, event, "stage", during)
		if !*vd.Allowed {
			b.Fatalf("not allowed: %+v", vd)
		}
	}
}

func BenchmarkEd25519Verify(b *testing.B) {
	f := newFixture(b, keys.EdDSA)
	i := strings.LastIndexByte(f.token, '.')
	msg := []byte(f.token[:i])
	sig, err := base64.RawURLEncoding.DecodeString(f.token[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := f.ring.Active().Public.(ed25519.PublicKey)
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("bad signature")
		}
	}
}

func BenchmarkVerifyES256(b *testing.B) {
	f := newFixture(b, keys.ES256)
	b.ReportAllocs()
	for b.Loop() {
		if vd := f.v.Verify(f.token, t0); !vd.Valid() {
			b.Fatal(vd.Err)
		}
	}
}

// BenchmarkVerifyRejects measures the cost of refusing junk: a door must
// not slow down when fed garbage.
func BenchmarkVerifyRejects(b *testing.B) {
	f := newFixture(b, keys.EdDSA)
	for _, c := range []struct{ name, tok string }{
		{"dots-2KiB", strings.Repeat(".", 2048)},
		{"oversize-8MiB", strings.Repeat(".", 8<<20)},
		{"flipped-sig", f.token[:len(f.token)-3] + "AAA"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if f.v.Verify(c.tok, t0).Valid() {
					b.Fatal("valid")
				}
			}
		})
	}
}
