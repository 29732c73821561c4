package render

import (
	"bytes"
	"crypto/sha256"
	"sync"
	"testing"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/laminate/laminate/templates"
)

// The server renders PDFs for many requests at once. gofpdf writes into the
// font bytes it is given while it subsets them (checksums, table copies), so
// documents rendered side by side must not share those bytes: under -race
// this test reports the race, and without -race the shared font files are
// seen to change. Every render of the same passes is byte-identical too
// (gofpdf orders its fonts by map iteration unless catalog sorting is on).
func TestRenderConcurrentLeavesFontsAlone(t *testing.T) {
	fonts := map[string][]byte{"goregular": goregular.TTF, "gobold": gobold.TTF, "gomonobold": gomonobold.TTF}
	before := map[string][32]byte{}
	for name, b := range fonts {
		before[name] = sha256.Sum256(b)
	}
	tpl, err := templates.Get("badge-4x3-letter")
	if err != nil {
		t.Fatal(err)
	}
	items, _ := testItems(t, 2)
	outs := make([][]byte, 4)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() {
			var buf bytes.Buffer
			if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret}); err != nil {
				t.Error(err)
			}
			outs[i] = buf.Bytes()
		})
	}
	wg.Wait()
	for name, b := range fonts {
		if sha256.Sum256(b) != before[name] {
			t.Errorf("rendering changed the shared font file %s", name)
		}
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Errorf("render %d differs from render 0: output is not reproducible under concurrency", i)
		}
	}
}
