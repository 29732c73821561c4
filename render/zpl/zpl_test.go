package zpl

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render/typeset"
	"github.com/laminate/laminate/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var testEvent = func() *pass.Event {
	show := time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("CET", 3600))
	e := &pass.Event{ID: "tour27-ber01", Name: "Sigur Rós — World Tour 2027", Venue: "Columbiahalle, Berlin",
		Schedule: pass.Schedule{ShowStart: show, ShowEnd: show.Add(3 * time.Hour)}}
	if err := e.Validate(); err != nil {
		panic(err)
	}
	return e
}()

// signed makes a pass for name signed by a key drawn from seed: the same
// seed gives the same token (Ed25519 signs deterministically).
func signed(t testing.TB, seed uint64, name string, typ pass.Type) (Item, ed25519.PublicKey) {
	t.Helper()
	r := rand.NewChaCha8([32]byte{byte(seed)})
	key := make([]byte, ed25519.SeedSize)
	r.Read(key)
	priv := ed25519.NewKeyFromSeed(key)
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: priv, KeyID: "test01"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := pass.NewSerial(r)
	if err != nil {
		t.Fatal(err)
	}
	p := pass.Pass{Serial: serial, Event: testEvent.ID, Type: typ, Name: name, Org: "Motörhead Ltd",
		ValidUntil: testEvent.Schedule.AccessUntil.UTC(), Issuer: "lam"}
	if typ == pass.Staff {
		p.Role = "catering"
	}
	payload, _ := json.Marshal(p.Claims())
	jws, err := sg.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := jws.CompactSerialize()
	return Item{Pass: p, Token: tok, Event: testEvent}, priv.Public().(ed25519.PublicKey)
}

// thermal is the shipped templates a 4-inch printer takes.
func thermal(t testing.TB) []*templates.Template {
	var out []*templates.Template
	for _, tpl := range templates.List() {
		if Supported(tpl) == nil {
			out = append(out, tpl)
		}
	}
	if len(out) != 4 {
		t.Fatalf("%d shipped templates fit a 4-inch printer, want 4 (4x3, CR80, two rounds)", len(out))
	}
	return out
}

var (
	fieldRE = regexp.MustCompile(`^\^FO0,0\^GFA,(\d+),(\d+),(\d+),:Z64:([A-Za-z0-9+/=]+):([0-9A-F]{4})\^FS$`)
	sizeRE  = regexp.MustCompile(`^\^(PW|LL)(\d+)$`)
)

// parse reads back exactly the ZPL that Encode writes (a test helper, not
// a ZPL interpreter): one bitmap per ^XA…^XZ format, checking the CRC,
// the byte counts and that the field fills ^PW x ^LL.
func parse(t testing.TB, zpl []byte) []*Bitmap {
	t.Helper()
	var out []*Bitmap
	var cur *Bitmap
	pw, ll := 0, 0
	for i, line := range strings.Split(strings.TrimSuffix(string(zpl), "\n"), "\n") {
		fail := func(f string, a ...any) { t.Fatalf("line %d %.60q: %s", i+1, line, fmt.Sprintf(f, a...)) }
		switch {
		case line == "^XA":
			if cur != nil {
				fail("^XA inside a format")
			}
			cur, pw, ll = &Bitmap{}, 0, 0
		case strings.HasPrefix(line, "^FX"), line == "^LH0,0", line == "^PQ1":
		case sizeRE.MatchString(line):
			m := sizeRE.FindStringSubmatch(line)
			v, _ := strconv.Atoi(m[2])
			if m[1] == "PW" {
				pw = v
			} else {
				ll = v
			}
		case fieldRE.MatchString(line):
			m := fieldRE.FindStringSubmatch(line)
			total, _ := strconv.Atoi(m[1])
			total2, _ := strconv.Atoi(m[2])
			stride, _ := strconv.Atoi(m[3])
			if crc := fmt.Sprintf("%04X", CRC16([]byte(m[4]))); crc != m[5] {
				fail("CRC %s, computed %s", m[5], crc)
			}
			z, err := base64.StdEncoding.DecodeString(m[4])
			if err != nil {
				fail("base64: %v", err)
			}
			zr, err := zlib.NewReader(bytes.NewReader(z))
			if err != nil {
				fail("zlib: %v", err)
			}
			bits, err := io.ReadAll(zr)
			if err != nil {
				fail("zlib: %v", err)
			}
			if total != total2 || len(bits) != total || stride != (pw+7)/8 || total != stride*ll {
				fail("counts %d,%d stride %d for %d bytes, ^PW%d ^LL%d", total, total2, stride, len(bits), pw, ll)
			}
			*cur = Bitmap{W: pw, H: ll, Stride: stride, Bits: bits}
		case line == "^XZ":
			if cur == nil || cur.Bits == nil {
				fail("format without a graphic field")
			}
			out = append(out, cur)
			cur = nil
		default:
			fail("a command Encode does not write")
		}
	}
	if cur != nil {
		t.Fatal("no ^XZ at the end")
	}
	return out
}

