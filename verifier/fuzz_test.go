package verifier_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/record"
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

// FuzzParseBundle feeds arbitrary input to the bundle parser: it must never
// panic and never accept anything but the one bundle our key signed.
func FuzzParseBundle(f *testing.F) {
	fx := newBundleFixture(f, keys.EdDSA)
	f.Add(fx.jws)
	f.Add(fx.jws + "\n")
	f.Add(fx.token)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(strings.Repeat(".", 100))
	f.Fuzz(func(t *testing.T, in string) {
		b, err := verifier.ParseBundle(in, fx.ring, t0)
		if (err == nil) != (b != nil) {
			t.Fatalf("ParseBundle(%q) = %v, %v", in, b != nil, err)
		}
		if err == nil && in != fx.jws {
			t.Fatalf("ParseBundle(%q) accepted input that is not our bundle", in)
		}
	})
}

// FuzzBundlePayload signs arbitrary payloads with the trusted key: what the
// signature vouches for must still be checked, never panic, and a bundle
// that is accepted must give a working offline verifier.
func FuzzBundlePayload(f *testing.F) {
	fx := newBundleFixture(f, keys.EdDSA)
	js, _, err := fx.ring.Signer(nil)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(fx.bundle)
	f.Add(good)
	f.Add([]byte(`{"typ":"laminate/bundle","v":1}`))
	f.Add([]byte(`{"typ":"laminate/bundle","v":1,"iat":1,"exp":2,"event":{},"keys":{"keys":[{"kty":"OKP"}]},"revocations":{"seq":0,"serials":[]}}`))
	f.Add([]byte(`null`))
	// The door rules: present, but out of range or incomplete.
	for _, door := range []string{`null`, `{}`, `{"leeway_ms":0,"clone_window_ms":1,"types":[{"type":"AAA","code":"AAA","label":"AAA"}],"phases":{},"next_steps":{}}`} {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(good, &m); err != nil {
			f.Fatal(err)
		}
		m["door"] = json.RawMessage(door)
		seed, _ := json.Marshal(m)
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		obj, err := js.Sign(payload)
		if err != nil {
			t.Skip()
		}
		jws, err := obj.CompactSerialize()
		if err != nil {
			t.Skip()
		}
		b, err := verifier.ParseBundle(jws, fx.ring, t0)
		if err != nil {
			return
		}
		off, err := verifier.NewOffline(b)
		if err != nil {
			t.Fatalf("NewOffline() of an accepted bundle: %v", err)
		}
		vd := off.Verify(fx.token, t0)
		off.Access(&vd, "stage", t0)
		if b.Door == nil || b.Door.CloneWindow() <= 0 || b.Door.Leeway() < 0 {
			t.Fatalf("accepted door rules %+v", b.Door)
		}
		off.DecideScan(verifier.DoorScan{Gate: "b", Direction: "in", At: t0}, &record.Scan{Gate: "a", Direction: "in", At: t0})
	})
}
