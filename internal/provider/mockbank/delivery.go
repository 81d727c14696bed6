package mockbank

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/market4/market4/internal/provider/delivery"
)

// newSender builds the bank's notification sender: SePay's rules (any 2xx
// acknowledges) on the shared delivery loop, under the bank's own lock.
func newSender(b *Bank) *delivery.Sender {
	return delivery.New(delivery.Config{
		Lock: &b.mu, Client: b.cfg.Client, Now: b.cfg.Now,
		Backoff: b.cfg.Backoff, MaxBackoff: b.cfg.MaxBackoff, MaxAttempts: b.cfg.MaxAttempts, HoldTimeout: b.cfg.HoldTimeout,
		Header: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Market4-MockBank/1 (SePay-compatible)"}},
		Kind:   "webhook", Logger: b.log,
	})
}

// queue starts the delivery of x's notification with faults f. Called with
// b.mu held and the bank not closed. Movements are queued in id order, so
// an out_of_order notification waits for the next movement's.
func (b *Bank) queue(x *txn, f Faults) {
	body := x.body
	x.job = &delivery.Job{
		URL:        b.cfg.PlatformURL + WebhookPath,
		Sign:       func(t time.Time) delivery.Request { return b.sign(f, t, body) },
		Delay:      time.Duration(f.DelayMS) * time.Millisecond,
		Duplicates: f.Duplicates,
		DropFirst:  f.DropFirst,
		OutOfOrder: f.OutOfOrder,
		LogAttr:    slog.Int64("id", x.t.ID),
	}
	b.out.Queue(x.job)
}

// sign signs body at t — with a wrong key under the bad_signature fault —
// into the attempt's X-Mockbank-Signature header; the body never changes.
func (b *Bank) sign(f Faults, t time.Time, body []byte) delivery.Request {
	secret := b.cfg.Secret
	if f.BadSignature {
		secret += "#not-the-shared-secret"
	}
	return delivery.Request{Header: http.Header{SignatureHeader: {Sign(secret, t, body)}}, Body: body}
}
