package keys

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

var (
	t0      = time.Date(2026, 11, 27, 3, 50, 0, 0, time.UTC)
	lineRE  = regexp.MustCompile(`: line [0-9]+: `)
	sigAlgs = []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256}
)

func TestMain(m *testing.M) {
	pbes2Count = 1000 // the real count makes each encryption take ~0.5s
	os.Exit(m.Run())
}

// snapshot maps every file under dir to its mode and contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		var data []byte
		if !d.IsDir() {
			if data, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		files[p] = fi.Mode().String() + "\n" + string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameFiles(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, v := range after {
		if before[p] != v {
			t.Errorf("%s changed or appeared", p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s disappeared", p)
		}
	}
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestInit(t *testing.T) {
	tests := []struct {
		name       string
		alg        jose.SignatureAlgorithm
		passphrase []byte
		wantAlg    jose.SignatureAlgorithm
	}{
		{"ok/default-alg", "", nil, EdDSA},
		{"ok/eddsa", EdDSA, nil, EdDSA},
		{"ok/es256", ES256, nil, ES256},
		{"ok/eddsa-encrypted", EdDSA, []byte("correct horse"), EdDSA},
		{"ok/es256-encrypted", ES256, []byte("correct horse"), ES256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			k, err := Init(dir, tt.alg, tt.passphrase, t0)
			if err != nil {
				t.Fatalf("Init() error = %v", err)
			}
			a := k.Active()
			if a.Alg != tt.wantAlg || !a.Active || len(a.KID) != 6 || !a.Created.Equal(t0) || !a.Retired.IsZero() {
				t.Errorf("Active() = %+v", a)
			}
			if got, want := k.Encrypted(), len(tt.passphrase) > 0; got != want {
				t.Errorf("Encrypted() = %v, want %v", got, want)
			}
			kdir := filepath.Join(dir, "keys")
			for path, want := range map[string]fs.FileMode{
				kdir:                                0o700,
				filepath.Join(kdir, "keyring.json"): 0o600,
				filepath.Join(kdir, "keyring.lock"): 0o600,
				filepath.Join(kdir, a.KID+".key"):   0o600,
			} {
				if got := mode(t, path); got != want {
					t.Errorf("mode of %s = %04o, want %04o", path, got, want)
				}
			}
			data, err := os.ReadFile(filepath.Join(kdir, a.KID+".key"))
			if err != nil {
				t.Fatal(err)
			}
			wantHead := "# laminate signing key\n# created: 2026-11-27T03:50:00Z\n# kid: " + a.KID + "\n# alg: " + string(a.Alg) + "\n"
			if !strings.HasPrefix(string(data), wantHead) {
				t.Errorf("key file starts %q, want %q", data, wantHead)
			}
			o, err := Open(dir)
			if err != nil {
				t.Fatalf("Open() error = %v", err)
			}
			if got := o.Keys(); len(got) != 1 || got[0].KID != a.KID || !got[0].Active {
				t.Errorf("Open().Keys() = %+v", got)
			}
		})
	}
}

func TestInitTwice(t *testing.T) {
	dir := t.TempDir()
	if _, err := Init(dir, EdDSA, nil, t0); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	_, err := Init(dir, ES256, []byte("pw"), t0.Add(time.Hour))
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second Init() error = %v, want %v", err, ErrExists)
	}
	sameFiles(t, before, snapshot(t, dir))
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(t.TempDir())
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open() error = %v, want %v", err, ErrNotFound)
	}
}

func TestSigner(t *testing.T) {
	for _, alg := range sigAlgs {
		for _, pass := range []string{"", "s3cret"} {
			name := "ok/" + string(alg)
			if pass != "" {
				name += "-encrypted"
			}
			t.Run(name, func(t *testing.T) {
				k, err := Init(t.TempDir(), alg, []byte(pass), t0)
				if err != nil {
					t.Fatal(err)
				}
				s, key, err := k.Signer([]byte(pass))
				if err != nil {
					t.Fatalf("Signer() error = %v", err)
				}
				if key.KID != k.Active().KID {
					t.Errorf("Signer() key %s, want active %s", key.KID, k.Active().KID)
				}
				checkSigns(t, k, s, key)
			})
		}
	}
}

