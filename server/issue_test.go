package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

func TestIssueEndpoints(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	tok := f.apiToken(t, RoleIssuer, "office")
	scanner := scannerToken(t, f)
	auth := "Bearer " + tok
	tests := []struct {
		name, method, path, body, auth string
		status                         int
		want                           string
	}{
		{"ok/one", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"after show","name":"Lemmy","org":"Motörhead"}`, auth, 201, `"type":"AFTER_SHOW"`},
		{"ok/staff", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"STAFF","role":"Catering","name":"Sam"}`, auth, 201, `"role":"catering"`},
		{"fail/scanner-cannot-issue", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"AAA","name":"X"}`, "Bearer " + scanner, 403, "forbidden"},
		{"fail/unknown-event", "POST", "/v1/passes", `{"event":"nope","type":"AAA","name":"X"}`, auth, 404, "no event nope"},
		{"fail/bad-type", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"ROADIE","name":"X"}`, auth, 400, "unknown pass type"},
		{"fail/staff-no-role", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"STAFF","name":"X"}`, auth, 400, "needs a role"},
		{"fail/empty-name", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"AAA","name":""}`, auth, 400, "name is empty"},
		{"ok/persian-zwnj", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"VIP","name":"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"}`, auth, 201, `"type":"VIP"`},
		{"fail/rlo-name", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"AAA","name":"Mallory\u202eyxe.exe"}`, auth, 400, "name has an invisible character U+202E (right-to-left override) at character 8"},
		{"fail/rli-org", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"AAA","name":"X","org":"Crew\u2067Ltd"}`, auth, 400, "org has an invisible character U+2067 (right-to-left isolate)"},
		{"fail/latin-zwj-name", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"AAA","name":"Bo\u200db"}`, auth, 400, "name has U+200D (zero-width joiner) at character 3 outside a word"},
		{"fail/batch-rlo-name", "POST", "/v1/passes/batch?event=tour27-ber01", "name,type\nAnn,AAA\nMallory\u202eyxe.exe,VIP\n", auth, 400, "line 3, column 1 (name): name has an invisible character U+202E (right-to-left override)"},
		{"fail/emoji-name", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"AAA","name":"Sam \ud83d\ude00"}`, auth, 400, `nothing issued: name has the character U+1F600 \"😀\" at character 5, which no font here prints`},
		{"fail/unprintable-org", "POST", "/v1/passes", `{"event":"tour27-ber01","type":"AAA","name":"Sam","org":"Acme \udb80\udc01"}`, auth, 400, "org has the character U+F0001"},
		{"fail/batch-unprintable-org", "POST", "/v1/passes/batch?event=tour27-ber01", "name,type,org\nAnn,AAA,Crew\nBob,VIP,Acme \U000F0001\n", auth, 400, "line 3, column 3 (org): org has the character U+F0001"},
		{"ok/batch", "POST", "/v1/passes/batch?event=tour27-ber01", "name,type\nAnn,AAA\nBob,VIP\n", auth, 201, `"issued":2`},
		{"fail/batch-bad-row", "POST", "/v1/passes/batch?event=tour27-ber01", "name,type\nAnn,AAA\nBob,ROADIE\n", auth, 400, "line 3, column 2 (type)"},
		{"fail/batch-no-event", "POST", "/v1/passes/batch", "name,type\nAnn,AAA\n", auth, 404, "no event"},
		{"ok/pdf", "GET", "/v1/passes/" + string(f.iss.Serial) + "/pdf?template=badge-a6-a4", "", auth, 200, "%PDF-1"},
		{"fail/pdf-template-path", "GET", "/v1/passes/" + string(f.iss.Serial) + "/pdf?template=/etc/passwd", "", auth, 400, "unknown template"},
		{"fail/pdf-no-pass", "GET", "/v1/passes/2222-2222/pdf", "", auth, 404, "no pass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, tt.method, tt.path, tt.body, "Authorization", tt.auth)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("%s %s = %d %.300s, want %d with %s", tt.method, tt.path, rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
	// An issued pass verifies; the failed batch stored nothing.
	var one IssueResponse
	rec2 := f.do(t, "POST", "/v1/passes", `{"event":"tour27-ber01","type":"VIP","name":"Zoë"}`, "Authorization", auth)
	json.Unmarshal(rec2.Body.Bytes(), &one)
	if m := decode(t, f.do(t, "POST", "/v1/verify", `{"token":"`+one.Token+`"}`)); m["status"] != "valid" || m["name"] != "Zoë" {
		t.Fatalf("issued pass verifies as %v", m)
	}
	ps, _ := f.st.Passes(ctx, store.PassFilter{Event: "tour27-ber01"})
	if len(ps) != 1+3+2+1 { // fixture + ok/one + ok/staff + ok/persian-zwnj + ok/batch(2) + Zoë
		t.Fatalf("%d passes stored, want 7", len(ps))
	}
	// Revoked passes are not printed; a node without a signer cannot issue.
	f.st.Revoke(ctx, &store.Revocation{Serial: f.iss.Serial, Category: pass.RevokeLost, By: "test"})
	if rec := f.do(t, "GET", "/v1/passes/"+string(f.iss.Serial)+"/pdf", "", "Authorization", auth); rec.Code != 409 {
		t.Fatalf("pdf of a revoked pass = %d", rec.Code)
	}
	f.s.signer.Store(nil)
	if rec := f.do(t, "POST", "/v1/passes", `{"event":"tour27-ber01","type":"AAA","name":"X"}`, "Authorization", auth); rec.Code != 503 || !strings.Contains(rec.Body.String(), "cannot_sign") {
		t.Fatalf("issue without a signer = %d %s", rec.Code, rec.Body)
	}
}

