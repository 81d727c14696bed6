// Package market holds the registry's domain: people and their roles,
// districts, markets and stalls, with the rules that decide what is valid
// and who may do what. It does no I/O.
package market

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/pkg/vietqr"
)

// Role is what a user may do.
type Role string

// The three roles of the product.
const (
	RoleAdmin  Role = "admin"  // manages districts, markets and everything else
	RoleStaff  Role = "staff"  // district staff: approves stalls and reads reports in one district
	RoleVendor Role = "vendor" // a trader: owns stalls, takes payments
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleStaff || r == RoleVendor }

// User is a person who logs in. Staff belong to exactly one district.
type User struct {
	ID           string
	Phone        string // normalised +84…
	Name         string
	Role         Role
	DistrictID   string // staff only
	PasswordHash string
	CreatedAt    time.Time
}

// District is an administrative district (quận/huyện) running markets.
type District struct {
	ID        string
	Name      string
	Province  string
	CreatedAt time.Time
}

// Market is a traditional market inside a district.
type Market struct {
	ID         string
	DistrictID string
	Name       string
	Address    string
	CreatedAt  time.Time
}

// StallStatus is where a stall is in its lifecycle.
type StallStatus string

// Stall lifecycle: pending → active ⇄ suspended. Only active stalls take payments.
const (
	StallPending   StallStatus = "pending"
	StallActive    StallStatus = "active"
	StallSuspended StallStatus = "suspended"
)

// Stall is one trader's place in a market, with the bank account that
// receives its payments.
type Stall struct {
	ID            string
	MarketID      string
	DistrictID    string // denormalised from the market for scoping checks
	OwnerID       string
	StallNumber   string
	Name          string
	Category      string
	BankBIN       string
	AccountNumber string
	AccountName   string
	Status        StallStatus
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Categories are the goods categories a stall may declare.
var Categories = []string{"vegetables", "fruit", "meat", "seafood", "dry_goods", "cooked_food", "drinks", "clothing", "household", "flowers", "ocop", "services", "other"}

// NormalizePhone turns a Vietnamese mobile number in any common spelling
// ("0912 345 678", "+84912345678", "84-912-345-678") into +84XXXXXXXXX.
// Mobile numbers have 9 digits after the country code and start with
// 3, 5, 7, 8 or 9 since the 2018 renumbering.
func NormalizePhone(s string) (string, bool) {
	var d strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", false
		}
	}
	n := d.String()
	switch {
	case strings.HasPrefix(n, "84") && len(n) == 11:
		n = n[2:]
	case strings.HasPrefix(n, "0") && len(n) == 10:
		n = n[1:]
	default:
		return "", false
	}
	if !strings.ContainsRune("35789", rune(n[0])) {
		return "", false
	}
	return "+84" + n, true
}

// MaskPhone hides the middle of a phone number for logs and public pages.
func MaskPhone(p string) string {
	if len(p) < 7 {
		return "***"
	}
	return p[:4] + "****" + p[len(p)-3:]
}

// MaskAccount shows only the last 4 characters of an account number, for logs.
func MaskAccount(a string) string {
	if len(a) <= 4 {
		return "****"
	}
	return strings.Repeat("*", len(a)-4) + a[len(a)-4:]
}

func textOK(s string, min, max int) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n >= min && n <= max && !strings.ContainsAny(s, "\x00\r\n\t")
}

// ValidateName checks a person's display name.
func ValidateName(fs *errs.Fields, field, name string) {
	fs.Check(textOK(strings.TrimSpace(name), 1, 100), field, "must be 1–100 characters on one line")
}

// ValidatePassword enforces a minimum that a market trader can still type
// on a phone keypad, and a maximum that bounds argon2 work.
func ValidatePassword(fs *errs.Fields, field, pw string) {
	fs.Check(len(pw) >= 8 && len(pw) <= 128, field, "must be 8–128 characters")
}

// Validate checks a district's fields.
func (d *District) Validate() error {
	var fs errs.Fields
	d.Name, d.Province = strings.TrimSpace(d.Name), strings.TrimSpace(d.Province)
	fs.Check(textOK(d.Name, 1, 100), "name", "must be 1–100 characters")
	fs.Check(textOK(d.Province, 1, 100), "province", "must be 1–100 characters")
	return fs.Err()
}

// Validate checks a market's fields.
func (m *Market) Validate() error {
	var fs errs.Fields
	m.Name, m.Address = strings.TrimSpace(m.Name), strings.TrimSpace(m.Address)
	fs.Check(m.DistrictID != "", "district_id", "is required")
	fs.Check(textOK(m.Name, 1, 100), "name", "must be 1–100 characters")
	fs.Check(textOK(m.Address, 0, 200), "address", "must be at most 200 characters")
	return fs.Err()
}

// Validate checks a stall's own fields and that its bank account forms a
// valid VietQR, so no stall is ever registered that shoppers cannot pay.
// It normalises in place: trims, upper-cases the stall number and the
// account holder name (banks print names in ASCII capitals).
func (s *Stall) Validate() error {
	var fs errs.Fields
	s.StallNumber = strings.ToUpper(strings.TrimSpace(s.StallNumber))
	s.Name = strings.TrimSpace(s.Name)
	s.Category = strings.TrimSpace(s.Category)
	s.BankBIN = strings.TrimSpace(s.BankBIN)
	s.AccountNumber = strings.TrimSpace(s.AccountNumber)
	s.AccountName = strings.ToUpper(strings.Join(strings.Fields(vietqr.ASCII(s.AccountName)), " "))

	fs.Check(s.MarketID != "", "market_id", "is required")
	fs.Check(stallNumberOK(s.StallNumber), "stall_number", "must be 1–16 letters, digits, '-' or '/'")
	fs.Check(textOK(s.Name, 1, 100), "name", "must be 1–100 characters on one line")
	fs.Check(slices.Contains(Categories, s.Category), "category", "must be one of "+strings.Join(Categories, ", "))
	if _, ok := vietqr.LookupBank(s.BankBIN); !ok {
		fs.Add("bank_bin", "is not a NAPAS bank BIN (see GET /v1/banks)")
	}
	fs.Check(accountOK(s.AccountNumber), "account_number", "must be 1–19 letters or digits")
	fs.Check(len(s.AccountName) >= 1 && len(s.AccountName) <= 50, "account_name", "must be 1–50 characters")
	if len(fs) == 0 {
		if _, err := vietqr.Encode(s.StaticQR()); err != nil {
			fs.Add("account_number", "cannot form a valid VietQR: "+err.Error())
		}
	}
	return fs.Err()
}

// StaticQR is the payload the stall prints: its account, no amount, so the
// shopper types the amount in the banking app.
func (s *Stall) StaticQR() vietqr.Payload {
	return vietqr.Payload{BIN: s.BankBIN, AccountNumber: s.AccountNumber, Service: vietqr.ServiceAccount}
}

func stallNumberOK(s string) bool {
	if len(s) < 1 || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '/') {
			return false
		}
	}
	return true
}

func accountOK(s string) bool {
	if len(s) < 1 || len(s) > 19 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// CanTransition reports whether a stall may move from one status to another.
func CanTransition(from, to StallStatus) bool {
	switch from {
	case StallPending:
		return to == StallActive || to == StallSuspended
	case StallActive:
		return to == StallSuspended
	case StallSuspended:
		return to == StallActive
	}
	return false
}
