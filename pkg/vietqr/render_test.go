package vietqr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// scan reads a QR code back from img with ZXing, as a phone would.
func scan(tb testing.TB, img image.Image) string {
	tb.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		tb.Fatalf("ZXing cannot read the code: %v", err)
	}
	return res.GetText()
}

// renderPayloads are the payloads the rendering tests draw: every valid
// vector, the longest payload Encode can make, and a 512-byte payload.
func renderPayloads(tb testing.TB) []string {
	tb.Helper()
	var ps []string
	for _, v := range loadVectors(tb) {
		if v.Valid {
			ps = append(ps, v.Payload)
		}
	}
	s25 := strings.Repeat("Q", 25)
	longest, err := Encode(Payload{Dynamic: true, BIN: "970403", AccountNumber: strings.Repeat("9", 19),
		Amount: "9999999999999", MerchantName: s25, MerchantCity: s25[:15],
		BillNumber: s25, MobileNumber: s25, StoreLabel: s25[:8], Purpose: s25})
	if err != nil {
		tb.Fatal(err)
	}
	return append(ps, longest, longestPayload(tb))
}

func TestPNG(t *testing.T) {
	payloads := renderPayloads(t)
	for _, size := range []int{MinPNGSize, 129, 200, 256, 300, 512, 1000, MaxPNGSize} {
		for i, payload := range payloads {
			if size == MaxPNGSize && i%4 != 0 {
				continue // ZXing on 4 megapixels is slow; a sample is enough
			}
			t.Run(fmt.Sprintf("%dpx/%d", size, i), func(t *testing.T) {
				data, err := PNG(payload, size)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
					t.Fatalf("image is %v, want %d×%d", b, size, size)
				}
				checkPNGModules(t, img, payload, size)
				if got := scan(t, img); got != payload {
					t.Errorf("scanned %q\n   want %q", got, payload)
				}
			})
		}
	}
}

// checkPNGModules compares every pixel of img with the QR symbol: whole
// pixels per module, centred, white outside the symbol, quiet zone white.
func checkPNGModules(tb testing.TB, img image.Image, payload string, size int) {
	tb.Helper()
	mods, err := symbol(payload)
	if err != nil {
		tb.Fatal(err)
	}
	n := len(mods)
	scale := size / n
	off := (size - scale*n) / 2
	for i := 0; i < 4; i++ { // quiet zone is part of mods and must be light
		for j := 0; j < n; j++ {
			if mods[i][j] || mods[n-1-i][j] || mods[j][i] || mods[j][n-1-i] {
				tb.Fatalf("quiet zone module dark at %d,%d", i, j)
			}
		}
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			mx, my := (x-off)/scale, (y-off)/scale
			dark := x >= off && y >= off && mx < n && my < n && mods[my][mx]
			if isDark(img.At(x, y)) != dark {
				tb.Fatalf("pixel %d,%d dark=%v, want %v (module %d,%d, scale %d, offset %d)",
					x, y, !dark, dark, mx, my, scale, off)
			}
		}
	}
}

func isDark(c color.Color) bool {
	y := color.GrayModel.Convert(c).(color.Gray).Y
	return y < 128
}

func TestSVG(t *testing.T) {
	for i, payload := range renderPayloads(t) {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			data, err := SVG(payload)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
				ViewBox string   `xml:"viewBox,attr"`
				Width   int      `xml:"width,attr"`
				Height  int      `xml:"height,attr"`
				Shape   string   `xml:"shape-rendering,attr"`
				Rects   []struct {
					Width, Height int
					Fill          string `xml:"fill,attr"`
				} `xml:"rect"`
				Paths []struct {
					D    string `xml:"d,attr"`
					Fill string `xml:"fill,attr"`
				} `xml:"path"`
			}
			if err := xml.Unmarshal(data, &doc); err != nil {
				t.Fatalf("not XML: %v\n%s", err, data)
			}
			mods, _ := symbol(payload)
			n := len(mods)
			if want := fmt.Sprintf("0 0 %d %d", n, n); doc.ViewBox != want {
				t.Errorf("viewBox %q, want %q", doc.ViewBox, want)
			}
			if doc.Width != n*svgModulePixels || doc.Height != n*svgModulePixels || doc.Shape != "crispEdges" {
				t.Errorf("width %d height %d shape-rendering %q", doc.Width, doc.Height, doc.Shape)
			}
			if len(doc.Rects) != 1 || doc.Rects[0].Fill != "#fff" || len(doc.Paths) != 1 || doc.Paths[0].Fill != "#000" {
				t.Fatalf("want one white rect and one black path, got %d rects and %d paths", len(doc.Rects), len(doc.Paths))
			}
			grid := rasterisePath(t, doc.Paths[0].D, n)
			for y := range n {
				for x := range n {
					if grid[y][x] != mods[y][x] {
						t.Fatalf("module %d,%d: path says %v, symbol says %v", x, y, grid[y][x], mods[y][x])
					}
				}
			}
			// Draw the path at 4 pixels per unit and scan it.
			const px = 4
			img := image.NewGray(image.Rect(0, 0, n*px, n*px))
			for y := range n * px {
				for x := range n * px {
					if !grid[y/px][x/px] {
						img.Pix[y*img.Stride+x] = 0xFF
					}
				}
			}
			if got := scan(t, img); got != payload {
				t.Errorf("scanned %q\n   want %q", got, payload)
			}
		})
	}
}

