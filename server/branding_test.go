package server

import (
	"bytes"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func testPNG(t *testing.T, w, h int) string {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestBranding: the branding routes take the fields and the logo with the
// CLI's rules and messages; the pass's PDF prints them.
func TestBranding(t *testing.T) {
	f := newFixture(t, 0)
	admin, issuer := f.apiToken(t, RoleAdmin, "admin"), f.apiToken(t, RoleIssuer, "issuer")
	auth := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
	const path = "/v1/events/tour27-ber01/branding"

	for _, tt := range []struct {
		name, method, path, body, tok string
		status                        int
		want                          string
	}{
		{"ok/fields", "PUT", path, `{"tour":"Ágætis byrjun — World Tour","accent":"#0B6E4F","contact":"Kim +49 30 1234"}`, admin, 200, `"accent":"#0b6e4f"`},
		{"ok/one-field-keeps-others", "PUT", path, `{"short":"BER 05 MAR"}`, admin, 200, `"tour":"Ágætis byrjun — World Tour"`},
		{"fail/accent", "PUT", path, `{"accent":"red"}`, admin, 400, `accent colour \"red\": want a hex colour #rrggbb, such as #c8102e`},
		{"fail/contact-bidi", "PUT", path, `{"contact":"call \u202e1234"}`, admin, 400, `"code":"bad_branding"`},
		{"fail/tour-unprintable", "PUT", path, `{"tour":"World Tour \udb80\udc01"}`, admin, 400, `tour line has the character U+F0001 \"\\U000f0001\" at character 12, which no font here prints: install fonts-noto-core or pass --fonts DIR`},
		{"fail/short-emoji", "PUT", path, `{"short":"BER \ud83d\ude00"}`, admin, 400, `short name has the character U+1F600 \"😀\" at character 5, which no font here prints: emoji and pictographs do not print on passes, leave it out`},
		{"fail/contact-unprintable", "PUT", path, `{"contact":"\udb80\udc01 office"}`, admin, 400, `"code":"bad_branding","message":"contact has the character U+F0001`},
		{"ok/unprintable-not-stored", "GET", path, "", admin, 200, `"tour":"Ágætis byrjun — World Tour"`},
		{"fail/unknown-field", "PUT", path, `{"colour":"#000000"}`, admin, 400, "bad_request"},
		{"fail/issuer", "PUT", path, `{"tour":"x"}`, issuer, 403, ""},
		{"fail/no-event", "PUT", "/v1/events/nope/branding", `{"tour":"x"}`, admin, 404, ""},
		{"ok/issuer-reads", "GET", path, "", issuer, 200, `"short":"BER 05 MAR"`},
		{"ok/logo-png", "PUT", "/v1/events/tour27-ber01/logo", testPNG(t, 300, 100), admin, 200, `"kind":"png","w":300,"h":100`},
		{"fail/logo-text", "PUT", "/v1/events/tour27-ber01/logo", "not an image", admin, 400,
			`bad logo: not a PNG, JPEG or SVG file: export the logo in one of these formats`},
		{"fail/logo-script", "PUT", "/v1/events/tour27-ber01/logo", `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><script>alert(1)</script></svg>`, admin, 400,
			`bad logo: SVG element \u003cscript\u003e is not allowed`},
		{"fail/logo-huge", "PUT", "/v1/events/tour27-ber01/logo", strings.Repeat("x", 1<<20+10), admin, 413, "more than 1024 KiB"},
		{"ok/logo-still-there", "GET", path, "", admin, 200, `"kind":"png"`},
	} {
		rec := f.do(t, tt.method, tt.path, tt.body, auth(tt.tok)...)
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("%s: %s %s = %d %s, want %d containing %s", tt.name, tt.method, tt.path, rec.Code, rec.Body, tt.status, tt.want)
		}
	}

	rec := f.do(t, "GET", "/v1/events/tour27-ber01/logo", "", auth(issuer)...)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("GET logo = %d %v", rec.Code, rec.Header())
	}

	// The pass's PDF prints the tour line and the contact.
	if _, err := exec.LookPath("pdftotext"); err == nil {
		rec = f.do(t, "GET", "/v1/passes/"+string(f.iss.Serial)+"/pdf?template=badge-a6-a4&duplex=1", "", auth(issuer)...)
		if rec.Code != 200 {
			t.Fatalf("pdf = %d %s", rec.Code, rec.Body)
		}
		text := pdfText(t, rec)
		for _, want := range []string{"Ágætis byrjun — World Tour", "Kim +49 30 1234"} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text lacks %q:\n%s", want, text)
			}
		}
	}

	if rec := f.do(t, "DELETE", "/v1/events/tour27-ber01/logo", "", auth(admin)...); rec.Code != 200 || strings.Contains(rec.Body.String(), `"logo"`) {
		t.Errorf("DELETE logo = %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(t, "GET", "/v1/events/tour27-ber01/logo", "", auth(admin)...); rec.Code != 404 {
		t.Errorf("GET logo after delete = %d", rec.Code)
	}
}

func pdfText(t *testing.T, rec *httptest.ResponseRecorder) string {
	p := t.TempDir() + "/p.pdf"
	if err := os.WriteFile(p, rec.Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-raw", p, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}
