package ocop

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Trà sen", "tra sen"},
		{"Đặc sản", "dac san"},
		{"ĐẶC SẢN", "dac san"},
		{"  Trà\t\tsen \n Tây  Hồ ", "tra sen tay ho"},
		{"Nước mắm Phú Quốc", "nuoc mam phu quoc"},
		{"Cà phê Buôn Ma Thuột", "ca phe buon ma thuot"},
		{"Mật ong bạc hà Hà Giang", "mat ong bac ha ha giang"},
		{"Gạo ST25 – Sóc Trăng", "gao st25 – soc trang"},
		{"Bưởi Năm Roi, Vĩnh Long!", "buoi nam roi, vinh long!"},
		{"ưƯơƠăĂâÂêÊôÔđĐ", "uuooaaaaeeoodd"},
		{"Ð", "d"},                   // U+00D0, often typed for Đ
		{"Tra\u0300 sen", "tra sen"}, // decomposed input (macOS, some keyboards)
		{"Trà\u00a0sen", "tra sen"},  // no-break space
		{"Trà\u3000sen", "tra sen"},  // ideographic space
		{"ｔｒà", "tra"},               // full-width letters
		{"ﬁ", "fi"},                  // ligature
		{"plain ASCII", "plain ascii"},
		{"", ""},
		{"   ", ""},
		{"a\xffb", "a\ufffdb"},
		{"İstanbul", "istanbul"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Fold(tt.in); got != tt.want {
				t.Fatalf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if !strings.Contains(Fold("Trà sen Tây Hồ loại đặc biệt"), Fold("TRA SEN")) {
		t.Fatal(`"tra sen" must find "Trà sen"`)
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"Trà sen", "Đặc sản", "a\xffb", "ǅ", "İ", "ﬃ", "\u0345", "ᾈ", "K"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Fold(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Fold(%q) = %q: invalid UTF-8", s, got)
		}
		if again := Fold(got); again != got {
			t.Fatalf("not idempotent: Fold(%q) = %q, Fold of that = %q", s, got, again)
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("Fold(%q) = %q: white space not collapsed", s, got)
		}
		for _, r := range got {
			if unicode.Is(unicode.Mn, r) || r == 'đ' || (unicode.IsSpace(r) && r != ' ') {
				t.Fatalf("Fold(%q) = %q keeps %q", s, got, r)
			}
		}
	})
}

// TestFoldIdempotentAllRunes checks every code point, between letters so
// that case and composition interactions show up. It complements FuzzFold.
func TestFoldIdempotentAllRunes(t *testing.T) {
	if testing.Short() {
		t.Skip("walks all 1.1 million code points")
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		s := "X" + string(r) + "Ạ"
		if f := Fold(s); Fold(f) != f {
			t.Fatalf("%U: Fold(%q) = %q, Fold again = %q", r, s, f, Fold(f))
		}
	}
}
