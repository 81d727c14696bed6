package printable

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"io"
	"iter"
	"math"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/errs"
)

// testLabel is label i of a realistic run: a signed GS1 Digital Link
// (ocop.FormatLink's shape, 158 bytes) with a 12-character serial.
func testLabel(i int) Label {
	serial := fmt.Sprintf("7KX9M2%06d", i)
	a := sha256.Sum256([]byte("sig-a" + serial))
	b := sha256.Sum256([]byte("sig-b" + serial))
	sig := base64.RawURLEncoding.EncodeToString(append(a[:], b[:]...))
	return Label{
		URL:    "https://m4.vn/01/08934567890120/10/L2026A/21/" + serial + "?k=k2026a01&s=" + sig,
		Serial: serial,
		Line1:  "Mật ong hoa nhãn Hưng Yên",
		Line2:  "Lô L2026A",
	}
}

// testLabels yields n labels built on the fly, never held in a slice.
func testLabels(n int) iter.Seq[Label] {
	return func(yield func(Label) bool) {
		for i := range n {
			if !yield(testLabel(i)) {
				return
			}
		}
	}
}

func renderSheet(t testing.TB, opt SheetOptions, labels iter.Seq[Label]) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := StampSheet(&buf, opt, labels); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// contentStrings inflates every FlateDecode stream of pdf and returns the
// literal strings shown in them, unescaped: a check of the text that does
// not depend on poppler, and of the escaping.
func contentStrings(t testing.TB, pdf []byte) []string {
	t.Helper()
	var out []string
	re := regexp.MustCompile(`/Filter /FlateDecode /Length (\d+) >>\nstream\n`)
	for _, m := range re.FindAllSubmatchIndex(pdf, -1) {
		n, _ := strconv.Atoi(string(pdf[m[2]:m[3]]))
		zr, err := zlib.NewReader(bytes.NewReader(pdf[m[1] : m[1]+n]))
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("stream at %d: %v", m[0], err)
		}
		for i := 0; i < len(content); i++ {
			if content[i] != '(' {
				continue
			}
			var s []byte
			depth := 1
			for i++; i < len(content); i++ {
				c := content[i]
				if c == '\\' && i+1 < len(content) {
					i++
					s = append(s, content[i])
					continue
				}
				if c == '(' {
					depth++
				} else if c == ')' {
					if depth--; depth == 0 {
						break
					}
				}
				s = append(s, c)
			}
			if depth != 0 {
				t.Fatalf("unterminated string in content stream: %q", s)
			}
			if !bytes.HasPrefix(content[i+1:], []byte(" Tj")) {
				t.Fatalf("string %q is not followed by Tj", s)
			}
			out = append(out, string(s))
		}
	}
	return out
}

func TestStampSheet(t *testing.T) {
	const n = 95 // 5×8 per page: 40, 40, 15
	var progress []int
	opt := SheetOptions{Title: "Mật ong Hưng Yên – lô L2026A", Progress: func(done int) { progress = append(progress, done) }}
	pdf := renderSheet(t, opt, testLabels(n))
	t.Logf("%d labels: %d bytes (%d bytes/label)", n, len(pdf), len(pdf)/n)

	checkPDF(t, pdf)
	if got := pageCount(t, pdf); got != 3 {
		t.Errorf("page tree /Count %d; want 3", got)
	}
	if !slices.Equal(progress, []int{40, 80, 95}) {
		t.Errorf("progress calls %v; want [40 80 95]", progress)
	}
	if !regexp.MustCompile(`/MediaBox \[0 0 595.2756 841.8898\]`).Match(pdf) {
		t.Error("MediaBox is not A4")
	}

	// Every serial and line is shown, in order, transliterated.
	strs := contentStrings(t, pdf)
	for i := range n {
		l := testLabel(i)
		idx := slices.Index(strs, l.Serial)
		if idx < 0 || idx+2 >= len(strs) || strs[idx+1] != "Mat ong hoa nhan Hung Yen" || strs[idx+2] != "Lo L2026A" {
			t.Fatalf("label %d: serial and lines not found in order in %q", i, strs[max(0, idx):min(len(strs), max(0, idx)+3)])
		}
	}
	if !slices.Contains(strs, "Mat ong Hung Yen - lo L2026A") || !slices.Contains(strs, "Page 3") {
		t.Errorf("title or page number missing from %q", strs[:4])
	}

	if got := pdfInfoPages(t, pdf); got != 3 {
		t.Errorf("pdfinfo counts %d pages; want 3", got)
	}
	text := pdfText(t, pdf)
	for _, want := range []string{testLabel(0).Serial, testLabel(94).Serial, "Mat ong hoa nhan Hung Yen", "Page 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q", want)
		}
	}

	// The codes of the whole first page and the last page decode to the
	// exact URLs, in reading order.
	lay, _ := opt.layout()
	checkPageQRs(t, pdf, lay, 1, 0, 40)
	checkPageQRs(t, pdf, lay, 3, 80, 15)
}