func writePNG(t testing.TB, bm *Bitmap, path string) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, bm.Image()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// zbar decodes every code in a PNG with zbarimg (zbar-tools).
func zbar(t *testing.T, png string) []string {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err != nil {
		if os.Getenv("LAMINATE_CI") != "" {
			t.Fatal("zbarimg not found: install zbar-tools")
		}
		t.Skip("zbarimg not found: install zbar-tools")
	}
	out, _ := exec.Command("zbarimg", "-q", "--raw", png).Output() // exit 4: nothing found
	var codes []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			codes = append(codes, line)
		}
	}
	return codes
}

// TestLabelsScan prints a pass on every thermal template at both
// resolutions, reads back the ZPL that would be sent, decodes its QR with
// zbarimg and verifies the token's signature. LAMINATE_ZPL_PNG=DIR keeps
// the PNGs to look at.
func TestLabelsScan(t *testing.T) {
	dir := os.Getenv("LAMINATE_ZPL_PNG")
	for _, tpl := range thermal(t) {
		for _, dpi := range []int{203, 300} {
			t.Run(fmt.Sprintf("%s/%d", tpl.Name, dpi), func(t *testing.T) {
				it, pub := signed(t, 1, "Björk Guðmundsdóttir", pass.AAA)
				var buf bytes.Buffer
				if err := Write(&buf, []Item{it}, Options{Template: tpl, DPI: dpi}); err != nil {
					t.Fatal(err)
				}
				bms := parse(t, buf.Bytes())
				if len(bms) != 1 {
					t.Fatalf("%d labels, want 1", len(bms))
				}
				d, _ := DotsPerMM(dpi)
				if want := int(tpl.Label.W*float64(d) + 0.5); bms[0].W != want {
					t.Errorf("^PW%d, want %d (%g mm at %d dots/mm)", bms[0].W, want, tpl.Label.W, d)
				}
				p := filepath.Join(t.TempDir(), "label.png")
				if dir != "" {
					p = filepath.Join(dir, fmt.Sprintf("%s-%d.png", tpl.Name, dpi))
				}
				writePNG(t, bms[0], p)
				codes := zbar(t, p)
				if len(codes) != 1 {
					t.Fatalf("zbarimg found %d codes, want 1", len(codes))
				}
				jws, err := pass.DecodeTransport(codes[0])
				if err != nil {
					t.Fatalf("decoded %q: %v", codes[0], err)
				}
				if jws != it.Token {
					t.Fatalf("decoded token differs from the pass's")
				}
				sig, err := jose.ParseSignedCompact(jws, []jose.SignatureAlgorithm{jose.EdDSA})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sig.Verify(pub); err != nil {
					t.Fatalf("signature of the decoded token: %v", err)
				}
				t.Logf("%d bytes of ZPL, %dx%d dots", buf.Len(), bms[0].W, bms[0].H)
			})
		}
	}
}

