package printable

import (
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/pkg/vietqr"
)

// Label is one traceability stamp on a sheet.
type Label struct {
	// URL is what the QR code holds: the stamp's signed GS1 Digital Link
	// (see ocop.FormatLink). Printable ASCII, required.
	URL string
	// Serial is printed in bold under the code so that a stamp can be
	// looked up by hand when the code is damaged. Required.
	Serial string
	// Line1 and Line2 are optional small lines under the serial, typically
	// the product name and the lot code. They are transliterated to ASCII
	// (vietqr.ASCII) for the standard Helvetica font and shortened with
	// "..." when wider than the label.
	Line1, Line2 string
}

// SheetOptions lay out a stamp sheet. The zero value is a valid layout:
// A4, 5 columns by 8 rows, codes as large as the grid allows.
type SheetOptions struct {
	// Page is the paper size: "A4" (the default when empty) is the only
	// one for now; label sheets sold in Vietnam are A4.
	Page string
	// Columns and Rows give the grid of labels on a page (default 5 by 8,
	// at most 20 by 30). The printable area (the page less a 10 mm margin
	// and the title line) is divided evenly into cells.
	Columns, Rows int
	// LabelMM is the edge of each QR code in millimetres, quiet zone
	// included. Zero means the largest that fits a cell above the text.
	// Each code must have modules of at least 0.25 mm, or StampSheet
	// fails: a longer URL needs a bigger label.
	LabelMM float64
	// Title is printed at the top of every page with the page number
	// (transliterated to ASCII; may be empty, which also frees its space).
	Title string
	// Progress, if set, is called after each page has been written with
	// the number of labels written so far.
	Progress func(done int)
}

// Stamp-sheet layout constants.
const (
	a4WidthMM, a4HeightMM = 210.0, 297.0
	sheetMarginMM         = 10.0
	titleBandMM           = 7.0  // title line plus the gap below it
	titleSizePt           = 8.0  // title font size
	serialSizePt          = 7.0  // serial font size (Helvetica-Bold); shrunk to fit
	minSerialSizePt       = 4.0  // below this a serial is unreadable: fail instead
	lineSizePt            = 6.0  // Line1/Line2 font size (Helvetica)
	labelTextPt           = 23.0 // serial + two lines: 7 + 2×1.2×6 plus descent
	cellPadMM             = 1.0  // horizontal padding kept free inside each cell
	minModuleMM           = 0.25
	maxURLLen             = 2048
	maxColumns, maxRows   = 20, 30
)

// stampLevel is the QR error correction of stamps: level M (15 %), one
// notch below the stall posters' Q. A stamp is small and read from a few
// centimetres under indoor light on a flat package, and module size is
// what limits it: a signed GS1 Digital Link (157 bytes) is version 8 at M
// (49 modules, 57 with the quiet zone) against version 10 at Q (57, 65),
// so on a 20 mm label 0.35 mm modules against 0.31 mm. The default 5×8 A4
// grid gives 25.5 mm codes: 0.45 mm modules. A stall poster, outdoors and
// splashed, gets Q; see pkg/vietqr.
const stampLevel = qrcode.Medium

// sheetLayout is SheetOptions resolved to points (PDF's y axis points up).
type sheetLayout struct {
	pageW, pageH  float64
	cols, rows    int
	originX, topY float64 // top-left corner of the grid
	cellW, cellH  float64
	label         float64 // QR edge
	labelMM       float64
	title         string
	perPage       int
}

