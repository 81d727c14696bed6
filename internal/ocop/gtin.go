package ocop

import "strings"

// GS1PrefixVietnam is the GS1 prefix allocated to GS1 Vietnam. It says where
// the company prefix was licensed, not where the goods were made, and the
// platform never makes up numbers under it: a producer without a GS1
// licence gets a non-GS1 stamp link instead (see [Link]).
const GS1PrefixVietnam = "893"

// GTINCheckDigit computes the GS1 mod-10 check digit of body, the digits of
// a GS1 key without its check digit (7 for GTIN-8, 11, 12 or 13 for
// GTIN-12/13/14; any 1–17 digits are accepted since SSCC and GLN use the
// same rule). Weights 3,1,3,… are applied from the rightmost body digit.
func GTINCheckDigit(body string) (int, error) {
	if len(body) == 0 || len(body) > 17 {
		return 0, fieldErr("gtin", "body must be 1 to 17 digits, got %d characters", len(body))
	}
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		c := body[i]
		if c < '0' || c > '9' {
			return 0, fieldErr("gtin", "must contain digits only")
		}
		d := int(c - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return (10 - sum%10) % 10, nil
}

// ValidateGTIN checks a GTIN-8, -12, -13 or -14 (digits only, correct check
// digit, not all zeros, not a restricted circulation number) and returns it
// in the 14-digit form that links, signatures and storage use, so that the
// same trade item always compares equal whatever form was typed in.
// Errors are *FieldError for field "gtin"; a wrong check digit also matches
// ErrCheckDigit and a restricted number ErrRestrictedGTIN.
func ValidateGTIN(s string) (string, error) {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return "", fieldErr("gtin", "must have 8, 12, 13 or 14 digits, got %d characters", len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", fieldErr("gtin", "must contain digits only")
		}
	}
	want, _ := GTINCheckDigit(s[:len(s)-1])
	if int(s[len(s)-1]-'0') != want {
		return "", &FieldError{Field: "gtin", Msg: "check digit should be " + string(rune('0'+want)), Err: ErrCheckDigit}
	}
	g := s
	if len(s) < 14 {
		g = strings.Repeat("0", 14-len(s)) + s
	}
	if strings.Trim(g[:13], "0") == "" {
		return "", fieldErr("gtin", "must not be all zeros")
	}
	if isRestrictedGTIN14(g) {
		return "", &FieldError{Field: "gtin", Msg: "is a restricted circulation number (in-store or company-internal), not a GTIN", Err: ErrRestrictedGTIN}
	}
	return g, nil
}

// isRestrictedGTIN14 reports GS1 restricted circulation numbers, seen
// through the 14-digit form: GTIN-8 (six leading zeros) with prefix 0 or 2,
// and GTIN-12/13 with GS1 prefix 02, 04 or 20–29. Indicator digits 1–9 (a
// GTIN-14 proper) are left alone: their inner number is a trade item.
func isRestrictedGTIN14(g string) bool {
	if g[0] != '0' {
		return false
	}
	if g[:6] == "000000" { // GTIN-8 in 14-digit form
		return g[6] == '0' || g[6] == '2'
	}
	p := g[1:3]
	return p == "02" || p == "04" || p[0] == '2'
}

// IsGS1Vietnam reports whether a valid GTIN carries the GS1 Vietnam prefix
// 893, for display ("number licensed by GS1 Vietnam"). The indicator digit
// of a GTIN-14 is skipped; a GTIN-8 is read from its own first digits.
func IsGS1Vietnam(gtin string) bool {
	g, err := ValidateGTIN(gtin)
	if err != nil {
		return false
	}
	if g[:6] == "000000" {
		return strings.HasPrefix(g[6:], GS1PrefixVietnam)
	}
	return strings.HasPrefix(g[1:], GS1PrefixVietnam)
}