// checkPageQRs renders page (1-based) at 300 dpi and decodes the QR code
// in each of its count cells, expecting testLabel(first+i).URL.
func checkPageQRs(t *testing.T, pdf []byte, lay sheetLayout, page, first, count int) {
	t.Helper()
	const dpi = 300
	img := renderPage(t, pdf, page, dpi)
	px := func(pt float64) int { return int(math.Round(pt * dpi / 72)) }
	for i := range count {
		// The code with its quiet zone and 1 mm more, as a phone would aim
		// at it. (gozxing's detector, unlike phones', trips over the bold
		// serial when given the whole cell.)
		col, row := i%lay.cols, i/lay.cols
		x := lay.originX + float64(col)*lay.cellW + (lay.cellW-lay.label)/2
		top := lay.pageH - (lay.topY - float64(row)*lay.cellH) + (lay.cellH-lay.label-labelTextPt)/2 // from the top of the page
		m := mmToPt(1)
		qr := image.Rect(px(x-m), px(top-m), px(x+lay.label+m), px(top+lay.label+m))
		got, _, err := decodeQR(subImage(img, qr))
		if err != nil {
			t.Errorf("page %d cell %d: %v", page, i, err)
			continue
		}
		if want := testLabel(first + i).URL; got != want {
			t.Errorf("page %d cell %d decodes to %q; want %q", page, i, got, want)
		}
	}
}

func TestStampSheetPageCount(t *testing.T) {
	tests := []struct{ labels, cols, rows, pages int }{
		{1, 0, 0, 1},
		{40, 0, 0, 1},
		{41, 0, 0, 2},
		{7, 1, 1, 7},
		{100, 4, 6, 5}, // ceil(100/24)
		{60, 3, 4, 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d labels %dx%d", tt.labels, tt.cols, tt.rows), func(t *testing.T) {
			calls := 0
			opt := SheetOptions{Columns: tt.cols, Rows: tt.rows, Progress: func(int) { calls++ }}
			pdf := renderSheet(t, opt, testLabels(tt.labels))
			checkPDF(t, pdf)
			if got := pageCount(t, pdf); got != tt.pages {
				t.Errorf("/Count %d; want %d", got, tt.pages)
			}
			if got := bytes.Count(pdf, []byte("/Type /Page /Parent")); got != tt.pages {
				t.Errorf("%d page objects; want %d", got, tt.pages)
			}
			if calls != tt.pages {
				t.Errorf("progress called %d times; want once per page (%d)", calls, tt.pages)
			}
		})
	}
}

func TestStampSheetDeterministic(t *testing.T) {
	opt := SheetOptions{Title: "Lô L2026A"}
	a, b := renderSheet(t, opt, testLabels(90)), renderSheet(t, opt, testLabels(90))
	if !bytes.Equal(a, b) {
		t.Error("the same labels gave different bytes")
	}
	if c := renderSheet(t, opt, testLabels(89)); bytes.Equal(a, c) {
		t.Error("different labels gave the same bytes")
	}
}

// countingWriter discards what it is given and counts it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// sheetHeapGrowth runs StampSheet over n labels into a counting writer and
// returns the largest growth of the live heap over the run (sampled after a
// GC every 5 pages, i.e. what the writer retains, not garbage), the bytes
// written, and the bytes allocated per label.
func sheetHeapGrowth(t *testing.T, n int) (peak uint64, written int64, allocPerLabel uint64) {
	t.Helper()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, total := ms.HeapAlloc, ms.TotalAlloc
	sample := func() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > base && ms.HeapAlloc-base > peak {
			peak = ms.HeapAlloc - base
		}
	}
	pages := 0
	opt := SheetOptions{Title: "Memory", Progress: func(int) {
		if pages++; pages%5 == 1 {
			sample()
		}
	}}
	var w countingWriter
	if err := StampSheet(&w, opt, testLabels(n)); err != nil {
		t.Fatal(err)
	}
	sample()
	return peak, w.n, (ms.TotalAlloc - total) / uint64(n)
}