// checkSigns signs with s and checks the token's exact protected header and
// that it verifies with the JWKS and with VerifyKey.
func checkSigns(t *testing.T, k *Keyring, s jose.Signer, key Key) {
	t.Helper()
	payload := []byte(`{"sub":"7K2M-9QX4"}`)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	head, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"alg":"` + string(key.Alg) + `","kid":"` + key.KID + `"}`; string(head) != want {
		t.Errorf("protected header = %s, want %s", head, want)
	}
	parsed, err := jose.ParseSignedCompact(tok, sigAlgs)
	if err != nil {
		t.Fatal(err)
	}
	jwks := k.JWKS()
	found := jwks.Key(key.KID)
	if len(found) != 1 || found[0].Use != "sig" || found[0].Algorithm != string(key.Alg) {
		t.Fatalf("JWKS().Key(%s) = %+v", key.KID, found)
	}
	if got, err := parsed.Verify(found[0]); err != nil || string(got) != string(payload) {
		t.Errorf("Verify(JWKS key) = %q, %v", got, err)
	}
	vk, ok := k.VerifyKey(key.KID)
	if !ok {
		t.Fatalf("VerifyKey(%s) not found", key.KID)
	}
	if _, err := parsed.Verify(vk.Public); err != nil {
		t.Errorf("Verify(VerifyKey) error = %v", err)
	}
}

func TestRotateRetire(t *testing.T) {
	dir := t.TempDir()
	k, err := Init(dir, EdDSA, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	old := k.Active()
	nk, err := k.Rotate(ES256, nil, t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("Rotate() error = %v", err)
	}
	if nk.KID == old.KID || !nk.Active || nk.Alg != ES256 || k.Active().KID != nk.KID {
		t.Fatalf("Rotate() = %+v, Active() = %+v", nk, k.Active())
	}
	if _, ok := k.VerifyKey(old.KID); !ok {
		t.Errorf("old key %s no longer verifies after Rotate", old.KID)
	}
	if n := len(k.JWKS().Keys); n != 2 {
		t.Errorf("JWKS has %d keys after Rotate, want 2", n)
	}
	s, key, err := k.Signer(nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSigns(t, k, s, key)

	tests := []struct {
		name string
		kid  string
		want error
	}{
		{"fail/active-key", nk.KID, ErrActiveKey},
		{"fail/unknown-kid", "zzzzzz", ErrNotFound},
		{"ok/old-key", old.KID, nil},
		{"fail/already-retired", old.KID, ErrRetired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, dir)
			err := k.Retire(tt.kid, t0.Add(2*time.Hour))
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("Retire(%s) error = %v, want %v", tt.kid, err, tt.want)
			}
			if err != nil {
				sameFiles(t, before, snapshot(t, dir))
			}
		})
	}
	if _, ok := k.VerifyKey(old.KID); ok {
		t.Errorf("VerifyKey(%s) found a retired key", old.KID)
	}
	if jwks := k.JWKS(); len(jwks.Key(old.KID)) != 0 {
		t.Errorf("JWKS() still has retired key %s", old.KID)
	}
	o, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys := o.Keys()
	if len(keys) != 2 || keys[0].KID != old.KID || !keys[0].Retired.Equal(t0.Add(2*time.Hour)) || keys[1].KID != nk.KID || !keys[1].Active {
		t.Errorf("reopened Keys() = %+v", keys)
	}
	if _, ok := o.VerifyKey(old.KID); ok {
		t.Errorf("reopened VerifyKey(%s) found a retired key", old.KID)
	}
}

func TestPassphrase(t *testing.T) {
	right := []byte("correct horse battery staple")
	dir := t.TempDir()
	k, err := Init(dir, EdDSA, right, t0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "keys", k.Active().KID+".key"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), `"d"`) {
		t.Errorf("encrypted key file contains the private key in the clear:\n%s", data)
	}
	kf, err := parseKeyFile("test.key", data)
	if err != nil {
		t.Fatal(err)
	}
	if p2c := kf.jwe.Header.ExtraHeaders["p2c"]; p2c != float64(pbes2Count) {
		t.Errorf("p2c = %v, want %d", p2c, pbes2Count)
	}

	tests := []struct {
		name       string
		passphrase []byte
		want       error
	}{
		{"ok/right-passphrase", right, nil},
		{"fail/wrong-passphrase", []byte("Tr0ub4dor&3"), ErrWrongPassphrase},
		{"fail/no-passphrase", nil, ErrPassphraseRequired},
		{"fail/empty-passphrase", []byte{}, ErrPassphraseRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, key, err := k.Signer(tt.passphrase)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("Signer() error = %v, want %v", err, tt.want)
			}
			if err == nil {
				checkSigns(t, k, s, key)
			}
		})
	}

	t.Run("fail/rotate-without-passphrase", func(t *testing.T) {
		before := snapshot(t, dir)
		if _, err := k.Rotate(EdDSA, nil, t0); !errors.Is(err, ErrPassphraseRequired) {
			t.Fatalf("Rotate() error = %v, want %v", err, ErrPassphraseRequired)
		}
		sameFiles(t, before, snapshot(t, dir))
	})
	t.Run("fail/rotate-wrong-passphrase", func(t *testing.T) {
		before := snapshot(t, dir)
		if _, err := k.Rotate(EdDSA, []byte("typo"), t0); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("Rotate() error = %v, want %v", err, ErrWrongPassphrase)
		}
		sameFiles(t, before, snapshot(t, dir))
	})
	t.Run("ok/plaintext-file-has-d", func(t *testing.T) {
		// Guards the "d" check above against a change of JWK encoding.
		p, err := Init(t.TempDir(), EdDSA, nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(p.dir, p.Active().KID+".key"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), `"d"`) {
			t.Errorf("plaintext key file has no \"d\":\n%s", data)
		}
	})
}

// TestDefaultPBES2Count checks that go-jose opens what the real iteration
// count produces (it refuses more than 1,000,000 on decryption).
func TestDefaultPBES2Count(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: real PBKDF2 iteration count")
	}
	defer func(n int) { pbes2Count = n }(pbes2Count)
	pbes2Count = defaultPBES2Count
	k, err := Init(t.TempDir(), EdDSA, []byte("pw"), t0)
	if err != nil {
		t.Fatal(err)
	}
	s, key, err := k.Signer([]byte("pw"))
	if err != nil {
		t.Fatalf("Signer() error = %v", err)
	}
	checkSigns(t, k, s, key)
}

func TestInsecureFile(t *testing.T) {
	tests := []struct {
		name string
		mode fs.FileMode
		want error
	}{
		{"ok/0600", 0o600, nil},
		{"ok/0400", 0o400, nil},
		{"fail/0644", 0o644, ErrInsecureFile},
		{"fail/0640", 0o640, ErrInsecureFile},
		{"fail/0604", 0o604, ErrInsecureFile},
		{"fail/0660", 0o660, ErrInsecureFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Init(t.TempDir(), EdDSA, nil, t0)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(k.dir, k.Active().KID+".key")
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, _, err = k.Signer(nil)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("Signer() error = %v, want %v", err, tt.want)
			}
			if err != nil && (!strings.Contains(err.Error(), "chmod 600 "+path) || !strings.Contains(err.Error(), fmt.Sprintf("mode %04o", tt.mode))) {
				t.Errorf("Signer() error = %q, want it to name the mode and say chmod 600 %s", err, path)
			}
		})
	}
	t.Run("fail/keyring-json-writable", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := Init(dir, EdDSA, nil, t0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, "keys", "keyring.json"), 0o666); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(dir); !errors.Is(err, ErrInsecureFile) {
			t.Fatalf("Open() error = %v, want %v", err, ErrInsecureFile)
		}
	})
}

func TestDamaged(t *testing.T) {
	type files struct{ ring, key string }
	tests := []struct {
		name   string
		damage func(f files, kid string) files
	}{
		{"fail/ring-truncated", func(f files, _ string) files { f.ring = f.ring[:len(f.ring)/2]; return f }},
		{"fail/ring-not-json", func(f files, _ string) files { f.ring = "hello\n"; return f }},
		{"fail/ring-version", func(f files, _ string) files {
			f.ring = strings.Replace(f.ring, `"version": 1`, `"version": 9`, 1)
			return f
		}},
		{"fail/ring-file-escapes", func(f files, kid string) files {
			f.ring = strings.Replace(f.ring, `"file": "`+kid+`.key"`, `"file": "../../`+kid+`.key"`, 1)
			return f
		}},
		{"fail/ring-active-unknown", func(f files, kid string) files {
			f.ring = strings.Replace(f.ring, `"active": "`+kid+`"`, `"active": "AAAAAA"`, 1)
			return f
		}},
		{"fail/ring-public-key-swapped", func(f files, _ string) files {
			f.ring = regexp.MustCompile(`"x": "[^"]+"`).ReplaceAllString(f.ring, `"x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"`)
			return f
		}},
		{"fail/key-magic", func(f files, _ string) files {
			f.key = strings.Replace(f.key, "# laminate signing key", "# age key", 1)
			return f
		}},
		{"fail/key-body-garbage", func(f files, _ string) files {
			lines := strings.Split(f.key, "\n")
			lines[5] = "not a key"
			f.key = strings.Join(lines, "\n")
			return f
		}},
		{"fail/key-body-other-key", func(f files, _ string) files {
			f.key = regexp.MustCompile(`"d":"[^"]+"`).ReplaceAllString(f.key, `"d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"`)
			return f
		}},
		{"fail/key-kid-header", func(f files, kid string) files {
			f.key = strings.Replace(f.key, "# kid: "+kid, "# kid: AAAAAA", 1)
			return f
		}},
		{"fail/key-extra-line", func(f files, _ string) files { f.key += "extra\n"; return f }},
		{"fail/key-missing-header", func(f files, _ string) files {
			f.key = regexp.MustCompile(`# alg: .*\n`).ReplaceAllString(f.key, "")
			return f
		}},
		{"fail/key-empty", func(f files, _ string) files { f.key = ""; return f }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			k, err := Init(dir, EdDSA, nil, t0)
			if err != nil {
				t.Fatal(err)
			}
			kid := k.Active().KID
			ringPath := filepath.Join(k.dir, "keyring.json")
			keyPath := filepath.Join(k.dir, kid+".key")
			ring, _ := os.ReadFile(ringPath)
			key, _ := os.ReadFile(keyPath)
			f := tt.damage(files{string(ring), string(key)}, kid)
			if f.ring == string(ring) && f.key == string(key) {
				t.Fatal("damage changed nothing")
			}
			if err := os.WriteFile(ringPath, []byte(f.ring), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(keyPath, []byte(f.key), 0o600); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, dir)
			if f.ring != string(ring) {
				_, err = Open(dir)
				if err == nil {
					// A damaged ring must also stop a change by a Keyring
					// opened before the damage, which rereads it.
					t.Fatal("Open() error = nil")
				}
				if _, rerr := k.Rotate(EdDSA, nil, t0); !errors.Is(rerr, ErrBadKeyFile) {
					t.Errorf("Rotate() error = %v, want %v", rerr, ErrBadKeyFile)
				}
			} else {
				_, _, err = k.Signer(nil)
			}
			if !errors.Is(err, ErrBadKeyFile) {
				t.Fatalf("error = %v, want %v", err, ErrBadKeyFile)
			}
			if !lineRE.MatchString(err.Error()) {
				t.Errorf("error = %q, want it to say \"line N:\"", err)
			}
			t.Log(err)
			sameFiles(t, before, snapshot(t, dir))
		})
	}
}