// TestQRWholeDots checks that every QR module is a square of whole dots:
// the code is drawn at an integer scale, never resampled.
func TestQRWholeDots(t *testing.T) {
	for _, tpl := range thermal(t) {
		for _, dpi := range []int{203, 300} {
			it, _ := signed(t, 2, "Sam Okafor", pass.VIP)
			l := &label{dpmm: float64(dpi / 25), t: tpl}
			d, _ := DotsPerMM(dpi)
			l.dpmm = float64(d)
			l.bm = newBitmap(int(tpl.Label.W*l.dpmm+0.5), int(tpl.Label.H*l.dpmm+0.5))
			if err := l.qr(tpl.Front.QR, it.Token); err != nil {
				t.Fatalf("%s/%d: %v", tpl.Name, dpi, err)
			}
			// The finder pattern's top-left corner: the first black dot, then
			// its run along the row is 7 modules.
			x0, y0, x1, _ := l.box(tpl.Front.QR)
			fx, fy := -1, -1
			for y := y0; y < l.bm.H && fy < 0; y++ {
				for x := x0; x < x1; x++ {
					if l.bm.Black(x, y) {
						fx, fy = x, y
						break
					}
				}
			}
			run := 0
			for l.bm.Black(fx+run, fy) {
				run++
			}
			if run%7 != 0 || run/7 < 1 {
				t.Errorf("%s/%d: finder pattern %d dots wide, not 7 whole modules", tpl.Name, dpi, run)
				continue
			}
			per := run / 7
			if float64(per)/l.dpmm < tpl.MinModule {
				t.Errorf("%s/%d: %d dots a module, below %g mm", tpl.Name, dpi, per, tpl.MinModule)
			}
			t.Logf("%s/%d: %d dots a module (%.3f mm)", tpl.Name, dpi, per, float64(per)/l.dpmm)
		}
	}
}

// TestNamesInEveryScript prints names in every script the PDF path
// prints on the CR80 and 4x3 badges, and checks that the name box got
// ink and the QR still scans.
func TestNamesInEveryScript(t *testing.T) {
	names := map[string]string{
		"latin": "Ana Lucía Pérez-Fernández", "greek": "Αικατερίνη Παπαδοπούλου", "cyrillic": "Дмитрий Шостакович",
		"chinese": "欧阳建国", "japanese": "長谷川 さくら", "korean": "황보 지혜", "arabic": "عبد الرحمن بن محمد",
		"hebrew": "יהונתן בן־ציון רוזנבלום", "thai": "ณัฐวุฒิ ศรีสุวรรณวงศ์", "devanagari": "श्रीनिवास रामानुजन्",
	}
	dir := os.Getenv("LAMINATE_ZPL_PNG")
	for script, name := range names {
		t.Run(script, func(t *testing.T) {
			if err := typeset.Default().Check(name, typeset.Bold); err != nil {
				if os.Getenv("LAMINATE_CI") != "" {
					t.Fatal(err)
				}
				t.Skip(err)
			}
			tpl, err := templates.Get("badge-cr80-letter")
			if err != nil {
				t.Fatal(err)
			}
			it, _ := signed(t, 3, name, pass.Working)
			bm, err := Label(it, Options{Template: tpl, DPI: 300})
			if err != nil {
				t.Fatal(err)
			}
			l := &label{dpmm: 12, bm: bm}
			x0, y0, x1, y1 := l.box(tpl.Front.Name)
			ink := 0
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					if bm.Black(x, y) {
						ink++
					}
				}
			}
			if ink < 200 {
				t.Fatalf("name box has %d black dots: the name was not drawn", ink)
			}
			if dir != "" {
				writePNG(t, bm, filepath.Join(dir, "script-"+script+".png"))
			}
		})
	}
}

// TestEveryBoxInked: every text box of every thermal template gets ink
// at both resolutions (the band: white letters on black), so no element
// is silently lost (a sticker's event line once was drawn white on white).
func TestEveryBoxInked(t *testing.T) {
	for _, tpl := range thermal(t) {
		for _, dpi := range []int{203, 300} {
			it, _ := signed(t, 8, "Sam Okafor", pass.Staff)
			bm, err := Label(it, Options{Template: tpl, DPI: dpi})
			if err != nil {
				t.Fatal(err)
			}
			d, _ := DotsPerMM(dpi)
			l := &label{dpmm: float64(d), bm: bm}
			count := func(b *templates.Box, black bool) int {
				x0, y0, x1, y1 := l.box(b)
				n := 0
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						if bm.Black(x, y) == black {
							n++
						}
					}
				}
				return n
			}
			f := tpl.Front
			for name, b := range map[string]*templates.Box{"event": f.Event, "name": f.Name, "org": f.Org, "zones": f.Zones, "validity": f.Validity, "serial": f.Serial} {
				if b != nil && count(b, true) < 20 {
					t.Errorf("%s/%d: the %s box has %d black dots", tpl.Name, dpi, name, count(b, true))
				}
			}
			if f.Band != nil && count(f.Band, false) < 20 {
				t.Errorf("%s/%d: the band has no white letters", tpl.Name, dpi)
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	a6, _ := templates.Get("badge-a6-a4")
	cr80, _ := templates.Get("badge-cr80-letter")
	it, _ := signed(t, 4, "Sam Okafor", pass.AAA)
	long := it
	long.Pass.Name = strings.Repeat("Wolfgang Amadeus ", 10)
	tiny := *cr80
	tiny.MinModule = 2
	for _, c := range []struct {
		name string
		it   Item
		opt  Options
		want error
	}{
		{"fail/a6-too-wide", it, Options{Template: a6, DPI: 203}, ErrTooWide},
		{"fail/dpi", it, Options{Template: cr80, DPI: 600}, ErrDPI},
		{"fail/name-too-long", long, Options{Template: cr80, DPI: 203}, ErrNameTooLong},
		{"fail/module-too-small", it, Options{Template: &tiny, DPI: 203}, ErrModuleTooSmall},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, []Item{c.it}, c.opt)
			if !errors.Is(err, c.want) {
				t.Fatalf("Write() error = %v, want %v", err, c.want)
			}
			if buf.Len() != 0 {
				t.Fatal("something was written")
			}
		})
	}
}