// TestStampSheetMemoryFlat proves StampSheet streams: the heap it retains
// is the same for 1,000 and 10,000 labels, and far below the document.
func TestStampSheetMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 labels take a few seconds")
	}
	small, smallOut, _ := sheetHeapGrowth(t, 1000)
	large, largeOut, perLabel := sheetHeapGrowth(t, 10000)
	t.Logf("1,000 labels: %d KB PDF, peak live heap growth %d KB", smallOut>>10, small>>10)
	t.Logf("10,000 labels: %d KB PDF, peak live heap growth %d KB, %d bytes allocated per label", largeOut>>10, large>>10, perLabel)
	const limit = 20 << 20
	if large > limit {
		t.Errorf("10,000 labels grew the heap by %d MB; want < 20 MB", large>>20)
	}
	// Ten times the labels may not retain more than a little extra: page
	// offsets (16 bytes a page), and noise from a page buffer's capacity
	// doubling once more on a longer run. Anything proportional to the
	// document shows up as 10 MB here.
	if large > small+2<<20 {
		t.Errorf("heap growth %d KB for 10,000 labels vs %d KB for 1,000: memory grows with the run", large>>10, small>>10)
	}
	if int64(large) > largeOut/4 {
		t.Errorf("heap growth %d KB is not small against the %d KB document", large>>10, largeOut>>10)
	}
}

func TestStampSheetOptionErrors(t *testing.T) {
	tests := []struct {
		name  string
		opt   SheetOptions
		field string
	}{
		{"page", SheetOptions{Page: "Letter"}, "page"},
		{"columns", SheetOptions{Columns: 21}, "columns"},
		{"negative rows", SheetOptions{Rows: -1}, "rows"},
		{"grid too dense", SheetOptions{Columns: 20, Rows: 30}, "rows"},
		{"label too big", SheetOptions{LabelMM: 40}, "label_mm"},
		{"negative label", SheetOptions{LabelMM: -3}, "label_mm"},
		{"NaN label", SheetOptions{LabelMM: math.NaN()}, "label_mm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			pulled := 0
			labels := func(yield func(Label) bool) { pulled++; yield(testLabel(0)) }
			wantField(t, StampSheet(&buf, tt.opt, labels), tt.field)
			if buf.Len() != 0 || pulled != 0 {
				t.Errorf("wrote %d bytes and pulled labels %d times on invalid options", buf.Len(), pulled)
			}
		})
	}
}

func TestStampSheetLabelErrors(t *testing.T) {
	tests := []struct {
		name  string
		opt   SheetOptions
		edit  func(*Label)
		field string
	}{
		{"no URL", SheetOptions{}, func(l *Label) { l.URL = "" }, "labels[3].url"},
		{"non-ASCII URL", SheetOptions{}, func(l *Label) { l.URL = "https://m4.vn/mật-ong" }, "labels[3].url"},
		{"newline in URL", SheetOptions{}, func(l *Label) { l.URL += "\n" }, "labels[3].url"},
		{"URL too long", SheetOptions{}, func(l *Label) { l.URL = strings.Repeat("A", 3000) }, "labels[3].url"},
		{"no serial", SheetOptions{}, func(l *Label) { l.Serial = "" }, "labels[3].serial"},
		{"emoji serial", SheetOptions{}, func(l *Label) { l.Serial = "🍯" }, "labels[3].serial"},
		{"serial too long", SheetOptions{Columns: 8}, func(l *Label) { l.Serial = strings.Repeat("W", 20) }, "labels[3].serial"},
		{"label too small for URL", SheetOptions{LabelMM: 12}, func(*Label) {}, "label_mm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels := func(yield func(Label) bool) {
				for i := range 10 {
					l := testLabel(i)
					if i == 3 {
						tt.edit(&l)
					}
					if !yield(l) {
						return
					}
				}
			}
			before := runtime.NumGoroutine()
			var buf bytes.Buffer
			wantField(t, StampSheet(&buf, tt.opt, labels), tt.field)
			checkNoLeak(t, before)
			if buf.Len() != 0 {
				t.Errorf("%d bytes written for a first page with an invalid label", buf.Len())
			}
		})
	}
}

func TestStampSheetNoLabels(t *testing.T) {
	var buf bytes.Buffer
	wantField(t, StampSheet(&buf, SheetOptions{}, testLabels(0)), "labels")
	if buf.Len() != 0 {
		t.Errorf("%d bytes written for no labels", buf.Len())
	}
}

// A failing writer (a client that hung up) stops the run at once instead
// of pulling and drawing the remaining thousands of labels.
func TestStampSheetStopsOnWriteError(t *testing.T) {
	pulled := 0
	labels := func(yield func(Label) bool) {
		for i := range 10000 {
			pulled++
			if !yield(testLabel(i)) {
				return
			}
		}
	}
	before := runtime.NumGoroutine()
	err := StampSheet(failWriter{}, SheetOptions{}, labels)
	if !errors.Is(err, errDisk) {
		t.Fatalf("error = %v; want it to wrap the writer's", err)
	}
	checkNoLeak(t, before)
	if pulled > 40+2*maxQRWorkers {
		t.Errorf("pulled %d labels after the writer failed on the first page", pulled)
	}
}

