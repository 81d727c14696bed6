package market

import (
	"strings"
	"testing"

	"github.com/market4/market4/internal/errs"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means invalid
	}{
		// Valid mobile numbers in every spelling people type.
		{"0912 345 678", "+84912345678"},
		{"0912345678", "+84912345678"},
		{"+84912345678", "+84912345678"},
		{"84912345678", "+84912345678"},
		{"84-912-345-678", "+84912345678"},
		{"+84 912 345 678", "+84912345678"},
		{"(091) 234.5678", "+84912345678"},
		{"  0912345678\t", "+84912345678"},
		{"0312345678", "+84312345678"}, // Viettel 03x since 2018
		{"0512345678", "+84512345678"},
		{"0712345678", "+84712345678"},
		{"0812345678", "+84812345678"},
		{"0999999999", "+84999999999"},
		// Invalid: landlines, wrong lengths, letters, misplaced plus signs.
		{"0243 826 1234", ""},  // Hà Nội landline (11 digits with 0)
		{"02838221234", ""},    // Hồ Chí Minh landline
		{"0212345678", ""},     // 02x is a landline prefix
		{"0112345678", ""},     // 01x retired in 2018
		{"0612345678", ""},     // 06x is not a mobile prefix
		{"01234567890", ""},    // 11 digits
		{"091234567", ""},      // 9 digits
		{"849123456789", ""},   // 12 digits with country code
		{"+8491234567", ""},    // too short after +84
		{"0912a45678", ""},     // letter
		{"O912345678", ""},     // letter O for zero
		{"912345678", ""},      // no trunk prefix or country code
		{"0912+345678", ""},    // plus not at the start
		{"++84912345678", ""},  // two plus signs
		{"+1 912 345 678", ""}, // other country
		{"", ""},
		{"   ", ""},
		{"０９１２３４５６７８", ""}, // full-width digits are not accepted
		{"0912345678\x00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := NormalizePhone(tt.in)
			if ok != (tt.want != "") || got != tt.want {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.want != "")
			}
			if ok {
				again, ok2 := NormalizePhone(got)
				if !ok2 || again != got {
					t.Fatalf("normalising is not idempotent: %q → %q, %v", got, again, ok2)
				}
			}
		})
	}
}

