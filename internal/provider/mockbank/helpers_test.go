package mockbank

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/market4/market4/internal/provider/providertest"
	"github.com/market4/market4/pkg/money"
	"github.com/market4/market4/pkg/vietqr"
)

const testSecret = "test-secret-0123456789abcdef"

// env is a bank wired to a platform, with its API served over HTTP.
type env struct {
	bank *Bank
	api  *httptest.Server
	plat *providertest.Receiver // plays Market4, verifying with the real adapter
	prov *Provider              // the adapter pointed at the bank's API
}

func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	plat := providertest.NewReceiver(t, NewProvider(ProviderConfig{Secret: testSecret}), WebhookPath, SignatureHeader)
	cfg := Config{Secret: testSecret, PlatformURL: plat.BaseURL, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		MaxAttempts: 5, HoldTimeout: 5 * time.Second, FirstID: 1000, Logger: discardLogger()}
	if mod != nil {
		mod(&cfg)
	}
	b := New(cfg)
	api := providertest.Serve(t, b.Handler(), b.Close)
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
	var h http.Header
	if bearer != "" {
		h = http.Header{"Authorization": {"Bearer " + bearer}}
	}
	return providertest.Do(t, method, e.api.URL+path, v, h)
}

// settle waits until transaction id has finished delivering (delivered
// and, with duplicates, every copy done; or failed).
func (e *env) settle(t testing.TB, id int64, wantReceipts int) Transaction {
	t.Helper()
	var tx Transaction
	providertest.WaitSettled(t, e.plat, wantReceipts, func() (string, int) {
		tx, _ = e.bank.Transaction(id)
		e.bank.mu.Lock()
		defer e.bank.mu.Unlock()
		return tx.Delivery, e.bank.byID[id].job.Active()
	})
	return tx
}

var (
	waitFor       = providertest.WaitFor
	mustUnmarshal = providertest.MustUnmarshal
	discardLogger = providertest.DiscardLogger
)

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
