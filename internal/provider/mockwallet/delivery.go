package mockwallet

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/market4/market4/internal/provider/delivery"
)

// newSender builds the wallet's IPN sender: MoMo's rules on the shared
// delivery loop, under the wallet's own lock. Only 204 No Content
// acknowledges an IPN; any other answer, 200 included, is a failure and
// is retried.
func newSender(w *Wallet) *delivery.Sender {
	return delivery.New(delivery.Config{
		Lock: &w.mu, Client: w.cfg.Client, Now: w.cfg.Now,
		Backoff: w.cfg.Backoff, MaxBackoff: w.cfg.MaxBackoff, MaxAttempts: w.cfg.MaxAttempts,
		Header: http.Header{"Content-Type": {"application/json; charset=UTF-8"},
			"User-Agent": {"Market4-MockWallet/1 (MoMo-compatible)"}},
		Accept:  func(status int) bool { return status == http.StatusNoContent },
		Refusal: "merchant must answer 204 No Content",
		Kind:    "IPN", Logger: w.log,
	})
}

// queue starts sending o's IPN to its ipnUrl with the order's faults.
// Called with w.mu held and the wallet not closed, once o is final.
//
// responseTime is stamped, and the IPN signed, per attempt: the merchant
// enforces a 5-minute window on it, so a retry an hour later must carry a
// fresh time or it could never be accepted. The first attempts of all
// copies share one body, so duplicates are byte-identical.
func (w *Wallet) queue(o *order) {
	snap := o.o // the fields an IPN carries are final now
	f := snap.Faults
	o.job = &delivery.Job{
		URL:        snap.IPNURL,
		Sign:       func(t time.Time) delivery.Request { return delivery.Request{Body: w.ipnBody(&snap, t, f.BadSignature)} },
		Delay:      time.Duration(f.DelayMS) * time.Millisecond,
		Duplicates: f.Duplicates,
		DropFirst:  f.DropFirst,
		LogAttr:    slog.String("order_id", snap.OrderID),
	}
	w.out.Queue(o.job)
}

// ipnBody builds and signs the IPN for o stamped at t.
func (w *Wallet) ipnBody(o *Order, t time.Time, badSignature bool) []byte {
	n := ipnOf(o, t)
	key := w.cfg.SecretKey
	if badSignature {
		key += "#not-the-merchant-key"
	}
	n.Signature = Sign(key, n.RawSignature(w.cfg.AccessKey))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(n)
	return bytes.TrimRight(buf.Bytes(), "\n")
}
