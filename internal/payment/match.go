package payment

import (
	"time"

	"github.com/market4/market4/pkg/money"
)

// Outcome is what a transfer did, recorded on the inbox row for staff.
type Outcome string

// Transfer outcomes, as DESIGN §1 orders the matching rules.
const (
	OutcomeMatched   Outcome = "matched"   // code found, amount equal
	OutcomePartial   Outcome = "partial"   // code found, amount lower than what remained
	OutcomeOverpaid  Outcome = "overpaid"  // code found, amount higher (or payment already paid)
	OutcomeLate      Outcome = "late"      // code found, paid after expiry or cancel
	OutcomeDirect    Outcome = "direct"    // no code; credited to an active stall's account (static QR)
	OutcomeUnmatched Outcome = "unmatched" // nobody to credit: held for staff review
	OutcomeIgnored   Outcome = "ignored"   // outgoing movement or failed wallet payment: nothing to record
)

// Valid reports whether o is one of the outcomes above.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeMatched, OutcomePartial, OutcomeOverpaid, OutcomeLate, OutcomeDirect, OutcomeUnmatched, OutcomeIgnored:
		return true
	}
	return false
}

// Apply credits amount to a payment found by its order code at time now and
// returns the outcome. It implements the matching rules:
//   - paid in full → succeeded; less → partially_paid; more, or money for
//     an already succeeded payment → succeeded and flagged overpaid;
//   - arriving after expiry or cancellation → succeeded (or partially paid)
//     and flagged late: the money is real, so it is never ignored.
func (p *Payment) Apply(amount money.Amount, now time.Time) Outcome {
	before := p.EffectiveStatus(now)
	late := before == Expired || before == Canceled
	already := before == Succeeded
	p.Paid = p.Paid.Add(amount)
	if p.PaidAt.IsZero() {
		p.PaidAt = now
	}
	p.UpdatedAt = now
	c := p.Paid.Cmp(p.Amount)
	switch {
	case c < 0:
		p.Status = PartiallyPaid
	case c == 0:
		p.Status = Succeeded
	default:
		p.Status, p.Overpaid = Succeeded, true
	}
	switch {
	case late:
		p.Late = true
		return OutcomeLate
	case already || c > 0:
		p.Overpaid = true
		return OutcomeOverpaid
	case c < 0:
		return OutcomePartial
	}
	return OutcomeMatched
}
