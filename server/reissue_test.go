package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/verifier"
)

// reissue reissues the fixture's pass over the API and returns the answer.
func (f *fixture) reissue(t *testing.T, auth, body string) ReissueResponse {
	t.Helper()
	rec := f.do(t, "POST", "/v1/passes/"+string(f.iss.Serial)+"/reissue", body, "Authorization", auth, "Content-Type", "application/json")
	if rec.Code != 201 {
		t.Fatalf("reissue = %d %s", rec.Code, rec.Body)
	}
	var r ReissueResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReissueSupersededEverywhere: once a pass is reissued, every path
// that judges the old one says it is genuine but replaced, and the new one
// gets in: the door's scan answer (DENY superseded, with the desk as the
// next step), the public check (genuine, not forged), another node synced
// from the store, the signed revocation list and the offline bundle.
func TestReissueSupersededEverywhere(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	issuer := "Bearer " + f.apiToken(t, RoleIssuer, "desk")
	scanner := scannerToken(t, f)
	r := f.reissue(t, issuer, `{"reason":"lost","note":"left on the bus"}`)
	if r.Replaces != f.iss.Serial || r.Serial == f.iss.Serial || r.Name != "Zoë" || r.Type != pass.AAA || r.Reason != pass.ReissueLost || r.Token == "" {
		t.Fatalf("reissue answer = %+v", r)
	}
	show := f.now.Add(9 * time.Hour)
	f.setNow(show)

	t.Run("door/old-pass-denied-superseded", func(t *testing.T) {
		code, a, body := f.scan(t, scanner, f.token, "north", "stage", "in", "old1", show)
		if code != 200 || a.Decision != record.Deny || a.Code != "superseded" || a.Status != "superseded" ||
			a.Reason != "replaced by a newer pass: keep this one and send the holder to the desk" {
			t.Errorf("scan of the old pass = %d %s, want deny/superseded with the desk reason", code, body)
		}
	})
	t.Run("door/new-pass-admitted", func(t *testing.T) {
		if code, a, body := f.scan(t, scanner, r.Token, "north", "stage", "in", "new1", show); code != 200 || a.Decision != record.Admit {
			t.Errorf("scan of the new pass = %d %s, want admit", code, body)
		}
	})
	t.Run("public-verify/genuine-but-replaced", func(t *testing.T) {
		rec := f.do(t, "POST", "/v1/verify", `{"token":"`+f.token+`"}`)
		m := decode(t, rec)
		if rec.Code != 200 || m["authentic"] != true || m["status"] != "superseded" || !strings.Contains(m["message"].(string), "Genuine, but replaced") {
			t.Errorf("verify of the old pass = %d %s, want authentic, superseded, genuine but replaced", rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "left on the bus") {
			t.Errorf("verify shows the staff note: %s", rec.Body)
		}
	})
	t.Run("other-node/synced-from-the-store", func(t *testing.T) {
		revs := verifier.NewRevocationSet()
		if err := revs.Sync(ctx, f.st); err != nil {
			t.Fatal(err)
		}
		v, _ := verifier.New(verifier.Config{Keys: f.s.cfg.Keys, Revocations: revs})
		if vd := v.Verify(f.token, show); vd.Status != verifier.StatusSuperseded || !vd.Authentic {
			t.Errorf("Verify(old) on a synced node = %s %q, want superseded", vd.Status, vd.Message)
		}
	})
	t.Run("revocation-list/carries-superseded-and-the-link", func(t *testing.T) {
		rec := f.do(t, "GET", "/v1/revocations?since=0", "", "Authorization", "Bearer "+scanner)
		var l RevocationListResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil || len(l.List.Revoked) != 1 {
			t.Fatalf("revocation list = %d %s", rec.Code, rec.Body)
		}
		e := l.List.Revoked[0]
		if e.Serial != f.iss.Serial || e.Reason != pass.RevokeSuperseded || e.SupersededBy != r.Serial {
			t.Errorf("list entry = %+v, want superseded by %s", e, r.Serial)
		}
		if !strings.Contains(withJWSPayloads(l.JWS), `"superseded_by":"`+string(r.Serial)+`"`) {
			t.Errorf("the signed list does not carry the link")
		}
	})
	t.Run("bundle/version-2-offline-door-denies-superseded", func(t *testing.T) {
		rec := f.do(t, "GET", "/v1/events/tour27-ber01/bundle", "", "Authorization", "Bearer "+scanner)
		b, err := verifier.ParseBundle(rec.Body.String(), f.s.cfg.Keys, show)
		if err != nil {
			t.Fatalf("ParseBundle() = %v (%d)", err, rec.Code)
		}
		if b.Version != verifier.BundleVersionSuperseded || len(b.Revocations.Superseded) != 1 || b.Revocations.Superseded[0] != f.iss.Serial {
			t.Fatalf("bundle v%d revocations = %+v, want version 2 listing the old pass as superseded", b.Version, b.Revocations)
		}
		o, err := verifier.NewOffline(b)
		if err != nil {
			t.Fatal(err)
		}
		vd := o.Verify(f.token, show)
		o.Access(&vd, "stage", show)
		if vd.Status != verifier.StatusSuperseded || *vd.Allowed || vd.Code != "superseded" || vd.Reason != verifier.SupersededReason {
			t.Errorf("offline door on the old pass = %s %s %q, want superseded", vd.Status, vd.Code, vd.Reason)
		}
		if nd := o.Verify(r.Token, show); nd.Status != verifier.StatusValid {
			t.Errorf("offline door on the new pass = %s", nd.Status)
		}
	})
	t.Run("pass-view/superseded-and-linked", func(t *testing.T) {
		rec := f.do(t, "GET", "/v1/passes/"+string(f.iss.Serial), "", "Authorization", issuer)
		var p PassResponse
		json.Unmarshal(rec.Body.Bytes(), &p)
		if p.Status != "superseded" || p.Revocation == nil || p.Revocation.SupersededBy != r.Serial {
			t.Errorf("GET pass = %s, want superseded by %s", rec.Body, r.Serial)
		}
	})
}

// TestReissueRefusals: the API names what is wrong and what to do.
func TestReissueRefusals(t *testing.T) {
	f := newFixture(t, 0)
	issuer := "Bearer " + f.apiToken(t, RoleIssuer, "desk")
	admin := "Bearer " + f.apiToken(t, RoleAdmin, "office")
	scanner := "Bearer " + scannerToken(t, f)
	old := string(f.iss.Serial)
	unknown, _ := pass.NewSerial(nil)
	cases := []struct {
		name, auth, serial, body string
		status                   int
		code, contains           string
	}{
		{"fail/no-reason", issuer, old, `{}`, 400, "bad_request", "lost, damaged, name_change, new_photo"},
		{"fail/bad-reason", issuer, old, `{"reason":"stolen"}`, 400, "bad_request", "want one of lost, damaged, name_change, new_photo"},
		{"fail/name-not-a-string", issuer, old, `{"reason":"lost","name":5}`, 400, "bad_request", `field "name" is a JSON number: want a string`},
		{"fail/misspelt-field", issuer, old, `{"reasn":"lost"}`, 400, "bad_request", `unknown field "reasn"`},
		{"fail/photo-not-base64", issuer, old, `{"photo":"***"}`, 400, "bad_request", `field "photo"`},
		{"fail/scanner-cannot", scanner, old, `{"reason":"lost"}`, 403, "forbidden", ""},
		{"fail/unknown-pass", issuer, unknown.String(), `{"reason":"lost"}`, 404, "not_found", "no pass"},
		{"ok/admin-can", admin, old, `{"reason":"damaged"}`, 201, "", ""},
		{"fail/again", issuer, old, `{"reason":"damaged"}`, 409, "superseded", "instead"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "POST", "/v1/passes/"+tt.serial+"/reissue", tt.body, "Authorization", tt.auth, "Content-Type", "application/json")
			if rec.Code != tt.status || !strings.Contains(message(rec.Body.Bytes()), tt.contains) || (tt.code != "" && !strings.Contains(rec.Body.String(), `"code":"`+tt.code+`"`)) {
				t.Errorf("reissue = %d %s, want %d %s saying %q", rec.Code, rec.Body, tt.status, tt.code, tt.contains)
			}
		})
	}
	// Revoking the superseded pass by hand points at the pass that replaced it.
	rec := f.do(t, "POST", "/v1/passes/"+old+"/revoke", `{"reason":"lost"}`, "Authorization", admin)
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), "was replaced by pass") {
		t.Errorf("revoke of a superseded pass = %d %s", rec.Code, rec.Body)
	}
	rec = f.do(t, "POST", "/v1/passes/"+old+"/revoke", `{"reason":"superseded"}`, "Authorization", admin)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "reissue") {
		t.Errorf("revoke with reason superseded = %d %s, want 400 pointing to reissue", rec.Code, rec.Body)
	}
	// A revoked pass is not reissued.
	other := f.issueHere(t, "Ana")
	if rec := f.do(t, "POST", "/v1/passes/"+string(other.Serial)+"/revoke", `{"reason":"stolen"}`, "Authorization", admin); rec.Code != 200 {
		t.Fatal(rec.Body)
	}
	rec = f.do(t, "POST", "/v1/passes/"+string(other.Serial)+"/reissue", `{"reason":"lost"}`, "Authorization", issuer)
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), `"code":"revoked"`) || !strings.Contains(rec.Body.String(), "issue a new pass") {
		t.Errorf("reissue of a revoked pass = %d %s", rec.Code, rec.Body)
	}
}