func TestConcurrentRotate(t *testing.T) {
	dir := t.TempDir()
	if _, err := Init(dir, EdDSA, nil, t0); err != nil {
		t.Fatal(err)
	}
	const perRing = 4
	var wg sync.WaitGroup
	errs := make(chan error, 2*perRing)
	kids := make(chan string, 2*perRing)
	for range 2 {
		k, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range perRing {
				key, err := k.Rotate(EdDSA, nil, t0.Add(time.Duration(i)*time.Minute))
				errs <- err
				kids <- key.KID
			}
		})
	}
	wg.Wait()
	close(errs)
	close(kids)
	for err := range errs {
		if err != nil {
			t.Fatalf("Rotate() error = %v", err)
		}
	}
	o, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(o.Keys()); n != 1+2*perRing {
		t.Errorf("keyring has %d keys, want %d", n, 1+2*perRing)
	}
	for kid := range kids {
		if _, ok := o.VerifyKey(kid); !ok {
			t.Errorf("key %s rotated in is missing from keyring.json", kid)
		}
	}
}

func TestVerifyKeyAllocs(t *testing.T) {
	k, err := Init(t.TempDir(), EdDSA, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	kid := k.Active().KID
	if n := testing.AllocsPerRun(100, func() { k.VerifyKey(kid) }); n != 0 {
		t.Errorf("VerifyKey allocates %v times, want 0", n)
	}
}

func BenchmarkVerifyKey(b *testing.B) {
	k, err := Init(b.TempDir(), EdDSA, nil, t0)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 8 {
		if _, err := k.Rotate(EdDSA, nil, t0.Add(time.Duration(i)*time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	kid := k.Active().KID
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := k.VerifyKey(kid); !ok {
				b.Fatal("not found")
			}
		}
	})
}
