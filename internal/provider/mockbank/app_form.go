package mockbank

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/market4/market4/pkg/money"
)

// scanInput is what the scan form sent: the payer, and a pasted payload
// or an image of the code (or both: the image wins, being the later and
// more deliberate act on the page).
type scanInput struct {
	from  string
	qr    string
	image []byte
}

// maxScanBody bounds the scan form: the image plus the small fields and
// the multipart framing.
const maxScanBody = maxUploadBytes + 64<<10

// maxDrain is how much of an oversized upload is read and thrown away so
// the browser, still sending, gets to see the "too large" page instead of
// a reset connection. Beyond it the connection is simply closed.
const maxDrain = 32 << 20

// readScanForm reads the scan form, multipart (with an image) or
// URL-encoded (paste only), streaming the parts so nothing touches the
// disk and nothing beyond the limits is held in memory.
func readScanForm(w http.ResponseWriter, r *http.Request) (scanInput, *uiError) {
	var in scanInput
	orig := r.Body
	tooLarge := func() (scanInput, *uiError) {
		_, _ = io.Copy(io.Discard, io.LimitReader(orig, maxDrain))
		return in, uiImageTooLarge
	}
	if r.ContentLength > maxScanBody {
		return tooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxScanBody)
	isTooLarge := func(err error) bool {
		var mbe *http.MaxBytesError
		return errors.As(err, &mbe)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			if isTooLarge(err) {
				return tooLarge()
			}
			return in, uiBadForm
		}
		in.from = strings.TrimSpace(r.PostForm.Get("from_account"))
		in.qr = cleanPayload(r.PostForm.Get("qr_payload"))
		return in, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return in, uiBadForm
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isTooLarge(err) {
				return tooLarge()
			}
			return in, uiBadForm
		}
		var value []byte
		switch p.FormName() {
		case "from_account":
			value, err = readAtMost(p, 64)
			in.from = strings.TrimSpace(string(value))
		case "qr_payload":
			// Longer than any VietQR: Decode then says it is too long.
			value, err = readAtMost(p, 4<<10)
			in.qr = cleanPayload(string(value))
		case "qr_image":
			value, err = io.ReadAll(io.LimitReader(p, maxUploadBytes+1))
			if err == nil && len(value) > maxUploadBytes {
				return tooLarge()
			}
			in.image = value
		default:
			_, err = io.Copy(io.Discard, p)
		}
		if err != nil {
			if isTooLarge(err) {
				return tooLarge()
			}
			return in, uiBadForm
		}
	}
	return in, nil
}

// readAtMost reads up to n bytes of r and discards the rest.
func readAtMost(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, n))
	if err == nil {
		_, err = io.Copy(io.Discard, r)
	}
	return b, err
}

// cleanPayload undoes what copying does to a payload: line breaks where a
// page wrapped it, and spaces around it. Spaces inside are kept (a
// merchant name has them).
func cleanPayload(s string) string {
	s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	return strings.TrimSpace(s)
}

// parseAmountInput reads an amount as a Vietnamese payer types it: whole
// đồng, "50000", "50.000" or "50 000", optionally followed by ₫, đ or VND.
// Dots and spaces may only group thousands: "50.5" could mean 50,5 đồng or
// 505 and is refused rather than guessed, and so is a comma. It returns
// the amount, or a Vietnamese explanation.
func parseAmountInput(s string) (int64, string) {
	s = strings.TrimSpace(s)
	for _, suffix := range []string{"đồng", "vnđ", "vnd", "₫", "đ"} {
		// Upper and lower case of these letters have the same byte length.
		if n := len(s) - len(suffix); n >= 0 && strings.EqualFold(s[n:], suffix) {
			s = strings.TrimSpace(s[:n])
			break
		}
	}
	if s == "" {
		return 0, "Hãy nhập số tiền cần chuyển."
	}
	const syntax = "Số tiền chỉ gồm chữ số, ví dụ 50000 hoặc 50.000."
	groups := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == ' ' || r == '\u00a0' })
	if len(groups) == 0 || strings.Count(s, ".")+strings.Count(s, " ")+strings.Count(s, "\u00a0") != len(groups)-1 {
		return 0, syntax
	}
	var digits strings.Builder
	for i, g := range groups {
		if !allDigits(g) || (len(groups) > 1 && (i == 0 && len(g) > 3 || i > 0 && len(g) != 3)) {
			return 0, syntax
		}
		digits.WriteString(g)
	}
	d := strings.TrimLeft(digits.String(), "0")
	if d == "" {
		return 0, "Số tiền phải lớn hơn 0 ₫."
	}
	if len(d) > 13 {
		return 0, "Số tiền phải nhỏ hơn 500.000.000 ₫."
	}
	a, err := money.Parse(d)
	switch {
	case errors.Is(err, money.ErrTooLarge):
		return 0, "Số tiền phải nhỏ hơn 500.000.000 ₫."
	case err != nil:
		return 0, syntax
	}
	return a.Dong(), ""
}
