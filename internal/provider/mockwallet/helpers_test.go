package mockwallet

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/internal/provider/providertest"
	"github.com/market4/market4/pkg/money"
)

const (
	testPartner = "MOMOTEST01"
	testAccess  = "testaccesskey"
	testSecret  = "test-wallet-secret-0123456789"
)

type env struct {
	wallet *Wallet
	api    *httptest.Server
	merch  *providertest.Receiver // plays Market4, verifying with the real adapter
	prov   *Provider
}

func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	m := providertest.NewReceiver(t, NewProvider(ProviderConfig{PartnerCode: testPartner, AccessKey: testAccess, SecretKey: testSecret}),
		"/v1/webhooks/mockwallet", "")
	cfg := Config{PartnerCode: testPartner, AccessKey: testAccess, SecretKey: testSecret, Backoff: time.Millisecond,
		MaxBackoff: 4 * time.Millisecond, MaxAttempts: 5, FirstTransID: 4000000001, Logger: providertest.DiscardLogger()}
	if mod != nil {
		mod(&cfg)
	}
	w := New(cfg)
	api := providertest.Serve(t, w.Handler(), w.Close)
	return &env{wallet: w, api: api, merch: m, prov: NewProvider(ProviderConfig{PartnerCode: testPartner, AccessKey: testAccess,
		SecretKey: testSecret, BaseURL: api.URL})}
}

func (e *env) create(t testing.TB, code string, amount int64) provider.CreateResult {
	t.Helper()
	res, err := e.prov.Create(t.Context(), provider.CreateRequest{OrderCode: code, Amount: money.FromDong(amount),
		Description: "Rau cai " + code, ExpiresAt: time.Now().Add(15 * time.Minute),
		NotifyURL: e.merch.URL, ReturnURL: "https://market4.example/done?x=1"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return res
}

func (e *env) post(t testing.TB, path string, v any) (int, []byte) {
	t.Helper()
	return providertest.Do(t, http.MethodPost, e.api.URL+path, v, nil)
}

// settle waits for an order's IPN to be delivered or given up, every copy.
func (e *env) settle(t testing.TB, orderID string, wantReceipts int) Order {
	t.Helper()
	var o Order
	providertest.WaitSettled(t, e.merch, wantReceipts, func() (string, int) {
		o, _ = e.wallet.Order(orderID)
		e.wallet.mu.Lock()
		defer e.wallet.mu.Unlock()
		return o.Delivery, e.wallet.orders[orderID].job.Active()
	})
	return o
}

var mustUnmarshal = providertest.MustUnmarshal

var errorsAs = errors.As

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