func (o SheetOptions) layout() (sheetLayout, error) {
	var l sheetLayout
	switch o.Page {
	case "", "A4":
		l.pageW, l.pageH = mmToPt(a4WidthMM), mmToPt(a4HeightMM)
	default:
		return l, errs.Field("page", `must be "A4"`)
	}
	l.cols, l.rows = o.Columns, o.Rows
	if l.cols == 0 {
		l.cols = 5
	}
	if l.rows == 0 {
		l.rows = 8
	}
	if l.cols < 1 || l.cols > maxColumns {
		return l, errs.Field("columns", fmt.Sprintf("must be from 1 to %d", maxColumns))
	}
	if l.rows < 1 || l.rows > maxRows {
		return l, errs.Field("rows", fmt.Sprintf("must be from 1 to %d", maxRows))
	}
	l.title = asciiText(o.Title)
	band := 0.0
	if l.title != "" {
		band = mmToPt(titleBandMM)
	}
	margin := mmToPt(sheetMarginMM)
	l.originX = margin
	l.topY = l.pageH - margin - band
	l.cellW = (l.pageW - 2*margin) / float64(l.cols)
	l.cellH = (l.pageH - 2*margin - band) / float64(l.rows)
	fit := math.Min(l.cellW-2*mmToPt(cellPadMM), l.cellH-labelTextPt) // largest QR that fits, in pt
	fitMM := math.Floor(fit*25.4/72*2) / 2                            // rounded down to 0.5 mm
	switch {
	case math.IsNaN(o.LabelMM) || o.LabelMM < 0:
		return l, errs.Field("label_mm", "must be a positive number of millimetres")
	case o.LabelMM == 0:
		if fitMM < 5 {
			return l, errs.Field("rows", fmt.Sprintf("%d×%d labels leave no room for a QR code on A4", l.cols, l.rows))
		}
		l.labelMM = fitMM
	case mmToPt(o.LabelMM) > fit+1e-9:
		return l, errs.Field("label_mm", fmt.Sprintf("at most %.1f mm fits a %d×%d grid on A4 with the text under each code", fitMM, l.cols, l.rows))
	default:
		l.labelMM = o.LabelMM
	}
	l.label = mmToPt(l.labelMM)
	l.perPage = l.cols * l.rows
	return l, nil
}

// StampSheet writes a PDF of QR stamps to w, cols×rows per page in
// reading order, each with its serial and up to two lines under it.
//
// It streams: labels are pulled from the iterator as they are needed (at
// most 2×min(GOMAXPROCS, 4) ahead of the page being drawn, their QR codes
// being encoded on other cores meanwhile), each page is written and
// flushed as soon as it is full, and memory stays flat whatever the number
// of labels (see TestStampSheetMemoryFlat), so a 10,000-stamp run can go
// straight to an HTTP response or a file. Output is deterministic: the
// same labels and options give the same bytes. Progress is called on the
// caller's goroutine.
//
// Labels are validated as they come, so an invalid one stops the run with
// the pages before it already written: w then holds a truncated document,
// and a caller streaming to a client should validate its labels first or
// render to a temporary file. Nothing reaches w when the options are
// invalid, there is no label at all, or the first page has an invalid
// label. A failing w stops the run at the end of the current page.
//
// Errors: *errs.Error with code invalid naming the field (page, columns,
// rows, label_mm, labels, labels[i].url, labels[i].serial); or a write
// error from w.
func StampSheet(w io.Writer, sheet SheetOptions, labels iter.Seq[Label]) error {
	lay, err := sheet.layout()
	if err != nil {
		return err
	}
	s := &sheetWriter{lay: lay, pw: newPDFWriter(w)}
	qrs := newQRPipeline()
	defer qrs.close()
	done := 0 // labels drawn
	draw := func(j *qrJob) bool {
		if err = s.addLabel(done, j.label, j.mods, j.err); err != nil {
			return false
		}
		done++
		if done%lay.perPage == 0 {
			s.endPage()
			if s.pw.err == nil && sheet.Progress != nil {
				sheet.Progress(done)
			}
		}
		return s.pw.err == nil
	}
	started := false
	for l := range labels {
		if !started {
			s.start()
			started = true
		}
		if qrs.full() && !draw(qrs.next()) {
			break
		}
		qrs.submit(l)
	}
	for err == nil && s.pw.err == nil && qrs.pending() {
		draw(qrs.next())
	}
	if err != nil {
		return err
	}
	if s.pw.err != nil {
		return s.pw.err
	}
	if done == 0 {
		return errs.Field("labels", "there are no labels to print")
	}
	if done%lay.perPage != 0 {
		s.endPage()
		if s.pw.err == nil && sheet.Progress != nil {
			sheet.Progress(done)
		}
	}
	return s.finish()
}

// sheetWriter holds the state of one StampSheet run. Everything it keeps
// is bounded by one page, except kids (4 bytes a page) and the writer's
// object offsets (8 bytes an object, two objects a page).
type sheetWriter struct {
	lay sheetLayout
	pw  *pdfWriter

	catalog, pages, info, font, fontBold int
	kids                                 []int32 // page object numbers

	content []byte // the current page's content stream
	onPage  int    // labels on the current page
	merger  rectMerger
}

