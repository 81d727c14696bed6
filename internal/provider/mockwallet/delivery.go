package mockwallet

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// deliver sends an order's IPN: the delay, then 1+Duplicates concurrent
// copies, each retried with exponential backoff until the merchant answers
// 204 No Content (MoMo's rule: any other answer, 200 included, is a
// failure), or MaxAttempts.
//
// responseTime is stamped, and the IPN signed, per attempt: the merchant
// enforces a 5-minute window on it, so a retry an hour later must carry a
// fresh time or it could never be accepted. The first attempts of all
// copies share one body, so duplicates are byte-identical.
func (w *Wallet) deliver(o *order) {
	defer w.wg.Done()
	w.mu.Lock()
	f := o.o.Faults
	snap := o.o // the fields an IPN carries are final now
	w.mu.Unlock()
	if f.DelayMS > 0 && !w.sleep(time.Duration(f.DelayMS)*time.Millisecond) {
		return
	}
	first := w.ipnBody(&snap, w.cfg.Now(), f.BadSignature)
	var wg sync.WaitGroup
	for c := 0; c <= f.Duplicates; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.deliverCopy(o, &snap, c, first)
		}()
	}
	wg.Wait()
}

func (w *Wallet) deliverCopy(o *order, snap *Order, c int, first []byte) {
	f := snap.Faults
	wait := w.cfg.Backoff
	delivered := false
	defer func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		o.copies--
		if o.copies == 0 && o.o.Delivery != DeliveryDelivered && w.ctx.Err() == nil {
			o.o.Delivery = DeliveryFailed
			w.log.Warn("IPN gave up", "order_id", snap.OrderID, "attempts", len(o.o.Attempts))
		}
	}()
	for n := 1; n <= w.cfg.MaxAttempts && !delivered; n++ {
		if n > 1 {
			if !w.sleep(wait) {
				return
			}
			wait = min(2*wait, w.cfg.MaxBackoff)
		}
		at := w.cfg.Now()
		w.mu.Lock()
		drop := o.dropped < f.DropFirst
		if drop {
			o.dropped++
			o.o.Attempts = append(o.o.Attempts, Attempt{Copy: c, N: n, At: at, Dropped: true, Error: "dropped (drop_first fault)"})
		}
		w.mu.Unlock()
		if drop {
			continue
		}
		body := first
		if n > 1 {
			body = w.ipnBody(snap, at, f.BadSignature)
		}
		status, errText := w.post(snap.IPNURL, body)
		if w.ctx.Err() != nil {
			return
		}
		delivered = status == http.StatusNoContent
		w.mu.Lock()
		o.o.Attempts = append(o.o.Attempts, Attempt{Copy: c, N: n, At: at, Status: status, Error: errText})
		if delivered {
			o.o.Delivery = DeliveryDelivered
		}
		w.mu.Unlock()
		w.log.Debug("IPN attempt", "order_id", snap.OrderID, "copy", c, "attempt", n, "status", status)
	}
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

func (w *Wallet) post(url string, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("User-Agent", "Market4-MockWallet/1 (MoMo-compatible)")
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusNoContent {
		return resp.StatusCode, ""
	}
	if len(snippet) == 0 {
		return resp.StatusCode, "merchant must answer 204 No Content"
	}
	return resp.StatusCode, string(snippet)
}

func (w *Wallet) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.ctx.Done():
		return false
	}
}
