package render

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/templates"
)

var (
	testSecret = bytes.Repeat([]byte("laminate-test-secret"), 2)
	testEvent  = func() *pass.Event {
		show := time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("CET", 3600))
		e := &pass.Event{ID: "tour27-ber01", Name: "Sigur Rós — World Tour 2027", Venue: "Columbiahalle, Berlin",
			Schedule: pass.Schedule{ShowStart: show, ShowEnd: show.Add(3 * time.Hour)}}
		if err := e.Validate(); err != nil {
			panic(err)
		}
		return e
	}()
	testNames = []string{"Björk Guðmundsdóttir", "Sigur Rós", "Lemmy Kilmister", "Zoë Wanamaker", "Дмитрий Шостакович",
		"Ελένη Καραΐνδρου", "Ana Lucía Pérez-Fernández de la Vega y Montenegro", "Sam Okafor"}
)

// testItems signs n passes of every type with a throwaway Ed25519 key.
func testItems(t testing.TB, n int) ([]Item, ed25519.PublicKey) {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(nil)
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: priv, KeyID: "test01"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	items := make([]Item, n)
	for i := range items {
		serial, _ := pass.NewSerial(nil)
		p := pass.Pass{Serial: serial, Event: testEvent.ID, Type: pass.Types[i%len(pass.Types)], Name: testNames[i%len(testNames)],
			Org: "Motörhead Ltd", ValidUntil: testEvent.Schedule.AccessUntil.UTC(), Issuer: "lam"}
		if p.Type == pass.Staff {
			p.Role = "catering"
		}
		c := p.Claims()
		payload, _ := jsonMarshal(c)
		jws, err := sg.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := jws.CompactSerialize()
		items[i] = Item{Pass: p, Token: tok, Event: testEvent}
	}
	return items, pub
}

func TestRenderEveryTemplateScans(t *testing.T) {
	if _, err := exec.LookPath("zbarimg"); err != nil {
		t.Skip("zbarimg not installed (apt-get install zbar-tools); .ci/run installs it")
	}
	for _, tpl := range templates.List() {
		t.Run(tpl.Name, func(t *testing.T) {
			items, _ := testItems(t, tpl.PerPage())
			var buf bytes.Buffer
			if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret, CropMarks: true, Duplex: tpl.Back != nil}); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			pdfPath := filepath.Join(dir, "sheet.pdf")
			os.WriteFile(pdfPath, buf.Bytes(), 0o600)
			if out := os.Getenv("LAMINATE_KEEP_PDF"); out != "" {
				os.WriteFile(filepath.Join(out, tpl.Name+".pdf"), buf.Bytes(), 0o644)
			}
			if out, err := exec.Command("pdftoppm", "-r", "150", "-png", pdfPath, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
			pages, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
			got := map[string]int{}
			for _, pg := range pages {
				out, _ := exec.Command("zbarimg", "-q", "--raw", pg).Output()
				for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					if line != "" {
						got[line]++
					}
				}
			}
			for _, it := range items {
				num, _ := pass.EncodeNumeric(it.Token)
				want := 1
				if tpl.Back != nil {
					want = 2
				}
				if got[num] != want {
					t.Errorf("pass %s: QR decoded %d times, want %d", it.Pass.Serial, got[num], want)
				}
			}
			t.Logf("%s: %d passes, %d pages, %d bytes (%.1f KB/pass)", tpl.Name, len(items), len(pages), buf.Len(), float64(buf.Len())/1024/float64(len(items)))
		})
	}
}
