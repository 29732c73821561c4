package verifier_test

// Vectors for offline doors (issue 10, item 5): this program's answers,
// written to testdata/offline/vectors.json for server/offline_test.mjs,
// which checks the door page's engine (server/static/offline.js) against
// every one of them with Node on every "make test". A rule changed here and
// not followed by the page fails there; a rule changed here and not
// written out fails TestOfflineVectors.

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/internal/testevents"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/verifier"
)

var updateVectors = flag.Bool("update", false, "rewrite ../testdata/offline/vectors.json (go test ./verifier -run TestOfflineVectors -update)")

const vectorsFile = "../testdata/offline/vectors.json"

// The file's shape; server/offline_test.mjs reads it. Times are Unix
// milliseconds, as the page has them.
type (
	offlineVectors struct {
		Comment string                        `json:"comment"`
		Keysets map[string]jose.JSONWebKeySet `json:"keysets"` // JWK sets a door pinned, by name
		Bundle  string                        `json:"bundle"`  // the bundle, signed by a key of keysets.door; clone window 30s
		Tokens  []tokenVector                 `json:"tokens"`
		Bundles []bundleVector                `json:"bundles"`
		States  []stateVector                 `json:"states"`
		Doors   []doorVector                  `json:"doors"`
		Policy  policyVectors                 `json:"policy"`
		// Transport: QR transport forms and the JWS each decodes to ("":
		// refused), for offline.js's fromTransport.
		Transport []transportVector `json:"transport"`
	}
	transportVector struct {
		Name  string `json:"name"`
		Form  string `json:"form"`
		Token string `json:"token"`
	}
	// tokenVector: Offline.Verify at At, and the door's answer (Verify,
	// Access, DecideScan with no earlier scan) at gate north, zone Zone, "in".
	tokenVector struct {
		Name    string        `json:"name"`
		Token   string        `json:"token"`
		At      int64         `json:"at"`
		Zone    string        `json:"zone"`
		Verdict verdictVector `json:"verdict"`
		Door    answerVector  `json:"door"`
	}
	verdictVector struct {
		Authentic bool   `json:"authentic"`
		Status    string `json:"status"`
		Message   string `json:"message"`
		NextStep  string `json:"next_step"`
		Serial    string `json:"serial"`
		KID       string `json:"kid"`
		// The message as a text key with parameters (verifier.TextKeys).
		MessageKey    string      `json:"message_key"`
		MessageParams pass.Params `json:"message_params"`
	}
	answerVector struct {
		Decision record.Decision `json:"decision"`
		Code     string          `json:"code"`
		Reason   string          `json:"reason"`
		NextStep string          `json:"next_step"`
		Status   string          `json:"status"`
		Phase    string          `json:"phase"`
		Pass     *passVector     `json:"pass"`
		// The reason and the next step as text keys with parameters.
		ReasonKey    string      `json:"reason_key"`
		ReasonParams pass.Params `json:"reason_params"`
		NextKey      string      `json:"next_key"`
		NextParams   pass.Params `json:"next_params"`
	}
	passVector struct {
		Serial string `json:"serial"`
		Type   string `json:"type"`
		Label  string `json:"label"`
		Role   string `json:"role"`
		Name   string `json:"name"`
		Org    string `json:"org"`
		Event  string `json:"event"`
	}
	// bundleVector: ParseBundle with the pinned keyset, at the bundle
	// vectors' time; want is accepted, malformed, forged or untrusted.
	bundleVector struct {
		Name   string `json:"name"`
		JWS    string `json:"jws"`
		Pinned string `json:"pinned"`
		At     int64  `json:"at"`
		Want   string `json:"want"`
	}
	// stateVector: the main bundle at At is fresh, expired or future.
	stateVector struct {
		At   int64  `json:"at"`
		Want string `json:"want"`
	}
	// doorVector: scans of one token in order, each decided against the
	// last one the sequence admitted (as the page remembers who is inside).
	doorVector struct {
		Name  string       `json:"name"`
		Token string       `json:"token"`
		Steps []stepVector `json:"steps"`
	}
	stepVector struct {
		Gate      string       `json:"gate"`
		Zone      string       `json:"zone"`
		Direction string       `json:"direction"`
		At        int64        `json:"at"`
		Want      answerVector `json:"want"`
	}
	// policyVectors: pass.Event.Decide for every holder, zone and moment
	// of each event, with the main bundle's door rules. Each event has one
	// string per holder; in it, zone after zone and moment after moment, two
	// base-36 digits index Answers ("allowed|code|phase|reason|next_step|
	// reason_key|reason_params|next_key|next_params", the parameters as JSON
	// with sorted keys).
	policyVectors struct {
		Holders []testevents.Holder `json:"holders"`
		Zones   []pass.Zone         `json:"zones"`
		Moments []int64             `json:"moments"`
		Events  []policyEvent       `json:"events"`
		Answers []string            `json:"answers"`
	}
	policyEvent struct {
		Event     *pass.Event `json:"event"`     // as a bundle carries it: the policy written out
		Decisions []string    `json:"decisions"` // one string per holder: per zone and moment, the answer's index in two base-36 digits
	}
)