// TestSearchEndpoint: GET /v1/passes finds passes as a person types and
// filters by type, status, printed and collected.
func TestSearchEndpoint(t *testing.T) {
	f := newFixture(t, 0)
	issuer := "Bearer " + f.apiToken(t, RoleIssuer, "desk")
	scanner := "Bearer " + scannerToken(t, f)
	amelie := f.issueHere(t, "Amélie Durand")
	f.reissue(t, issuer, `{"reason":"damaged"}`)
	printAt := f.now
	if err := f.st.RecordPrints(context.Background(), []record.Print{{Serial: amelie.Serial, At: printAt, Actor: "desk", Template: "badge", Format: record.FormatPDF},
		{Serial: amelie.Serial, At: printAt.Add(time.Minute), Actor: "desk", Template: "badge", Format: record.FormatZPL}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.MarkCollected(context.Background(), amelie.Serial, printAt.Add(time.Hour), "desk"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		q    string
		want []string // names, with the print count and collected
	}{
		{"printed=yes", []string{"Amélie Durand 2 true"}},
		{"printed=no&q=zoe", []string{"Zoë 0 false", "Zoë 0 false"}},
		{"printed=no&q=amelie", nil},
		{"printed=any&q=amelie", []string{"Amélie Durand 2 true"}},
		{"collected=yes", []string{"Amélie Durand 2 true"}},
		{"collected=no&printed=yes", nil},
	} {
		rec := f.do(t, "GET", "/v1/passes?event=tour27-ber01&"+tt.q, "", "Authorization", issuer)
		var r SearchResponse
		json.Unmarshal(rec.Body.Bytes(), &r)
		var got []string
		for _, h := range r.Passes {
			got = append(got, fmt.Sprintf("%s %d %v", h.Name, h.Prints, h.Collected))
		}
		if rec.Code != 200 || !slices.Equal(got, tt.want) {
			t.Errorf("search %s = %d %v (%s), want 200 %v", tt.q, rec.Code, got, rec.Body, tt.want)
		}
	}
	get := func(q string, auth string) (int, SearchResponse, string) {
		rec := f.do(t, "GET", "/v1/passes?"+q, "", "Authorization", auth)
		var r SearchResponse
		json.Unmarshal(rec.Body.Bytes(), &r)
		return rec.Code, r, rec.Body.String()
	}
	if code, r, body := get("event=tour27-ber01&q=amelie", issuer); code != 200 || len(r.Passes) != 1 || r.Passes[0].Name != "Amélie Durand" || r.Passes[0].Status != store.PassValid {
		t.Errorf("search amelie = %d %s", code, body)
	}
	if code, r, body := get("event=tour27-ber01&q=zoe&status=superseded", issuer); code != 200 || len(r.Passes) != 1 || r.Passes[0].Serial != f.iss.Serial || r.Passes[0].SupersededBy == "" {
		t.Errorf("search zoe superseded = %d %s", code, body)
	}
	if code, r, body := get("event=tour27-ber01&limit=1", issuer); code != 200 || len(r.Passes) != 1 || r.Next == "" {
		t.Errorf("search limit 1 = %d %s, want one pass and a next cursor", code, body)
	}
	for _, tt := range []struct {
		q, auth  string
		status   int
		contains string
	}{
		{"q=zoe", issuer, 400, "event: required"},
		{"event=tour27-ber01&status=lost", issuer, 400, "want valid, revoked or superseded"},
		{"event=tour27-ber01&type=ROADIE", issuer, 400, "type"},
		{"event=tour27-ber01&limit=1000", issuer, 400, "want 1 to 100"},
		{"event=tour27-ber01&printed=maybe", issuer, 400, `printed "maybe": want yes, no or any`},
		{"event=tour27-ber01&collected=1", issuer, 400, `collected "1": want yes, no or any`},
		{"event=tour27-ber01&cursor=x", issuer, 400, "cursor"},
		{"event=tour27-ber01&qq=1", issuer, 400, `unknown parameter "qq"`},
		{"event=nope", issuer, 404, "no event nope"},
		{"event=tour27-ber01", scanner, 403, ""},
	} {
		if code, _, body := get(tt.q, tt.auth); code != tt.status || !strings.Contains(message([]byte(body)), tt.contains) {
			t.Errorf("search %s = %d %s, want %d saying %q", tt.q, code, body, tt.status, tt.contains)
		}
	}
}

// message is the error message of an API answer, or the body itself.
func message(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	return string(body)
}
