package app

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/pkg/money"
)

// RefundInput is a vendor's refund request; an empty Amount refunds all
// that remains refundable.
type RefundInput struct {
	Amount string
	Reason string
}

// CreateRefund sends part or all of a payment back to the payer through its
// provider. The amount is reserved on the payment row under a row lock
// before the provider is called, so concurrent refunds can never add up to
// more than was paid. The provider dedupes on the refund id, so a refund
// whose outcome is unknown is retried in the background, never duplicated.
// Errors: NotFound, Forbidden, Invalid (amount, reason), Conflict (nothing
// refundable), IdempotencyKeyReused, InFlight.
func (s *Service) CreateRefund(ctx context.Context, a market.Actor, paymentID string, in RefundInput, idem *Idempotency) (*payment.Refund, *Replayed, error) {
	reason := strings.TrimSpace(in.Reason)
	if len([]rune(reason)) > 200 {
		return nil, nil, errs.Field("reason", "must be at most 200 characters")
	}
	var amount money.Amount
	if in.Amount != "" {
		var err error
		if amount, err = money.Parse(in.Amount); err != nil {
			return nil, nil, errs.Field("amount", err.Error())
		}
	}
	p, err := s.Payment(ctx, a, paymentID)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.Provider(p.Provider); err != nil {
		return nil, nil, err
	}
	if a.Role != market.RoleVendor && !a.IsAdmin() {
		return nil, nil, errs.E(errs.Forbidden, "only the stall's vendor refunds its payments")
	}
	if idem != nil {
		rep, err := s.claimIdem(ctx, a.UserID, idem)
		if err != nil || rep != nil {
			return nil, rep, err
		}
	}
	now := s.now()
	r := &payment.Refund{ID: newID(), PaymentID: p.ID, StallID: p.StallID, Reason: reason, Status: payment.RefundPending,
		CreatedBy: a.UserID, CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.PaymentByID(ctx, paymentID, true)
		if err != nil {
			return err
		}
		st, err := tx.StallByID(ctx, p.StallID, false)
		if err != nil {
			return err
		}
		if !a.OwnsStall(st) && !a.IsAdmin() {
			return errs.E(errs.Forbidden, "only the stall's vendor refunds its payments")
		}
		left := p.Refundable()
		if left.Sign() <= 0 {
			return errs.E(errs.Conflict, "nothing left to refund on this payment")
		}
		r.Amount = amount
		if amount.IsZero() {
			r.Amount = left
		} else if amount.Cmp(left) > 0 {
			return errs.Field("amount", "exceeds what can still be refunded ("+left.String()+" đồng)")
		}
		p.Reserved, p.UpdatedAt = p.Reserved.Add(r.Amount), now
		if err := tx.UpdatePayment(ctx, p); err != nil {
			return err
		}
		if err := tx.CreateRefund(ctx, r); err != nil {
			return err
		}
		// Store the pending refund as the key's response now: if we crash
		// after this commit, a retry replays it instead of refunding twice.
		return completeIdem(ctx, tx, a.UserID, idem, r)
	})
	if err != nil {
		s.releaseIdem(a.UserID, idem)
		return nil, nil, err
	}
	out, err := s.settleRefund(ctx, r.ID, a.UserID, idem)
	if err != nil {
		// The outcome is unknown; the refund stays pending and is retried.
		s.log.Warn("refund pending", "refund_id", r.ID, "err", err)
		return r, nil, nil
	}
	return out, nil, nil
}

// settleRefund asks the provider and records its answer: success moves
// the reserved amount to refunded and journals it; failure releases it.
func (s *Service) settleRefund(ctx context.Context, refundID, userID string, idem *Idempotency) (*payment.Refund, error) {
	r, err := s.store.Read().RefundByID(ctx, refundID, false)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Read().PaymentByID(ctx, r.PaymentID, false)
	if err != nil {
		return nil, err
	}
	prov, err := s.Provider(p.Provider)
	if err != nil {
		return nil, err
	}
	res, err := prov.Refund(ctx, provider.RefundRequest{RefundID: r.ID, OrderCode: p.OrderCode, ProviderRef: p.ProviderRef,
		Amount: r.Amount, Reason: r.Reason})
	if errs.Is(err, errs.Invalid) {
		res, err = provider.RefundResult{Status: provider.RefundFailed, Message: err.Error()}, nil
	}
	if err != nil {
		return nil, err
	}
	if res.Status == provider.RefundPending {
		return r, nil
	}
	now := s.now()
	var out *payment.Refund
	err = s.store.InTx(ctx, func(tx Tx) error {
		r, err := tx.RefundByID(ctx, refundID, true)
		if err != nil {
			return err
		}
		if r.Status != payment.RefundPending {
			out = r // settled concurrently (background retry)
			return nil
		}
		p, err := tx.PaymentByID(ctx, r.PaymentID, true)
		if err != nil {
			return err
		}
		p.Reserved, p.UpdatedAt = p.Reserved.Sub(r.Amount), now
		r.ProviderRef, r.Message, r.UpdatedAt = res.ProviderRef, res.Message, now
		typ := "refund.failed"
		if res.Status == provider.RefundSucceeded {
			r.Status = payment.RefundSucceeded
			p.Refunded = p.Refunded.Add(r.Amount)
			typ = "refund.succeeded"
			ref := JournalRef{Provider: p.Provider, StallID: p.StallID, PaymentID: p.ID, RefundID: r.ID}
			if err := tx.AppendJournal(ctx, newID(), payment.RefundSent(p.Provider, p.StallID, r.Amount), ref, now); err != nil {
				return err
			}
			if err := tx.AddDaily(ctx, DailyDelta{StallID: p.StallID, MarketID: p.MarketID, DistrictID: p.DistrictID,
				Day: payment.BusinessDay(now), Provider: p.Provider, Shard: rand.IntN(rollupShards), Refunds: 1, Refunded: r.Amount.Dong()}); err != nil {
				return err
			}
		} else {
			r.Status = payment.RefundFailed
		}
		if err := tx.UpdatePayment(ctx, p); err != nil {
			return err
		}
		if err := tx.UpdateRefund(ctx, r); err != nil {
			return err
		}
		if err := s.eventAmount(ctx, tx, p, typ, money.Zero, now); err != nil {
			return err
		}
		out = r
		if idem != nil {
			return completeIdem(ctx, tx, userID, idem, r)
		}
		return nil
	})
	if err == nil {
		s.hub.wake()
	}
	return out, err
}

// Refunds lists a payment's refunds. Errors: NotFound.
func (s *Service) Refunds(ctx context.Context, a market.Actor, paymentID string) ([]payment.Refund, error) {
	if _, err := s.Payment(ctx, a, paymentID); err != nil {
		return nil, err
	}
	return s.store.Read().ListRefunds(ctx, paymentID)
}

// RetryRefunds settles refunds left pending (provider down, or a crash
// between reserving and asking) once they are a little old.
func (s *Service) RetryRefunds(ctx context.Context) error {
	rs, err := s.store.Read().PendingRefunds(ctx, s.now().Add(-30*time.Second), 100)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if _, err := s.settleRefund(ctx, r.ID, "", nil); err != nil {
			s.log.Warn("refund still pending", "refund_id", r.ID, "err", err)
		}
	}
	return nil
}
