// Package providertest holds the test fixtures the payment-provider
// simulators share: a fake Market4 (Receiver) that takes their
// notifications and verifies each with the real adapter, a wait for a
// notification's delivery to settle, and small JSON-over-HTTP helpers.
// Helpers take testing.TB and call t.Helper.
package providertest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/internal/provider/delivery"
)

// Receipt is one notification as the Receiver got it.
type Receipt struct {
	Header string // the signature header's value ("" when the provider signs inside the body)
	Body   []byte
	N      provider.Notification // what the adapter parsed (zero when Err)
	Err    error                 // what the adapter refused it with
}

// Receiver plays Market4: it verifies every notification with a
// provider's real adapter (ParseWebhook), records it, and answers: 401
// with the error when the adapter refuses it, else the status set by
// AnswerAll, else the next of AnswerNext's, else the adapter's Ack —
// Ack(false) for the first FailFirst receipts, Ack(true) after.
type Receiver struct {
	BaseURL string // the server's base URL
	URL     string // BaseURL + the webhook path: where notifications go

	adapter provider.Provider
	header  string

	mu        sync.Mutex
	failFirst int
	status    int
	next      []int
	got       []Receipt
}

// NewReceiver serves a Receiver at path (e.g. "/v1/webhooks/mockbank")
// until the test ends. signatureHeader names the header recorded in
// Receipt.Header ("" for none).
func NewReceiver(t testing.TB, adapter provider.Provider, path, signatureHeader string) *Receiver {
	t.Helper()
	r := &Receiver{adapter: adapter, header: signatureHeader}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+path, r.serve)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r.BaseURL, r.URL = srv.URL, srv.URL+path
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	n, err := r.adapter.ParseWebhook(req.Header, body, time.Now())
	var sig string
	if r.header != "" {
		sig = req.Header.Get(r.header)
	}
	r.mu.Lock()
	r.got = append(r.got, Receipt{Header: sig, Body: body, N: n, Err: err})
	fail := len(r.got) <= r.failFirst
	status := r.status
	if status == 0 && len(r.next) > 0 {
		status, r.next = r.next[0], r.next[1:]
	}
	r.mu.Unlock()
	switch {
	case err != nil:
		http.Error(w, err.Error(), http.StatusUnauthorized)
	case status != 0:
		w.WriteHeader(status)
	default:
		code, ct, b := r.adapter.Ack(!fail)
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(code)
		_, _ = w.Write(b)
	}
}

// FailFirst answers the first n notifications (counting every one
// received) with the adapter's Ack(false), so the provider retries.
func (r *Receiver) FailFirst(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failFirst = n
}

// AnswerAll answers every notification with status and no body (0 goes
// back to the adapter's Ack).
func (r *Receiver) AnswerAll(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

// AnswerNext answers the next notifications with these statuses and no
// body, one each, before going back to the adapter's Ack.
func (r *Receiver) AnswerNext(statuses ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next = append(r.next, statuses...)
}

// Receipts returns what was received so far, oldest first.
func (r *Receiver) Receipts() []Receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Receipt(nil), r.got...)
}

// WaitFor polls cond every 2 ms and fails the test if it is not true
// within 5 s.
func WaitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// WaitSettled waits until one notification has finished delivering —
// poll reports its delivery state and how many copies are still trying:
// every copy is done, the state is delivered or failed — and r has
// received at least want notifications in all.
func WaitSettled(t testing.TB, r *Receiver, want int, poll func() (state string, active int)) {
	t.Helper()
	WaitFor(t, func() bool {
		state, active := poll()
		return active == 0 && (state == delivery.Delivered || state == delivery.Failed) && len(r.Receipts()) >= want
	})
}

// Serve serves a simulator's handler until the test ends, then stops the
// server and calls close (the simulator's Close).
func Serve(t testing.TB, h http.Handler, close func()) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); close() })
	return srv
}

// Do sends v as JSON (no body when v is nil) with the given extra headers
// and returns the status and body of the answer.
func Do(t testing.TB, method, url string, v any, header http.Header) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// MustUnmarshal decodes b into v or fails the test, showing b.
func MustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
}

// DiscardLogger is a logger that writes nothing, for simulators under test.
func DiscardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