func TestRevocationList(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	scanner := "Bearer " + scannerToken(t, f)
	if err := f.st.Revoke(ctx, &store.Revocation{Serial: f.iss.Serial, Category: pass.RevokeLost, By: "test"}); err != nil {
		t.Fatal(err)
	}
	rec := f.do(t, "GET", "/v1/revocations?since=0", "", "Authorization", scanner)
	var resp RevocationListResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || rec.Code != 200 {
		t.Fatalf("GET /v1/revocations = %d %s", rec.Code, rec.Body)
	}
	if resp.List.Seq != 1 || len(resp.List.Revoked) != 1 || resp.List.Revoked[0].Serial != f.iss.Serial {
		t.Fatalf("list = %+v", resp.List)
	}
	// The JWS verifies with the JWKS and says the same; as a pass it is malformed.
	jwks := f.s.cfg.Keys.JWKS()
	jws, err := jose.ParseSignedCompact(resp.JWS, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(jwks.Keys[0])
	if err != nil || !strings.Contains(string(payload), `"typ":"laminate/revocations"`) {
		t.Fatalf("revocation list JWS: %v %s", err, payload)
	}
	if m := decode(t, f.do(t, "POST", "/v1/verify", `{"token":"`+resp.JWS+`"}`)); m["status"] != "malformed" {
		t.Fatalf("a revocation list verified as a pass: %v", m)
	}
	rec = f.do(t, "GET", "/v1/revocations?since=1", "", "Authorization", scanner)
	json.Unmarshal(rec.Body.Bytes(), &resp)
	if len(resp.List.Revoked) != 0 || resp.List.Seq != 1 {
		t.Fatalf("since=1: %+v", resp.List)
	}
	if rec := f.do(t, "GET", "/v1/revocations?since=-1", "", "Authorization", scanner); rec.Code != 400 {
		t.Fatalf("since=-1 = %d", rec.Code)
	}
	if rec := f.do(t, "GET", "/v1/revocations", ""); rec.Code != 401 {
		t.Fatalf("no auth = %d", rec.Code)
	}
}
