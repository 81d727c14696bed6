package mockbank

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/market4/market4/pkg/money"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/pkg/vietqr"
)

const testSecret = "test-secret-0123456789abcdef"

// receipt is one webhook as the platform received it.
type receipt struct {
	Header string
	Body   []byte
	N      provider.Notification
	Err    error
}

// platform plays Market4: it verifies every webhook with the real adapter
// and answers with the adapter's Ack, failing the first failFirst
// deliveries with 500.
type platform struct {
	t         testing.TB
	srv       *httptest.Server
	adapter   *Provider
	mu        sync.Mutex
	failFirst int
	status    int // when set, every answer uses it
	got       []receipt
}

func newPlatform(t testing.TB) *platform {
	t.Helper()
	p := &platform{t: t, adapter: NewProvider(ProviderConfig{Secret: testSecret})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/webhooks/mockbank", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n, err := p.adapter.ParseWebhook(r.Header, body, time.Now())
		p.mu.Lock()
		p.got = append(p.got, receipt{Header: r.Header.Get(SignatureHeader), Body: body, N: n, Err: err})
		k := len(p.got)
		status := p.status
		fail := k <= p.failFirst
		p.mu.Unlock()
		switch {
		case err != nil:
			http.Error(w, "bad signature", http.StatusUnauthorized)
		case status != 0:
			w.WriteHeader(status)
		case fail:
			code, ct, b := p.adapter.Ack(false)
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(code)
			w.Write(b)
		default:
			code, ct, b := p.adapter.Ack(true)
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(code)
			w.Write(b)
		}
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *platform) receipts() []receipt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]receipt(nil), p.got...)
}

// env is a bank wired to a platform, with its API served over HTTP.
type env struct {
	bank *Bank
	api  *httptest.Server
	plat *platform
	prov *Provider // the adapter pointed at the bank's API
}

func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	plat := newPlatform(t)
	cfg := Config{Secret: testSecret, PlatformURL: plat.srv.URL, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		MaxAttempts: 5, HoldTimeout: 5 * time.Second, FirstID: 1000, Logger: discardLogger()}
	if mod != nil {
		mod(&cfg)
	}
	b := New(cfg)
	api := httptest.NewServer(b.Handler())
	t.Cleanup(func() { api.Close(); b.Close() })
	return &env{bank: b, api: api, plat: plat, prov: NewProvider(ProviderConfig{Secret: testSecret, BaseURL: api.URL})}
}

// transfer POSTs a transfer and decodes the answer.
func (e *env) transfer(t testing.TB, req map[string]any) (int, Transaction, Error) {
	t.Helper()
	status, body := e.do(t, http.MethodPost, "/mockbank/v1/transfers", req, "")
	var tx Transaction
	var apiErr Error
	if status == http.StatusCreated {
		mustUnmarshal(t, body, &tx)
	} else {
		mustUnmarshal(t, body, &apiErr)
	}
	return status, tx, apiErr
}

func (e *env) do(t testing.TB, method, path string, v any, bearer string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.api.URL+path, rd)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// settle waits until transaction id has finished delivering (delivered
// and, with duplicates, every copy done; or failed).
func (e *env) settle(t testing.TB, id int64, wantReceipts int) Transaction {
	t.Helper()
	var tx Transaction
	waitFor(t, func() bool {
		tx, _ = e.bank.Transaction(id)
		e.bank.mu.Lock()
		copies := e.bank.byID[id].job.Active()
		e.bank.mu.Unlock()
		return copies == 0 && (tx.Delivery == DeliveryDelivered || tx.Delivery == DeliveryFailed) &&
			len(e.plat.receipts()) >= wantReceipts
	})
	return tx
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
}

// qr builds a VietQR payload for a stall account.
func qr(t testing.TB, bin, account, amount, purpose string) string {
	t.Helper()
	s, err := vietqr.Encode(vietqr.Payload{Dynamic: amount != "", BIN: bin, AccountNumber: account, Amount: amount,
		Purpose: purpose, BillNumber: firstWord(purpose), MerchantName: "Sap Hoa Qua Lan"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func firstWord(s string) string {
	if i := bytes.IndexByte([]byte(s), ' '); i >= 0 {
		return s[:i]
	}
	return s
}

var errorsAs = errors.As

func sorted(s []string) []string { slices.Sort(s); return s }

func equalInts(a, b []int) bool { return slices.Equal(a, b) }

func moneyOf(n int64) money.Amount { return money.FromDong(n) }
