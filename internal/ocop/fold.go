package ocop

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fold returns the search key of s: lower case, diacritics removed (NFKD
// decomposition, combining marks dropped), đ/Đ → d, runs of white space
// collapsed to one ASCII space and trimmed. Searching stores Fold(name) in
// an indexed column and matches Fold(query) against it, so "tra sen",
// "TRÀ SEN" and "Trà  sen" all find "Trà sen", and "dac san" finds
// "Đặc sản". Punctuation is kept. Invalid UTF-8 bytes become U+FFFD. Fold
// is idempotent: Fold(Fold(s)) == Fold(s).
func Fold(s string) string {
	if isPlainASCII(s) {
		return foldASCII(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending
	var it norm.Iter
	it.InitString(norm.NFKD, strings.ToValidUTF8(s, "\uFFFD"))
	for !it.Done() {
		seg := it.Next()
		for len(seg) > 0 {
			r, n := utf8.DecodeRune(seg)
			seg = seg[n:]
			switch {
			case unicode.Is(unicode.Mn, r):
				continue
			case unicode.IsSpace(r):
				space = b.Len() > 0
				continue
			case r == 'đ' || r == 'Đ' || r == 'Ð' || r == 'ɖ' || r == 'Ɖ':
				r = 'd'
			default:
				r = foldRune(r)
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foldRune lower-cases r, and removes any diacritic that the lower-case
// form decomposes into (a few capitals lower-case to a precomposed letter),
// so that Fold stays idempotent.
func foldRune(r rune) rune {
	l := unicode.ToLower(r)
	if l == r || l < utf8.RuneSelf {
		return l
	}
	d := norm.NFKD.String(string(l))
	if first, n := utf8.DecodeRuneInString(d); n == len(d) || onlyMarks(d[n:]) {
		return first
	}
	return l
}

func onlyMarks(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return true
}

// isPlainASCII reports printable-ASCII-or-space input, the common case for
// queries typed without a Vietnamese keyboard, which takes a fast path.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func foldASCII(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			space = b.Len() > 0
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}
