package app

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/pkg/money"
	"github.com/market4/market4/pkg/vietqr"
)

// OutcomeDuplicate is what ConfirmTransfer reports for a notification
// already recorded: nothing was written.
const OutcomeDuplicate payment.Outcome = "duplicate"

// rollupShards spreads one stall-day's rollup over several rows so that
// concurrent payments to one busy stall do not queue on a single row.
const rollupShards = 8

// PaymentInput is a vendor's request for a dynamic QR sale.
type PaymentInput struct {
	StallID     string
	Amount      string // whole đồng as typed
	Description string
	Channel     string // payment.ChannelBankQR (default) or payment.ChannelEWallet
}

// CreatePayment opens a sale with a known amount: a random order code and
// a dynamic VietQR carrying it (or an e-wallet order). Only the vendor of an
// active stall may do so.
// Errors: Invalid (stall_id, amount, description, provider, Idempotency-Key),
// NotFound (stall), Forbidden, Conflict (stall not active),
// IdempotencyKeyReused, InFlight, Unavailable (wallet down).
func (s *Service) CreatePayment(ctx context.Context, a market.Actor, in PaymentInput, idem *Idempotency) (*payment.Payment, *Replayed, error) {
	var fs errs.Fields
	amount, err := money.Parse(in.Amount)
	if err != nil {
		fs.Add("amount", err.Error())
	}
	desc := strings.Join(strings.Fields(in.Description), " ")
	fs.Check(len([]rune(desc)) <= 100, "description", "must be at most 100 characters")
	channel := in.Channel
	if channel == "" {
		channel = payment.ChannelBankQR
	}
	fs.Check(channel == payment.ChannelBankQR || channel == payment.ChannelEWallet, "provider", "must be bank_qr or ewallet")
	fs.Check(in.StallID != "", "stall_id", "is required")
	if err := fs.Err(); err != nil {
		return nil, nil, err
	}
	provName := s.cfg.BankProvider
	if channel == payment.ChannelEWallet {
		provName = s.cfg.WalletProvider
	}
	prov, ok := s.providers[provName]
	if !ok {
		return nil, nil, errs.Field("provider", channel+" payments are not available on this server")
	}
	st, err := s.store.Read().StallByID(ctx, in.StallID, false)
	if errs.Is(err, errs.NotFound) {
		return nil, nil, errs.Field("stall_id", "no such stall")
	} else if err != nil {
		return nil, nil, err
	}
	if !a.OwnsStall(st) {
		if a.CanReadStall(st) {
			return nil, nil, errs.E(errs.Forbidden, "only the stall's vendor takes payments")
		}
		return nil, nil, errs.Field("stall_id", "no such stall")
	}
	if st.Status != market.StallActive {
		return nil, nil, errs.E(errs.Conflict, "the stall is %s; only active stalls take payments", st.Status)
	}
	if idem != nil {
		rep, err := s.claimIdem(ctx, a.UserID, idem)
		if err != nil || rep != nil {
			return nil, rep, err
		}
	}
	p, err := s.createPayment(ctx, a, st, amount, desc, channel, prov, idem)
	if err != nil {
		s.releaseIdem(a.UserID, idem)
		return nil, nil, err
	}
	return p, nil, nil
}

func (s *Service) createPayment(ctx context.Context, a market.Actor, st *market.Stall, amount money.Amount, desc, channel string, prov provider.Provider, idem *Idempotency) (*payment.Payment, error) {
	now := s.now()
	for attempt := 0; ; attempt++ {
		code, err := payment.NewOrderCode(nil)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "order code")
		}
		p := &payment.Payment{ID: newID(), StallID: st.ID, MarketID: st.MarketID, DistrictID: st.DistrictID, OrderCode: code,
			Kind: payment.Dynamic, Channel: channel, Provider: prov.Name(), Amount: amount, Description: desc,
			Status: payment.Pending, CreatedBy: a.UserID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.PaymentTTL), UpdatedAt: now}
		// The QR carries the code twice: bill number (62/01) for banks that
		// pass it through, and the purpose (62/08), which banking apps copy
		// into the transfer content the bank notifies us with.
		purpose := code
		if desc != "" {
			purpose += " " + desc
		}
		p.QRPayload, err = vietqr.EncodeWith(vietqr.Payload{Dynamic: true, BIN: st.BankBIN, AccountNumber: st.AccountNumber,
			Service: vietqr.ServiceAccount, Amount: amount.String(), BillNumber: code, Purpose: purpose}, vietqr.EncodeOptions{Truncate: true})
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "encode payment QR")
		}
		if channel == payment.ChannelEWallet {
			res, err := prov.Create(ctx, provider.CreateRequest{OrderCode: code, Amount: amount, Description: vietqr.ASCII(desc),
				ExpiresAt: p.ExpiresAt, NotifyURL: s.cfg.PublicURL + "/v1/webhooks/" + prov.Name(), ReturnURL: s.cfg.PublicURL + "/"})
			if err != nil {
				return nil, err
			}
			p.PayURL, p.ProviderRef = res.PayURL, res.ProviderRef
			if res.QRPayload != "" {
				p.QRPayload = res.QRPayload
			}
		}
		err = s.store.InTx(ctx, func(tx Tx) error {
			if err := tx.CreatePayment(ctx, p); err != nil {
				return err
			}
			if err := s.event(ctx, tx, p, "payment.created", now); err != nil {
				return err
			}
			return completeIdem(ctx, tx, a.UserID, idem, p)
		})
		if errs.Is(err, errs.Conflict) && attempt < 3 {
			continue // order code collision: draw another
		}
		if err != nil {
			return nil, err
		}
		s.hub.wake()
		return p, nil
	}
}

