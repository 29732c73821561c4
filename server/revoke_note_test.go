package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
)

// jwsPayloads decodes the payload of every compact JWS in s.
var compactJWS = regexp.MustCompile(`[A-Za-z0-9_-]{10,}\.([A-Za-z0-9_-]{10,})\.[A-Za-z0-9_-]{10,}`)

func withJWSPayloads(s string) string {
	out := s
	for _, m := range compactJWS.FindAllStringSubmatch(s, -1) {
		if b, err := base64.RawURLEncoding.DecodeString(m[1]); err == nil {
			out += "\n" + string(b)
		}
	}
	return out
}

// TestRevocationNoteStaysWithStaff: what the office writes about a
// revocation (here the holder's name and phone number) never reaches the
// public /v1/verify, a door's scan answer, the signed revocation list sent
// to every scanner, an offline bundle, or a scanner's view of the pass. It
// is kept for staff: the admin's view of the pass and the audit log
// (issue 11, item 7). The revocations below use the old form, free text
// as the reason.
func TestRevocationNoteStaysWithStaff(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	admin := "Bearer " + f.apiToken(t, RoleAdmin, "office")
	issuer := "Bearer " + f.apiToken(t, RoleIssuer, "accreditation")
	scanner := scannerToken(t, f)
	secrets := []string{"J. Smith", "07700 900123"}
	ev, err := f.st.Event(ctx, "tour27-ber01")
	if err != nil {
		t.Fatal(err)
	}
	support, err := issue.Batch(ctx, f.s.cfg.Signer, f.st, ev, []signer.Request{{Type: pass.VIP, Name: "Support", Org: "Support Act"}}, "test", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	serial := string(f.iss.Serial)
	if rec := f.do(t, "POST", "/v1/passes/"+serial+"/revoke", `{"reason":"stolen from J. Smith, call 07700 900123"}`, "Authorization", admin); rec.Code != 200 {
		t.Fatalf("revoke = %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(t, "POST", "/v1/revocations", `{"event":"tour27-ber01","org":"Support Act","reason":"misuse: J. Smith's guests, 07700 900123"}`, "Authorization", admin); rec.Code != 200 {
		t.Fatalf("mass revoke = %d %s", rec.Code, rec.Body)
	}
	show := f.now.Add(9 * time.Hour)
	f.setNow(show)
	scan, _ := json.Marshal(ScanRequest{Token: f.token, Gate: "north", Zone: "stage", Direction: "in", ScanID: "n1", At: &show})
	public := []struct {
		name, method, path, body, auth string
	}{
		{"verify-post", "POST", "/v1/verify", `{"token":"` + f.token + `"}`, ""},
		{"verify-get", "GET", "/v1/verify?token=" + f.token, "", ""},
		{"verify-mass-revoked", "POST", "/v1/verify", `{"token":"` + support[0].Token + `"}`, ""},
		{"scan", "POST", "/v1/scans", string(scan), "Bearer " + scanner},
		{"revocation-list", "GET", "/v1/revocations?since=0", "", "Bearer " + scanner},
		{"bundle", "GET", "/v1/events/tour27-ber01/bundle", "", "Bearer " + scanner},
		{"pass-as-scanner", "GET", "/v1/passes/" + serial, "", "Bearer " + scanner},
	}
	for _, tt := range public {
		t.Run("public/"+tt.name, func(t *testing.T) {
			rec := f.do(t, tt.method, tt.path, tt.body, "Authorization", tt.auth)
			if rec.Code != 200 {
				t.Fatalf("%s %s = %d %s", tt.method, tt.path, rec.Code, rec.Body)
			}
			body := withJWSPayloads(rec.Body.String())
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("%s %s shows the note (%q): %.600s", tt.method, tt.path, s, body)
				}
			}
		})
	}
	t.Run("public/verify-says-the-category", func(t *testing.T) {
		m := decode(t, f.do(t, "POST", "/v1/verify", `{"token":"`+f.token+`"}`))
		rev, _ := m["revocation"].(map[string]any)
		if m["status"] != "revoked" || rev["reason"] != "other" || rev["note"] != nil || !strings.Contains(m["message"].(string), "withdrawn by the office") {
			t.Errorf("verify = %v, want revoked with reason other and no note", m)
		}
	})
	for _, who := range []struct{ name, auth string }{{"admin", admin}, {"issuer", issuer}} {
		t.Run("staff/pass-as-"+who.name, func(t *testing.T) {
			m := decode(t, f.do(t, "GET", "/v1/passes/"+serial, "", "Authorization", who.auth))
			rev, _ := m["revocation"].(map[string]any)
			if rev["reason"] != "other" || rev["note"] != "stolen from J. Smith, call 07700 900123" {
				t.Errorf("GET /v1/passes/%s as %s: revocation = %v, want reason other with the note", serial, who.name, rev)
			}
		})
	}
	t.Run("staff/audit", func(t *testing.T) {
		audit, err := f.st.Audit(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		notes := 0
		for _, a := range audit {
			if strings.Contains(a.Detail, "07700 900123") {
				notes++
			}
		}
		if notes != 2 {
			t.Errorf("%d audit rows hold the note, want 2 (one per revocation)", notes)
		}
	})
}

func TestRevokeCategoryAndNote(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	admin := "Bearer " + f.apiToken(t, RoleAdmin, "office")
	ev, err := f.st.Event(ctx, "tour27-ber01")
	if err != nil {
		t.Fatal(err)
	}
	reqs := make([]signer.Request, 4)
	for i := range reqs {
		reqs[i] = signer.Request{Type: pass.VIP, Name: "Guest", Org: "Band " + string(rune('A'+i))}
	}
	ps, err := issue.Batch(ctx, f.s.cfg.Signer, f.st, ev, reqs, "test", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	one := func(i int) string { return "/v1/passes/" + string(ps[i].Serial) + "/revoke" }
	tests := []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"fail/no-reason", one(0), `{}`, 400, "a reason is required: one of lost, stolen, replaced, misuse, other"},
		{"fail/free-text-and-a-note", one(0), `{"reason":"lost at load-in","note":"call Sam"}`, 400, `unknown revocation reason \"lost at load-in\"`},
		{"fail/note-rlo", one(0), `{"reason":"stolen","note":"call \u202e321"}`, 400, "note has an invisible character U+202E (right-to-left override)"},
		{"fail/note-too-long", one(0), `{"reason":"stolen","note":"` + strings.Repeat("n", 201) + `"}`, 400, "note is longer than 200 characters"},
		{"fail/unknown-field", one(0), `{"reason":"stolen","category":"lost"}`, 400, "bad_request"},
		{"ok/category-and-note", one(0), `{"reason":"Stolen","note":"from the bus"}`, 200, `"reason":"stolen","note":"from the bus"`},
		{"ok/old-free-text-reason", one(1), `{"reason":"lost at load-in"}`, 200, `"reason":"other","note":"lost at load-in"`},
		{"ok/category-only", one(2), `{"reason":"replaced"}`, 200, `"reason":"replaced"}`},
		{"fail/mass-note-rlo", "/v1/revocations", `{"event":"tour27-ber01","org":"Band D","reason":"misuse","note":"\u2067x"}`, 400, "note has an invisible character U+2067"},
		{"fail/mass-no-reason", "/v1/revocations", `{"event":"tour27-ber01","org":"Band D"}`, 400, "a reason is required"},
		{"ok/mass", "/v1/revocations", `{"event":"tour27-ber01","org":"Band D","reason":"misuse","note":"resold online"}`, 200, `"revoked":1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "POST", tt.path, tt.body, "Authorization", admin)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("POST %s %s = %d %s, want %d with %s", tt.path, tt.body, rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
	want := []struct {
		cat  pass.RevokeCategory
		note string
	}{{pass.RevokeStolen, "from the bus"}, {pass.RevokeOther, "lost at load-in"}, {pass.RevokeReplaced, ""}, {pass.RevokeMisuse, "resold online"}}
	for i, w := range want {
		r, err := f.st.Revocation(ctx, ps[i].Serial)
		if err != nil || r.Category != w.cat || r.Note != w.note {
			t.Errorf("stored revocation of pass %d = %+v, %v; want %s with note %q", i, r, err, w.cat, w.note)
		}
	}
}
