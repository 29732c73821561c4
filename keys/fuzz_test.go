package keys

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func FuzzParseKeyFile(f *testing.F) {
	for _, tc := range []struct {
		alg  string
		pass string
	}{{"EdDSA", ""}, {"ES256", ""}, {"EdDSA", "pw"}, {"ES256", "pw"}} {
		k, err := Init(f.TempDir(), EdDSA, []byte(tc.pass), t0)
		if tc.alg == "ES256" {
			k, err = Init(f.TempDir(), ES256, []byte(tc.pass), t0)
		}
		if err != nil {
			f.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(k.dir, k.Active().KID+".key"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(""))
	f.Add([]byte("# laminate signing key\n"))
	f.Add([]byte("# laminate signing key\n# kid: AAAAAA\n# kid: AAAAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kf, err := parseKeyFile("fuzz.key", data)
		if err != nil {
			if !errors.Is(err, ErrBadKeyFile) || !lineRE.MatchString(err.Error()) {
				t.Fatalf("parseKeyFile() error = %q, want %v with a line number", err, ErrBadKeyFile)
			}
			return
		}
		if !validKID(kf.kid) || kidOf(kf.public) != kf.kid || kf.encrypted == (kf.priv != nil) {
			t.Fatalf("parseKeyFile() accepted an inconsistent key: %+v", kf)
		}
	})
}

// FuzzDecodeShare: a shared keyring read from the store never panics, and
// one it accepts is consistent enough to import.
func FuzzDecodeShare(f *testing.F) {
	for _, pp := range []string{"", "pw"} {
		dir := f.TempDir()
		if _, err := Init(dir, EdDSA, []byte(pp), t0); err != nil {
			f.Fatal(err)
		}
		sh, err := Export(dir)
		if err != nil {
			f.Fatal(err)
		}
		enc, _ := sh.Encode()
		f.Add(enc)
	}
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`{"format":1,"ring":{},"keys":{"../x":"eA=="},"artwork":"00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sh, err := DecodeShare(data)
		if err != nil {
			return
		}
		if err := Import(t.TempDir(), sh); err != nil && !errors.Is(err, ErrForeign) {
			t.Fatalf("DecodeShare accepted a share Import refuses: %v", err)
		}
	})
}

// FuzzOpenShare: a sealed share read from the store, introductions and
// all, never panics, and one that opens for a reader that knows only the
// first key was sealed by a key of the share.
func FuzzOpenShare(f *testing.F) {
	defer func(n int) { pbes2Count = n }(pbes2Count)
	pbes2Count = 1000 // for the set-up only
	pp := []byte("pw")
	dir := f.TempDir()
	k, err := Init(dir, EdDSA, pp, t0)
	if err != nil {
		f.Fatal(err)
	}
	first := k.Active().KID
	reader := filepath.Join(f.TempDir(), "reader")
	if err := Import(reader, must(Export(dir))); err != nil {
		f.Fatal(err)
	}
	r, err := Open(reader)
	if err != nil {
		f.Fatal(err)
	}
	prev := first
	for i := range 2 {
		key, err := k.Rotate(EdDSA, pp, t0.Add(time.Duration(i+1)*time.Hour))
		if err != nil {
			f.Fatal(err)
		}
		sh := must(Export(dir))
		by, _, _ := k.SignerFor(prev, pp)
		if err := sh.Introduce(key.KID, by); err != nil {
			f.Fatal(err)
		}
		if err := Import(dir, sh); err != nil {
			f.Fatal(err)
		}
		js, _, _ := k.SignerFor(key.KID, pp)
		f.Add(must(sh.Seal(js)))
		prev = key.KID
	}
	f.Fuzz(func(t *testing.T, sealed []byte) {
		sh, by, err := OpenShare(sealed, r)
		if err != nil {
			return
		}
		st, _ := sh.check()
		if _, ok := st.verify[by.KID]; !ok && by.KID != first {
			t.Fatalf("opened a share sealed by %s, not a key of it", by.KID)
		}
	})
}