// checkNoLeak fails t if StampSheet left encoding workers running. It
// allows a moment for unrelated goroutines (a previous test's exec pipes)
// to end; leaked workers would block on their channel forever.
func checkNoLeak(t *testing.T, before int) {
	t.Helper()
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	var dump strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&dump, 1)
	t.Errorf("%d goroutines after StampSheet returned; %d before:\n%s", runtime.NumGoroutine(), before, dump.String())
}

func TestStampSheetEscapesText(t *testing.T) {
	l := testLabel(0)
	l.Serial, l.Line1, l.Line2 = `A(1)\B`, `Trà (sen) \ Tây Hồ)`, "((("
	pdf := renderSheet(t, SheetOptions{Title: `Lô (1`}, slices.Values([]Label{l}))
	checkPDF(t, pdf)
	strs := contentStrings(t, pdf)
	for _, want := range []string{`A(1)\B`, `Tra (sen) \ Tay Ho)`, "(((", "Lo (1"} {
		if !slices.Contains(strs, want) {
			t.Errorf("content strings %q lack %q", strs, want)
		}
	}
}

func TestStampSheetLongLinesFit(t *testing.T) {
	l := testLabel(0)
	l.Line1 = strings.Repeat("Bánh pía sầu riêng trứng muối ", 5)
	pdf := renderSheet(t, SheetOptions{}, slices.Values([]Label{l}))
	lay, _ := SheetOptions{}.layout()
	for _, s := range contentStrings(t, pdf) {
		if w := textWidth(s, false, lineSizePt); w > lay.cellW {
			t.Errorf("%q is %.0f pt wide; cell is %.0f pt", s, w, lay.cellW)
		}
		if strings.HasPrefix(s, "Banh pia") && !strings.HasSuffix(s, "...") {
			t.Errorf("long line %q not shortened with ...", s)
		}
	}
}

func TestAppendNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", -0.00001: "0", 1: "1", 2.5: "2.5", 595.2755905: "595.2756", -3.14159: "-3.1416", 1e6: "1000000", 0.1 + 0.2: "0.3"} {
		if got := string(appendNum(nil, v)); got != want {
			t.Errorf("appendNum(%v) = %q; want %q", v, got, want)
		}
	}
}

func TestRectMergerCoversExactly(t *testing.T) {
	for _, content := range []string{"a", testLabel(1).URL, strings.Repeat("Z", 300)} {
		mods, err := qrMatrix(content, stampLevel)
		if err != nil {
			t.Fatal(err)
		}
		var m rectMerger
		got := make([][]int, len(mods))
		for y := range got {
			got[y] = make([]int, len(mods))
		}
		runs := 0
		for _, r := range m.merge(mods) {
			for y := r.y; y < r.y+r.h; y++ {
				for x := r.x; x < r.x+r.w; x++ {
					got[y][x]++
				}
			}
		}
		for y, row := range mods {
			for x, d := range row {
				if want := map[bool]int{true: 1, false: 0}[d]; got[y][x] != want {
					t.Fatalf("module (%d,%d) covered %d times; want %d", x, y, got[y][x], want)
				}
				if d && (x == 0 || !row[x-1]) {
					runs++
				}
			}
		}
		t.Logf("%d bytes: %d modules, %d runs merged into %d rectangles", len(content), len(mods), runs, len(m.rects))
	}
}

func BenchmarkStampSheet(b *testing.B) {
	const n = 1000
	// Labels are built before the timer so only rendering is measured.
	labels := make([]Label, n)
	for i := range labels {
		labels[i] = testLabel(i)
	}
	var w countingWriter
	for b.Loop() {
		w.n = 0
		if err := StampSheet(&w, SheetOptions{Title: "Bench"}, slices.Values(labels)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "labels/s")
	b.ReportMetric(float64(w.n)/n, "bytes/label")
}

// FuzzStampText feeds arbitrary text to the label and title: the result is
// either an invalid-field error or a well-formed PDF showing the
// transliterated text exactly (escaping never breaks a string).
func FuzzStampText(f *testing.F) {
	f.Add("7KX9M2QH4TZZ", "Mật ong (hoa nhãn)", `Lô \ L2026A`, "Tiêu đề")
	f.Add(`)\(`, "", "(((", "–—…")
	f.Fuzz(func(t *testing.T, serial, line1, line2, title string) {
		l := testLabel(0)
		l.Serial, l.Line1, l.Line2 = serial, line1, line2
		var buf bytes.Buffer
		err := StampSheet(&buf, SheetOptions{Title: title}, slices.Values([]Label{l}))
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		checkPDF(t, buf.Bytes())
		if strs := contentStrings(t, buf.Bytes()); !slices.Contains(strs, asciiText(serial)) {
			t.Fatalf("serial %q not shown; strings %q", asciiText(serial), strs)
		}
	})
}
