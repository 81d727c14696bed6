package printable

import (
	"bytes"
	"errors"
	"image"
	"regexp"
	"strings"
	"testing"

	"github.com/skip2/go-qrcode"
	"golang.org/x/text/unicode/norm"

	"github.com/market4/market4/pkg/vietqr"
)

// stallPayload is a real static VietQR (Vietcombank account).
func stallPayload(t testing.TB) string {
	t.Helper()
	p, err := vietqr.Encode(vietqr.Payload{BIN: "970436", AccountNumber: "0071000123456", Service: vietqr.ServiceAccount})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func posterData(t testing.TB) PosterData {
	return PosterData{
		Size: "A6", Payload: stallPayload(t), StallName: "Rau sạch Cô Ba", StallNumber: "A01",
		MarketName: "Chợ Vị Thủy", BankName: "Vietcombank", AccountNumberMasked: "•••• 3456", Lang: "vi",
	}
}

func renderPoster(t testing.TB, p PosterData) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Poster(&buf, p); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPoster(t *testing.T) {
	tests := []struct {
		name, size, lang string
		wantBox          string // MediaBox width and height in points
		wantText         []string
	}{
		{"A6 Vietnamese", "A6", "vi", "297.64 419.53",
			[]string{"Chợ Vị Thủy", "Rau sạch Cô Ba", "Quầy A01", "Quét mã để thanh toán", "Scan to pay", "Vietcombank", "•••• 3456", "VietQR · NAPAS"}},
		{"A5 English", "A5", "en", "419.53 595.28",
			[]string{"Chợ Vị Thủy", "Rau sạch Cô Ba", "Stall A01", "Scan to pay", "Quét mã để thanh toán", "Vietcombank", "•••• 3456", "VietQR · NAPAS"}},
		{"default size and language", "", "", "297.64 419.53", []string{"Quầy A01", "Quét mã để thanh toán"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := posterData(t)
			p.Size, p.Lang = tt.size, tt.lang
			pdf := renderPoster(t, p)
			t.Logf("%s poster: %d bytes", tt.name, len(pdf))
			checkPDF(t, pdf)
			if n := pageCount(t, pdf); n != 1 {
				t.Errorf("%d pages; want 1", n)
			}
			boxes := regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+ [0-9.]+)\]`).FindAllSubmatch(pdf, -1)
			if len(boxes) == 0 {
				t.Fatal("no MediaBox")
			}
			for _, b := range boxes {
				if string(b[1]) != tt.wantBox {
					t.Errorf("MediaBox 0 0 %s; want 0 0 %s", b[1], tt.wantBox)
				}
			}
			if len(pdf) > 60<<10 {
				t.Errorf("poster is %d bytes; fonts should be subset (want < 60 KB)", len(pdf))
			}

			if n := pdfInfoPages(t, pdf); n != 1 {
				t.Errorf("pdfinfo counts %d pages; want 1", n)
			}
			text := pdfText(t, pdf)
			for _, want := range tt.wantText {
				if !strings.Contains(text, want) {
					t.Errorf("page text lacks %q; got:\n%s", want, text)
				}
			}

			checkPosterQR(t, pdf, p.Payload)
		})
	}
}

// checkPosterQR renders the poster at 150 dpi and checks that its QR
// code decodes to payload, that the symbol spans at least 60 % of the page
// width, and that the 4-module quiet zone around it is white.
func checkPosterQR(t *testing.T, pdf []byte, payload string) {
	t.Helper()
	img := renderPage(t, pdf, 1, 150)
	got, pts, err := decodeQR(img)
	if err != nil {
		t.Fatalf("QR does not decode: %v", err)
	}
	if got != payload {
		t.Fatalf("QR decodes to %q; want %q", got, payload)
	}
	mods, err := qrMatrix(payload, qrcode.High) // what Poster draws
	if err != nil {
		t.Fatal(err)
	}
	n := len(mods) - 2*quietZone // modules without quiet zone

	// The row through the top-left finder's centre crosses the outer dark
	// ring of both top finders: its first and last dark pixels are the
	// symbol's left and right edges. Nothing else is printed on that row.
	if len(pts) < 3 {
		t.Fatalf("decoder gave %d points", len(pts))
	}
	b := img.Bounds()
	y := int(pts[1].GetY()) // gozxing: bottom-left, top-left, top-right
	left, right := -1, -1
	for x := b.Min.X; x < b.Max.X; x++ {
		if dark(img, x, y) {
			if left < 0 {
				left = x
			}
			right = x
		}
	}
	span := float64(right-left+1) / float64(b.Dx())
	if span < 0.60 {
		t.Errorf("QR modules span %.1f %% of the page width; want ≥ 60 %%", 100*span)
	}
	t.Logf("QR: %d modules, %.1f %% of page width without quiet zone", n, 100*span)

	// Quiet zone: 4 modules all around the symbol are white (a pixel of
	// slack for anti-aliasing at the symbol's edge).
	module := float64(right-left+1) / float64(n)
	top := y - int(3.5*module) // the finder centre is 3.5 modules below the top edge
	sym := image.Rect(left, top, right+1, top+right-left+1)
	qz := sym.Inset(-int(4*module) + 1)
	for yy := qz.Min.Y; yy < qz.Max.Y; yy++ {
		for xx := qz.Min.X; xx < qz.Max.X; xx++ {
			if image.Pt(xx, yy).In(sym.Inset(-1)) {
				continue
			}
			if dark(img, xx, yy) {
				t.Fatalf("dark pixel at (%d,%d) inside the quiet zone %v of symbol %v", xx, yy, qz, sym)
			}
		}
	}
}

func TestPosterNormalisesText(t *testing.T) {
	p := posterData(t)
	p.StallName = norm.NFD.String("Bún bò Huế Dì Tư") // as macOS keyboards send it
	text := pdfText(t, renderPoster(t, p))
	if want := norm.NFC.String("Bún bò Huế Dì Tư"); !strings.Contains(text, want) {
		t.Errorf("page text lacks the NFC name %q; got:\n%s", want, text)
	}
}

func TestPosterLongNameIsShortened(t *testing.T) {
	p := posterData(t)
	p.StallName = strings.Repeat("Hải sản tươi sống Năm Căn ", 6)
	pdf := renderPoster(t, p)
	checkPDF(t, pdf)
	text := pdfText(t, pdf)
	if !strings.Contains(text, "Hải sản tươi sống") || !strings.Contains(text, "…") {
		t.Errorf("long name not shortened with …; got:\n%s", text)
	}
	checkPosterQR(t, pdf, p.Payload)
}

func TestPosterDeterministic(t *testing.T) {
	a, b := renderPoster(t, posterData(t)), renderPoster(t, posterData(t))
	if !bytes.Equal(a, b) {
		t.Error("two renderings of the same poster differ")
	}
}

func TestPosterErrors(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*PosterData)
		field string
	}{
		{"size", func(p *PosterData) { p.Size = "A4" }, "size"},
		{"lowercase size", func(p *PosterData) { p.Size = "a6" }, "size"},
		{"lang", func(p *PosterData) { p.Lang = "fr" }, "lang"},
		{"empty payload", func(p *PosterData) { p.Payload = "" }, "payload"},
		{"bad CRC", func(p *PosterData) { p.Payload = p.Payload[:len(p.Payload)-4] + "0000" }, "payload"},
		{"not a VietQR", func(p *PosterData) { p.Payload = "https://example.com" }, "payload"},
		{"no name", func(p *PosterData) { p.StallName = "  " }, "stall_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := posterData(t)
			tt.edit(&p)
			var buf bytes.Buffer
			wantField(t, Poster(&buf, p), tt.field)
			if buf.Len() != 0 {
				t.Errorf("%d bytes written on a validation error", buf.Len())
			}
		})
	}
}

type failWriter struct{}

var errDisk = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDisk }

func TestPosterWriteError(t *testing.T) {
	if err := Poster(failWriter{}, posterData(t)); !errors.Is(err, errDisk) {
		t.Errorf("error = %v; want it to wrap the writer's", err)
	}
}

func BenchmarkPoster(b *testing.B) {
	p := posterData(b)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Poster(&buf, p); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes/pdf")
}
