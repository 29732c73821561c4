package verifier_test

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/verifier"
)

// bundleFixture is a keyring, a few passes (one revoked) and a signed
// bundle for event, made at t0 and fresh for 12 hours.
type bundleFixture struct {
	*fixture
	revoked record.Issued
	revs    []record.Revocation
	bundle  *verifier.Bundle // as signed
	jws     string
}

func newBundleFixture(t testing.TB, alg jose.SignatureAlgorithm) *bundleFixture {
	t.Helper()
	f := &bundleFixture{fixture: newFixture(t, alg)}
	var err error
	if f.revoked, err = f.sign.Issue(event, signer.Request{Type: pass.VIP, Name: "Lost Card"}); err != nil {
		t.Fatal(err)
	}
	f.revs = []record.Revocation{
		{Seq: 1, Serial: f.revoked.Serial, Event: event.ID, Category: pass.RevokeLost, Note: "J. Smith, 07700 900123", At: t0},
		{Seq: 2, Serial: mustSerial(t, "2222222"), Event: "tour26-man02", Category: pass.RevokeOther, Note: "another show", At: t0},
	}
	f.fixture.revs.Add(f.revs...)
	f.bundle, err = verifier.NewBundle(event, f.ring.JWKS(), f.revs, "lam", t0, verifier.DefaultBundleFreshness)
	if err != nil {
		t.Fatal(err)
	}
	if f.jws, err = f.sign.SignDocument(verifier.BundleHeaderType, f.bundle); err != nil {
		t.Fatal(err)
	}
	return f
}

// mustSerial completes seven data symbols with their check character.
func mustSerial(t testing.TB, data string) pass.Serial {
	t.Helper()
	for _, c := range pass.SerialAlphabet {
		if s, err := pass.ParseSerial(data + string(c)); err == nil {
			return s
		}
	}
	t.Fatalf("no check character for %s", data)
	return ""
}

