package render

// Helpers that several test files of render share.

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/laminate/laminate/templates"
)

// benchWritePDF renders items on tpl to one PDF per loop and reports
// passes per second, PDF bytes per pass and CPU per pass.
func benchWritePDF(b *testing.B, tpl *templates.Template, items []Item) {
	var size int
	cpu0 := cpuTime()
	for b.Loop() {
		var buf bytes.Buffer
		if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret}); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(len(items))*float64(b.N)/b.Elapsed().Seconds(), "passes/s")
	b.ReportMetric(float64(size)/float64(len(items)), "B/pass")
	b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(len(items)*b.N), "cpu-ms/pass")
}

// cpuTime is the CPU time this process has used: on a machine shared with
// other work, CPU per pass is a steadier figure than passes per second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rasterise turns every page of pdf into an image at dpi with pdftoppm
// (extra: more pdftoppm flags, such as -gray), in page order.
func rasterise(t testing.TB, pdf string, dpi int, extra ...string) []image.Image {
	base := strings.TrimSuffix(pdf, ".pdf")
	args := append(append([]string{"-r", strconv.Itoa(dpi)}, extra...), "-png", pdf, base)
	if out, err := exec.Command("pdftoppm", args...).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(base + "-*.png") // sorted: pdftoppm pads page numbers
	var imgs []image.Image
	for _, p := range pages {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	return imgs
}
