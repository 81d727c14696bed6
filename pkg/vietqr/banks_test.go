package vietqr

import (
	"slices"
	"strings"
	"testing"
)

func TestBanks(t *testing.T) {
	bs := Banks()
	if len(bs) != 72 {
		t.Fatalf("Banks() has %d banks, want the 72 rows of banks.csv", len(bs))
	}
	if !slices.IsSortedFunc(bs, func(a, b Bank) int {
		return strings.Compare(strings.ToLower(a.ShortName), strings.ToLower(b.ShortName))
	}) {
		t.Error("Banks() is not sorted by short name")
	}
	seen := map[string]bool{}
	for _, b := range bs {
		if !isBIN(b.BIN) || b.ShortName == "" || b.Name == "" {
			t.Errorf("malformed bank %+v", b)
		}
		if seen[b.BIN] {
			t.Errorf("BIN %s twice", b.BIN)
		}
		seen[b.BIN] = true
		if got, ok := LookupBank(b.BIN); !ok || got != b {
			t.Errorf("LookupBank(%s) = %+v, %v", b.BIN, got, ok)
		}
		if b.SWIFT != "" && len(b.SWIFT) != 8 && len(b.SWIFT) != 11 {
			t.Errorf("%s: SWIFT %q is not 8 or 11 characters", b.ShortName, b.SWIFT)
		}
	}
	bs[0].ShortName = "changed"
	if Banks()[0].ShortName == "changed" {
		t.Error("Banks() shares its slice with the caller")
	}
}

func TestLookupBank(t *testing.T) {
	tests := []struct{ bin, short, swift string }{
		{"970436", "Vietcombank", "BFTVVNVX"},
		{"970403", "Sacombank", "SGTTVNVX"},
		{"970406", "Vikki", "EACBVNVX"},  // was DongA Bank
		{"970414", "MBV", "OCBKUS3M"},    // was OceanBank
		{"970449", "LPBank", "LVBKVNVX"}, // was LienVietPostBank
		{"546034", "CAKE", ""},
		{"971025", "MoMo", ""},
	}
	for _, tt := range tests {
		b, ok := LookupBank(tt.bin)
		if !ok || b.ShortName != tt.short || b.SWIFT != tt.swift {
			t.Errorf("LookupBank(%s) = %+v, %v; want %s %s", tt.bin, b, ok, tt.short, tt.swift)
		}
	}
	if b, ok := LookupBank("533948"); !ok || b.Name != "Ngân hàng Citibank, N.A. - Chi nhánh Hà Nội" {
		t.Errorf("quoted CSV name with a comma: %+v, %v", b, ok)
	}
	for _, bin := range []string{"", "999999", "97043", "9704366"} {
		if b, ok := LookupBank(bin); ok {
			t.Errorf("LookupBank(%q) = %+v", bin, b)
		}
	}
	for _, v := range loadVectors(t) {
		if bin := v.Fields["bin"]; bin != "" {
			if _, ok := LookupBank(bin); !ok {
				t.Errorf("vector %s: BIN %s not in the directory", v.ID, bin)
			}
		}
	}
}

func TestBankByShortName(t *testing.T) {
	tests := []struct{ name, bin string }{
		{"Vietcombank", "970436"},
		{"vietcombank", "970436"},
		{" ACB ", "970416"},
		{"KEBHanaHN", "970467"},
		{"MAFC", "970468"}, // two BINs: the lower one, from the State Bank list
		{"cimb", "422589"},
		{"CIMBBank", "970459"},
	}
	for _, tt := range tests {
		b, ok := BankByShortName(tt.name)
		if !ok || b.BIN != tt.bin {
			t.Errorf("BankByShortName(%q) = %+v, %v; want BIN %s", tt.name, b, ok, tt.bin)
		}
	}
	for _, name := range []string{"", "Vietcom", "Ngân hàng TMCP Á Châu"} {
		if b, ok := BankByShortName(name); ok {
			t.Errorf("BankByShortName(%q) = %+v", name, b)
		}
	}
}

func TestParseBanksRejectsMalformed(t *testing.T) {
	for _, data := range []string{
		"",
		"bin,name\n970436,Vietcombank\n",
		"bin,short_name,name,swift_code\n97043,VCB,Vietcombank,\n",
		"bin,short_name,name,swift_code\n970436,,Vietcombank,\n",
		"bin,short_name,name,swift_code\n970436,VCB,Vietcombank,\n970436,VCB2,Vietcombank,\n",
		"bin,short_name,name,swift_code\n970436,VCB,\"Vietcombank,\n",
	} {
		if _, err := parseBanks([]byte(data)); err == nil {
			t.Errorf("parseBanks(%q) succeeded", data)
		}
	}
}