// Payment returns one payment its stall's vendor, district staff or an
// admin may see. Errors: NotFound.
func (s *Service) Payment(ctx context.Context, a market.Actor, id string) (*payment.Payment, error) {
	p, err := s.store.Read().PaymentByID(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if _, err := s.Stall(ctx, a, p.StallID); err != nil {
		return nil, errs.E(errs.NotFound, "no such payment")
	}
	return p, nil
}

// ListPayments lists a stall's payments, newest last (keyset by id).
// Errors: NotFound (stall not visible), Invalid (status).
func (s *Service) ListPayments(ctx context.Context, a market.Actor, f PaymentFilter) ([]payment.Payment, error) {
	if _, err := s.Stall(ctx, a, f.StallID); err != nil {
		return nil, err
	}
	switch f.Status {
	case "", payment.Pending, payment.Succeeded, payment.PartiallyPaid, payment.Expired, payment.Canceled:
	default:
		return nil, errs.Field("status", "must be pending, succeeded, partially_paid, expired or canceled")
	}
	f.normalize()
	return s.store.Read().ListPayments(ctx, f)
}

// CancelPayment cancels a pending payment of the vendor's stall. Money that
// still arrives for it is recorded (flagged late), never lost.
// Errors: NotFound, Forbidden, Conflict (not pending).
func (s *Service) CancelPayment(ctx context.Context, a market.Actor, id string) (*payment.Payment, error) {
	var out *payment.Payment
	now := s.now()
	err := s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.PaymentByID(ctx, id, true)
		if err != nil {
			return err
		}
		st, err := tx.StallByID(ctx, p.StallID, false)
		if err != nil {
			return err
		}
		if !a.CanReadStall(st) {
			return errs.E(errs.NotFound, "no such payment")
		}
		if !a.OwnsStall(st) {
			return errs.E(errs.Forbidden, "only the stall's vendor cancels its payments")
		}
		if !p.CanCancel(now) {
			return errs.E(errs.Conflict, "a %s payment cannot be canceled", p.EffectiveStatus(now))
		}
		p.Status, p.UpdatedAt = payment.Canceled, now
		if err := tx.UpdatePayment(ctx, p); err != nil {
			return err
		}
		out = p
		return s.event(ctx, tx, p, "payment.canceled", now)
	})
	if err == nil {
		s.hub.wake()
	}
	return out, err
}

// HandleWebhook verifies and records one provider notification and returns
// the acknowledgement to send. A bad signature is refused before anything
// is read or written. Errors: NotFound (provider), BadSignature, Invalid,
// and store failures (the provider is told to retry).
func (s *Service) HandleWebhook(ctx context.Context, providerName string, h map[string][]string, body []byte) (status int, ctype string, ack []byte, err error) {
	prov, err := s.Provider(providerName)
	if err != nil {
		return 0, "", nil, err
	}
	n, err := prov.ParseWebhook(h, body, s.now())
	if err != nil {
		return 0, "", nil, err
	}
	if _, _, err := s.ConfirmTransfer(ctx, n, payment.SourceWebhook); err != nil {
		status, ctype, ack = prov.Ack(false)
		return status, ctype, ack, err
	}
	status, ctype, ack = prov.Ack(true)
	return status, ctype, ack, nil
}

