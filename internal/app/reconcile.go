package app

import (
	"context"
	"sort"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/pkg/vietqr"
)

// ReconcileReport says what a reconciliation run found.
type ReconcileReport struct {
	Checked    int                // statement lines read
	Recorded   int                // of those, missing until now and recorded by this run
	Mismatches []payment.Transfer // transfers in the window needing a look: partial, overpaid, late, unmatched
}

// maxReconcileWindow bounds one run so a typo cannot pull a year of statements.
const maxReconcileWindow = 31 * 24 * time.Hour

// Reconcile pulls every provider's statement for [from, to), records what
// the webhooks missed (through the same exactly-once path), and lists the
// transfers staff should review. Admins reconcile everything; staff see
// mismatches of their district.
// Errors: Forbidden, Invalid (from, to), Unavailable (a provider is down).
func (s *Service) Reconcile(ctx context.Context, a market.Actor, from, to time.Time) (*ReconcileReport, error) {
	if a.Role != market.RoleAdmin && a.Role != market.RoleStaff {
		return nil, errs.E(errs.Forbidden, "only staff and administrators reconcile")
	}
	if !from.Before(to) || to.Sub(from) > maxReconcileWindow {
		return nil, errs.Field("to", "must be after from, at most 31 days later")
	}
	rep := &ReconcileReport{}
	names := make([]string, 0, len(s.providers))
	for n := range s.providers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		lines, err := s.providers[name].Statement(ctx, from, to)
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "%s statement unavailable", name)
		}
		for _, n := range lines {
			rep.Checked++
			out, _, err := s.ConfirmTransfer(ctx, n, payment.SourceReconcile)
			if err != nil {
				return nil, err
			}
			if out != OutcomeDuplicate {
				rep.Recorded++
			}
		}
	}
	f := TransferFilter{Page: Page{Limit: 1000}, From: from.Add(-time.Hour), Outcomes: []payment.Outcome{payment.OutcomePartial,
		payment.OutcomeOverpaid, payment.OutcomeLate, payment.OutcomeUnmatched}}
	if a.Role == market.RoleStaff {
		f.DistrictID = a.DistrictID
	}
	ts, err := s.store.Read().ListTransfers(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if !t.OccurredAt.Before(from) && t.OccurredAt.Before(to) {
			rep.Mismatches = append(rep.Mismatches, t)
		}
	}
	return rep, nil
}

// ListTransfers is the staff review queue: transfers by outcome, scoped to
// the staff member's district. Errors: Forbidden.
func (s *Service) ListTransfers(ctx context.Context, a market.Actor, f TransferFilter) ([]payment.Transfer, error) {
	switch a.Role {
	case market.RoleAdmin:
	case market.RoleStaff:
		f.DistrictID = a.DistrictID
	default:
		return nil, errs.E(errs.Forbidden, "only staff and administrators review transfers")
	}
	f.normalize()
	return s.store.Read().ListTransfers(ctx, f)
}

// PaymentQR returns the dynamic VietQR payload of a payment, for rendering.
// Errors: NotFound.
func (s *Service) PaymentQR(ctx context.Context, id string) (string, error) {
	p, err := s.store.Read().PaymentByID(ctx, id, false)
	if err != nil {
		return "", err
	}
	if p.QRPayload == "" || p.Kind != payment.Dynamic {
		return "", errs.E(errs.NotFound, "this payment has no QR code")
	}
	if _, err := vietqr.Decode(p.QRPayload); err != nil {
		return "", errs.E(errs.NotFound, "this payment's QR is not a VietQR (e-wallet link)")
	}
	return p.QRPayload, nil
}

// Audit checks the money invariants; an empty result means all hold.
func (s *Service) Audit(ctx context.Context) ([]string, error) { return s.store.Read().Audit(ctx) }
