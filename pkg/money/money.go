// Package money represents Vietnamese đồng (VND) amounts exactly.
//
// VND has no minor unit in practice, so an Amount is a whole number of đồng.
// It wraps shopspring/decimal so arithmetic never goes through float64, is
// built from strings (API input) or int64 (database BIGINT), and marshals to
// JSON as a string ("50000") so no client can lose precision.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Max is the exclusive upper bound of one payment amount: 500,000,000 đồng.
// Larger sums are not market-stall trade and are refused at the edge.
var Max = decimal.NewFromInt(500_000_000)

// Errors returned by Parse; they say which rule the input broke.
var (
	ErrSyntax      = errors.New("amount must be a string of whole đồng, e.g. \"50000\"")
	ErrFractional  = errors.New("amount must be whole đồng (VND has no minor unit)")
	ErrNotPositive = errors.New("amount must be greater than zero")
	ErrTooLarge    = errors.New("amount must be less than 500000000 đồng")
)

// Amount is a non-negative whole number of đồng. The zero value is 0 đồng.
type Amount struct{ d decimal.Decimal }

// Zero is 0 đồng.
var Zero = Amount{}

// Parse reads a payment amount as typed by a person or sent by a client:
// digits only (an optional ".0…" fraction of zeros is tolerated, other
// fractions are refused), greater than zero and below Max.
func Parse(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 32 {
		return Amount{}, ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '.' && c != '-' {
			return Amount{}, ErrSyntax
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return Amount{}, ErrSyntax
	}
	if !d.Equal(d.Truncate(0)) {
		return Amount{}, ErrFractional
	}
	if d.Sign() <= 0 {
		return Amount{}, ErrNotPositive
	}
	if d.GreaterThanOrEqual(Max) {
		return Amount{}, ErrTooLarge
	}
	return Amount{d: d.Truncate(0)}, nil
}

// MustParse is Parse for constants in tests and demo data; it panics on error.
func MustParse(s string) Amount {
	a, err := Parse(s)
	if err != nil {
		panic(fmt.Sprintf("money.MustParse(%q): %v", s, err))
	}
	return a
}

// FromDong builds an Amount from a whole number of đồng as stored in the
// database (BIGINT). It does not apply Parse's business limits, because
// sums of many payments legitimately exceed Max.
func FromDong(n int64) Amount { return Amount{d: decimal.NewFromInt(n)} }

// Dong returns the amount as an int64 of đồng for storage. Every Amount in
// the product is far below the int64 range, so this never truncates.
func (a Amount) Dong() int64 { return a.d.IntPart() }

// Decimal exposes the underlying decimal for exact arithmetic elsewhere.
func (a Amount) Decimal() decimal.Decimal { return a.d }

// Add returns a + b.
func (a Amount) Add(b Amount) Amount { return Amount{d: a.d.Add(b.d)} }

// Sub returns a - b (may be negative; callers check with Sign).
func (a Amount) Sub(b Amount) Amount { return Amount{d: a.d.Sub(b.d)} }

// Cmp compares a and b: -1, 0 or +1.
func (a Amount) Cmp(b Amount) int { return a.d.Cmp(b.d) }

// Sign is -1, 0 or +1.
func (a Amount) Sign() int { return a.d.Sign() }

// IsZero reports whether the amount is 0 đồng.
func (a Amount) IsZero() bool { return a.d.IsZero() }

// String is the plain decimal form used in JSON and VietQR tag 54: "50000".
func (a Amount) String() string { return a.d.StringFixed(0) }

// Format renders the amount the Vietnamese way, "50.000 ₫": dots group
// thousands, the symbol follows.
func (a Amount) Format() string { return group(a.String(), ".") + " ₫" }

// Words is the amount for a spoken announcement, "50.000 đồng".
func (a Amount) Words() string { return group(a.String(), ".") + " đồng" }

func group(s, sep string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// MarshalJSON writes the amount as a JSON string of whole đồng.
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON accepts only a JSON string and applies Parse's rules, so a
// float or number in a request is refused rather than silently rounded.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return ErrSyntax
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}
