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