func (s *sheetWriter) start() {
	s.pw.header()
	s.catalog, s.pages, s.info = s.pw.reserve(), s.pw.reserve(), s.pw.reserve()
	s.font, s.fontBold = s.pw.reserve(), s.pw.reserve()
	s.pw.object(s.font, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	s.pw.object(s.fontBold, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
}

// addLabel validates label number i, whose QR matrix (or the error making
// it) is given, and draws it in the next cell, opening a page when needed.
func (s *sheetWriter) addLabel(i int, l Label, mods [][]bool, qrErr error) error {
	field := func(name string) string { return "labels[" + strconv.Itoa(i) + "]." + name }
	if l.URL == "" {
		return errs.Field(field("url"), "is required")
	}
	if len(l.URL) > maxURLLen {
		return errs.Field(field("url"), fmt.Sprintf("is %d bytes; limit %d", len(l.URL), maxURLLen))
	}
	for j := 0; j < len(l.URL); j++ {
		if c := l.URL[j]; c < 0x20 || c > 0x7E {
			// QR byte mode has no reliable charset signal (see pkg/vietqr);
			// Digital Links are percent-encoded ASCII anyway.
			return errs.Field(field("url"), fmt.Sprintf("byte 0x%02X at offset %d is not printable ASCII", c, j))
		}
	}
	serial := asciiText(l.Serial)
	if serial == "" {
		return errs.Field(field("serial"), "is required")
	}
	if qrErr != nil {
		return errs.Field(field("url"), "is too long for a QR code")
	}
	lay := &s.lay
	if module := lay.labelMM / float64(len(mods)); module < minModuleMM {
		return errs.Field("label_mm", fmt.Sprintf("label %d needs a %d-module code: at least %.1f mm for %.2f mm modules",
			i, len(mods), math.Ceil(float64(len(mods))*minModuleMM*10)/10, minModuleMM))
	}
	maxW := lay.cellW - 2*mmToPt(cellPadMM)
	serialSize := serialSizePt
	if w := textWidth(serial, true, serialSize); w > maxW {
		serialSize = math.Floor(serialSize*maxW/w*10) / 10
		if serialSize < minSerialSizePt {
			return errs.Field(field("serial"), "is too long to print legibly under the code")
		}
	}

	if s.onPage == 0 {
		s.beginPage()
	}
	col, row := s.onPage%lay.cols, s.onPage/lay.cols
	cellX := lay.originX + float64(col)*lay.cellW
	cellTop := lay.topY - float64(row)*lay.cellH
	// The code and its text are centred as a block in the cell.
	top := cellTop - (lay.cellH-lay.label-labelTextPt)/2
	x := cellX + (lay.cellW-lay.label)/2
	s.content = appendQROps(s.content, s.merger.merge(mods), x, top, lay.label/float64(len(mods)))

	centre := cellX + lay.cellW/2
	base := top - lay.label - serialSizePt // the quiet zone is the gap above the serial
	s.content = append(s.content, "BT\n"...)
	s.content = appendText(s.content, "/F2", serialSize, centre, base, serial, true)
	base -= lineSizePt * 1.2
	if line := fitText(asciiText(l.Line1), false, lineSizePt, maxW); line != "" {
		s.content = appendText(s.content, "/F1", lineSizePt, centre, base, line, false)
	}
	base -= lineSizePt * 1.2
	if line := fitText(asciiText(l.Line2), false, lineSizePt, maxW); line != "" {
		s.content = appendText(s.content, "/F1", lineSizePt, centre, base, line, false)
	}
	s.content = append(s.content, "ET\n"...)
	s.onPage++
	return nil
}

// typography maps the punctuation that people paste from word processors
// to its ASCII look-alike; vietqr.ASCII would drop it.
var typography = strings.NewReplacer("–", "-", "—", "-", "‘", "'", "’", "'", "“", `"`, "”", `"`, "…", "...", "·", "-", "•", "-")

// asciiText is s for the standard fonts: typographic punctuation made
// ASCII, letters transliterated with vietqr.ASCII (as bank apps do), runs
// of spaces collapsed and the ends trimmed.
func asciiText(s string) string {
	return strings.Join(strings.Fields(vietqr.ASCII(typography.Replace(s))), " ")
}

// appendText appends operators showing s centred on x with its baseline
// at y, inside a BT/ET block.
func appendText(b []byte, font string, size, x, y float64, s string, bold bool) []byte {
	b = append(b, font...)
	b = append(b, ' ')
	b = appendNum(b, size)
	b = append(b, " Tf 1 0 0 1 "...)
	b = appendNum(b, x-textWidth(s, bold, size)/2)
	b = append(b, ' ')
	b = appendNum(b, y)
	b = append(b, " Tm "...)
	b = appendPDFString(b, s)
	return append(b, " Tj\n"...)
}

func (s *sheetWriter) beginPage() {
	s.content = s.content[:0]
	lay := &s.lay
	if lay.title == "" {
		return
	}
	margin := mmToPt(sheetMarginMM)
	y := lay.pageH - margin - titleSizePt
	pageNo := "Page " + strconv.Itoa(len(s.kids)+1)
	maxW := lay.pageW - 2*margin - textWidth(pageNo, false, titleSizePt) - mmToPt(5)
	title := fitText(lay.title, true, titleSizePt, maxW)
	s.content = append(s.content, "BT /F2 "...)
	s.content = appendNum(s.content, titleSizePt)
	s.content = append(s.content, " Tf 1 0 0 1 "...)
	s.content = appendNum(s.content, margin)
	s.content = append(s.content, ' ')
	s.content = appendNum(s.content, y)
	s.content = append(s.content, " Tm "...)
	s.content = appendPDFString(s.content, title)
	s.content = append(s.content, " Tj /F1 "...)
	s.content = appendNum(s.content, titleSizePt)
	s.content = append(s.content, " Tf 1 0 0 1 "...)
	s.content = appendNum(s.content, lay.pageW-margin-textWidth(pageNo, false, titleSizePt))
	s.content = append(s.content, ' ')
	s.content = appendNum(s.content, y)
	s.content = append(s.content, " Tm "...)
	s.content = appendPDFString(s.content, pageNo)
	s.content = append(s.content, " Tj ET\n"...)
}

// endPage writes the current page: its content stream, then the page
// object, which inherits media box and fonts from the page tree.
func (s *sheetWriter) endPage() {
	contents, page := s.pw.reserve(), s.pw.reserve()
	s.pw.stream(contents, s.content)
	s.pw.begin(page)
	s.pw.writeString("<< /Type /Page /Parent ")
	s.pw.writeInt(int64(s.pages))
	s.pw.writeString(" 0 R /Contents ")
	s.pw.writeInt(int64(contents))
	s.pw.writeString(" 0 R >>")
	s.pw.end()
	s.pw.flush()
	s.kids = append(s.kids, int32(page))
	s.onPage = 0
	if cap(s.content) > 4<<20 { // never reached with the limits above; keeps a pathological page from pinning memory
		s.content = nil
	}
}

func (s *sheetWriter) finish() error {
	pw := s.pw
	pw.begin(s.pages)
	pw.writeString("<< /Type /Pages /Count ")
	pw.writeInt(int64(len(s.kids)))
	pw.writeString("\n/MediaBox [0 0 ")
	pw.write(appendNum(nil, s.lay.pageW))
	pw.writeString(" ")
	pw.write(appendNum(nil, s.lay.pageH))
	pw.writeString("]\n/Resources << /Font << /F1 ")
	pw.writeInt(int64(s.font))
	pw.writeString(" 0 R /F2 ")
	pw.writeInt(int64(s.fontBold))
	pw.writeString(" 0 R >> >>\n/Kids [")
	for i, k := range s.kids {
		if i%16 == 0 {
			pw.writeString("\n")
		}
		pw.writeInt(int64(k))
		pw.writeString(" 0 R ")
	}
	pw.writeString("] >>")
	pw.end()
	// PrintScaling /None asks viewers not to "fit to page" when printing,
	// which would shrink the labels off the pre-cut label paper.
	pw.object(s.catalog, "<< /Type /Catalog /Pages "+strconv.Itoa(s.pages)+" 0 R /ViewerPreferences << /PrintScaling /None >> >>")
	info := appendPDFString([]byte("<< /Producer (Market4) /Title "), s.lay.title)
	pw.object(s.info, string(info)+" >>")
	return pw.finish(s.catalog, s.info)
}