// ConfirmTransfer records one provider notification exactly once and
// credits whoever it is for, in one transaction: the inbox row, the payment
// change, the balanced journal entry, the rollup and the stall's live event.
// A notification already in the inbox changes nothing (duplicates, retries
// and reconciliation overlap are harmless).
// Matching, in order: order code found in the normalised content (or given
// by the wallet) for a payment of the credited account → matched, partial,
// overpaid or late; no code but an active stall owns the account → a direct
// payment (static QR); otherwise unmatched, held for staff review.
// Errors: Invalid (malformed notification), store failures.
func (s *Service) ConfirmTransfer(ctx context.Context, n provider.Notification, source string) (payment.Outcome, *payment.Payment, error) {
	if n.EventID == "" || len(n.EventID) > 100 {
		return "", nil, errs.Field("id", "provider event id is missing or too long")
	}
	// No "seen already?" read first: the inbox insert below settles it, and
	// skipping the extra round trip matters on the hot path, where almost
	// every notification is new.
	now := s.now()
	at := n.At
	if at.IsZero() {
		at = now
	}
	t := &payment.Transfer{Provider: n.Provider, EventID: n.EventID, BankBIN: n.BankBIN, Account: n.Account, Amount: n.Amount,
		Content: n.Content, Reference: n.Reference, Incoming: n.Incoming, OccurredAt: at.UTC(), ReceivedAt: now, Source: source}
	var out *payment.Payment
	var dup bool
	err := s.store.InTx(ctx, func(tx Tx) error {
		out, dup = nil, false
		t.Outcome, t.PaymentID, t.StallID, t.DistrictID = "", "", "", ""
		if !n.Incoming || !n.Success || n.Amount.Sign() <= 0 {
			t.Outcome = payment.OutcomeIgnored
			ok, err := tx.InsertTransfer(ctx, t)
			dup = !ok
			return err
		}
		stalls, err := tx.StallsByAccount(ctx, n.BankBIN, n.Account)
		if err != nil {
			return err
		}
		p, err := s.findPayment(ctx, tx, n, stalls)
		if err != nil {
			return err
		}
		switch {
		case p != nil:
			t.Outcome = p.Apply(n.Amount, now)
			if p.ProviderRef == "" {
				p.ProviderRef = n.EventID
			}
		default:
			if active := activeStalls(stalls); len(active) == 1 {
				st := &active[0]
				code, err := payment.NewOrderCode(nil)
				if err != nil {
					return err
				}
				// A static-QR payment is born paid: the shopper chose the
				// amount, so it can be neither partial, over, nor late.
				p = &payment.Payment{ID: newID(), StallID: st.ID, MarketID: st.MarketID, DistrictID: st.DistrictID, OrderCode: code,
					Kind: payment.Static, Channel: payment.ChannelBankQR, Provider: n.Provider, Amount: n.Amount, Paid: n.Amount,
					Description: truncate(n.Content, 100), Status: payment.Succeeded, CreatedAt: now, ExpiresAt: now,
					PaidAt: now, UpdatedAt: now, ProviderRef: n.EventID}
				t.Outcome = payment.OutcomeDirect
			} else {
				t.Outcome = payment.OutcomeUnmatched
				if len(stalls) > 0 {
					t.StallID, t.DistrictID = stalls[0].ID, stalls[0].DistrictID
				}
			}
		}
		if p != nil {
			t.PaymentID, t.StallID, t.DistrictID = p.ID, p.StallID, p.DistrictID
		}
		// The inbox insert is the first write: a concurrent duplicate blocks
		// here until the first commits, then finds the row and backs out.
		if ok, err := tx.InsertTransfer(ctx, t); err != nil || !ok {
			dup = !ok
			return err
		}
		ref := JournalRef{Provider: n.Provider, EventID: n.EventID}
		if p == nil {
			return tx.AppendJournal(ctx, newID(), payment.Held(n.Provider, n.Amount), ref, now)
		}
		if t.Outcome == payment.OutcomeDirect {
			err = tx.CreatePayment(ctx, p)
		} else {
			err = tx.UpdatePayment(ctx, p)
		}
		if err != nil {
			return err
		}
		ref.StallID, ref.PaymentID = p.StallID, p.ID
		if err := tx.AppendJournal(ctx, newID(), payment.Received(n.Provider, p.StallID, n.Amount), ref, now); err != nil {
			return err
		}
		if err := tx.AddDaily(ctx, DailyDelta{StallID: p.StallID, MarketID: p.MarketID, DistrictID: p.DistrictID,
			Day: payment.BusinessDay(at), Provider: n.Provider, Shard: rand.IntN(rollupShards), Payments: 1, Amount: n.Amount.Dong()}); err != nil {
			return err
		}
		out = p
		return s.eventAmount(ctx, tx, p, "payment."+string(p.Status), n.Amount, now)
	})
	if err != nil {
		return "", nil, err
	}
	if dup {
		return OutcomeDuplicate, nil, nil
	}
	s.hub.wake()
	return t.Outcome, out, nil
}