func TestCRC16(t *testing.T) {
	if got := CRC16([]byte("123456789")); got != 0x31C3 { // the CRC-16/XMODEM check value
		t.Fatalf("CRC16(123456789) = %04X, want 31C3", got)
	}
}

// TestGolden pins what is sent for one pass on each thermal template at
// 203 dpi: the commands as written, the graphic field's payload by its
// length and SHA-256. Refresh with go test ./render/zpl -run Golden -update.
func TestGolden(t *testing.T) {
	for _, tpl := range thermal(t) {
		t.Run(tpl.Name, func(t *testing.T) {
			it, _ := signed(t, 5, "Zoë Wanamaker", pass.Photo)
			var buf bytes.Buffer
			if err := Write(&buf, []Item{it}, Options{Template: tpl, DPI: 203}); err != nil {
				t.Fatal(err)
			}
			got := regexp.MustCompile(`:Z64:[^:]+:`).ReplaceAllStringFunc(buf.String(), func(s string) string {
				sum := sha256.Sum256([]byte(s[5 : len(s)-1]))
				return fmt.Sprintf(":Z64:<%d base64 characters, sha256 %s>:", len(s)-6, hex.EncodeToString(sum[:8]))
			})
			path := filepath.Join("testdata", tpl.Name+"-203.zpl.golden")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if got != string(want) {
				t.Fatalf("ZPL differs from %s:\n got: %s\nwant: %s", path, got, want)
			}
		})
	}
}

func TestSend(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	it, _ := signed(t, 6, "Sam Okafor", pass.AAA)
	tpl, _ := templates.Get("sticker-round-2in-letter")
	var buf bytes.Buffer
	if err := Write(&buf, []Item{it}, Options{Template: tpl, DPI: 203}); err != nil {
		t.Fatal(err)
	}
	if err := Send(context.Background(), ln.Addr().String(), buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, buf.Bytes()) {
		t.Fatalf("printer got %d bytes, want the %d sent", len(b), buf.Len())
	}

	// Nothing listening: an error naming the printer.
	addr := ln.Addr().String()
	ln.Close()
	if err := Send(context.Background(), addr, buf.Bytes()); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Send to a closed port: %v", err)
	}
	if err := Send(context.Background(), "printer.local", nil); err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Fatalf("Send without a port: %v", err)
	}
	// A cancelled context stops at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Send(ctx, "192.0.2.1:9100", buf.Bytes()); err == nil {
		t.Fatal("Send with a cancelled context succeeded")
	}
}

// BenchmarkLabel draws and encodes one label per template and resolution;
// it reports the ZPL's size. go test ./render/zpl -run - -bench Label
func BenchmarkLabel(b *testing.B) {
	for _, tpl := range thermal(b) {
		for _, dpi := range []int{203, 300} {
			b.Run(fmt.Sprintf("%s/%d", tpl.Name, dpi), func(b *testing.B) {
				it, _ := signed(b, 7, "Björk Guðmundsdóttir", pass.AAA)
				var buf bytes.Buffer
				for b.Loop() {
					buf.Reset()
					if err := Write(&buf, []Item{it}, Options{Template: tpl, DPI: dpi}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(buf.Len()), "B/label")
			})
		}
	}
}
