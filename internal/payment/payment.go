// Package payment is the domain of money arriving at stalls: payments and
// their lifecycle, order codes, matching a provider's transfer notification
// to a payment, refunds, and the double-entry journal lines each of them
// produces. It does no I/O; time and randomness are passed in.
package payment

import (
	"crypto/rand"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/market4/market4/pkg/money"
)

// Status is where a payment is in its lifecycle.
type Status string

// Payment statuses: pending → succeeded | partially_paid | expired | canceled.
// A partially paid payment becomes succeeded when the rest arrives; an
// expired or canceled one becomes succeeded (flagged late) if money arrives
// anyway — money that arrived is never ignored.
const (
	Pending       Status = "pending"
	Succeeded     Status = "succeeded"
	PartiallyPaid Status = "partially_paid"
	Expired       Status = "expired"
	Canceled      Status = "canceled"
)

// Kind tells how a payment came to be.
type Kind string

// Payment kinds.
const (
	Dynamic Kind = "dynamic" // created by the vendor with an amount; QR carries the order code
	Static  Kind = "static"  // created by a transfer to the stall's printed QR (no code)
)

// Channels a vendor may choose for a dynamic payment.
const (
	ChannelBankQR  = "bank_qr" // VietQR scanned by any banking app
	ChannelEWallet = "ewallet" // the e-wallet provider's order page / QR
)

// Payment is money owed to a stall for one sale.
type Payment struct {
	ID          string
	StallID     string
	MarketID    string
	DistrictID  string
	OrderCode   string
	Kind        Kind
	Channel     string // ChannelBankQR or ChannelEWallet
	Provider    string // provider that carries the money (provider.MockBank, ...)
	Amount      money.Amount
	Paid        money.Amount
	Refunded    money.Amount // succeeded refunds
	Reserved    money.Amount // refunds pending at the provider, not yet succeeded
	Description string
	Status      Status
	Overpaid    bool
	Late        bool
	QRPayload   string
	PayURL      string
	ProviderRef string
	CreatedBy   string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	PaidAt      time.Time // zero until money arrives
	UpdatedAt   time.Time
}

// Refundable is what may still be refunded: paid minus refunds succeeded or pending.
func (p *Payment) Refundable() money.Amount { return p.Paid.Sub(p.Refunded).Sub(p.Reserved) }

// EffectiveStatus is the status as of now: a pending payment past its
// expiry reads as expired even before the sweeper writes it.
func (p *Payment) EffectiveStatus(now time.Time) Status {
	if p.Status == Pending && !now.Before(p.ExpiresAt) {
		return Expired
	}
	return p.Status
}

// CanCancel reports whether the vendor may still cancel the payment.
func (p *Payment) CanCancel(now time.Time) bool { return p.EffectiveStatus(now) == Pending }

// OrderCodePrefix starts every order code so it can be found inside a
// transfer's free-text content.
const OrderCodePrefix = "M4"

// orderAlphabet is Crockford's base32 without I, L, O, U: upper-case
// letters and digits only, nothing a person or a bank could confuse.
const orderAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// orderRandLen random symbols give 40 bits: collisions are rare and retried
// on the unique index; guessing a live code is hopeless.
const orderRandLen = 8

// OrderCodeLen is the full length of an order code, e.g. M4K3Q8ZP2A.
const OrderCodeLen = len(OrderCodePrefix) + orderRandLen

// NewOrderCode returns a random order code from r (crypto/rand.Reader in
// production). Codes are never sequential, so one cannot guess another's.
func NewOrderCode(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	buf := make([]byte, orderRandLen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(OrderCodePrefix)
	for _, c := range buf {
		b.WriteByte(orderAlphabet[c&31])
	}
	return b.String(), nil
}

// IsOrderCode reports whether s has the shape of an order code.
func IsOrderCode(s string) bool {
	if len(s) != OrderCodeLen || !strings.HasPrefix(s, OrderCodePrefix) {
		return false
	}
	for i := len(OrderCodePrefix); i < len(s); i++ {
		if !strings.ContainsRune(orderAlphabet, rune(s[i])) {
			return false
		}
	}
	return true
}

// NormalizeContent reduces a transfer's content to upper-case letters and
// digits: banks prefix it ("MBVCB.3278614.M4K3…"), strip or add spaces and
// upper-case it, so matching works on this form only.
func NormalizeContent(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FindOrderCodes returns every distinct order-code-shaped run in a
// transfer's content, in order of appearance. Because normalisation glues
// words together, any "M4" followed by eight code symbols is a candidate;
// the caller keeps the one that names a real payment of the credited stall.
func FindOrderCodes(content string) []string {
	n := NormalizeContent(content)
	var out []string
	for i := 0; i+OrderCodeLen <= len(n); i++ {
		if n[i] == 'M' && n[i+1] == '4' && IsOrderCode(n[i:i+OrderCodeLen]) {
			if c := n[i : i+OrderCodeLen]; !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}
