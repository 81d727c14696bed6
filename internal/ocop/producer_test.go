package ocop

import (
	"slices"
	"strings"
	"testing"
)

func TestValidateTaxCode(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		kind     ProducerKind
		sentinel error // nil: valid
	}{
		{"vinamilk", "0300588569", KindEnterprise, nil},
		{"fpt", "0101248141", KindEnterprise, nil},
		{"viettel", "0100109106", KindEnterprise, nil},
		{"branch", "0100109106-001", KindEnterprise, nil},
		{"branch 999", "0100109106-999", KindCooperative, nil},
		{"branch 000", "0100109106-000", KindEnterprise, ErrInvalid},
		{"branch short", "0100109106-01", KindEnterprise, ErrInvalid},
		{"branch letters", "0100109106-0a1", KindEnterprise, ErrInvalid},
		{"two dashes", "0100109106-001-002", KindEnterprise, ErrInvalid},
		{"check digit", "0100109107", KindEnterprise, ErrCheckDigit},
		{"remainder zero never issued", mstWithRemainderZero(), KindEnterprise, ErrCheckDigit},
		{"9 digits", "010010910", KindEnterprise, ErrInvalid},
		{"11 digits", "01001091061", KindEnterprise, ErrInvalid},
		{"letters", "01001O9106", KindEnterprise, ErrInvalid},
		{"spaces", "0100 109106", KindEnterprise, ErrInvalid},
		{"personal id, household", "001203012345", KindHouseholdBusiness, nil},
		{"personal id, enterprise", "001203012345", KindEnterprise, ErrInvalid},
		{"13 digits no dash", "0100109106001", KindEnterprise, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTaxCode(tt.in, tt.kind)
			if tt.sentinel == nil {
				if err != nil {
					t.Fatalf("ValidateTaxCode(%q) = %v", tt.in, err)
				}
				return
			}
			wantField(t, err, "tax_code", tt.sentinel)
		})
	}
}

// mstWithRemainderZero finds a 10-digit code whose weighted sum is ≡ 0
// mod 11: check digit "10" cannot exist, whatever the last digit.
func mstWithRemainderZero() string {
	for n := 100000000; ; n++ {
		s := itoa9(n)
		sum := 0
		for i, w := range mstWeights {
			sum += w * int(s[i]-'0')
		}
		if sum%11 == 0 {
			return s + "0"
		}
	}
}

func itoa9(n int) string {
	b := []byte("000000000")
	for i := 8; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

func TestProducerValidate(t *testing.T) {
	good := Producer{Name: "HTX Chè Tân Cương", Kind: KindCooperative, TaxCode: "0300588569", Commune: "Xã Tân Cương", ProvinceCode: "19"}
	tests := []struct {
		name   string
		mod    func(*Producer)
		fields []string
	}{
		{"valid", func(*Producer) {}, nil},
		{"household without tax code", func(p *Producer) { p.Kind, p.TaxCode = KindHouseholdBusiness, "" }, nil},
		{"group without tax code", func(p *Producer) { p.Kind, p.TaxCode = KindCooperativeGroup, "" }, nil},
		{"cooperative needs tax code", func(p *Producer) { p.TaxCode = "" }, []string{"tax_code"}},
		{"enterprise needs tax code", func(p *Producer) { p.Kind, p.TaxCode = KindEnterprise, "" }, []string{"tax_code"}},
		{"bad tax code", func(p *Producer) { p.TaxCode = "123" }, []string{"tax_code"}},
		{"bad kind", func(p *Producer) { p.Kind = "farmer" }, []string{"kind"}},
		{"blank name", func(p *Producer) { p.Name = "   " }, []string{"name"}},
		{"long name", func(p *Producer) { p.Name = strings.Repeat("ả", MaxNameLen+1) }, []string{"name"}},
		{"name at limit", func(p *Producer) { p.Name = strings.Repeat("ả", MaxNameLen) }, nil},
		{"control char", func(p *Producer) { p.Name = "HTX\x00" }, []string{"name"}},
		{"newline in name", func(p *Producer) { p.Name = "HTX\nA" }, []string{"name"}},
		{"bad utf-8", func(p *Producer) { p.Commune = "X\xffã" }, []string{"commune"}},
		{"province", func(p *Producer) { p.ProvinceCode = "1" }, []string{"province_code"}},
		{"everything", func(p *Producer) { *p = Producer{} }, []string{"name", "kind", "commune", "province_code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good
			tt.mod(&p)
			if got := fieldsOf(p.Validate()); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields = %v, want %v", got, tt.fields)
			}
		})
	}
}

func FuzzValidateTaxCode(f *testing.F) {
	for _, s := range []string{"0300588569", "0100109106-001", "001203012345", "-", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range []ProducerKind{KindEnterprise, KindHouseholdBusiness} {
			if err := ValidateTaxCode(s, k); err == nil && len(s) != 10 && len(s) != 14 && len(s) != 12 {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}
