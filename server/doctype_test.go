package server

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/laminate/laminate/verifier"
)

// Issue 11, security 5: POST /v1/artwork draws artwork only for a parsed
// pass with a serial. A revocation list or a bundle, signed by the same
// key, gets nothing (it used to get 200 and the artwork of serial "").
func TestPublicArtworkOnlyForPasses(t *testing.T) {
	f := newFixture(t, 0)
	scanner := "Bearer " + scannerToken(t, f)
	var list RevocationListResponse
	if err := json.Unmarshal(f.do(t, "GET", "/v1/revocations?since=0", "", "Authorization", scanner).Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	_, bundle := f.getBundle(t, scanner)
	tests := []struct {
		name, token string
		status      int
	}{
		{"ok/pass", f.token, 200},
		{"ok/pass-numeric-form", numeric(f.token), 200},
		{"ok/pass-compact-form", compactForm(f.token), 200},
		{"fail/revocation-list", list.JWS, 404},
		{"fail/bundle", bundle, 404},
		{"fail/garbage", "hello", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(VerifyRequest{Token: tt.token})
			rec := f.do(t, "POST", "/v1/artwork", string(body))
			if rec.Code != tt.status {
				t.Fatalf("POST /v1/artwork = %d %.100s, want %d", rec.Code, rec.Body, tt.status)
			}
			if tt.status == 200 && !strings.Contains(rec.Body.String(), "<svg") {
				t.Fatalf("body %.100s, want SVG", rec.Body)
			}
		})
	}
}

// Every document the server signs that is not a pass says what it is in
// its header, and is no pass to the verifier.
func TestSignedDocumentsAreTyped(t *testing.T) {
	f := newFixture(t, 0)
	scanner := "Bearer " + scannerToken(t, f)
	var list RevocationListResponse
	if err := json.Unmarshal(f.do(t, "GET", "/v1/revocations?since=0", "", "Authorization", scanner).Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	_, bundle := f.getBundle(t, scanner)
	for _, d := range []struct{ name, jws, typ string }{
		{"pass", f.token, ""},
		{"revocation-list", list.JWS, verifier.RevocationListHeaderType},
		{"bundle", bundle, verifier.BundleHeaderType},
	} {
		raw, err := base64.RawURLEncoding.DecodeString(strings.Split(d.jws, ".")[0])
		if err != nil {
			t.Fatal(err)
		}
		var h map[string]any
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatal(err)
		}
		typ, has := h["typ"]
		if d.typ == "" && has || d.typ != "" && typ != d.typ {
			t.Errorf("%s: header %s, want typ %q", d.name, raw, d.typ)
		}
		vd := f.s.cfg.Verifier.Verify(d.jws, f.now)
		if d.typ != "" && (vd.Authentic || vd.Status != verifier.StatusMalformed) {
			t.Errorf("%s as a pass: authentic %v %s, want malformed", d.name, vd.Authentic, vd.Status)
		}
	}
}
