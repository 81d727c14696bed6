package ocop

import "time"

// LotStatus is the state of a production lot. It decides whether the
// lot's stamps can still be sold and what the verification page says.
type LotStatus string

// Lot statuses.
const (
	LotActive   LotStatus = "active"
	LotOnHold   LotStatus = "on_hold"  // distribution paused (e.g. pending a test result)
	LotRecalled LotStatus = "recalled" // withdrawn from the market: terminal
)

// Valid reports whether s is a defined lot status.
func (s LotStatus) Valid() bool {
	return s == LotActive || s == LotOnHold || s == LotRecalled
}

// CanTransitionLot reports whether a lot may move from one status to
// another: active ⇄ on_hold, and either of them → recalled. A recall is
// final, because consumers may already have been told not to use the goods.
func CanTransitionLot(from, to LotStatus) bool {
	switch from {
	case LotActive:
		return to == LotOnHold || to == LotRecalled
	case LotOnHold:
		return to == LotActive || to == LotRecalled
	}
	return false
}

// Lot is one production batch of a product. Stamps are issued per lot, and
// a recall acts on the whole lot.
type Lot struct {
	ID        string
	ProductID string
	// Code is the producer's batch/lot number as printed on the pack: GS1
	// AI (10) rules, 1–20 characters of the GS1 character set 82.
	Code string
	// ProductionDate and ExpiryDate are calendar days read in ICT.
	// ExpiryDate is zero when the goods do not expire (textiles, crafts).
	ProductionDate time.Time
	ExpiryDate     time.Time
	Quantity       int // number of items (and so the most stamps) in the lot
	Status         LotStatus
}

// MaxLotQuantity bounds a lot's size; it also bounds how many stamps one
// request may generate.
const MaxLotQuantity = 1_000_000

// Validate checks every field and returns all problems as FieldErrors
// (fields: code, production_date, expiry_date, quantity, status), or nil.
func (l Lot) Validate() error {
	var v errs
	if err := checkAI82(l.Code); err != "" {
		v.addf("code", "%s", err)
	}
	if l.ProductionDate.IsZero() {
		v.addf("production_date", "is required")
	}
	if !l.ExpiryDate.IsZero() && !l.ProductionDate.IsZero() &&
		!dayStart(l.ExpiryDate).After(dayStart(l.ProductionDate)) {
		v.addf("expiry_date", "must be after the production date")
	}
	if l.Quantity < 1 || l.Quantity > MaxLotQuantity {
		v.addf("quantity", "must be between 1 and %d", MaxLotQuantity)
	}
	if !l.Status.Valid() {
		v.addf("status", "must be one of active, on_hold, recalled")
	}
	return v.err()
}

// ExpiredAt reports whether the lot's goods are past their expiry date at
// t. The expiry day itself still counts as good: goods expire at the end
// of that day (ICT). A lot without expiry date never expires.
func (l Lot) ExpiredAt(t time.Time) bool {
	return expiredAt(l.ExpiryDate, t)
}

func expiredAt(expiry, t time.Time) bool {
	if expiry.IsZero() {
		return false
	}
	return !t.Before(dayStart(expiry).AddDate(0, 0, 1))
}

// DefaultExpiry returns the expiry date implied by a production date and a
// shelf life in days (the zero time when shelfLifeDays is 0), so a lot
// form can be prefilled from the product.
func DefaultExpiry(production time.Time, shelfLifeDays int) time.Time {
	if shelfLifeDays <= 0 || production.IsZero() {
		return time.Time{}
	}
	return dayStart(production).AddDate(0, 0, shelfLifeDays)
}