// TestOfflineVectors makes the vectors and compares them with the file,
// byte for byte; with -update it writes the file. Randomness (keys,
// serials, ES256 signatures) comes from a fixed seed, so the same rules
// give the same file. Should a Go release change how ECDSA draws its
// randomness, the file changes with no rule changed: run -update.
func TestOfflineVectors(t *testing.T) {
	got := makeVectors(t)
	if *updateVectors {
		if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d bytes", vectorsFile, len(got))
		return
	}
	want, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatalf("%v (make it with: go test ./verifier -run TestOfflineVectors -update)", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		from := max(0, i-120)
		t.Fatalf("%s is out of date: the Go rules answer otherwise from byte %d\n  file %q\n  Go   %q\n"+
			"rewrite it with: go test ./verifier -run TestOfflineVectors -update (then run make jstest)",
			vectorsFile, i, want[from:min(len(want), i+120)], got[from:min(len(got), i+120)])
	}
}

// The window of the bundle in the vectors: not the default, so that a page
// that used a window of its own fails the clone sequences.
const vectorCloneWindow = 30 * time.Second

func makeVectors(t *testing.T) []byte {
	cryptotest.SetGlobalRandom(t, 10_5) // issue 10, item 5
	cest := time.FixedZone("CEST", 2*3600)
	show := time.Date(2027, 9, 18, 20, 0, 0, 0, cest)
	made := show.Add(-6 * time.Hour) // the bundle
	at := show.Add(time.Hour)        // the tokens' scans: during the show
	ev := &pass.Event{ID: "tour27-ber01", Name: "Tour — Berlin", Venue: "Columbiahalle",
		Schedule: pass.Schedule{ShowStart: show, ShowEnd: show.Add(3 * time.Hour)}}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}

	ringOf := func(alg jose.SignatureAlgorithm) (*keys.Keyring, *signer.Signer) {
		ring, err := keys.Init(t.TempDir(), alg, nil, made)
		if err != nil {
			t.Fatal(err)
		}
		js, key, err := ring.Signer(nil)
		if err != nil {
			t.Fatal(err)
		}
		sg := signer.New(js, key.KID, "lam")
		sg.Now = func() time.Time { return made }
		return ring, sg
	}
	office, sg := ringOf(keys.EdDSA)       // signs passes and the bundle; the door pinned it
	esRing, esSigner := ringOf(keys.ES256) // a second key of the service, in the bundle
	_, stranger := ringOf(keys.EdDSA)      // a key the door never heard of
	raw := newDocKey(t)                    // a key of the bundle's that signs any header

	serial := func(data string) pass.Serial { return mustSerial(t, data) }
	mint := func(sg *signer.Signer, p pass.Pass) string {
		t.Helper()
		if p.Event == "" {
			p.Event = ev.ID
		}
		if p.ValidUntil.IsZero() {
			p.ValidUntil = show.Add(12 * time.Hour)
		}
		p.Issuer = "lam"
		tok, err := sg.Sign(&p)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// rawToken signs claims as they are (no checks) under any header, with
	// the bundle's raw key.
	rawToken := func(header string, claims any) string {
		c, err := json.Marshal(claims)
		if err != nil {
			t.Fatal(err)
		}
		return craft(header, string(c), func(in []byte) []byte { return ed25519.Sign(raw.priv, in) })
	}
	rawHeader := `{"alg":"EdDSA","kid":"` + raw.key.KID + `"}`
	rawPass := func(p pass.Pass) pass.Claims {
		if p.Event == "" {
			p.Event = ev.ID
		}
		p.ValidUntil, p.Issuer = show.Add(12*time.Hour), "lam"
		return p.Claims()
	}

	lostSerial := serial("RVK2345")
	replacedSerial := serial("SUP2345") // reissued (issue 13): the bundle is version 2
	revs := []record.Revocation{
		{Seq: 1, Serial: lostSerial, Event: ev.ID, Category: pass.RevokeLost, At: made},
		{Seq: 2, Serial: serial("XYZ2345"), Event: "tour27-ham02", Category: pass.RevokeOther, At: made},
		{Seq: 3, Serial: replacedSerial, Event: ev.ID, Category: pass.RevokeSuperseded, SupersededBy: serial("NXT2345"), At: made},
		{Seq: 4, Serial: serial("SUP3456"), Event: "tour27-ham02", Category: pass.RevokeSuperseded, SupersededBy: serial("NXT3456"), At: made},
	}
	bundleKeys := office.JWKS()
	bundleKeys.Keys = append(bundleKeys.Keys, esRing.JWKS().Keys...)
	bundleKeys.Keys = append(bundleKeys.Keys, raw.jwks().Keys...)
	b, err := verifier.NewBundle(ev, bundleKeys, revs, "lam", made, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	mainDoor, err := verifier.NewDoorRules(vectorCloneWindow)
	if err != nil {
		t.Fatal(err)
	}
	b.SetDoor(mainDoor)
	if b.Version != verifier.BundleVersionSuperseded {
		t.Fatalf("main bundle version %d, want %d (it has a superseded pass)", b.Version, verifier.BundleVersionSuperseded)
	}
	bundleJWS, err := sg.SignDocument(verifier.BundleHeaderType, b)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := verifier.ParseBundle(bundleJWS, office, at)
	if err != nil {
		t.Fatal(err)
	}
	off, err := verifier.NewOffline(parsed)
	if err != nil {
		t.Fatal(err)
	}
	withES := office.JWKS()
	withES.Keys = append(withES.Keys, esRing.JWKS().Keys...)
	v := &offlineVectors{
		Comment: "Written by go test ./verifier -run TestOfflineVectors -update (verifier/vectors_test.go): " +
			"the Go rules' answers for offline doors. Checked against server/static/offline.js by server/offline_test.mjs (make jstest). Do not edit.",
		Keysets: map[string]jose.JSONWebKeySet{"door": office.JWKS(), "door_es256": withES},
		Bundle:  bundleJWS,
	}

	// ---- tokens ----
	aaa := mint(sg, pass.Pass{Serial: serial("AAA2345"), Type: pass.AAA, Name: "Björk Guðmundsdóttir"})
	lost := mint(sg, pass.Pass{Serial: lostSerial, Type: pass.VIP, Name: "Lost Card"})
	numeric, err := pass.EncodeNumeric(aaa)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(aaa, ".")
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	pad := func(tok string, n int) string { return tok + strings.Repeat(" ", n-len(tok)) }
	tokens := []struct{ name, token, zone string }{
		{"valid/aaa", aaa, "stage"},
		{"valid/numeric-form", numeric, "stage"},
		{"valid/trailing-crlf", aaa + "\r\n", "stage"},
		{"valid/leading-spaces", "  " + aaa, "stage"},
		{"valid/padded-to-max-size", pad(aaa, verifier.MaxTokenSize), "stage"},
		{"valid/es256-photo", mint(esSigner, pass.Pass{Serial: serial("PHT2345"), Type: pass.Photo, Name: "Anton Corbijn", Org: "Press"}), "photo-pit"},
		{"valid/staff-catering", mint(sg, pass.Pass{Serial: serial("STF2345"), Type: pass.Staff, Role: "catering", Name: "Chef", Org: "Kitchen & Co"}), "catering"},
		{"valid/staff-no-rule", mint(sg, pass.Pass{Serial: serial("STF3456"), Type: pass.Staff, Role: "juggler", Name: "Juggler"}), "stage"},
		{"valid/after-show-not-now", mint(sg, pass.Pass{Serial: serial("AFT2345"), Type: pass.AfterShow, Name: "Lemmy Kilmister"}), "green-room"},
		{"valid/meet-greet-over", mint(sg, pass.Pass{Serial: serial("MEG2345"), Type: pass.MeetGreet, Name: "Fan"}), "meet-greet"},
		{"valid/vip-zone-not-allowed", mint(sg, pass.Pass{Serial: serial("VPP2345"), Type: pass.VIP, Name: "Guest"}), "stage"},
		{"valid/unknown-zone", aaa, "roof"},
		{"valid/within-leeway", mint(sg, pass.Pass{Serial: serial("XPD3456"), Type: pass.AAA, Name: "Just Expired", ValidUntil: at.Add(-time.Minute)}), "stage"},
		{"revoked", lost, "green-room"},
		{"superseded", mint(sg, pass.Pass{Serial: replacedSerial, Type: pass.VIP, Name: "Replaced Card"}), "green-room"},
		{"valid/superseded-in-another-event-only", mint(sg, pass.Pass{Serial: serial("SUP3456"), Type: pass.VIP, Name: "Other Show"}), "green-room"},
		{"expired", mint(sg, pass.Pass{Serial: serial("XPD2345"), Type: pass.AAA, Name: "Old", ValidUntil: at.Add(-time.Hour)}), "stage"},
		{"not-yet-valid/today", mint(sg, pass.Pass{Serial: serial("NEW2345"), Type: pass.AAA, Name: "Early", ValidFrom: at.Add(time.Hour)}), "stage"},
		{"not-yet-valid/tomorrow", mint(sg, pass.Pass{Serial: serial("NEW3456"), Type: pass.AAA, Name: "Tomorrow", ValidFrom: at.Add(20 * time.Hour), ValidUntil: at.Add(40 * time.Hour)}), "stage"},
		{"wrong-event", mint(sg, pass.Pass{Serial: serial("ZTH2345"), Type: pass.AAA, Name: "Elsewhere", Event: "tour27-ham02"}), "stage"},
		{"unknown-key", mint(stranger, pass.Pass{Serial: serial("STR2345"), Type: pass.AAA, Name: "Stranger"}), "stage"},
		{"forged/signature", aaa[:len(aaa)-6] + "AAAAAA", "stage"},
		{"forged/alg-none", b64(`{"alg":"none"}`) + "." + parts[1] + ".", "stage"},
		{"forged/hs256", b64(`{"alg":"HS256","kid":"x"}`) + "." + parts[1] + "." + b64("0123456789abcdef0123456789abcdef"), "stage"},
		{"forged/payload-swapped", parts[0] + "." + strings.Split(lost, ".")[1] + "." + parts[2], "stage"},
		{"forged/alg-of-another-key", b64(`{"alg":"ES256","kid":"`+office.Active().KID+`"}`) + "." + parts[1] + "." + parts[2], "stage"},
		{"malformed/garbage", "hello", "stage"},
		{"malformed/empty", "", "stage"},
		{"malformed/leading-tab", "\t" + aaa, "stage"},
		{"malformed/over-max-size", pad(aaa, verifier.MaxTokenSize+1), "stage"},
		{"malformed/too-long", strings.Repeat("a", 3000), "stage"},
		{"malformed/numeric-out-of-range", numeric[:20] + "99" + numeric[22:], "stage"},
		{"malformed/numeric-odd-length", numeric[:len(numeric)-1], "stage"},
		{"malformed/non-canonical", aaa[:len(aaa)-1] + "B", "stage"},
		{"malformed/two-dots", parts[0] + "." + parts[1], "stage"},
		{"malformed/crit", b64(`{"alg":"EdDSA","crit":["exp"],"kid":"x"}`) + "." + parts[1] + "." + parts[2], "stage"},
		{"malformed/duplicate-header", b64(`{"alg":"EdDSA","alg":"EdDSA","kid":"x"}`) + "." + parts[1] + "." + parts[2], "stage"},
		{"malformed/bundle-as-pass", bundleJWS, "stage"},
		{"malformed/revocation-list-as-pass", raw.sign(t, verifier.RevocationListHeaderType, map[string]any{"typ": "laminate/revocations", "since": 0, "seq": 0, "iat": 1, "revoked": []any{}}), "stage"},
		{"malformed/typ-jwt", rawToken(`{"alg":"EdDSA","kid":"`+raw.key.KID+`","typ":"JWT"}`, rawPass(pass.Pass{Serial: serial("TYP2345"), Type: pass.AAA, Name: "Typed"})), "stage"},
		{"malformed/typ-empty", rawToken(`{"alg":"EdDSA","kid":"`+raw.key.KID+`","typ":""}`, rawPass(pass.Pass{Serial: serial("TYP3456"), Type: pass.AAA, Name: "Typed"})), "stage"},
		{"valid/typ-null", rawToken(`{"alg":"EdDSA","kid":"`+raw.key.KID+`","typ":null}`, rawPass(pass.Pass{Serial: serial("TYP4567"), Type: pass.AAA, Name: "Null Typ"})), "stage"},
		{"valid/raw-key", rawToken(rawHeader, rawPass(pass.Pass{Serial: serial("RAW2345"), Type: pass.Working, Name: "Tech"})), "stage"},
		{"malformed/rlo-in-name", rawToken(rawHeader, rawPass(pass.Pass{Serial: serial("BDR2345"), Type: pass.AAA, Name: "Mallory\u202eyxe.exe"})), "stage"},
		{"malformed/rli-in-name", rawToken(rawHeader, rawPass(pass.Pass{Serial: serial("BDR3456"), Type: pass.AAA, Name: "Mallory\u2067yxe"})), "stage"},
		{"valid/legacy-zero-width-space", rawToken(rawHeader, rawPass(pass.Pass{Serial: serial("ZWS2345"), Type: pass.AAA, Name: "Bo\u200bb"})), "stage"},
		{"valid/persian-zwnj", rawToken(rawHeader, rawPass(pass.Pass{Serial: serial("ZWN2345"), Type: pass.AAA, Name: "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"})), "stage"},
		{"malformed/unknown-type-code", rawToken(rawHeader, map[string]any{"sub": string(serial("UNK2345")), "ev": ev.ID, "pt": "XYZ", "n": "Nobody", "exp": show.Add(12 * time.Hour).Unix()}), "stage"},
		{"malformed/staff-without-role", rawToken(rawHeader, map[string]any{"sub": string(serial("UNK3456")), "ev": ev.ID, "pt": "STF", "n": "Nobody", "exp": show.Add(12 * time.Hour).Unix()}), "stage"},
		{"malformed/bad-serial", rawToken(rawHeader, map[string]any{"sub": "AAAA-AAAA", "ev": ev.ID, "pt": "AAA", "n": "Nobody", "exp": show.Add(12 * time.Hour).Unix()}), "stage"},
		{"malformed/claims-not-json", craft(rawHeader, "not json", func(in []byte) []byte { return ed25519.Sign(raw.priv, in) }), "stage"},
	}
	// The compact transport form of the QR codes printed since issue 12
	// (pass.EncodeCompact), and digit strings that are not one.
	tokenNamed := func(name string) string {
		for _, tk := range tokens {
			if tk.name == name {
				return tk.token
			}
		}
		t.Fatalf("no token vector %s", name)
		return ""
	}
	compactOf := func(name string) string {
		c, err := pass.EncodeCompact(tokenNamed(name))
		if err != nil {
			t.Fatalf("%s: EncodeCompact: %v", name, err)
		}
		return c
	}
	// The compact form implies a header of alg and a 6-character kid (the
	// raw key's 16-character kid makes its tokens travel in the numeric
	// form), so the photo hash vector is signed under a kid of no key.
	photo := rawToken(`{"alg":"EdDSA","kid":"phot01"}`, map[string]any{"sub": string(serial("PHH2345")), "ev": ev.ID, "pt": "VIP",
		"n": "Anna Photo", "ph": "AAECAwQFBgc", "exp": show.Add(12 * time.Hour).Unix()})
	tokens = append(tokens, []struct{ name, token, zone string }{{"unknown-key/photo-hash", photo, "green-room"},
		{"valid/cyrillic", mint(sg, pass.Pass{Serial: serial("CYR2345"), Type: pass.VIP, Name: "Дмитрий Шостакович", Org: "Мосфильм"}), "green-room"},
		{"valid/greek-and-latin", mint(sg, pass.Pass{Serial: serial("GRK2345"), Type: pass.VIP, Name: "Ελένη Καραΐνδρου", Org: "ECM"}), "green-room"},
	}...)
	cAAA := compactOf("valid/aaa")
	compacts := []struct{ name, token, zone string }{
		{"valid/compact-form", cAAA + "\r\n", "stage"},
		{"valid/compact-es256", compactOf("valid/es256-photo"), "photo-pit"},
		{"valid/compact-staff", compactOf("valid/staff-catering"), "catering"},
		{"valid/compact-utf8-name", compactOf("valid/after-show-not-now"), "green-room"},
		{"valid/compact-cyrillic-window", compactOf("valid/cyrillic"), "green-room"},
		{"valid/compact-greek-window", compactOf("valid/greek-and-latin"), "green-room"},
		{"unknown-key/compact-photo-hash", compactOf("unknown-key/photo-hash"), "green-room"},
		{"revoked/compact", compactOf("revoked"), "green-room"},
		{"superseded/compact", compactOf("superseded"), "green-room"},
		{"not-yet-valid/compact-nbf", compactOf("not-yet-valid/today"), "stage"},
		{"unknown-key/compact", compactOf("unknown-key"), "stage"},
		{"forged/compact-last-digit", cAAA[:len(cAAA)-1] + string('0'+(cAAA[len(cAAA)-1]-'0'+1)%10), "stage"},
		{"malformed/compact-truncated", cAAA[:len(cAAA)-3], "stage"},
		{"malformed/compact-extra-digit", cAAA + "5", "stage"},
		{"malformed/compact-version-2", "92" + cAAA[2:], "stage"},
		{"malformed/compact-leading-zero", "910" + cAAA[2:], "stage"},
		{"malformed/compact-prefix-only", "91", "stage"},
	}
	tokens = append(tokens, compacts...)
	// One digit changed at 20 places of three forms: Go and offline.js
	// must agree on what each decodes to (mostly a JWS with another
	// signature or claims; sometimes nothing).
	transportOnly := compacts
	for _, name := range []string{"valid/compact-form", "valid/compact-staff", "valid/compact-greek-window"} {
		var form string
		for _, c := range compacts {
			if c.name == name {
				form = strings.TrimSpace(c.token)
			}
		}
		for i := 1; i <= 20; i++ {
			at := 2 + i*(len(form)-3)/21
			mutated := form[:at] + string('0'+(form[at]-'0'+3)%10) + form[at+1:]
			transportOnly = append(transportOnly, struct{ name, token, zone string }{fmt.Sprintf("mutated/%s/digit-%d", name, at), mutated, ""})
		}
	}
	for _, tk := range transportOnly {
		jws, err := pass.DecodeTransport(verifier.Normalize(tk.token))
		if err != nil {
			jws = ""
		}
		v.Transport = append(v.Transport, transportVector{Name: tk.name, Form: tk.token, Token: jws})
	}
	for _, tk := range tokens {
		vd := off.Verify(tk.token, at)
		v.Tokens = append(v.Tokens, tokenVector{
			Name: tk.name, Token: tk.token, At: at.UnixMilli(), Zone: tk.zone,
			Verdict: verdictVector{vd.Authentic, string(vd.Status), vd.Message, vd.NextStep, string(vd.Serial), vd.KID, vd.MessageKey, params(vd.MessageParams)},
			Door:    doorAnswer(off, tk.token, verifier.DoorScan{Gate: "north", Zone: tk.zone, Direction: "in", At: at}, nil),
		})
	}

	// ---- bundles a door takes or refuses ----
	// A small event keeps them short: what is checked is the bundle.
	smallPolicy, err := pass.ParsePolicy(strings.NewReader(`{"zones":["stage"],"rules":{"AAA":[{"zones":["*"],"when":["any"]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	small := *ev
	small.Policy = smallPolicy
	sb, err := verifier.NewBundle(&small, office.JWKS(), revs[:1], "lam", made, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bundleAt := made.Add(time.Hour)
	payload := func(change func(m map[string]any)) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(mustJSON(t, sb), &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		return m
	}
	door := func(change func(d map[string]any)) map[string]any {
		return payload(func(m map[string]any) { change(m["door"].(map[string]any)) })
	}
	signed := func(m map[string]any) string { // by the pinned key, typed: only the payload is wrong
		jws, err := sg.SignDocument(verifier.BundleHeaderType, m)
		if err != nil {
			t.Fatal(err)
		}
		return jws
	}
	// Version 2: the small event with a superseded pass.
	sb2, err := verifier.NewBundle(&small, office.JWKS(), []record.Revocation{revs[0], revs[2]}, "lam", made, 12*time.Hour)
	if err != nil || sb2.Version != verifier.BundleVersionSuperseded {
		t.Fatalf("NewBundle(superseded) = v%d, %v", sb2.Version, err)
	}
	payload2 := func(change func(m map[string]any)) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(mustJSON(t, sb2), &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		return m
	}
	revsOf := func(m map[string]any) map[string]any { return m["revocations"].(map[string]any) }
	esBundle, err := esSigner.SignDocument(verifier.BundleHeaderType, sb)
	if err != nil {
		t.Fatal(err)
	}
	smallJWS := signed(payload(func(map[string]any) {}))
	bp := strings.Split(smallJWS, ".")
	unb64 := func(s string) string {
		out, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	bundles := []struct{ name, jws, pinned string }{
		{"accepted/ed25519", smallJWS, "door"},
		{"accepted/es256-pinned", esBundle, "door_es256"},
		{"accepted/door-no-leeway", signed(door(func(d map[string]any) { d["leeway_ms"] = 0 })), "door"},
		{"accepted/door-other-texts", signed(door(func(d map[string]any) {
			d["phases"].(map[string]any)["during"] = "Show läuft"
			d["next_steps"].(map[string]any)["not_before"] = "Nicht vor %s"
		})), "door"},
		{"accepted/version-2-superseded", signed(payload2(func(map[string]any) {})), "door"},
		{"accepted/version-2-none-superseded", signed(payload2(func(m map[string]any) { revsOf(m)["superseded"] = []any{} })), "door"},
		{"malformed/version-2-superseded-not-revoked", signed(payload2(func(m map[string]any) {
			revsOf(m)["superseded"] = []any{string(serial("ABC2345"))}
		})), "door"},
		{"malformed/version-2-superseded-twice", signed(payload2(func(m map[string]any) {
			revsOf(m)["superseded"] = []any{string(replacedSerial), string(replacedSerial)}
		})), "door"},
		{"malformed/version-2-no-superseded-next-step", signed(payload2(func(m map[string]any) {
			delete(m["door"].(map[string]any)["next_steps"].(map[string]any), "superseded")
		})), "door"},
		{"malformed/version-1-with-superseded", signed(payload2(func(m map[string]any) { m["v"] = 1 })), "door"},
		{"malformed/version-1-superseded-next-step", signed(door(func(d map[string]any) {
			d["next_steps"].(map[string]any)["superseded"] = "Keep it"
		})), "door"},
		{"malformed/version-3", signed(payload(func(m map[string]any) { m["v"] = 3 })), "door"},
		{"malformed/revocations-unknown-field", signed(payload(func(m map[string]any) { revsOf(m)["replaced"] = []any{} })), "door"},
		{"untrusted/signed-by-a-key-it-only-lists", esBundle, "door"},
		{"forged/payload-changed", bp[0] + "." + b64(strings.Replace(unb64(bp[1]), `"seq":1`, `"seq":0`, 1)) + "." + bp[2], "door"},
		{"forged/alg-none", b64(`{"alg":"none"}`) + "." + bp[1] + ".", "door"},
		{"malformed/not-a-jws", "hello", "door"},
		{"malformed/a-pass", aaa, "door"},
		{"malformed/untyped", craft(`{"alg":"EdDSA","kid":"`+raw.key.KID+`"}`, unb64(bp[1]), func(in []byte) []byte { return ed25519.Sign(raw.priv, in) }), "door"},
		{"malformed/no-door", signed(payload(func(m map[string]any) { delete(m, "door") })), "door"},
		{"malformed/door-null", signed(payload(func(m map[string]any) { m["door"] = nil })), "door"},
		{"malformed/door-unknown-field", signed(door(func(d map[string]any) { d["sound"] = "loud" })), "door"},
		{"malformed/door-no-clone-window", signed(door(func(d map[string]any) { delete(d, "clone_window_ms") })), "door"},
		{"malformed/door-clone-window-0", signed(door(func(d map[string]any) { d["clone_window_ms"] = 0 })), "door"},
		{"malformed/door-clone-window-fraction", signed(door(func(d map[string]any) { d["clone_window_ms"] = 1.5 })), "door"},
		{"malformed/door-clone-window-string", signed(door(func(d map[string]any) { d["clone_window_ms"] = "30s" })), "door"},
		{"malformed/door-leeway-negative", signed(door(func(d map[string]any) { d["leeway_ms"] = -1 })), "door"},
		{"malformed/door-leeway-huge", signed(door(func(d map[string]any) { d["leeway_ms"] = int64(8785) * 3600 * 1000 })), "door"},
		{"malformed/door-no-types", signed(door(func(d map[string]any) { d["types"] = []any{} })), "door"},
		{"malformed/door-type-repeated", signed(door(func(d map[string]any) {
			ts := d["types"].([]any)
			d["types"] = append(ts, ts[0])
		})), "door"},
		{"malformed/door-type-bad-code", signed(door(func(d map[string]any) { d["types"].([]any)[0].(map[string]any)["code"] = "a a" })), "door"},
		{"malformed/door-label-bidi", signed(door(func(d map[string]any) { d["types"].([]any)[0].(map[string]any)["label"] = "AAA\u202e" })), "door"},
		{"malformed/door-phase-missing", signed(door(func(d map[string]any) { delete(d["phases"].(map[string]any), "after") })), "door"},
		{"malformed/door-phase-extra", signed(door(func(d map[string]any) { d["phases"].(map[string]any)["closed"] = "closed" })), "door"},
		{"malformed/door-next-step-missing", signed(door(func(d map[string]any) { delete(d["next_steps"].(map[string]any), "check_holder") })), "door"},
		{"malformed/door-next-step-unknown", signed(door(func(d map[string]any) { d["next_steps"].(map[string]any)["dance"] = "Dance" })), "door"},
		{"malformed/door-next-step-empty", signed(door(func(d map[string]any) { d["next_steps"].(map[string]any)["revoked"] = "" })), "door"},
		{"malformed/door-format-without-verb", signed(door(func(d map[string]any) { d["next_steps"].(map[string]any)["not_before"] = "Not before later" })), "door"},
		{"malformed/door-format-two-verbs", signed(door(func(d map[string]any) { d["next_steps"].(map[string]any)["zone_not_allowed"] = "%s and %s" })), "door"},
		{"malformed/door-verb-in-text", signed(door(func(d map[string]any) { d["next_steps"].(map[string]any)["revoked"] = "Keep 100% of it" })), "door"},
	}
	pinned := map[string]verifier.KeySource{}
	for name, set := range v.Keysets {
		ks, err := verifier.ParseJWKS(mustJSON(t, set))
		if err != nil {
			t.Fatal(err)
		}
		pinned[name] = ks
	}
	for _, bc := range bundles {
		_, err := verifier.ParseBundle(bc.jws, pinned[bc.pinned], bundleAt)
		want := "accepted"
		switch {
		case err == nil:
		case errors.Is(err, verifier.ErrBundleUntrusted):
			want = "untrusted"
		case errors.Is(err, verifier.ErrBundleForged):
			want = "forged"
		case errors.Is(err, verifier.ErrBundleMalformed):
			want = "malformed"
		default:
			t.Fatalf("bundle %s: %v", bc.name, err)
		}
		if prefix, _, _ := strings.Cut(bc.name, "/"); prefix != want {
			t.Errorf("bundle %s: ParseBundle says %s (%v)", bc.name, want, err)
		}
		v.Bundles = append(v.Bundles, bundleVector{Name: bc.name, JWS: bc.jws, Pinned: bc.pinned, At: bundleAt.UnixMilli(), Want: want})
	}
	for _, now := range []time.Time{made, made.Add(-time.Minute), made.Add(-verifier.DefaultLeeway), made.Add(-verifier.DefaultLeeway - time.Second),
		made.Add(12 * time.Hour), made.Add(12*time.Hour + time.Second)} {
		want := "fresh"
		if _, err := verifier.ParseBundle(bundleJWS, office, now); errors.Is(err, verifier.ErrBundleExpired) {
			want = "expired"
		} else if errors.Is(err, verifier.ErrBundleNotYetValid) {
			want = "future"
		} else if err != nil {
			t.Fatal(err)
		}
		v.States = append(v.States, stateVector{At: now.UnixMilli(), Want: want})
	}

	// ---- scan sequences: anti-passback with the bundle's clone window ----
	type step struct {
		gate, zone, dir string
		after           time.Duration
	}
	sequences := []struct {
		name  string
		token string
		steps []step
	}{
		{"clone-window-30s", aaa, []step{
			{"north", "stage", "in", 0},
			{"south", "stage", "in", 20 * time.Second}, // within 30 s: one pass, two people (10 s would say already inside)
			{"south", "stage", "out", 25 * time.Second},
			{"north", "stage", "in", time.Minute},
			{"north", "stage", "out", 90 * time.Second},
			{"south", "foh", "in", 100 * time.Second},
			{"south", "foh", "in", 200 * time.Second},
			{"north", "stage", "out", 230 * time.Second}, // exactly the window: still within
			{"north", "stage", "out", 230*time.Second + time.Millisecond},
		}},
		{"already-inside-and-back", mint(sg, pass.Pass{Serial: serial("SEQ2345"), Type: pass.Working, Name: "Tech", Org: "Lights"}), []step{
			{"north", "stage", "in", 0},
			{"north", "stage", "in", 10 * time.Second},
			{"north", "stage", "out", 20 * time.Minute},
			{"north", "stage", "in", 30 * time.Minute},
			{"north", "dressing-rooms", "in", 31 * time.Minute}, // never there: the policy says no, nothing remembered
			{"west", "backstage", "in", 2 * time.Hour},
		}},
		{"staff-role", mint(sg, pass.Pass{Serial: serial("SEQ3456"), Type: pass.Staff, Role: "publicist", Name: "Publicist", Org: "Label"}), []step{
			{"press", "press", "in", -3 * time.Hour},
			{"press", "stage", "in", -3*time.Hour + time.Minute},
			{"hall", "foh", "in", -3*time.Hour + 5*time.Second},
			{"hall", "foh", "out", 0},
		}},
		{"before-access-opens", mint(sg, pass.Pass{Serial: serial("SEQ4567"), Type: pass.LocalCrew, Name: "Rigger"}), []step{
			{"dock", "loading-dock", "in", -13 * time.Hour},
			{"dock", "loading-dock", "in", -10 * time.Hour},
			{"dock", "stage", "in", -time.Hour},
			{"dock", "loading-dock", "in", 3 * time.Hour},
		}},
		{"photo-leaves-after-window", mint(sg, pass.Pass{Serial: serial("SEQ5678"), Type: pass.Photo, Name: "Snapper", Org: "Wire"}), []step{
			{"pit", "photo-pit", "in", -55 * time.Minute},     // the photo window
			{"pit", "photo-pit", "out", 0},                    // after it: leaving is allowed (verifier.Leave)
			{"pit", "photo-pit", "in", time.Minute},           // coming back is not
			{"pit", "dressing-rooms", "out", 2 * time.Minute}, // a zone it never had: still refused
			{"pit", "press", "in", 3 * time.Minute},
			{"pit", "press", "out", 12 * time.Hour}, // the pass expired since: refused (the token must be valid)
		}},
		{"revoked-and-not-yet-valid", lost, []step{
			{"north", "green-room", "in", 0},
			{"north", "green-room", "in", 5 * time.Second},
		}},
	}
	for _, sq := range sequences {
		dv := doorVector{Name: sq.name, Token: sq.token}
		var last *record.Scan
		for _, s := range sq.steps {
			sc := verifier.DoorScan{Gate: s.gate, Zone: s.zone, Direction: s.dir, At: at.Add(s.after)}
			a := doorAnswer(off, sq.token, sc, last)
			if a.Decision == verifier.Admit {
				last = &record.Scan{Gate: s.gate, Zone: s.zone, Direction: s.dir, At: sc.At, Source: record.Online}
			}
			dv.Steps = append(dv.Steps, stepVector{Gate: s.gate, Zone: s.zone, Direction: s.dir, At: sc.At.UnixMilli(), Want: a})
		}
		v.Doors = append(v.Doors, dv)
	}
	if got := v.Doors[0].Steps[1].Want; got.Code != string(verifier.CodePossibleClone) || got.Decision != verifier.Deny {
		t.Fatalf("clone sequence step 1 = %+v, want deny possible_clone with a 30 s window", got)
	}

	// ---- the policy ----
	v.Policy = policyTable(t)
	out, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// params is p with nil as {}: the vectors always hold an object.
func params(p pass.Params) pass.Params {
	if p == nil {
		return pass.Params{}
	}
	return p
}

// paramsJSON is p as JSON.stringify writes it: sorted keys, no HTML
// escapes, no newline.
func paramsJSON(p pass.Params) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(params(p)); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// doorAnswer is the door's answer to one scan as the server's POST
// /v1/scans composes it, from the bundle alone: the verdict, the policy
// (Access), then anti-passback against last (DecideScan with the
// bundle's window).
func doorAnswer(off *verifier.Offline, token string, sc verifier.DoorScan, last *record.Scan) answerVector {
	vd := off.Verify(token, sc.At)
	off.Access(&vd, pass.Zone(sc.Zone), sc.At)
	verifier.Leave(&vd, pass.Zone(sc.Zone), sc.Direction)
	a := answerVector{Decision: verifier.Deny, Code: string(vd.Code), Reason: vd.Reason, NextStep: vd.NextStep, Status: string(vd.Status), Phase: string(vd.Phase),
		ReasonKey: vd.ReasonKey, ReasonParams: params(vd.ReasonParams), NextKey: vd.NextKey, NextParams: params(vd.NextParams)}
	if p := vd.Pass; p != nil {
		a.Pass = &passVector{Serial: string(p.Serial), Type: string(p.Type), Label: p.Type.Label(), Role: p.Role, Name: p.Name, Org: p.Org, Event: p.Event}
	}
	if *vd.Allowed {
		d := off.DecideScanAnswer(sc, last)
		a.Decision = d.Decision
		if d.Decision != verifier.Admit {
			a.Code, a.Reason, a.NextStep = string(d.Code), d.Reason, d.NextStep
			a.ReasonKey, a.ReasonParams, a.NextKey, a.NextParams = d.ReasonKey, params(d.ReasonParams), d.NextKey, params(d.NextParams)
		}
	}
	return a
}

// policyTable is pass.Event.Decide over the events of the decision table
// (internal/testevents: a show under every live cue, two policies and three
// time zones) for every holder, zone and moment of it, moments thinned (the
// browser test takes them all).
func policyTable(t *testing.T) policyVectors {
	events := testevents.Events(t)
	moments := testevents.Moments(t, true)
	pv := policyVectors{Holders: testevents.Holders(), Zones: testevents.Zones()}
	for _, m := range moments {
		pv.Moments = append(pv.Moments, m.UnixMilli())
	}
	index := map[string]int{}
	for _, ev := range events {
		e := *ev
		e.Policy = ev.EffectivePolicy() // as a bundle carries it
		pe := policyEvent{Event: &e}
		for _, h := range pv.Holders {
			p := h.Pass(ev)
			var line strings.Builder
			for _, z := range pv.Zones {
				for _, m := range moments {
					d := ev.Decide(p, z, m)
					rp, np := paramsJSON(d.ReasonParams), paramsJSON(d.NextParams)
					ans := fmt.Sprintf("%v|%s|%s|%s|%s|%s|%s|%s|%s", d.Allowed, d.Code, d.Phase, d.Reason, d.NextStep, d.ReasonKey, rp, d.NextKey, np)
					i, ok := index[ans]
					if !ok {
						i = len(pv.Answers)
						index[ans] = i
						pv.Answers = append(pv.Answers, ans)
					}
					if i >= 36*36 {
						t.Fatalf("%d distinct answers: two base-36 digits no longer index them", i+1)
					}
					line.WriteString(strconv.FormatInt(int64(36*36+i), 36)[1:]) // two digits, leading zero kept
				}
			}
			pe.Decisions = append(pe.Decisions, line.String())
		}
		pv.Events = append(pv.Events, pe)
	}
	return pv
}

// The door rules a bundle carries are this program's: what Verify,
// Decide and DecideScan say, and the window the service gives.
func TestDoorRules(t *testing.T) {
	r, err := verifier.NewDoorRules(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.CloneWindow() != 30*time.Second || r.Leeway() != verifier.DefaultLeeway {
		t.Errorf("window %s, leeway %s", r.CloneWindow(), r.Leeway())
	}
	if len(r.Types) != len(pass.Types) {
		t.Errorf("%d types, want %d", len(r.Types), len(pass.Types))
	}
	for i, ty := range pass.Types {
		if r.Types[i] != (verifier.DoorType{Type: ty, Code: ty.Code(), Label: ty.Label()}) {
			t.Errorf("types[%d] = %+v", i, r.Types[i])
		}
	}
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range r.NextSteps {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, slices.Sorted(slices.Values(verifier.DoorNextSteps()))) {
		t.Errorf("next steps %v, want %v", got, verifier.DoorNextSteps())
	}
	ev := &pass.Event{ID: "e1", Name: "E1", Schedule: pass.Schedule{ShowStart: t0.Add(8 * time.Hour), ShowEnd: t0.Add(10 * time.Hour)}}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, next string
		want       string
	}{
		{"not_before", fmt.Sprintf(r.NextSteps["not_before"], "20:00"), ev.NotBefore(t0.Add(8*time.Hour), t0)},
		{"zone_not_allowed", fmt.Sprintf(r.NextSteps["zone_not_allowed"], "stage"), ev.Decide(&pass.Pass{Event: "e1", Type: pass.VIP}, "stage", t0.Add(9*time.Hour)).NextStep},
		{"check_zone", r.NextSteps["check_zone"], ev.Decide(&pass.Pass{Event: "e1", Type: pass.VIP}, "roof", t0.Add(9*time.Hour)).NextStep},
		{"phase during", r.Phases[pass.During], pass.During.Text()},
	} {
		if tt.next != tt.want {
			t.Errorf("%s: bundle %q, Go %q", tt.name, tt.next, tt.want)
		}
	}
	for _, bad := range []time.Duration{0, -time.Second, time.Microsecond, 8785 * time.Hour} {
		if _, err := verifier.NewDoorRules(bad); err == nil {
			t.Errorf("NewDoorRules(%s) succeeded", bad)
		}
	}
}
