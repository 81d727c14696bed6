package printable

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/market4/market4/internal/errs"
)

// These helpers check PDFs structurally in Go and, through poppler-utils
// (pdftoppm, pdftotext, pdfinfo), the way a reader sees them. Without
// poppler the rendering checks are skipped, unless
// MARKET4_REQUIRE_POPPLER=1 (set in CI) turns the skip into a failure.

// checkPDF fails t unless b is a well-formed classic PDF as far as this
// package writes them: header, %%EOF, startxref pointing at an xref table
// whose in-use entries each point at "N 0 obj". It returns the number of
// objects (the trailer's /Size).
func checkPDF(t testing.TB, b []byte) int {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) {
		t.Fatalf("no %%PDF- header: %q", b[:min(len(b), 16)])
	}
	if !bytes.HasSuffix(bytes.TrimRight(b, "\r\n"), []byte("%%EOF")) {
		t.Fatalf("does not end with %%%%EOF: %q", b[max(0, len(b)-16):])
	}
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if xref <= 0 || xref >= len(b) || !bytes.HasPrefix(b[xref:], []byte("xref")) {
		t.Fatalf("startxref %d does not point at an xref table", xref)
	}
	hm := regexp.MustCompile(`^xref\r?\n0 (\d+)\r?\n`).FindSubmatch(b[xref:])
	if hm == nil {
		t.Fatalf("bad xref header: %q", b[xref:min(len(b), xref+20)])
	}
	size, _ := strconv.Atoi(string(hm[1]))
	entries := b[xref+len(hm[0]):]
	if len(entries) < 20*size {
		t.Fatalf("xref table truncated: %d entries announced", size)
	}
	for i := 0; i < size; i++ {
		e := entries[20*i : 20*i+20]
		if e[18] != '\n' && !(e[18] == '\r' && e[19] == '\n') && e[19] != '\n' {
			t.Fatalf("xref entry %d is not 20 bytes: %q", i, e)
		}
		if e[17] == 'f' {
			continue
		}
		off, err := strconv.Atoi(string(e[:10]))
		if err != nil || e[17] != 'n' {
			t.Fatalf("xref entry %d malformed: %q", i, e)
		}
		want := strconv.Itoa(i) + " 0 obj"
		if off <= 0 || off+len(want) > len(b) || string(b[off:off+len(want)]) != want {
			t.Fatalf("xref entry %d points at offset %d, which holds %q, not %q", i, off, b[off:min(len(b), off+len(want))], want)
		}
	}
	tm := regexp.MustCompile(`trailer\s*<<[^>]*/Size (\d+)`).FindSubmatch(b[xref:])
	if tm == nil || string(tm[1]) != strconv.Itoa(size) {
		t.Fatalf("trailer /Size does not match the xref table's %d entries", size)
	}
	return size
}

// pageCount is the /Count of the page tree.
func pageCount(t testing.TB, b []byte) int {
	t.Helper()
	m := regexp.MustCompile(`/Type /Pages[^>]*?/Count (\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no page tree /Count")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// requirePoppler returns the path of a poppler tool, or skips t.
func requirePoppler(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("MARKET4_REQUIRE_POPPLER") == "1" {
			t.Fatalf("%s not found (apt-get install poppler-utils) and MARKET4_REQUIRE_POPPLER=1", tool)
		}
		t.Skipf("%s not found; apt-get install poppler-utils to run this check", tool)
	}
	return p
}

func writeTemp(t testing.TB, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// renderPage rasterises one page (1-based) at dpi with pdftoppm.
func renderPage(t testing.TB, pdf []byte, page, dpi int) image.Image {
	t.Helper()
	tool := requirePoppler(t, "pdftoppm")
	in := writeTemp(t, pdf)
	out := filepath.Join(filepath.Dir(in), "page")
	p := strconv.Itoa(page)
	cmd := exec.Command(tool, "-png", "-r", strconv.Itoa(dpi), "-f", p, "-l", p, "-singlefile", in, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, msg)
	}
	f, err := os.Open(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// pdfText extracts the text of a document with pdftotext.
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	tool := requirePoppler(t, "pdftotext")
	out, err := exec.Command(tool, "-enc", "UTF-8", writeTemp(t, pdf), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// pdfInfoPages asks pdfinfo how many pages a document has, failing t if
// poppler had to repair anything on the way.
func pdfInfoPages(t testing.TB, pdf []byte) int {
	t.Helper()
	tool := requirePoppler(t, "pdfinfo")
	out, err := exec.Command(tool, writeTemp(t, pdf)).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v: %s", err, out)
	}
	if bytes.Contains(out, []byte("Error")) { // poppler reports repairs as "Syntax Error: ..."
		t.Fatalf("pdfinfo complains: %s", out)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo gave no page count: %s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// decodeQR reads the one QR code in img with gozxing.
func decodeQR(img image.Image) (string, []gozxing.ResultPoint, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", nil, err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", nil, err
	}
	return res.GetText(), res.GetResultPoints(), nil
}

// subImage crops img (which pdftoppm returns as a SubImager).
func subImage(img image.Image, r image.Rectangle) image.Image {
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
}

// dark reports whether the pixel at (x, y) is closer to black than white.
func dark(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r+g+b < 3*0x8000
}

// wantField fails t unless err is an invalid *errs.Error naming field.
func wantField(t testing.TB, err error, field string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.Invalid || len(e.Fields) == 0 || e.Fields[0].Field != field {
		t.Fatalf("error = %v; want invalid on field %q", err, field)
	}
}
