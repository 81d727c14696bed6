package vietqr

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ASCII transliterates Vietnamese (and other Latin) text to the printable
// ASCII that VietQR text fields must hold, the way Vietnamese bank apps do:
// decompose to NFD, drop combining marks (tones, breve, horn, circumflex),
// map đ→d and Đ→D, then drop everything that is still not printable ASCII
// (emoji, CJK, control characters). Encode applies it to every text field.
//
// Deliberate deviation from "drop everything else": Unicode white space
// (tab, newline, no-break space, ideographic space) becomes one ASCII space
// per character, so "Thanh\u00a0toán" gives "Thanh toan", not "Thanhtoan".
// The look-alike Ð (U+00D0) and ð (U+00F0), which Vietnamese keyboards
// sometimes produce instead of Đ/đ, also map to D/d.
//
// Text that is already printable ASCII is returned as is, without allocating.
func ASCII(s string) string {
	i := 0
	for i < len(s) && isPrint(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	var it norm.Iter
	it.InitString(norm.NFD, s[i:])
	for !it.Done() {
		seg := it.Next()
		for len(seg) > 0 {
			r, n := utf8.DecodeRune(seg)
			seg = seg[n:]
			switch {
			case r < utf8.RuneSelf && isPrint(byte(r)):
				b.WriteByte(byte(r))
			case r == 'đ' || r == 'ð':
				b.WriteByte('d')
			case r == 'Đ' || r == 'Ð':
				b.WriteByte('D')
			case unicode.IsSpace(r):
				b.WriteByte(' ')
			}
		}
	}
	return b.String()
}

// isPrint reports whether c is printable ASCII (space to tilde).
func isPrint(c byte) bool { return 0x20 <= c && c <= 0x7E }
