package signer_test

import (
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
)

// What the signer writes (go-jose's header, the claims' JSON) is what the
// compact transport form rebuilds, byte for byte, for both algorithms and
// every shape of pass; so every printed pass gets the small code.
func TestIssuedPassesTravelCompact(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{keys.EdDSA, keys.ES256} {
		ring, err := keys.Init(t.TempDir(), alg, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		js, key, err := ring.Signer(nil)
		if err != nil {
			t.Fatal(err)
		}
		s := signer.New(js, key.KID, "lam")
		s.Now = func() time.Time { return now }
		for _, r := range []signer.Request{
			{Type: pass.VIP, Name: "Alex Rivera", Org: "Headliner"},
			{Type: pass.Staff, Role: "catering", Name: "Chef", Org: "Kitchen & Co <Ltd>", ValidFrom: now.Add(time.Hour)},
			{Type: pass.AAA, Name: "王小明", Org: "北京音乐"},
			{Type: pass.Photo, Name: "عبد الرحمن بن محمد الفلاني"},
		} {
			iss, err := s.Issue(event, r)
			if err != nil {
				t.Fatal(err)
			}
			c, err := pass.EncodeCompact(iss.Token)
			if err != nil {
				t.Fatalf("%s %s: EncodeCompact: %v (token %s)", alg, r.Name, err, iss.Token)
			}
			if back, err := pass.DecodeCompact(c); back != iss.Token || err != nil {
				t.Fatalf("%s %s: DecodeCompact = %q, %v", alg, r.Name, back, err)
			}
			num, _ := pass.EncodeNumeric(iss.Token)
			t.Logf("%s %-12s: %d characters, %d digits compact, %d numeric", alg, r.Name, len(iss.Token), len(c), len(num))
		}
	}
}
