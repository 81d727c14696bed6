package printable

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
	"golang.org/x/text/unicode/norm"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/pkg/vietqr"
)

// DejaVu Sans (Bitstream Vera licence, see fonts/LICENSE-DejaVu) covers
// every Vietnamese letter with its tones precomposed. fpdf embeds only the
// glyphs a document uses, so a poster carries a few kilobytes of it.
var (
	//go:embed fonts/DejaVuSans.ttf
	dejaVuSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	dejaVuSansBold []byte
)

// PosterData is what a stall poster shows.
type PosterData struct {
	// Size is the paper: "A6" (105×148 mm, the default when empty) or
	// "A5" (148×210 mm). The layout scales with the page.
	Size string
	// Payload is the stall's static VietQR; Poster checks it decodes.
	Payload string
	// StallName (required) and StallNumber are printed large above the
	// code, MarketName above them.
	StallName, StallNumber, MarketName string
	// BankName and AccountNumberMasked (e.g. "•••• 3456") are printed
	// under the code so a buyer can check where the money goes. The full
	// account number must not be passed: posters are photographed.
	BankName, AccountNumberMasked string
	// Lang is "vi" (the default when empty) or "en": the language of the
	// headline; the other language's "scan to pay" is printed smaller under
	// it for tourists.
	Lang string
}

// posterText is the wording of one language.
type posterText struct {
	stall, scan, scanOther, lang string
}

var posterTexts = map[string]posterText{
	"vi": {stall: "Quầy", scan: "Quét mã để thanh toán", scanOther: "Scan to pay", lang: "vi-VN"},
	"en": {stall: "Stall", scan: "Scan to pay", scanOther: "Quét mã để thanh toán", lang: "en"},
}

// posterDate is the creation date written in every poster. A fixed date
// keeps output deterministic (same stall, same bytes), so the HTTP layer
// can use a content-derived ETag and tests can compare bytes.
var posterDate = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// Poster layout, in millimetres on A6; A5 scales everything by 148/105.
const (
	posterMargin = 6.0  // left and right margin of text
	posterQRFrac = 0.78 // QR edge (quiet zone included) as a fraction of page width
)

// Poster writes a one-page PDF stall poster to w: market name, stall name
// and number, the static VietQR as vector rectangles (78 % of the page
// width with its quiet zone, so the modules alone span over 60 % for any
// VietQR, and at level Q like /qr.png), the call to scan in both
// languages, bank and masked account, and "VietQR · NAPAS". Text is
// normalised to NFC and set in DejaVu Sans; names too long for the page
// are shrunk, then shortened with "…". The output (about 35 KB, mostly the
// font subsets) is deterministic.
//
// Errors: *errs.Error with code invalid and field size, lang, payload or
// stall_name; or a write error from w.
func Poster(w io.Writer, p PosterData) error {
	var wmm, hmm float64
	switch p.Size {
	case "", "A6":
		wmm, hmm, p.Size = 105, 148, "A6"
	case "A5":
		wmm, hmm = 148, 210
	default:
		return errs.Field("size", `must be "A6" or "A5"`)
	}
	if p.Lang == "" {
		p.Lang = "vi"
	}
	txt, ok := posterTexts[p.Lang]
	if !ok {
		return errs.Field("lang", `must be "vi" or "en"`)
	}
	if _, err := vietqr.Decode(p.Payload); err != nil {
		return errs.Field("payload", "is not a valid VietQR: "+err.Error())
	}
	for _, s := range []*string{&p.StallName, &p.StallNumber, &p.MarketName, &p.BankName, &p.AccountNumberMasked} {
		// Decomposed input (as some keyboards and macOS produce) would
		// print tone marks as separate, misplaced glyphs: fpdf does no
		// shaping.
		*s = norm.NFC.String(strings.TrimSpace(*s))
	}
	if p.StallName == "" {
		return errs.Field("stall_name", "is required")
	}
	mods, err := qrMatrix(p.Payload, qrcode.High) // level Q, as pkg/vietqr renders it
	if err != nil {
		return errs.Field("payload", err.Error())
	}

	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: wmm, Ht: hmm}})
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(posterDate)
	pdf.SetModificationDate(posterDate)
	pdf.SetProducer("Market4", false)
	pdf.SetTitle(p.StallName, true)
	pdf.SetLang(txt.lang)
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes("DejaVu", "", dejaVuSans)
	pdf.AddUTF8FontFromBytes("DejaVu", "B", dejaVuSansBold)
	pdf.AddPage()

	k := wmm / 105 // scale of the A6 layout
	textW := wmm - 2*posterMargin*k
	// line draws s centred with its baseline at y (mm from the top) in the
	// largest size from size down to min (points, A6 scale) that fits the
	// width, shortening it with "…" if even min is too wide.
	line := func(s, style string, size, minSize, y float64, grey int) {
		if s == "" {
			return
		}
		pdf.SetFont("DejaVu", style, size*k)
		for sz := size; sz > minSize && pdf.GetStringWidth(s) > textW; {
			sz -= 0.5
			pdf.SetFontSize(sz * k)
		}
		if pdf.GetStringWidth(s) > textW {
			r := []rune(s)
			for len(r) > 1 && pdf.GetStringWidth(string(r)+"…") > textW {
				r = r[:len(r)-1]
			}
			s = strings.TrimRight(string(r), " ") + "…"
		}
		pdf.SetTextColor(grey, grey, grey)
		pdf.Text((wmm-pdf.GetStringWidth(s))/2, y*k, s)
	}

	line(p.MarketName, "", 11, 7, 11, 60)
	line(p.StallName, "B", 20, 11, 21, 0)
	if p.StallNumber != "" {
		line(txt.stall+" "+p.StallNumber, "B", 16, 10, 29, 0)
	}

	// The QR code, quiet zone included, centred below the names.
	qr := wmm * posterQRFrac
	qrTop := 32 * k
	module := qr / float64(len(mods))
	var rm rectMerger
	ops := appendQROps(nil, rm.merge(mods), mmToPt((wmm-qr)/2), mmToPt(hmm-qrTop), mmToPt(module))
	pdf.RawWriteStr(string(ops))

	y := qrTop/k + qr/k // back in A6 units
	line(txt.scan, "B", 14, 9, y+5, 0)
	line(txt.scanOther, "", 9, 7, y+10.5, 60)
	bank := p.BankName
	if p.AccountNumberMasked != "" {
		if bank != "" {
			bank += "  ·  "
		}
		bank += p.AccountNumberMasked
	}
	line(bank, "", 10, 7, y+18, 0)
	line("VietQR · NAPAS", "", 7, 7, 148-5, 110)

	if err := pdf.Error(); err != nil {
		return fmt.Errorf("printable: poster: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("printable: poster: %w", err)
	}
	return nil
}