// findPayment looks for the payment a notification names: the wallet's
// explicit order code, or an order code in the content. A code only counts
// when its payment belongs to a stall paid into the credited account, so a
// shopper cannot pay stall A's code into stall B's account by mistake and
// have it count for A.
func (s *Service) findPayment(ctx context.Context, tx Tx, n provider.Notification, stalls []market.Stall) (*payment.Payment, error) {
	codes := payment.FindOrderCodes(n.Content)
	if n.OrderCode != "" {
		codes = append([]string{n.OrderCode}, codes...)
	}
	for _, code := range codes {
		p, err := tx.PaymentByCode(ctx, code, true)
		if errs.Is(err, errs.NotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if n.OrderCode == code && p.Provider == n.Provider {
			return p, nil // the wallet names the order itself
		}
		// The code counts only for a payment of a stall paid into the
		// credited account: asked of the payment's own stall, so however
		// many stalls share the account (stalls lists at most 20).
		if slices.ContainsFunc(stalls, func(st market.Stall) bool { return st.ID == p.StallID }) {
			return p, nil
		}
		st, err := tx.StallByID(ctx, p.StallID, false)
		if err != nil {
			return nil, err
		}
		if st.AccountNumber == n.Account && (n.BankBIN == "" || st.BankBIN == n.BankBIN) {
			return p, nil
		}
	}
	return nil, nil
}

func activeStalls(stalls []market.Stall) []market.Stall {
	var out []market.Stall
	for _, st := range stalls {
		if st.Status == market.StallActive {
			out = append(out, st)
		}
	}
	return out
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// PaymentEvent is the data of a stall's live event: enough for the vendor's
// phone to update its list and announce the money.
type PaymentEvent struct {
	PaymentID string `json:"payment_id"`
	OrderCode string `json:"order_code"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Amount    string `json:"amount"`
	Received  string `json:"received,omitempty"`
	Paid      string `json:"paid"`
	Overpaid  bool   `json:"overpaid"`
	Late      bool   `json:"late"`
	Announce  string `json:"announce,omitempty"`
	At        string `json:"at"`
}

func (s *Service) event(ctx context.Context, tx Tx, p *payment.Payment, typ string, now time.Time) error {
	return s.eventAmount(ctx, tx, p, typ, money.Zero, now)
}

func (s *Service) eventAmount(ctx context.Context, tx Tx, p *payment.Payment, typ string, received money.Amount, now time.Time) error {
	ev := PaymentEvent{PaymentID: p.ID, OrderCode: p.OrderCode, Kind: string(p.Kind), Status: string(p.Status),
		Amount: p.Amount.String(), Paid: p.Paid.String(), Overpaid: p.Overpaid, Late: p.Late, At: now.Format(time.RFC3339)}
	if received.Sign() > 0 {
		ev.Received = received.String()
		ev.Announce = "Đã nhận " + received.Words()
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = tx.AppendEvent(ctx, p.StallID, typ, data, now)
	return err
}

// ExpireDue marks pending payments past their expiry as expired, with an
// event each so the vendor's screen drops the QR. Safe on every instance.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	now := s.now()
	var n int
	err := s.store.InTx(ctx, func(tx Tx) error {
		ps, err := tx.ExpirePayments(ctx, now, 500)
		if err != nil {
			return err
		}
		n = len(ps)
		for i := range ps {
			if err := s.event(ctx, tx, &ps[i], "payment.expired", now); err != nil {
				return err
			}
		}
		return nil
	})
	if n > 0 {
		s.hub.wake()
	}
	return n, err
}

// RunBackground runs the periodic chores until ctx ends: expiring payments,
// retrying refunds whose outcome is unknown. Every instance may run it.
func (s *Service) RunBackground(ctx context.Context, every time.Duration) {
	go s.hub.run(ctx)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.ExpireDue(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Warn("expire payments", "err", err)
		}
		if err := s.RetryRefunds(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Warn("retry refunds", "err", err)
		}
		if _, err := s.store.Read().Sweep(ctx, s.now(), 24*time.Hour); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Warn("sweep sessions", "err", err)
		}
	}
}
