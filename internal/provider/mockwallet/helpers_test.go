package mockwallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/pkg/money"
)

const (
	testPartner = "MOMOTEST01"
	testAccess  = "testaccesskey"
	testSecret  = "test-wallet-secret-0123456789"
)

type receipt struct {
	Body []byte
	N    provider.Notification
	Err  error
}

// merchant plays Market4 receiving IPNs, verifying them with the adapter.
type merchant struct {
	srv     *httptest.Server
	adapter *Provider
	mu      sync.Mutex
	statusQ []int // answers to give first (then the adapter's Ack)
	got     []receipt
}

func newMerchant(t testing.TB) *merchant {
	m := &merchant{adapter: NewProvider(ProviderConfig{PartnerCode: testPartner, AccessKey: testAccess, SecretKey: testSecret})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/webhooks/mockwallet", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n, err := m.adapter.ParseWebhook(r.Header, body, time.Now())
		m.mu.Lock()
		m.got = append(m.got, receipt{Body: body, N: n, Err: err})
		var forced int
		if len(m.statusQ) > 0 {
			forced, m.statusQ = m.statusQ[0], m.statusQ[1:]
		}
		m.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if forced != 0 {
			w.WriteHeader(forced)
			return
		}
		code, ct, b := m.adapter.Ack(true)
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(code)
		w.Write(b)
	})
	m.srv = httptest.NewServer(mux)
	t.Cleanup(m.srv.Close)
	return m
}

func (m *merchant) receipts() []receipt {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]receipt(nil), m.got...)
}

type env struct {
	wallet *Wallet
	api    *httptest.Server
	merch  *merchant
	prov   *Provider
}

func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	m := newMerchant(t)
	cfg := Config{PartnerCode: testPartner, AccessKey: testAccess, SecretKey: testSecret, Backoff: time.Millisecond,
		MaxBackoff: 4 * time.Millisecond, MaxAttempts: 5, FirstTransID: 4000000001,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mod != nil {
		mod(&cfg)
	}
	w := New(cfg)
	api := httptest.NewServer(w.Handler())
	t.Cleanup(func() { api.Close(); w.Close() })
	return &env{wallet: w, api: api, merch: m, prov: NewProvider(ProviderConfig{PartnerCode: testPartner, AccessKey: testAccess,
		SecretKey: testSecret, BaseURL: api.URL})}
}

func (e *env) create(t testing.TB, code string, amount int64) provider.CreateResult {
	t.Helper()
	res, err := e.prov.Create(t.Context(), provider.CreateRequest{OrderCode: code, Amount: money.FromDong(amount),
		Description: "Rau cai " + code, ExpiresAt: time.Now().Add(15 * time.Minute),
		NotifyURL: e.merch.srv.URL + "/v1/webhooks/mockwallet", ReturnURL: "https://market4.example/done?x=1"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return res
}

func (e *env) post(t testing.TB, path string, v any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(v)
	resp, err := http.Post(e.api.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// settle waits for an order's IPN to be delivered or given up, every copy.
func (e *env) settle(t testing.TB, orderID string, wantReceipts int) Order {
	t.Helper()
	var o Order
	waitFor(t, func() bool {
		o, _ = e.wallet.Order(orderID)
		e.wallet.mu.Lock()
		copies := e.wallet.orders[orderID].job.Active()
		e.wallet.mu.Unlock()
		return copies == 0 && (o.Delivery == DeliveryDelivered || o.Delivery == DeliveryFailed) &&
			len(e.merch.receipts()) >= wantReceipts
	})
	return o
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

var errorsAs = errors.As

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