// payload returns the bundle's payload as a generic JSON object, to be
// changed and signed again.
func (f *bundleFixture) payload(t testing.TB) map[string]any {
	t.Helper()
	raw, err := json.Marshal(f.bundle)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// signRaw signs payload bytes as they are with the trusted active key, as
// a bundle (typ in the header).
func (f *bundleFixture) signRaw(t testing.TB, payload []byte) string {
	t.Helper()
	ks, _, err := f.ring.Signer(nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := ks.(keys.TypedSigner).WithType(verifier.BundleHeaderType)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := js.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signUntyped signs v as a pass is signed: no typ.
func (f *bundleFixture) signUntyped(t testing.TB, v any) string {
	t.Helper()
	js, _, err := f.ring.Signer(nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := js.Sign(raw)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *bundleFixture) signMap(t testing.TB, m map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return f.signRaw(t, raw)
}

func TestBundleRoundTrip(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{keys.EdDSA, keys.ES256} {
		t.Run(string(alg), func(t *testing.T) {
			f := newBundleFixture(t, alg)
			b, err := verifier.ParseBundle(f.jws, f.ring, t0.Add(time.Hour))
			if err != nil {
				t.Fatalf("ParseBundle() = %v", err)
			}
			if b.Type != verifier.BundleType || b.Version != 1 || b.Issuer != "lam" || b.KID() != f.ring.Active().KID {
				t.Errorf("bundle header fields = %q %d %q %q", b.Type, b.Version, b.Issuer, b.KID())
			}
			if !b.Issued().Equal(t0) || !b.Expires().Equal(t0.Add(12*time.Hour)) || b.Age(t0.Add(time.Hour)) != time.Hour {
				t.Errorf("times: issued %s expires %s", b.Issued(), b.Expires())
			}
			if b.Revocations.Seq != 2 || len(b.Revocations.Serials) != 1 || b.Revocations.Serials[0] != f.revoked.Serial {
				t.Errorf("revocations = %+v, want only this event's serial, seq 2", b.Revocations)
			}
			if b.Event.ID != event.ID || b.Event.Policy == nil || !b.Event.Policy.HasZone("stage") {
				t.Errorf("event = %+v, want the effective policy written out", b.Event)
			}
			if !b.Event.Schedule.ShowStart.Equal(event.Schedule.ShowStart) || b.Event.Schedule.PhotoDuration != event.Schedule.PhotoDuration {
				t.Errorf("schedule = %+v", b.Event.Schedule)
			}
			if len(b.Keys.Keys) != 1 || b.Keys.Keys[0].KeyID != f.ring.Active().KID {
				t.Errorf("keys = %+v", b.Keys)
			}
		})
	}
}

// The payload is plain JSON a browser reads without Go: numbers, strings,
// RFC 3339 times, a JWK set; the header is exactly alg, kid and typ.
func TestBundleWireFormat(t *testing.T) {
	f := newBundleFixture(t, keys.EdDSA)
	parts := strings.Split(f.jws, ".")
	head, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if want := `{"alg":"EdDSA","kid":"` + f.ring.Active().KID + `","typ":"laminate-bundle+jwt"}`; string(head) != want {
		t.Errorf("header = %s, want %s", head, want)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	for _, want := range []string{`"typ":"laminate/bundle"`, `"v":1`, `"iss":"lam"`, `"iat":` + fmt.Sprint(t0.Unix()),
		`"exp":` + fmt.Sprint(t0.Add(12*time.Hour).Unix()), `"event":{"id":"tour26-ldn01"`, `"show_start":"2026-06-12T19:00:00Z"`,
		`"zones":["stage"`, `"keys":{"keys":[{"use":"sig","kty":"OKP","kid":"`, `"revocations":{"seq":2,"serials":["` + string(f.revoked.Serial) + `"]}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("payload lacks %s:\n%s", want, raw)
		}
	}
	for _, note := range []string{"J. Smith", "another show"} { // the office's notes stay at the office
		if strings.Contains(string(raw), note) {
			t.Errorf("payload holds the note %q:\n%s", note, raw)
		}
	}
}

func TestBundleFreshness(t *testing.T) {
	f := newBundleFixture(t, keys.EdDSA)
	exp := t0.Add(verifier.DefaultBundleFreshness)
	tests := []struct {
		name string
		now  time.Time
		err  error
	}{
		{"ok/just-made", t0, nil},
		{"ok/at-the-limit", exp, nil},
		{"ok/clock-slightly-behind", t0.Add(-time.Minute), nil},
		{"expired/one-second-late", exp.Add(time.Second), verifier.ErrBundleExpired},
		{"expired/next-year", exp.AddDate(1, 0, 0), verifier.ErrBundleExpired},
		{"future/clock-an-hour-behind", t0.Add(-time.Hour), verifier.ErrBundleNotYetValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := verifier.ParseBundle(f.jws, f.ring, tt.now)
			if !errors.Is(err, tt.err) || (err == nil) != (b != nil) {
				t.Fatalf("ParseBundle() = %v, %v, want %v", b != nil, err, tt.err)
			}
		})
	}
}

// Every change of one character of the compact JWS is refused: the
// header, the payload and the signature are all covered.
func TestBundleTamperEveryByte(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{keys.EdDSA, keys.ES256} {
		f := newBundleFixture(t, alg)
		const b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		for i := 0; i < len(f.jws); i++ {
			// The next base64url character (another valid-looking byte), and
			// one that is not base64url at all.
			next := b64chars[(strings.IndexByte(b64chars, f.jws[i])+1)%len(b64chars)]
			for _, c := range []byte{next, '.', ' '} {
				if c == f.jws[i] {
					continue
				}
				bad := f.jws[:i] + string(c) + f.jws[i+1:]
				b, err := verifier.ParseBundle(bad, f.ring, t0)
				if err == nil || b != nil {
					t.Fatalf("%s: byte %d changed to %q: ParseBundle() accepted it", alg, i, c)
				}
				if !errors.Is(err, verifier.ErrBundleMalformed) && !errors.Is(err, verifier.ErrBundleForged) && !errors.Is(err, verifier.ErrBundleUntrusted) {
					t.Fatalf("%s: byte %d changed to %q: error %v is not a bundle sentinel", alg, i, c, err)
				}
			}
		}
		if _, err := verifier.ParseBundle(f.jws+"A", f.ring, t0); err == nil {
			t.Fatalf("%s: a character appended: accepted", alg)
		}
		if _, err := verifier.ParseBundle(f.jws[:len(f.jws)-1], f.ring, t0); err == nil {
			t.Fatalf("%s: last character cut: accepted", alg)
		}
	}
}

func TestBundleAttacks(t *testing.T) {
	f := newBundleFixture(t, keys.EdDSA)
	kid := f.ring.Active().KID
	pub := f.ring.Active().Public.(ed25519.PublicKey)
	parts := strings.Split(f.jws, ".")
	payloadJSON, _ := base64.RawURLEncoding.DecodeString(parts[1])

	// The attacker's bundle: the revoked pass taken off the list, the
	// attacker's own key listed inside, signed by the attacker.
	attacker, err := keys.Init(t.TempDir(), keys.EdDSA, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	ajs, akey, _ := attacker.Signer(nil)
	asg := signer.New(ajs, akey.KID, "lam")
	forgedB, _ := verifier.NewBundle(event, attacker.JWKS(), nil, "lam", t0, 24*time.Hour)
	selfSigned, _ := asg.SignDocument(verifier.BundleHeaderType, forgedB)
	_, attackerPriv, _ := ed25519.GenerateKey(rand.Reader)
	attackerSign := func(in []byte) []byte { return ed25519.Sign(attackerPriv, in) }
	var m map[string]any
	json.Unmarshal(payloadJSON, &m)
	m["revocations"] = map[string]any{"seq": 2, "serials": []string{}}
	cleared, _ := json.Marshal(m)
	attackerJWK, _ := json.Marshal(jose.JSONWebKey{Key: attackerPriv.Public(), KeyID: kid})

	tests := []struct {
		name string
		jws  string
		err  error
	}{
		{"untrusted/self-signed-key-listed-inside", selfSigned, verifier.ErrBundleUntrusted},
		{"forged/list-cleared-resigned-under-our-kid", craft(`{"alg":"EdDSA","kid":"`+kid+`","typ":"laminate-bundle+jwt"}`, string(cleared), attackerSign), verifier.ErrBundleForged},
		{"forged/embedded-jwk", craft(`{"alg":"EdDSA","kid":"`+kid+`","jwk":`+string(attackerJWK)+`,"typ":"laminate-bundle+jwt"}`, string(cleared), attackerSign), verifier.ErrBundleForged},
		{"forged/jku", craft(`{"alg":"EdDSA","kid":"`+kid+`","jku":"https://evil.example/jwks.json","typ":"laminate-bundle+jwt"}`, string(cleared), attackerSign), verifier.ErrBundleForged},
		{"forged/alg-none", b64([]byte(`{"alg":"none","kid":"`+kid+`"}`)) + "." + b64(cleared) + ".", verifier.ErrBundleForged},
		{"forged/hs256-with-public-key", craft(`{"alg":"HS256","kid":"`+kid+`","typ":"laminate-bundle+jwt"}`, string(cleared), func(in []byte) []byte {
			mac := hmac.New(sha256.New, pub)
			mac.Write(in)
			return mac.Sum(nil)
		}), verifier.ErrBundleForged},
		{"forged/es256-under-our-eddsa-kid", craft(`{"alg":"ES256","kid":"`+kid+`","typ":"laminate-bundle+jwt"}`, string(cleared), attackerSign), verifier.ErrBundleForged},
		{"untrusted/no-kid", craft(`{"alg":"EdDSA","typ":"laminate-bundle+jwt"}`, string(cleared), attackerSign), verifier.ErrBundleUntrusted},
		{"malformed/crit", craft(`{"alg":"EdDSA","kid":"`+kid+`","crit":["exp"],"exp":1,"typ":"laminate-bundle+jwt"}`, string(cleared), attackerSign), verifier.ErrBundleMalformed},
		{"malformed/empty", "", verifier.ErrBundleMalformed},
		{"malformed/json-serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, verifier.ErrBundleMalformed},
		{"malformed/too-large", f.jws + strings.Repeat("A", verifier.MaxBundleSize), verifier.ErrBundleMalformed},
		{"malformed/pass-token", f.token, verifier.ErrBundleMalformed},
		{"malformed/untyped-signed-by-our-key", f.signUntyped(t, f.bundle), verifier.ErrBundleMalformed},
		{"malformed/typ-other-document", craft(`{"alg":"EdDSA","kid":"`+kid+`","typ":"laminate-revocations+jwt"}`, string(payloadJSON), attackerSign), verifier.ErrBundleMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := verifier.ParseBundle(tt.jws, f.ring, t0)
			if !errors.Is(err, tt.err) || b != nil {
				t.Fatalf("ParseBundle() = %v, want %v", err, tt.err)
			}
		})
	}
}

// Payloads signed by the trusted key but not a valid bundle are refused
// too: the signature says who wrote it, not that it makes sense.
func TestBundleBadPayloads(t *testing.T) {
	f := newBundleFixture(t, keys.EdDSA)
	other, _ := keys.Init(t.TempDir(), keys.EdDSA, nil, t0)
	otherJWK, _ := json.Marshal(other.JWKS().Keys[0])
	var otherKey map[string]any
	json.Unmarshal(otherJWK, &otherKey)
	ourKey := f.payload(t)["keys"].(map[string]any)["keys"].([]any)[0].(map[string]any)
	with := func(k string, v any) map[string]any {
		m := f.payload(t)
		m[k] = v
		return m
	}
	withKey := func(change func(k map[string]any)) map[string]any {
		k := map[string]any{}
		for n, v := range ourKey {
			k[n] = v
		}
		change(k)
		return with("keys", map[string]any{"keys": []any{k}})
	}
	withEvent := func(change func(e map[string]any)) map[string]any {
		m := f.payload(t)
		change(m["event"].(map[string]any))
		return m
	}
	tests := []struct {
		name    string
		payload map[string]any
	}{
		{"typ/revocation-list", with("typ", "laminate/revocations")},
		{"typ/missing", func() map[string]any { m := f.payload(t); delete(m, "typ"); return m }()},
		{"version/2", with("v", 2)},
		{"unknown-field", with("admin", true)},
		{"iat/zero", with("iat", 0)},
		{"exp/before-iat", with("exp", t0.Add(-time.Hour).Unix())},
		{"exp/string", with("exp", "tomorrow")},
		{"event/missing", with("event", nil)},
		{"event/bad-id", withEvent(func(e map[string]any) { e["id"] = "../etc" })},
		{"event/unknown-field", withEvent(func(e map[string]any) { e["vip_only"] = true })},
		{"event/show-ends-before-start", withEvent(func(e map[string]any) {
			e["schedule"].(map[string]any)["show_end"] = "2026-06-12T18:00:00Z"
		})},
		{"policy/unknown-zone-in-rule", withEvent(func(e map[string]any) {
			e["policy"].(map[string]any)["rules"].(map[string]any)["AAA"] = []any{map[string]any{"zones": []any{"roof"}, "when": []any{"any"}}}
		})},
		{"policy/unknown-window", withEvent(func(e map[string]any) {
			e["policy"].(map[string]any)["rules"].(map[string]any)["AAA"] = []any{map[string]any{"zones": []any{"*"}, "when": []any{"encore"}}}
		})},
		{"revocations/bad-serial", with("revocations", map[string]any{"seq": 1, "serials": []any{"ZZZZZZZZ"}})},
		{"revocations/printed-form", with("revocations", map[string]any{"seq": 1, "serials": []any{f.revoked.Serial.String()}})},
		{"revocations/negative-seq", with("revocations", map[string]any{"seq": -1, "serials": []any{}})},
		{"keys/none", with("keys", map[string]any{"keys": []any{}})},
		{"keys/not-a-set", with("keys", []any{ourKey})},
		{"keys/private-part", withKey(func(k map[string]any) { k["d"] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A" })},
		{"keys/x5u", withKey(func(k map[string]any) { k["x5u"] = "https://evil.example/cert.pem" })},
		{"keys/wrong-alg", withKey(func(k map[string]any) { k["alg"] = "ES256" })},
		{"keys/no-alg", withKey(func(k map[string]any) { delete(k, "alg") })},
		{"keys/use-enc", withKey(func(k map[string]any) { k["use"] = "enc" })},
		{"keys/kid-not-thumbprint", withKey(func(k map[string]any) { k["kid"] = otherKey["kid"] })},
		{"keys/symmetric", with("keys", map[string]any{"keys": []any{map[string]any{"kty": "oct", "k": "c2VjcmV0", "kid": "abcdef", "alg": "HS256"}}})},
		{"keys/twice", with("keys", map[string]any{"keys": []any{ourKey, ourKey}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := verifier.ParseBundle(f.signMap(t, tt.payload), f.ring, t0)
			if !errors.Is(err, verifier.ErrBundleMalformed) || b != nil {
				t.Fatalf("ParseBundle() = %v, want %v", err, verifier.ErrBundleMalformed)
			}
		})
	}
	for _, raw := range []string{`{"typ":"laminate/bundle"} {}`, `[]`, `null`, ``} {
		if _, err := verifier.ParseBundle(f.signRaw(t, []byte(raw)), f.ring, t0); !errors.Is(err, verifier.ErrBundleMalformed) {
			t.Errorf("payload %q: ParseBundle() = %v, want malformed", raw, err)
		}
	}
	// The same payload, re-signed by the trusted key, is fine: the checks
	// above refuse the changes, not the re-signing.
	if _, err := verifier.ParseBundle(f.signMap(t, f.payload(t)), f.ring, t0); err != nil {
		t.Fatalf("unchanged payload re-signed: %v", err)
	}
}

// Offline, a door decides exactly as the online verifier does for the same
// time, over every pass type, zone and phase; only a revoked pass's
// message differs (the list has no reasons).
func TestOfflineMatchesOnline(t *testing.T) {
	f := newBundleFixture(t, keys.EdDSA)
	b, err := verifier.ParseBundle(f.jws, f.ring, t0)
	if err != nil {
		t.Fatal(err)
	}
	off, err := verifier.NewOffline(b)
	if err != nil {
		t.Fatal(err)
	}
	online, _ := verifier.New(verifier.Config{Keys: f.ring, Revocations: f.fixture.revs, Event: event.ID})
	var tokens []string
	for _, ty := range pass.Types {
		req := signer.Request{Type: ty, Name: "Test " + string(ty)}
		if ty == pass.Staff {
			req.Role = "catering"
		}
		iss, err := f.sign.Issue(event, req)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, iss.Token)
	}
	other := *event
	other.ID = "tour26-man02"
	elsewhere, _ := f.sign.Issue(&other, signer.Request{Type: pass.AAA, Name: "Roadie"})
	tokens = append(tokens, f.revoked.Token, elsewhere.Token, "garbage", f.token[:len(f.token)-2]+"AA")
	s := event.Schedule
	times := []time.Time{s.AccessFrom.Add(-time.Minute), s.MeetGreetFrom.Add(time.Minute), s.ShowStart.Add(5 * time.Minute),
		s.ShowStart.Add(time.Hour), s.ShowEnd.Add(time.Minute), s.AccessUntil.Add(time.Hour)}
	n := 0
	for _, tok := range tokens {
		for _, at := range times {
			for _, z := range append(b.Event.Policy.Zones, "roof") {
				on := online.Verify(tok, at)
				online.Access(&on, event, z, at)
				of := off.Verify(tok, at)
				off.Access(&of, z, at)
				if on.Status == verifier.StatusRevoked {
					if of.Status != on.Status || *of.Allowed || of.Code != "revoked" || !errors.Is(of.Err, verifier.ErrRevoked) || of.Revocation != nil {
						t.Fatalf("revoked pass offline = %+v", of)
					}
					continue
				}
				jon, _ := json.Marshal(on)
				jof, _ := json.Marshal(of)
				if string(jon) != string(jof) {
					t.Fatalf("zone %s at %s:\nonline  %s\noffline %s", z, at, jon, jof)
				}
				n++
			}
		}
	}
	t.Logf("%d decisions compared", n)
}

func TestOfflineRevokedAndWrongEvent(t *testing.T) {
	f := newBundleFixture(t, keys.EdDSA)
	b, err := verifier.ParseBundle(f.jws, f.ring, t0)
	if err != nil {
		t.Fatal(err)
	}
	off, _ := verifier.NewOffline(b)
	during := event.Schedule.ShowStart.Add(time.Hour)
	vd := off.Verify(f.revoked.Token, during)
	off.Access(&vd, "green-room", during)
	if vd.Status != verifier.StatusRevoked || !vd.Authentic || *vd.Allowed || !strings.Contains(vd.Message, "revocation list 2") {
		t.Fatalf("revoked pass offline = %s %q allowed=%v", vd.Status, vd.Message, *vd.Allowed)
	}
	vd = off.Verify(f.token, during)
	off.Access(&vd, "stage", during)
	if !vd.Valid() || !*vd.Allowed {
		t.Fatalf("AAA on stage offline = %s %s", vd.Status, vd.Code)
	}
	if _, err := verifier.NewOffline(f.bundle); err == nil {
		t.Fatal("NewOffline() took a bundle that ParseBundle never checked")
	}
}

// Keys come from the bundle once it is trusted: a key retired at the
// office stops verifying at the door even if the door pinned it earlier,
// and a key rotated in verifies passes without the door pinning it.
func TestOfflineKeysFromBundle(t *testing.T) {
	f := newBundleFixture(t, keys.EdDSA)
	oldKID := f.ring.Active().KID
	pinned, err := verifier.ParseJWKS(mustJSON(t, f.ring.JWKS()))
	if err != nil {
		t.Fatal(err)
	}
	// Rotate: the office signs the bundle with the new key, which the
	// door has from its keyring (here: the live ring).
	if _, err := f.ring.Rotate(keys.ES256, nil, t0); err != nil {
		t.Fatal(err)
	}
	js, key, _ := f.ring.Signer(nil)
	sg2 := signer.New(js, key.KID, "lam")
	sg2.Now = func() time.Time { return t0 }
	newPass, _ := sg2.Issue(event, signer.Request{Type: pass.Working, Name: "Lighting Tech"})
	if err := f.ring.Retire(oldKID, t0); err != nil {
		t.Fatal(err)
	}
	nb, _ := verifier.NewBundle(event, f.ring.JWKS(), f.revs, "lam", t0, time.Hour)
	jws, err := sg2.SignDocument(verifier.BundleHeaderType, nb)
	if err != nil {
		t.Fatal(err)
	}
	// The door that pinned only the old key cannot check the new bundle.
	if _, err := verifier.ParseBundle(jws, pinned, t0); !errors.Is(err, verifier.ErrBundleUntrusted) {
		t.Fatalf("ParseBundle(pinned old key) = %v, want untrusted", err)
	}
	b, err := verifier.ParseBundle(jws, f.ring, t0)
	if err != nil {
		t.Fatal(err)
	}
	off, _ := verifier.NewOffline(b)
	if vd := off.Verify(newPass.Token, t0); !vd.Valid() {
		t.Fatalf("pass of the new key = %s", vd.Status)
	}
	if vd := off.Verify(f.token, t0); vd.Status != verifier.StatusUnknownKey {
		t.Fatalf("pass of the retired key = %s, want unknown_key", vd.Status)
	}
}

func TestParseJWKS(t *testing.T) {
	ring, _ := keys.Init(t.TempDir(), keys.ES256, nil, t0)
	ks, err := verifier.ParseJWKS(mustJSON(t, ring.JWKS()))
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := ks.VerifyKey(ring.Active().KID); !ok || k.Alg != keys.ES256 {
		t.Fatalf("VerifyKey() = %+v, %v", k, ok)
	}
	for _, bad := range []string{``, `{}`, `{"keys":[]}`, `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, `[]`, `{"keys":[]} x`,
		strings.Repeat(" ", 70<<10) + `{"keys":[]}`} {
		if _, err := verifier.ParseJWKS([]byte(bad)); err == nil {
			t.Errorf("ParseJWKS(%.40q) succeeded", bad)
		}
	}
}

func TestNewBundleErrors(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	if _, err := verifier.NewBundle(nil, f.ring.JWKS(), nil, "", t0, time.Hour); err == nil {
		t.Error("NewBundle(nil event) succeeded")
	}
	if _, err := verifier.NewBundle(event, f.ring.JWKS(), nil, "", t0, 0); err == nil {
		t.Error("NewBundle(freshness 0) succeeded")
	}
	if _, err := verifier.NewBundle(event, jose.JSONWebKeySet{}, nil, "", t0, time.Hour); err == nil {
		t.Error("NewBundle(no keys) succeeded")
	}
}

// The bundle for an event with 1,000 revoked passes (the passes themselves
// are not in it: tokens carry everything else). The goal is under 100 KB;
// server/bundle_test.go measures the same through the store and the API.
func TestBundleSize(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	var revs []record.Revocation
	for i := range 1000 {
		s, _ := pass.NewSerial(nil)
		revs = append(revs, record.Revocation{Seq: int64(i + 1), Serial: s, Event: event.ID})
	}
	b, err := verifier.NewBundle(event, f.ring.JWKS(), revs, "lam", t0, verifier.DefaultBundleFreshness)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := f.sign.SignDocument(verifier.BundleHeaderType, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bundle with 1,000 revocations: %d bytes (%.1f KB)", len(jws), float64(len(jws))/1000)
	if len(jws) >= 100_000 {
		t.Errorf("bundle is %d bytes, goal < 100 KB", len(jws))
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The office signs a bundle while online; a door that trusts the office's
// keys decides from it alone when the network is gone.
func ExampleParseBundle() {
	dir, _ := os.MkdirTemp("", "laminate-example-")
	defer os.RemoveAll(dir)
	show := time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("CET", 3600))
	made := show.Add(-6 * time.Hour)
	ring, _ := keys.Init(dir, keys.EdDSA, nil, made)
	js, key, _ := ring.Signer(nil)
	sg := signer.New(js, key.KID, "lam")
	sg.Now = func() time.Time { return made }
	ev := &pass.Event{ID: "tour27-ber01", Name: "Tour — Berlin", Schedule: pass.Schedule{ShowStart: show, ShowEnd: show.Add(3 * time.Hour)}}
	_ = ev.Validate()
	vip, _ := sg.Issue(ev, signer.Request{Type: pass.VIP, Name: "Zoë"})
	lost, _ := sg.Issue(ev, signer.Request{Type: pass.AAA, Name: "Lost Card"})
	revs := []record.Revocation{{Seq: 7, Serial: lost.Serial, Event: ev.ID, Category: pass.RevokeLost, At: made}}

	// At the office: the bundle, fresh for the night.
	b, _ := verifier.NewBundle(ev, ring.JWKS(), revs, "lam", made, 12*time.Hour)
	jws, _ := sg.SignDocument(verifier.BundleHeaderType, b)

	// At the door: checked with the keys it trusts, then used alone.
	at := show.Add(time.Hour)
	door, err := verifier.ParseBundle(jws, ring, at)
	if err != nil {
		fmt.Println(err)
		return
	}
	off, _ := verifier.NewOffline(door)
	for _, tok := range []string{vip.Token, lost.Token} {
		vd := off.Verify(tok, at)
		off.Access(&vd, "green-room", at)
		fmt.Println(vd.Status, *vd.Allowed, vd.Code)
	}
	fmt.Println("revocation list", door.Revocations.Seq, "age", door.Age(at))

	// The next morning the bundle is stale: the door refuses to decide.
	_, err = verifier.ParseBundle(jws, ring, show.Add(24*time.Hour))
	fmt.Println(errors.Is(err, verifier.ErrBundleExpired))
	// Output:
	// valid true ok
	// revoked false revoked
	// revocation list 7 age 7h0m0s
	// true
}

func TestDecideOffline(t *testing.T) {
	f := newBundleFixture(t, keys.EdDSA)
	b, err := verifier.ParseBundle(f.jws, f.ring, t0)
	if err != nil {
		t.Fatal(err)
	}
	during := event.Schedule.ShowStart.Add(time.Hour)
	zone := pass.Zone("stage")
	ov, err := verifier.DecideOffline(b, f.token, &zone, during)
	if err != nil {
		t.Fatal(err)
	}
	if !ov.Valid() || ov.Allowed == nil || !*ov.Allowed || ov.Bundle != b.Info(during) {
		t.Errorf("DecideOffline = %+v", ov)
	}
	ov, err = verifier.DecideOffline(b, f.revoked.Token, nil, during)
	if err != nil || ov.Status != verifier.StatusRevoked || ov.Allowed != nil {
		t.Errorf("DecideOffline(revoked, no zone) = %+v, %v", ov, err)
	}
	if _, err := verifier.DecideOffline(f.bundle, f.token, nil, during); err == nil {
		t.Error("DecideOffline took a bundle that ParseBundle never checked")
	}
}
