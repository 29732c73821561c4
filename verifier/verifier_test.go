package verifier_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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

var (
	t0    = time.Date(2026, 6, 12, 12, 0, 0, 0, time.UTC)
	event = &pass.Event{ID: "tour26-ldn01", Name: "Test Tour", Schedule: pass.Schedule{
		ShowStart: time.Date(2026, 6, 12, 19, 0, 0, 0, time.UTC), ShowEnd: time.Date(2026, 6, 12, 21, 30, 0, 0, time.UTC)}}
)

func init() {
	if err := event.Validate(); err != nil {
		panic(err)
	}
}

type fixture struct {
	ring  *keys.Keyring
	sign  *signer.Signer
	revs  *verifier.RevocationSet
	v     *verifier.Verifier
	token string
	pass  record.Issued
}

func newFixture(t testing.TB, alg jose.SignatureAlgorithm) *fixture {
	t.Helper()
	ring, err := keys.Init(t.TempDir(), alg, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	js, key, err := ring.Signer(nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ring: ring, sign: signer.New(js, key.KID, "lam"), revs: verifier.NewRevocationSet()}
	f.sign.Now = func() time.Time { return t0 }
	f.v, err = verifier.New(verifier.Config{Keys: ring, Revocations: f.revs})
	if err != nil {
		t.Fatal(err)
	}
	f.pass, err = f.sign.Issue(event, signer.Request{Type: pass.AAA, Name: "Abcdefghij Klmnopqrs"})
	if err != nil {
		t.Fatal(err)
	}
	f.token = f.pass.Token
	return f
}

func TestVerifyStatuses(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	late, err := f.sign.Issue(event, signer.Request{Type: pass.AfterShow, Name: "Zoë", ValidFrom: t0.Add(8 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	revoked, _ := f.sign.Issue(event, signer.Request{Type: pass.VIP, Name: "Lost Card"})
	f.revs.Add(record.Revocation{Seq: 1, Serial: revoked.Serial, Category: pass.RevokeLost, At: t0})
	other := *event
	other.ID = "tour26-man02"
	elsewhere, _ := f.sign.Issue(&other, signer.Request{Type: pass.AAA, Name: "Roadie"})
	doorV, _ := verifier.New(verifier.Config{Keys: f.ring, Revocations: f.revs, Event: event.ID})

	tests := []struct {
		name      string
		v         *verifier.Verifier
		token     string
		at        time.Time
		status    verifier.Status
		authentic bool
		err       error
	}{
		{"ok/valid", f.v, f.token, t0, verifier.StatusValid, true, nil},
		{"ok/scanner-crlf", f.v, "  " + f.token + " \r\n", t0, verifier.StatusValid, true, nil},
		{"ok/numeric-form", f.v, numeric(t, f.token) + "\r\n", t0, verifier.StatusValid, true, nil},
		{"ok/compact-form", f.v, compact(t, f.token) + "\r\n", t0, verifier.StatusValid, true, nil},
		{"forged/compact-last-digit", f.v, lastDigitPlusOne(compact(t, f.token)), t0, verifier.StatusForged, false, verifier.ErrForged},
		{"malformed/compact-truncated", f.v, compact(t, f.token)[:200], t0, verifier.StatusMalformed, false, verifier.ErrMalformed},
		{"malformed/compact-version-2", f.v, "92" + compact(t, f.token)[2:], t0, verifier.StatusMalformed, false, verifier.ErrMalformed},
		{"malformed/numeric-odd", f.v, numeric(t, f.token)[1:], t0, verifier.StatusMalformed, false, verifier.ErrMalformed},
		{"malformed/numeric-out-of-range", f.v, "99" + numeric(t, f.token), t0, verifier.StatusMalformed, false, verifier.ErrMalformed},
		{"ok/within-leeway", f.v, f.token, event.Schedule.AccessUntil.Add(time.Minute), verifier.StatusValid, true, nil},
		{"expired/after-access", f.v, f.token, event.Schedule.AccessUntil.Add(time.Hour), verifier.StatusExpired, true, verifier.ErrExpired},
		{"not-yet-valid/valid-from", f.v, late.Token, t0, verifier.StatusNotYetValid, true, verifier.ErrNotYetValid},
		{"revoked/lost", f.v, revoked.Token, t0, verifier.StatusRevoked, true, verifier.ErrRevoked},
		{"wrong-event/door", doorV, elsewhere.Token, t0, verifier.StatusWrongEvent, true, verifier.ErrWrongEvent},
		{"ok/other-event-without-door", f.v, elsewhere.Token, t0, verifier.StatusValid, true, nil},
		{"malformed/tab", f.v, f.token + "\t", t0, verifier.StatusMalformed, false, verifier.ErrMalformed},
		{"malformed/inner-space", f.v, f.token[:20] + " " + f.token[20:], t0, verifier.StatusMalformed, false, verifier.ErrMalformed},
		{"malformed/empty", f.v, "", t0, verifier.StatusMalformed, false, verifier.ErrMalformed},
		{"malformed/url", f.v, "https://example.com/pass/123", t0, verifier.StatusMalformed, false, verifier.ErrMalformed},
		{"malformed/too-long", f.v, f.token + strings.Repeat(" ", verifier.MaxTokenSize), t0, verifier.StatusMalformed, false, verifier.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vd := tt.v.Verify(tt.token, tt.at)
			if vd.Status != tt.status || vd.Authentic != tt.authentic || !errors.Is(vd.Err, tt.err) || vd.Message == "" {
				t.Fatalf("Verify() = %s authentic=%v err=%v msg=%q, want %s authentic=%v err=%v", vd.Status, vd.Authentic, vd.Err, vd.Message, tt.status, tt.authentic, tt.err)
			}
			if (vd.NextStep == "") != (tt.status == verifier.StatusValid) { // issue 11: every refusal says what to do next
				t.Fatalf("Verify() %s: next step %q, want one exactly when not valid", vd.Status, vd.NextStep)
			}
			if tt.authentic && (vd.Serial == "" || vd.Name == "" || vd.Event == "" || vd.ExpiresAt.IsZero()) {
				t.Fatalf("Verify() = %+v, want the pass fields filled", vd)
			}
		})
	}
}

func TestVerifyRotationAndRetirement(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	old := f.ring.Active()
	if _, err := f.ring.Rotate(keys.ES256, nil, t0); err != nil {
		t.Fatal(err)
	}
	js, key, err := f.ring.Signer(nil)
	if err != nil {
		t.Fatal(err)
	}
	s2 := signer.New(js, key.KID, "lam")
	s2.Now = func() time.Time { return t0 }
	newer, err := s2.Issue(event, signer.Request{Type: pass.Working, Name: "Lighting Tech"})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"old": f.token, "new": newer.Token} {
		if vd := f.v.Verify(tok, t0); vd.Status != verifier.StatusValid {
			t.Fatalf("after rotate, %s token: Verify() = %s (%v)", name, vd.Status, vd.Err)
		}
	}
	if err := f.ring.Retire(old.KID, t0); err != nil {
		t.Fatal(err)
	}
	if vd := f.v.Verify(f.token, t0); vd.Status != verifier.StatusUnknownKey || vd.Authentic {
		t.Fatalf("after retire: Verify(old) = %s authentic=%v, want unknown_key", vd.Status, vd.Authentic)
	}
	if vd := f.v.Verify(newer.Token, t0); vd.Status != verifier.StatusValid {
		t.Fatalf("after retire: Verify(new) = %s (%v)", vd.Status, vd.Err)
	}
}

// Every change of one byte of a real token, and every CR or LF slipped
// inside it, must never give a valid verdict, and never panic. Names of
// three lengths give payload segments of every length mod 4, so the unused
// bits of each segment's last character are exercised too.
func TestVerifyTamperEveryByte(t *testing.T) {
	const b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for _, alg := range []jose.SignatureAlgorithm{keys.EdDSA, keys.ES256} {
		f := newFixture(t, alg)
		for _, name := range []string{"Ann", "Anna", "Annie"} {
			iss, err := f.sign.Issue(event, signer.Request{Type: pass.AAA, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			tok := iss.Token
			segEnd := map[int]bool{len(tok) - 1: true, len(tok) - 2: true}
			for i := 0; i < len(tok); i++ {
				if tok[i] == '.' {
					segEnd[i-1], segEnd[i-2] = true, true
				}
			}
			check := func(what, bad string) {
				if vd := f.v.Verify(bad, t0); vd.Status == verifier.StatusValid {
					t.Fatalf("%s %s: %s: Verify() = valid", alg, name, what)
				}
			}
			for i := 0; i < len(tok); i++ {
				repl := "AQgz_-.=+/ \x00\xff\r\n\t"
				if segEnd[i] {
					repl += b64chars
				}
				for _, c := range []byte(repl) {
					if tok[i] != c {
						check(fmt.Sprintf("byte %d changed to %q", i, c), tok[:i]+string(c)+tok[i+1:])
					}
				}
				if i > 0 {
					check(fmt.Sprintf("CR LF inserted at %d", i), tok[:i]+"\r\n"+tok[i:])
					check(fmt.Sprintf("LF inserted at %d", i), tok[:i]+"\n"+tok[i:])
				}
			}
		}
	}
}

// b64 encodes a JWS segment.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func craft(header, payload string, sign func(input []byte) []byte) string {
	in := b64([]byte(header)) + "." + b64([]byte(payload))
	return in + "." + b64(sign([]byte(in)))
}

func TestVerifyAttackTokens(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	kid := f.ring.Active().KID
	pub := f.ring.Active().Public.(ed25519.PublicKey)
	parts := strings.Split(f.token, ".")
	payloadJSON, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload := string(payloadJSON)
	_, attackerKey, _ := ed25519.GenerateKey(rand.Reader)
	attackerSign := func(in []byte) []byte { return ed25519.Sign(attackerKey, in) }
	attackerJWK, _ := json.Marshal(jose.JSONWebKey{Key: attackerKey.Public(), KeyID: kid})
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	esSigner, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: ecKey, KeyID: kid}}, nil)
	esJWS, _ := esSigner.Sign(payloadJSON)
	esToken, _ := esJWS.CompactSerialize()
	onlyEd, _ := verifier.New(verifier.Config{Keys: f.ring, Revocations: f.revs, Algorithms: []jose.SignatureAlgorithm{jose.EdDSA}})

	tests := []struct {
		name   string
		v      *verifier.Verifier
		token  string
		status verifier.Status
	}{
		{"forged/alg-none", f.v, b64([]byte(`{"alg":"none","kid":"`+kid+`"}`)) + "." + parts[1] + ".", verifier.StatusForged},
		{"forged/alg-none-no-sig-part", f.v, b64([]byte(`{"alg":"none"}`)) + "." + parts[1], verifier.StatusMalformed},
		{"forged/hs256-with-public-key", f.v, craft(`{"alg":"HS256","kid":"`+kid+`"}`, payload, func(in []byte) []byte {
			m := hmac.New(sha256.New, pub)
			m.Write(in)
			return m.Sum(nil)
		}), verifier.StatusForged},
		{"forged/es256-when-only-eddsa", onlyEd, esToken, verifier.StatusForged},
		{"forged/es256-under-our-eddsa-kid", f.v, esToken, verifier.StatusForged},
		{"forged/attacker-key-our-kid", f.v, craft(`{"alg":"EdDSA","kid":"`+kid+`"}`, payload, attackerSign), verifier.StatusForged},
		{"forged/embedded-jwk", f.v, craft(`{"alg":"EdDSA","kid":"`+kid+`","jwk":`+string(attackerJWK)+`}`, payload, attackerSign), verifier.StatusForged},
		{"forged/x5u", f.v, craft(`{"alg":"EdDSA","kid":"`+kid+`","x5u":"https://evil.example/cert.pem"}`, payload, attackerSign), verifier.StatusForged},
		{"malformed/x5c-garbage", f.v, craft(`{"alg":"EdDSA","kid":"`+kid+`","x5c":["AAAA"]}`, payload, attackerSign), verifier.StatusMalformed},
		{"forged/jku", f.v, craft(`{"alg":"EdDSA","kid":"`+kid+`","jku":"https://evil.example/jwks.json"}`, payload, attackerSign), verifier.StatusForged},
		{"unknown-key/attacker-kid", f.v, craft(`{"alg":"EdDSA","kid":"evil01"}`, payload, attackerSign), verifier.StatusUnknownKey},
		{"unknown-key/no-kid", f.v, craft(`{"alg":"EdDSA"}`, payload, attackerSign), verifier.StatusUnknownKey},
		{"unknown-key/kid-path", f.v, craft(`{"alg":"EdDSA","kid":"../../etc/passwd"}`, payload, attackerSign), verifier.StatusUnknownKey},
		{"unknown-key/kid-sql", f.v, craft(`{"alg":"EdDSA","kid":"x' OR '1'='1"}`, payload, attackerSign), verifier.StatusUnknownKey},
		{"malformed/crit-empty", f.v, craft(`{"alg":"EdDSA","kid":"`+kid+`","crit":[]}`, payload, attackerSign), verifier.StatusMalformed},
		{"malformed/crit-unknown", f.v, craft(`{"alg":"EdDSA","kid":"`+kid+`","crit":["exp"],"exp":1}`, payload, attackerSign), verifier.StatusMalformed},
		{"malformed/duplicate-alg", f.v, craft(`{"alg":"EdDSA","alg":"EdDSA","kid":"`+kid+`"}`, payload, attackerSign), verifier.StatusMalformed},
		{"malformed/jwe-5-parts", f.v, "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ", verifier.StatusMalformed},
		{"malformed/dots-8mib", f.v, strings.Repeat(".", 8<<20), verifier.StatusMalformed},
		{"malformed/json-serialization", f.v, `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, verifier.StatusMalformed},
		{"malformed/std-base64", f.v, strings.NewReplacer("-", "+", "_", "/").Replace(f.token) + "+", verifier.StatusMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vd := tt.v.Verify(tt.token, t0)
			if vd.Status != tt.status || vd.Authentic {
				t.Fatalf("Verify() = %s authentic=%v (%v), want %s, not authentic", vd.Status, vd.Authentic, vd.Err, tt.status)
			}
		})
	}
}

func TestNewRefusesWeakAlgorithms(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	for _, alg := range []jose.SignatureAlgorithm{"none", jose.HS256, jose.RS256} {
		if _, err := verifier.New(verifier.Config{Keys: f.ring, Revocations: f.revs, Algorithms: []jose.SignatureAlgorithm{alg}}); err == nil {
			t.Errorf("New(Algorithms: %s) succeeded, want error", alg)
		}
	}
	if _, err := verifier.New(verifier.Config{Keys: f.ring}); err == nil {
		t.Error("New() without Revocations succeeded, want error")
	}
}

func TestAccess(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	during := event.Schedule.ShowStart.Add(time.Hour)
	vd := f.v.Verify(f.token, during)
	f.v.Access(&vd, event, "stage", during)
	if vd.Allowed == nil || !*vd.Allowed || vd.Code != "ok" || vd.Phase != pass.During {
		t.Fatalf("Access(AAA, stage, during) = %+v", vd)
	}
	expired := f.v.Verify(f.token, event.Schedule.AccessUntil.Add(time.Hour))
	f.v.Access(&expired, event, "stage", during)
	if *expired.Allowed || expired.Code != "expired" || expired.Reason == "" {
		t.Fatalf("Access(expired) = %+v", expired)
	}
	unknown := f.v.Verify(f.token, during)
	f.v.Access(&unknown, nil, "stage", during)
	if *unknown.Allowed || unknown.Code != "unknown_event" || unknown.NextStep == "" {
		t.Fatalf("Access(no event) = %+v", unknown)
	}
}

// TestNextSteps: each refusal at a door says what to do next (issue 11),
// the same words for the same status, and a policy refusal brings the
// policy's own next step.
func TestNextSteps(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	during := event.Schedule.ShowStart.Add(time.Hour)
	late, _ := f.sign.Issue(event, signer.Request{Type: pass.AAA, Name: "Early Bird", ValidFrom: event.Schedule.ShowStart})
	revoked, _ := f.sign.Issue(event, signer.Request{Type: pass.VIP, Name: "Lost Card"})
	f.revs.Add(record.Revocation{Seq: 1, Serial: revoked.Serial, Category: pass.RevokeLost, At: t0})
	vip, _ := f.sign.Issue(event, signer.Request{Type: pass.VIP, Name: "Guest"})
	tests := []struct {
		name, token string
		at          time.Time
		zone        pass.Zone
		code, next  string
	}{
		{"ok", f.token, during, "stage", "ok", ""},
		{"revoked", revoked.Token, during, "stage", "revoked", "Keep the pass and call the production office"},
		{"forged", f.token[:len(f.token)-6] + "AAAAAA", during, "stage", "forged", "Scan once more; if refused again, keep the pass and call security"},
		{"malformed", "hello", during, "stage", "malformed", "Scan once more; if it fails again, send to the accreditation desk"},
		{"expired", f.token, event.Schedule.AccessUntil.Add(time.Hour), "stage", "expired", "Send to the accreditation desk for a new pass"},
		{"not-yet-valid/event-time", late.Token, t0, "stage", "not_yet_valid", "Not before 19:00: ask them to come back then"},
		{"policy/zone-not-allowed", vip.Token, during, "stage", "zone_not_allowed", "Turn away; send to the accreditation desk if they need stage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vd := f.v.Verify(tt.token, tt.at)
			f.v.Access(&vd, event, tt.zone, tt.at)
			if string(vd.Code) != tt.code || vd.NextStep != tt.next {
				t.Fatalf("Access() = %s, next step %q; want %s, %q", vd.Code, vd.NextStep, tt.code, tt.next)
			}
		})
	}
	if vd := f.v.VerdictAt(f.v.Verify(f.token, t0), event.Schedule.AccessUntil.Add(time.Hour)); vd.Status != verifier.StatusExpired ||
		vd.NextStep != "Send to the accreditation desk for a new pass" {
		t.Fatalf("VerdictAt, expired since: %s, next step %q", vd.Status, vd.NextStep)
	}
	stranger := newFixture(t, keys.EdDSA)
	if vd := f.v.Verify(stranger.token, t0); vd.Status != verifier.StatusUnknownKey || vd.NextStep != "Send to the accreditation desk" {
		t.Fatalf("unknown key: %s, next step %q", vd.Status, vd.NextStep)
	}
	other := *event
	other.ID = "tour26-man02"
	elsewhere, _ := f.sign.Issue(&other, signer.Request{Type: pass.AAA, Name: "Roadie"})
	doorV, _ := verifier.New(verifier.Config{Keys: f.ring, Revocations: f.revs, Event: event.ID})
	if vd := doorV.Verify(elsewhere.Token, t0); vd.Status != verifier.StatusWrongEvent || vd.NextStep != "Send to the accreditation desk" {
		t.Fatalf("wrong event: %s, next step %q", vd.Status, vd.NextStep)
	}
}

// Token sizes per pass type, for the issue's budget: an AAA pass with a
// 20-character name and a 12-character event id is at most 270 characters.
func TestTokenSizes(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	for _, ty := range pass.Types {
		req := signer.Request{Type: ty, Name: "Abcdefghij Klmnopqrs"}
		if ty == pass.Staff {
			req.Role = "catering"
		}
		iss, err := f.sign.Issue(event, req)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-10s %d characters", ty, len(iss.Token))
		if ty != pass.Staff && len(iss.Token) > 270 {
			t.Errorf("%s token is %d characters, budget 270", ty, len(iss.Token))
		}
	}
}

// The signature's last base64url character has unused low bits: a token
// whose only change is in those bits decodes to the same signature, and
// must still be refused (one pass, one byte string).
func TestVerifyNonCanonicalSignature(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, f.token[len(f.token)-1])
	for low := 1; low < 16; low++ {
		tok := f.token[:len(f.token)-1] + string(alphabet[last&^0x0f|low])
		if vd := f.v.Verify(tok, t0); vd.Status != verifier.StatusMalformed {
			t.Fatalf("last character %q: Verify() = %s, want malformed", tok[len(tok)-1], vd.Status)
		}
	}
}

func compact(t *testing.T, tok string) string {
	t.Helper()
	c, err := pass.EncodeCompact(tok)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func lastDigitPlusOne(s string) string {
	return s[:len(s)-1] + string('0'+(s[len(s)-1]-'0'+1)%10)
}

func numeric(t *testing.T, tok string) string {
	t.Helper()
	n, err := pass.EncodeNumeric(tok)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRevokedShowsTheCategoryOnly: a door reads why a pass was revoked as
// a category; the office's note is not kept in the set and never reaches
// a verdict (issue 11, item 7).
func TestRevokedShowsTheCategoryOnly(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	tests := []struct {
		name  string
		cat   pass.RevokeCategory
		label string
	}{
		{"stolen", pass.RevokeStolen, "reported stolen"},
		{"lost", pass.RevokeLost, "reported lost"},
		{"replaced", pass.RevokeReplaced, "replaced by a new pass"},
		{"misuse", pass.RevokeMisuse, "withdrawn for misuse"},
		{"other", pass.RevokeOther, "withdrawn by the office"},
		{"none-given", "", "withdrawn by the office"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.sign.Issue(event, signer.Request{Type: pass.VIP, Name: "Holder"})
			if err != nil {
				t.Fatal(err)
			}
			f.revs.Add(record.Revocation{Seq: int64(i + 1), Serial: p.Serial, Category: tt.cat, Note: "J. Smith, 07700 900123", At: t0})
			if r, _ := f.revs.Revoked(p.Serial); r.Note != "" {
				t.Errorf("the set keeps the note %q", r.Note)
			}
			vd := f.v.Verify(p.Token, t0)
			want := tt.cat
			if want == "" {
				want = pass.RevokeOther
			}
			if vd.Status != verifier.StatusRevoked || vd.Revocation == nil || vd.Revocation.Reason != want || !strings.HasSuffix(vd.Message, ": "+tt.label) {
				t.Fatalf("Verify() = %s %+v %q, want revoked, %s, %q", vd.Status, vd.Revocation, vd.Message, want, tt.label)
			}
			js, _ := json.Marshal(vd)
			if strings.Contains(string(js)+vd.Err.Error(), "Smith") {
				t.Errorf("verdict holds the note: %s / %v", js, vd.Err)
			}
		})
	}
}

// A node's own revocation added at once must not make the next sync skip
// a revocation made elsewhere with a lower sequence number.
func TestRevocationSetAddKeepsSyncPosition(t *testing.T) {
	s := verifier.NewRevocationSet()
	a, _ := pass.NewSerial(nil)
	s.Add(record.Revocation{Seq: 7, Serial: a, Category: pass.RevokeOther, Note: "mine"})
	if s.Seq() != 0 {
		t.Fatalf("Seq() after Add = %d, want 0 (only Sync moves it)", s.Seq())
	}
	if _, ok := s.Revoked(a); !ok {
		t.Fatal("added revocation not in the set")
	}
}

// TestVerifyNameText: a token we signed whose text can reverse what door
// staff read (a right-to-left override in the name) is not a pass; one
// printed before the text rules with an invisible but harmless character
// keeps admitting its holder (issue 11, item 7).
func TestVerifyNameText(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	js, _, err := f.ring.Signer(nil)
	if err != nil {
		t.Fatal(err)
	}
	mint := func(name, org string) string { // as an issuer of before the rules would have
		c := f.pass.Claims()
		c.Name, c.Org = name, org
		b, _ := json.Marshal(c)
		jws, err := js.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := jws.CompactSerialize()
		return tok
	}
	tests := []struct {
		name, holder, org string
		status            verifier.Status
	}{
		{"valid/persian-zwnj", "می\u200cخواهم", "", verifier.StatusValid},
		{"valid/legacy-zero-width-space", "Bo\u200bb", "", verifier.StatusValid},
		{"valid/legacy-latin-zwj", "Bo\u200db", "", verifier.StatusValid},
		{"malformed/rlo-in-name", "Mallory\u202eyxe.exe", "", verifier.StatusMalformed},
		{"malformed/rli-in-name", "Mallory\u2067yxe", "", verifier.StatusMalformed},
		{"malformed/rlo-in-org", "Mallory", "Crew\u202eLtd", verifier.StatusMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vd := f.v.Verify(mint(tt.holder, tt.org), t0)
			if vd.Status != tt.status || !vd.Authentic {
				t.Fatalf("Verify(name %q, org %q) = %s authentic=%v (%v), want %s", tt.holder, tt.org, vd.Status, vd.Authentic, vd.Err, tt.status)
			}
			if tt.status == verifier.StatusValid && vd.Name != tt.holder {
				t.Errorf("Verify() name = %q, want %q", vd.Name, tt.holder)
			}
			if tt.status != verifier.StatusValid && (vd.Name != "" || strings.Contains(vd.Message, "Mallory")) {
				t.Errorf("Verify() of a refused name shows it: %+v", vd)
			}
		})
	}
}
