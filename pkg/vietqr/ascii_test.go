package vietqr

import "testing"

func TestASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Thanh toán đơn hàng", "Thanh toan don hang"},
		{"ĐẶNG", "DANG"},
		{"đ Đ", "d D"},
		{"Nguyễn Văn Ả", "Nguyen Van A"},
		{"chuyển khoản", "chuyen khoan"},
		{"Thành phố Hồ Chí Minh", "Thanh pho Ho Chi Minh"},
		{"Phở bò 🍜", "Pho bo "},
		{"Chuyển tiền 😀👍🏽", "Chuyen tien "},
		{"àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ",
			"aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd"},
		{"ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ",
			"AAAAAAAAAAAAAAAAAEEEEEEEEEEEIIIIIOOOOOOOOOOOOOOOOOUUUUUUUUUUUYYYYYD"},
		{"Vie\u0302\u0323t Nam", "Viet Nam"}, // already decomposed (NFD input, e.g. from macOS)
		{"\u0301", ""},                       // a lone combining mark
		{"Ðồng ðô", "Dong do"},               // Icelandic eth look-alikes of Đ/đ
		{"tab\tnew\nline", "tab new line"},
		{"no\u00a0break\u3000space", "no break space"},
		{"日本語", ""},
		{"ＡＢＣ", ""}, // full-width forms are not decomposed by NFD
		{"a\xffb", "ab"},
		{"\x00bell\x07\x7f", "bell"},
		{"", ""},
		{"plain ASCII ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./", "plain ASCII ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"},
		{"Giá 50.000₫", "Gia 50.000"},
		{"Café crème", "Cafe creme"},
	}
	for _, tt := range tests {
		if got := ASCII(tt.in); got != tt.want {
			t.Errorf("ASCII(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestASCIIPlainDoesNotAllocate(t *testing.T) {
	s := "thanh toan don hang M4K3Q8ZP2A"
	if n := testing.AllocsPerRun(100, func() { _ = ASCII(s) }); n != 0 {
		t.Errorf("ASCII on plain ASCII allocates %v times", n)
	}
}

func FuzzASCII(f *testing.F) {
	for _, s := range []string{"Thanh toán đơn hàng", "ĐẶNG", "Phở 🍜", "a\xffb", "\t\n", "Vie\u0302\u0323t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ASCII(s)
		for i := 0; i < len(got); i++ {
			if !isPrint(got[i]) {
				t.Fatalf("ASCII(%q) = %q has byte 0x%02X", s, got, got[i])
			}
		}
		if again := ASCII(got); again != got {
			t.Fatalf("ASCII not idempotent: %q → %q → %q", s, got, again)
		}
	})
}
