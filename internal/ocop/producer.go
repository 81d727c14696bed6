package ocop

import "strings"

// ProducerKind is the legal form of an OCOP subject. Decision 148 admits
// cooperatives, enterprises, household businesses and cooperative groups;
// the form decides which identifiers are mandatory.
type ProducerKind string

// Producer kinds; the string values are stable API and storage codes.
const (
	KindCooperative       ProducerKind = "cooperative"        // hợp tác xã
	KindEnterprise        ProducerKind = "enterprise"         // doanh nghiệp
	KindHouseholdBusiness ProducerKind = "household_business" // hộ kinh doanh
	KindCooperativeGroup  ProducerKind = "cooperative_group"  // tổ hợp tác
	KindOther             ProducerKind = "other"
)

// Valid reports whether k is one of the defined kinds.
func (k ProducerKind) Valid() bool {
	switch k {
	case KindCooperative, KindEnterprise, KindHouseholdBusiness, KindCooperativeGroup, KindOther:
		return true
	}
	return false
}

// Producer is the person or organisation that owns OCOP products. It holds
// no personal data beyond what the business registration makes public.
type Producer struct {
	ID   string
	Name string
	Kind ProducerKind
	// TaxCode is the MST (mã số thuế): 10 digits, or 10 digits + "-" + 3
	// digits for a branch. Cooperatives and enterprises must have one (it
	// is also their registration number); for other kinds it is optional.
	// A household business may also use its owner's 12-digit personal
	// identification number, which is the tax code of individuals and
	// household businesses from 1 July 2025 (Circular 86/2024/TT-BTC): it
	// is personal data and must never be shown on public pages.
	TaxCode string
	// Commune is the commune (xã/phường) name as written on the
	// registration; ProvinceCode is the two-digit province code (see
	// ValidProvinceCode).
	Commune      string
	ProvinceCode string
}

// Limits on producer fields, generous enough for real names but bounded so
// that storage and pages never meet unbounded input.
const (
	MaxNameLen    = 200
	MaxCommuneLen = 100
)

// Validate checks every field and returns all problems as FieldErrors
// (fields: name, kind, tax_code, commune, province_code), or nil.
func (p Producer) Validate() error {
	var v errs
	checkText(&v, "name", p.Name, true, MaxNameLen, false)
	if !p.Kind.Valid() {
		v.addf("kind", "must be one of cooperative, enterprise, household_business, cooperative_group, other")
	}
	switch {
	case p.TaxCode == "":
		if p.Kind == KindCooperative || p.Kind == KindEnterprise {
			v.addf("tax_code", "is required for a %s", p.Kind)
		}
	default:
		v.addAs("tax_code", ValidateTaxCode(p.TaxCode, p.Kind))
	}
	checkText(&v, "commune", p.Commune, true, MaxCommuneLen, false)
	if !ValidProvinceCode(p.ProvinceCode) {
		v.addf("province_code", "must be a two-digit province code")
	}
	return v.err()
}

// mstWeights are the weights of the MST check digit (Decision 75/1998/QĐ-TCT):
// check = 10 − (Σ wᵢ·dᵢ mod 11) over the first nine digits; a remainder of 0
// would need "10" and such numbers are never issued.
var mstWeights = [9]int{31, 29, 23, 19, 17, 13, 7, 5, 3}

// ValidateTaxCode checks a Vietnamese tax code: 10 digits with a correct
// check digit, optionally followed by "-" and a three-digit branch number
// 001–999. For KindHouseholdBusiness a 12-digit personal identification
// number is also accepted (no check digit is defined for it). Errors are
// *FieldError for field "tax_code"; a wrong check digit matches
// ErrCheckDigit, so a form can say "check for a typo".
func ValidateTaxCode(s string, kind ProducerKind) error {
	if kind == KindHouseholdBusiness && len(s) == 12 && allDigits(s) {
		return nil
	}
	base, branch, hasBranch := strings.Cut(s, "-")
	if len(base) != 10 || !allDigits(base) {
		return fieldErr("tax_code", "must be 10 digits, optionally followed by -NNN")
	}
	if hasBranch {
		if len(branch) != 3 || !allDigits(branch) || branch == "000" {
			return fieldErr("tax_code", "branch suffix must be three digits 001 to 999")
		}
	}
	sum := 0
	for i, w := range mstWeights {
		sum += w * int(base[i]-'0')
	}
	check := 10 - sum%11
	if check == 10 || int(base[9]-'0') != check {
		return &FieldError{Field: "tax_code", Msg: "check digit is wrong (typo?)", Err: ErrCheckDigit}
	}
	return nil
}