func TestMasks(t *testing.T) {
	if got := MaskPhone("+84912345678"); got != "+849****678" {
		t.Errorf("MaskPhone = %q", got)
	}
	if got := MaskPhone("123"); got != "***" {
		t.Errorf("MaskPhone(short) = %q", got)
	}
	for in, want := range map[string]string{"0071000123456": "*********3456", "1234": "****", "12": "****", "": "****", "12345": "*2345"} {
		if got := MaskAccount(in); got != want {
			t.Errorf("MaskAccount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"":                        false,
		"1234567":                 false,
		"12345678":                true,
		strings.Repeat("x", 128):  true,
		strings.Repeat("x", 129):  false,
		"mật khẩu":                true, // 8 runes, 11 bytes
		"passwörd with spaces ok": true,
	} {
		var fs errs.Fields
		ValidatePassword(&fs, "password", pw)
		if (fs.Err() == nil) != ok {
			t.Errorf("ValidatePassword(%q): err = %v, want ok=%v", pw, fs.Err(), ok)
		}
	}
}

func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{
		"Cô Ba bán rau":          true,
		"  Út  ":                 true,
		"":                       false,
		"   ":                    false,
		"two\nlines":             false,
		"tab\there":              false,
		strings.Repeat("ă", 100): true,
		strings.Repeat("ă", 101): false,
		"bad \xff utf8":          false,
	} {
		var fs errs.Fields
		ValidateName(&fs, "name", name)
		if (fs.Err() == nil) != ok {
			t.Errorf("ValidateName(%q): err = %v, want ok=%v", name, fs.Err(), ok)
		}
	}
}

func validStall() Stall {
	return Stall{MarketID: "m1", StallNumber: "A01", Name: "Rau sạch Cô Ba", Category: "vegetables",
		BankBIN: "970436", AccountNumber: "0071000123456", AccountName: "Nguyễn Thị Ba"}
}

// fieldsOf returns the fields named by an Invalid error.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	e, ok := err.(*errs.Error)
	if !ok || e.Code != errs.Invalid {
		t.Fatalf("want an Invalid *errs.Error, got %T %v", err, err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestStallValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Stall)
		fields []string // fields expected in the error, nil when valid
	}{
		{"valid", func(*Stall) {}, nil},
		{"lower-case stall number is upper-cased", func(s *Stall) { s.StallNumber = " b-12/3 " }, nil},
		{"missing market", func(s *Stall) { s.MarketID = "" }, []string{"market_id"}},
		{"empty stall number", func(s *Stall) { s.StallNumber = "" }, []string{"stall_number"}},
		{"stall number with a space", func(s *Stall) { s.StallNumber = "A 01" }, []string{"stall_number"}},
		{"stall number of 17", func(s *Stall) { s.StallNumber = strings.Repeat("A", 17) }, []string{"stall_number"}},
		{"stall number of 16", func(s *Stall) { s.StallNumber = strings.Repeat("A", 16) }, nil},
		{"empty name", func(s *Stall) { s.Name = " " }, []string{"name"}},
		{"unknown category", func(s *Stall) { s.Category = "weapons" }, []string{"category"}},
		{"unknown BIN", func(s *Stall) { s.BankBIN = "123456" }, []string{"bank_bin"}},
		{"BIN not digits", func(s *Stall) { s.BankBIN = "VCB" }, []string{"bank_bin"}},
		{"account number of 20 digits", func(s *Stall) { s.AccountNumber = strings.Repeat("1", 20) }, []string{"account_number"}},
		{"account number of 19 digits", func(s *Stall) { s.AccountNumber = strings.Repeat("1", 19) }, nil},
		{"account number with a dash", func(s *Stall) { s.AccountNumber = "0071-000" }, []string{"account_number"}},
		{"empty account name", func(s *Stall) { s.AccountName = "  " }, []string{"account_name"}},
		{"account name of 51", func(s *Stall) { s.AccountName = strings.Repeat("A", 51) }, []string{"account_name"}},
		{"everything wrong at once", func(s *Stall) { *s = Stall{} },
			[]string{"market_id", "stall_number", "name", "category", "bank_bin", "account_number", "account_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validStall()
			tt.edit(&s)
			got := fieldsOf(t, s.Validate())
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("fields = %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestStallValidateNormalises(t *testing.T) {
	s := validStall()
	s.StallNumber, s.AccountName, s.Name, s.AccountNumber = " a01 ", "  nguyễn   thị  ba ", "  Rau  ", " 0071000123456 "
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.StallNumber != "A01" || s.AccountName != "NGUYEN THI BA" || s.Name != "Rau" || s.AccountNumber != "0071000123456" {
		t.Fatalf("not normalised: %+v", s)
	}
	if p := s.StaticQR(); p.BIN != "970436" || p.AccountNumber != "0071000123456" || p.Dynamic || p.Amount != "" {
		t.Fatalf("StaticQR = %+v; want the account, static, no amount", p)
	}
}

func TestDistrictAndMarketValidate(t *testing.T) {
	d := District{Name: " Vị Thủy ", Province: " Hậu Giang "}
	if err := d.Validate(); err != nil || d.Name != "Vị Thủy" || d.Province != "Hậu Giang" {
		t.Fatalf("district: %v %+v", err, d)
	}
	if got := fieldsOf(t, (&District{}).Validate()); strings.Join(got, ",") != "name,province" {
		t.Fatalf("empty district fields = %v", got)
	}
	m := Market{DistrictID: "d", Name: "Chợ", Address: ""}
	if err := m.Validate(); err != nil {
		t.Fatalf("market without address: %v", err)
	}
	m = Market{Name: strings.Repeat("x", 101), Address: strings.Repeat("x", 201)}
	if got := fieldsOf(t, m.Validate()); strings.Join(got, ",") != "district_id,name,address" {
		t.Fatalf("bad market fields = %v", got)
	}
}

func TestCanTransition(t *testing.T) {
	all := []StallStatus{StallPending, StallActive, StallSuspended, "deleted"}
	allowed := map[[2]StallStatus]bool{
		{StallPending, StallActive}:    true,
		{StallPending, StallSuspended}: true,
		{StallActive, StallSuspended}:  true,
		{StallSuspended, StallActive}:  true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := CanTransition(from, to); got != allowed[[2]StallStatus{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
}

func TestRoleValid(t *testing.T) {
	for r, ok := range map[Role]bool{RoleAdmin: true, RoleStaff: true, RoleVendor: true, "": false, "root": false, "Admin": false} {
		if r.Valid() != ok {
			t.Errorf("Role(%q).Valid() = %v", r, !ok)
		}
	}
}

func TestAccess(t *testing.T) {
	stall := &Stall{ID: "s", OwnerID: "vendorA", DistrictID: "d1"}
	unowned := &Stall{ID: "u", DistrictID: "d1"}
	actors := map[string]Actor{
		"anonymous":              {},
		"vendor A":               {UserID: "vendorA", Role: RoleVendor},
		"vendor B":               {UserID: "vendorB", Role: RoleVendor},
		"staff d1":               {UserID: "s1", Role: RoleStaff, DistrictID: "d1"},
		"staff d2":               {UserID: "s2", Role: RoleStaff, DistrictID: "d2"},
		"staff no dist":          {UserID: "s0", Role: RoleStaff},
		"admin":                  {UserID: "a", Role: RoleAdmin},
		"vendor with d1":         {UserID: "vendorC", Role: RoleVendor, DistrictID: "d1"}, // a district on a vendor grants nothing
		"vendorA as staff of d2": {UserID: "vendorA", Role: RoleStaff, DistrictID: "d2"},  // owning is a vendor right
	}
	type want struct{ read, owns, manage, readUnowned bool }
	wants := map[string]want{
		"anonymous":              {},
		"vendor A":               {read: true, owns: true},
		"vendor B":               {},
		"staff d1":               {read: true, manage: true, readUnowned: true},
		"staff d2":               {},
		"staff no dist":          {},
		"admin":                  {read: true, manage: true, readUnowned: true},
		"vendor with d1":         {},
		"vendorA as staff of d2": {},
	}
	for name, a := range actors {
		t.Run(name, func(t *testing.T) {
			w := wants[name]
			if got := a.CanReadStall(stall); got != w.read {
				t.Errorf("CanReadStall = %v, want %v", got, w.read)
			}
			if got := a.OwnsStall(stall); got != w.owns {
				t.Errorf("OwnsStall = %v, want %v", got, w.owns)
			}
			if got := a.CanManageDistrict(stall.DistrictID); got != w.manage {
				t.Errorf("CanManageDistrict = %v, want %v", got, w.manage)
			}
			if got := a.CanReadStall(unowned); got != w.readUnowned {
				t.Errorf("CanReadStall(unowned stall) = %v, want %v", got, w.readUnowned)
			}
			if a.CanManageDistrict("") && !a.IsAdmin() {
				t.Errorf("a non-admin manages the empty district")
			}
		})
	}
}
