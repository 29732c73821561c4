package verifier_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/verifier"
)

// FuzzVerify feeds arbitrary scanner input to the verifier: it must never
// panic, never call anything but a real token of ours valid, and always give
// exactly one known status.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, keys.EdDSA)
	f.Add(fx.token)
	f.Add(fx.token + "\r\n")
	f.Add(strings.Repeat(".", 100))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	files, _ := filepath.Glob("../testdata/tokens/*.txt")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	known := map[verifier.Status]bool{verifier.StatusValid: true, verifier.StatusExpired: true, verifier.StatusNotYetValid: true,
		verifier.StatusRevoked: true, verifier.StatusForged: true, verifier.StatusUnknownKey: true,
		verifier.StatusMalformed: true, verifier.StatusWrongEvent: true}
	f.Fuzz(func(t *testing.T, in string) {
		vd := fx.v.Verify(in, t0)
		if !known[vd.Status] {
			t.Fatalf("Verify(%q) status %q", in, vd.Status)
		}
		if vd.Valid() && verifier.Normalize(in) != fx.token {
			t.Fatalf("Verify(%q) = valid, but it is not our token", in)
		}
		if !utf8.ValidString(vd.Message) {
			t.Fatalf("message not UTF-8: %q", vd.Message)
		}
	})
}
