package ocop

import (
	"strings"
	"testing"
)

func TestGTINCheckDigit(t *testing.T) {
	tests := []struct {
		body string
		want int
	}{
		{"400638133393", 1},  // GTIN-13 4006381333931
		{"9638507", 4},       // GTIN-8 96385074
		{"03600029145", 2},   // GTIN-12 036000291452
		{"0952123454321", 3}, // GTIN-14 09521234543213 (GS1 examples)
		{"0", 0},
		{"1", 7},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			got, err := GTINCheckDigit(tt.body)
			if err != nil || got != tt.want {
				t.Fatalf("GTINCheckDigit(%q) = %d, %v; want %d", tt.body, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "12a4", strings.Repeat("1", 18)} {
		if _, err := GTINCheckDigit(bad); err == nil {
			t.Errorf("GTINCheckDigit(%q) accepted", bad)
		}
	}
}

func TestValidateGTIN(t *testing.T) {
	vn13 := gtinWith(t, "893456789012")
	tests := []struct {
		name, in, want string
		sentinel       error
	}{
		{"gtin-13", "4006381333931", "04006381333931", nil},
		{"gtin-8", "96385074", "00000096385074", nil},
		{"gtin-12", "036000291452", "00036000291452", nil},
		{"gtin-14", "09521234543213", "09521234543213", nil},
		{"gtin-14 indicator 1", gtinWith(t, "1"+vn13[:12]), gtinWith(t, "1"+vn13[:12]), nil},
		{"vietnam", vn13, "0" + vn13, nil},
		{"bad check digit", "4006381333932", "", ErrCheckDigit},
		{"letters", "40063813339a1", "", ErrInvalid},
		{"length 11", "40063813339", "", ErrInvalid},
		{"length 15", "040063813339310", "", ErrInvalid},
		{"empty", "", "", ErrInvalid},
		{"spaces", " 4006381333931", "", ErrInvalid},
		{"all zeros", "00000000000000", "", ErrInvalid},
		{"rcn-13 prefix 20", gtinWith(t, "200012345678"), "", ErrRestrictedGTIN},
		{"rcn-13 prefix 29", gtinWith(t, "290012345678"), "", ErrRestrictedGTIN},
		{"rcn-13 prefix 02", gtinWith(t, "020012345678"), "", ErrRestrictedGTIN},
		{"rcn-13 prefix 04", gtinWith(t, "040012345678"), "", ErrRestrictedGTIN},
		{"rcn-12 upc 2", gtinWith(t, "20001234567"), "", ErrRestrictedGTIN},
		{"rcn-8 prefix 0", gtinWith(t, "0123456"), "", ErrRestrictedGTIN},
		{"rcn-8 prefix 2", gtinWith(t, "2123456"), "", ErrRestrictedGTIN},
		{"prefix 30 fine", gtinWith(t, "300012345678"), "0" + gtinWith(t, "300012345678"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateGTIN(tt.in)
			if tt.sentinel != nil {
				wantField(t, err, "gtin", tt.sentinel)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ValidateGTIN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestIsGS1Vietnam(t *testing.T) {
	vn13 := gtinWith(t, "893456789012")
	tests := []struct {
		in   string
		want bool
	}{
		{vn13, true},
		{"0" + vn13, true},
		{gtinWith(t, "3"+vn13[:12]), true}, // case-level GTIN-14 of a VN item
		{gtinWith(t, "8931234"), true},     // GTIN-8 from GS1 Vietnam
		{"4006381333931", false},
		{vn13[:12] + "0", vn13[12] == '0'}, // wrong check digit unless it happens to be 0
	}
	for _, tt := range tests {
		if got := IsGS1Vietnam(tt.in); got != tt.want {
			t.Errorf("IsGS1Vietnam(%q) = %v", tt.in, got)
		}
	}
}

func FuzzValidateGTIN(f *testing.F) {
	for _, s := range []string{"4006381333931", "96385074", "036000291452", "09521234543213", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ValidateGTIN(s)
		if err != nil {
			return
		}
		if len(g) != 14 || !allDigits(g) || !strings.HasSuffix(g, s) {
			t.Fatalf("ValidateGTIN(%q) = %q", s, g)
		}
		if g2, err := ValidateGTIN(g); err != nil || g2 != g {
			t.Fatalf("not idempotent: %q -> %q, %v", g, g2, err)
		}
	})
}
