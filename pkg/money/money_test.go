package money

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"50000", "50000", nil},
		{" 1 ", "1", nil},
		{"499999999", "499999999", nil},
		{"35000.00", "35000", nil},
		{"500000000", "", ErrTooLarge},
		{"0", "", ErrNotPositive},
		{"-5", "", ErrNotPositive},
		{"1.5", "", ErrFractional},
		{"", "", ErrSyntax},
		{"1e5", "", ErrSyntax},
		{"abc", "", ErrSyntax},
		{"50,000", "", ErrSyntax},
		{"0x10", "", ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Parse(%q) err = %v, want %v", tt.in, err, tt.err)
			}
			if err == nil && got.String() != tt.want {
				t.Fatalf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[int64]string{1: "1 ₫", 999: "999 ₫", 1000: "1.000 ₫", 50000: "50.000 ₫", 1234567: "1.234.567 ₫", -35000: "-35.000 ₫"} {
		if got := FromDong(in).Format(); got != want {
			t.Errorf("Format(%d) = %q, want %q", in, got, want)
		}
	}
	if got := FromDong(50000).Words(); got != "50.000 đồng" {
		t.Errorf("Words = %q", got)
	}
}

func TestJSON(t *testing.T) {
	var v struct{ A Amount }
	if err := json.Unmarshal([]byte(`{"A":"35000"}`), &v); err != nil || v.A.Dong() != 35000 {
		t.Fatalf("unmarshal string: %v %v", v.A, err)
	}
	for _, bad := range []string{`{"A":35000}`, `{"A":"1.5"}`, `{"A":"0"}`, `{"A":null}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil && bad != `{"A":null}` {
			t.Errorf("unmarshal %s: want error", bad)
		}
	}
	b, _ := json.Marshal(struct{ A Amount }{FromDong(50000)})
	if string(b) != `{"A":"50000"}` {
		t.Fatalf("marshal = %s", b)
	}
}

func TestArithmetic(t *testing.T) {
	a, b := MustParse("50000"), MustParse("20000")
	if a.Sub(b).Dong() != 30000 || a.Add(b).Dong() != 70000 || a.Cmp(b) != 1 || b.Sub(a).Sign() != -1 {
		t.Fatal("arithmetic wrong")
	}
}

func TestParseEdges(t *testing.T) {
	for in, want := range map[string]error{
		"007":                               nil, // leading zeros are still whole đồng
		"1.":                                nil,
		"499999999.000":                     nil,
		"+5":                                ErrSyntax,
		"5-":                                ErrSyntax,
		"--5":                               ErrSyntax,
		"1 000":                             ErrSyntax,
		"１０００":                              ErrSyntax, // full-width digits
		"0.0":                               ErrNotPositive,
		"-0":                                ErrNotPositive,
		".5":                                ErrFractional,
		"499999999.5":                       ErrFractional,
		"1.0000000000000000000001":          ErrFractional,
		"499999999.9999":                    ErrFractional,
		"500000000.0":                       ErrTooLarge,
		"99999999999999999999":              ErrTooLarge,
		"123456789012345678901234567890123": ErrSyntax, // over 32 characters
	} {
		got, err := Parse(in)
		if !errors.Is(err, want) {
			t.Errorf("Parse(%q) = %v, %v; want error %v", in, got, err, want)
		}
	}
	if got := MustParse(" 007 ").String(); got != "7" {
		t.Errorf("canonical form of 007 = %q", got)
	}
}

func TestJSONNullAndOptional(t *testing.T) {
	var req struct {
		Amount   Amount  `json:"amount"`
		Optional *Amount `json:"optional"`
	}
	// A required amount sent as null is refused, not read as zero đồng.
	if err := json.Unmarshal([]byte(`{"amount":null}`), &req); !errors.Is(err, ErrSyntax) {
		t.Fatalf("null amount: err = %v, want ErrSyntax", err)
	}
	req.Optional = nil
	if err := json.Unmarshal([]byte(`{"amount":"1","optional":null}`), &req); err != nil || req.Optional != nil || req.Amount.Dong() != 1 {
		t.Fatalf("optional null: %v %+v", err, req)
	}
	if err := json.Unmarshal([]byte(`{"amount":"1","optional":"2.5"}`), &req); !errors.Is(err, ErrFractional) {
		t.Fatalf("optional 2.5: err = %v", err)
	}
	b, err := json.Marshal(struct {
		A *Amount `json:"a"`
		B Amount  `json:"b"`
	}{B: FromDong(499_999_999)})
	if err != nil || string(b) != `{"a":null,"b":"499999999"}` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
}