var runRE = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// rasterisePath fills the unit squares covered by d, which must consist of
// nothing but the w×1 rectangles SVG writes, each inside the symbol and
// outside the quiet zone, never overlapping.
func rasterisePath(tb testing.TB, d string, n int) [][]bool {
	tb.Helper()
	grid := make([][]bool, n)
	for i := range grid {
		grid[i] = make([]bool, n)
	}
	rest := d
	for rest != "" {
		m := runRE.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			tb.Fatalf("unexpected path data at %q", rest[:min(len(rest), 30)])
		}
		x, _ := strconv.Atoi(rest[m[2]:m[3]])
		y, _ := strconv.Atoi(rest[m[4]:m[5]])
		w, _ := strconv.Atoi(rest[m[6]:m[7]])
		back, _ := strconv.Atoi(rest[m[8]:m[9]])
		if w != back || w < 1 || x < 4 || y < 4 || x+w > n-4 || y >= n-4 {
			tb.Fatalf("bad run M%d %dh%dv1h-%dz in a %d-module symbol", x, y, w, back, n)
		}
		for i := x; i < x+w; i++ {
			if grid[y][i] {
				tb.Fatalf("runs overlap at %d,%d", i, y)
			}
			grid[y][i] = true
		}
		rest = rest[m[1]:]
	}
	return grid
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		size    int
		rule    string
		field   string
	}{
		{"size too small", v613, MinPNGSize - 1, RuleBadSize, "size"},
		{"size too large", v613, MaxPNGSize + 1, RuleBadSize, "size"},
		{"size negative", v613, -256, RuleBadSize, "size"},
		{"empty payload", "", 256, RuleRequired, "payload"},
		{"payload over 512", strings.Repeat("0", 513), 256, RuleTooLong, "payload"},
		{"payload with UTF-8", "Thanh toán", 256, RuleNonASCII, "payload"},
		{"payload with newline", v613 + "\n", 256, RuleNonASCII, "payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := PNG(tt.payload, tt.size)
			var e *Error
			if !errors.As(err, &e) || e.Rule != tt.rule || e.Field != tt.field || data != nil {
				t.Errorf("PNG = %d bytes, %v; want rule %s field %s", len(data), err, tt.rule, tt.field)
			}
			if tt.rule == RuleNonASCII && e.Offset != strings.IndexFunc(tt.payload, func(r rune) bool { return r < ' ' || r > '~' }) {
				t.Errorf("non_ascii at offset %d", e.Offset)
			}
			if tt.field == "payload" {
				data, err = SVG(tt.payload)
				if !errors.As(err, &e) || e.Rule != tt.rule || data != nil {
					t.Errorf("SVG = %d bytes, %v; want rule %s", len(data), err, tt.rule)
				}
			}
		})
	}
}

func TestPNGIsSmall(t *testing.T) {
	data, err := PNG(v613, 512)
	if err != nil {
		t.Fatal(err)
	}
	// A 1-bit PNG of a QR code compresses to a few hundred bytes; an 8-bit
	// or RGBA image would be tens of kilobytes.
	if len(data) > 4096 {
		t.Errorf("512px PNG is %d bytes", len(data))
	}
	t.Logf("512px PNG of the §6.1.3 payload: %d bytes", len(data))
}

// TestConcurrentUse exercises the shared state (the bank directory and the
// PNG buffer free list) from several goroutines; run it with -race.
func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				size := MinPNGSize + 64*((g+i)%8)
				data, err := PNG(v613, size)
				if err != nil {
					t.Error(err)
					return
				}
				img, err := png.Decode(bytes.NewReader(data))
				if err != nil || img.Bounds().Dx() != size {
					t.Errorf("PNG %d: %v", size, err)
					return
				}
				if _, ok := LookupBank("970436"); !ok {
					t.Error("LookupBank failed")
				}
				if _, err := Decode(v613); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
