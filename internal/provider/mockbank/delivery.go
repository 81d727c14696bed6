package mockbank

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"time"
)

// queue starts the delivery of x's notification. Called with b.mu held and
// b.closed false, so Close's wg.Wait never races a wg.Add.
func (b *Bank) queue(x *txn) {
	var hold chan struct{}
	if x.faults.OutOfOrder {
		hold = make(chan struct{})
		b.held[x.t.ID] = hold
		x.t.Delivery = DeliveryHeld
	}
	x.copies = 1 + x.faults.Duplicates
	b.wg.Add(1)
	go b.deliver(x, hold)
}

// deliver runs one notification: the delay, the out-of-order hold, then
// 1+Duplicates concurrent copies, each retried until acknowledged.
func (b *Bank) deliver(x *txn, hold chan struct{}) {
	defer b.wg.Done()
	f := x.faults // fixed at creation; read without the lock
	id := x.t.ID
	if f.DelayMS > 0 && !b.sleep(time.Duration(f.DelayMS)*time.Millisecond) {
		return
	}
	if hold != nil {
		timer := time.NewTimer(b.cfg.HoldTimeout)
		select {
		case <-hold:
		case <-timer.C:
			b.log.Warn("out_of_order hold timed out: no later notification was sent", "id", id)
		case <-b.ctx.Done():
			timer.Stop()
			return
		}
		timer.Stop()
		b.mu.Lock()
		if ch, ok := b.held[id]; ok && ch == hold {
			delete(b.held, id)
		}
		if x.t.Delivery == DeliveryHeld {
			x.t.Delivery = DeliveryPending
		}
		b.mu.Unlock()
	}
	// The first attempts of all copies share one signed header, so the
	// duplicates are byte-for-byte the same request.
	first := b.sign(f, b.cfg.Now(), x.body)
	var wg sync.WaitGroup
	for c := 0; c <= f.Duplicates; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.deliverCopy(x, c, first)
		}()
	}
	wg.Wait()
}

// deliverCopy tries one copy up to MaxAttempts times with exponential
// backoff, until the platform answers 2xx.
func (b *Bank) deliverCopy(x *txn, c int, first string) {
	f := x.faults
	id := x.t.ID
	wait := b.cfg.Backoff
	delivered := false
	defer func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		x.copies--
		if x.copies == 0 && x.t.Delivery != DeliveryDelivered && b.ctx.Err() == nil {
			x.t.Delivery = DeliveryFailed
			b.log.Warn("webhook gave up", "id", id, "attempts", len(x.t.Attempts))
		}
	}()
	for n := 1; n <= b.cfg.MaxAttempts && !delivered; n++ {
		if n > 1 {
			if !b.sleep(wait) {
				return
			}
			wait = min(2*wait, b.cfg.MaxBackoff)
		}
		at := b.cfg.Now()
		b.mu.Lock()
		drop := x.dropped < f.DropFirst
		if drop {
			x.dropped++
			x.t.Attempts = append(x.t.Attempts, Attempt{Copy: c, N: n, At: at, Dropped: true, Error: "dropped (drop_first fault)"})
		}
		b.mu.Unlock()
		if drop {
			b.log.Debug("webhook attempt dropped", "id", id, "copy", c, "attempt", n)
			continue
		}
		header := first
		if n > 1 {
			header = b.sign(f, at, x.body)
		}
		status, errText := b.post(header, x.body)
		if b.ctx.Err() != nil {
			return // closing: the attempt was cut short, not answered
		}
		delivered = status >= 200 && status < 300
		b.mu.Lock()
		x.t.Attempts = append(x.t.Attempts, Attempt{Copy: c, N: n, At: at, Status: status, Error: errText})
		if delivered {
			x.t.Delivery = DeliveryDelivered
		}
		if !x.sent {
			x.sent = true
			b.releaseHeldBefore(id)
		}
		b.mu.Unlock()
		b.log.Debug("webhook attempt", "id", id, "copy", c, "attempt", n, "status", status)
	}
	if delivered {
		b.log.Info("webhook delivered", "id", id, "copy", c)
	}
}

// releaseHeldBefore lets every out_of_order notification older than id go.
// Called with b.mu held.
func (b *Bank) releaseHeldBefore(id int64) {
	for hid, ch := range b.held {
		if hid < id {
			close(ch)
			delete(b.held, hid)
		}
	}
}

// sign signs body at t, with a wrong key under the bad_signature fault.
func (b *Bank) sign(f Faults, t time.Time, body []byte) string {
	secret := b.cfg.Secret
	if f.BadSignature {
		secret += "#not-the-shared-secret"
	}
	return Sign(secret, t, body)
}

// post sends one attempt and returns the HTTP status (0 when the request
// failed) and, for a failure, a short explanation.
func (b *Bank) post(header string, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, b.cfg.PlatformURL+WebhookPath, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Market4-MockBank/1 (SePay-compatible)")
	req.Header.Set(SignatureHeader, header)
	resp, err := b.cfg.Client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // drain so the connection is reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, string(snippet)
}

// sleep waits d, or returns false when the bank is closing.
func (b *Bank) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.ctx.Done():
		return false
	}
}
