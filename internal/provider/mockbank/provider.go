package mockbank

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/provider"
)

// ProviderConfig configures the platform's side of the mock bank.
type ProviderConfig struct {
	// Secret is the shared HMAC secret (MARKET4_MOCKBANK_SECRET); it also
	// authenticates statement and refund calls. Never logged.
	Secret string
	// BaseURL is the bank's API base, e.g. http://127.0.0.1:9090 (paths
	// /mockbank/v1/... are appended).
	BaseURL string
	// Client makes statement and refund calls. Default: 10 s timeout.
	Client *http.Client
	// Tolerance is how far a webhook's signed timestamp may be from now.
	// Default 5 min.
	Tolerance time.Duration
}

// LogValue keeps the secret out of logs.
func (c ProviderConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("secret", "****"),
		slog.Duration("tolerance", c.Tolerance))
}

// Provider is the platform's adapter for the mock bank: it verifies and
// parses its webhooks and calls its statement and refund APIs over HTTP.
// Safe for concurrent use.
type Provider struct {
	cfg ProviderConfig
}

var _ provider.Provider = (*Provider)(nil)

// NewProvider builds the adapter. With an empty Secret every webhook is
// refused (BadSignature) rather than accepted unauthenticated.
func NewProvider(cfg ProviderConfig) *Provider {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = DefaultTolerance
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Provider{cfg: cfg}
}

// Name returns provider.MockBank.
func (p *Provider) Name() string { return provider.MockBank }

// ParseWebhook verifies X-Mockbank-Signature over the raw body (see
// Verify), and only then decodes the SePay-shaped JSON strictly: unknown
// fields are ignored, but known ones must have their JSON types, and id,
// accountNumber, transferAmount, transferType and transactionDate must be
// present; transferAmount must be > 0 (and < 500,000,000 for "in").
// A zero now means time.Now().
//
// Errors: BadSignature (missing, malformed — including a repeated header —,
// mismatched or stale), Invalid (naming the field at fault).
func (p *Provider) ParseWebhook(h http.Header, body []byte, now time.Time) (provider.Notification, error) {
	vals := h.Values(SignatureHeader)
	if len(vals) > 1 {
		return provider.Notification{}, errs.E(errs.BadSignature, "malformed signature header")
	}
	var sig string
	if len(vals) == 1 {
		sig = vals[0]
	}
	if now.IsZero() {
		now = time.Now()
	}
	if _, err := Verify(p.cfg.Secret, sig, body, now, p.cfg.Tolerance); err != nil {
		return provider.Notification{}, err
	}
	return decodeWebhook(body)
}

// Ack answers as SePay expects: 200 {"success":true} once recorded; 500
// {"success":false} otherwise, so the bank retries.
func (p *Provider) Ack(ok bool) (int, string, []byte) {
	if ok {
		return http.StatusOK, "application/json", []byte(`{"success":true}`)
	}
	return http.StatusInternalServerError, "application/json", []byte(`{"success":false}`)
}

// Create does nothing: a bank QR payment needs no call, the platform
// renders its own VietQR.
func (p *Provider) Create(context.Context, provider.CreateRequest) (provider.CreateResult, error) {
	return provider.CreateResult{}, nil
}

// Statement fetches every credit in [from, to) over HTTP and parses each
// line with the webhook's rules.
// Errors: Unavailable (unreachable, refused, or an answer that does not
// parse).
func (p *Provider) Statement(ctx context.Context, from, to time.Time) ([]provider.Notification, error) {
	q := url.Values{"from": {from.UTC().Format(time.RFC3339Nano)}, "to": {to.UTC().Format(time.RFC3339Nano)}}
	status, body, err := p.call(ctx, http.MethodGet, "/mockbank/v1/statement?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, errs.E(errs.Unavailable, "mock bank statement: HTTP %d: %s", status, bankMessage(body))
	}
	var resp struct {
		Transactions []json.RawMessage `json:"transactions"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "mock bank statement is not JSON")
	}
	out := make([]provider.Notification, 0, len(resp.Transactions))
	for i, raw := range resp.Transactions {
		n, err := decodeWebhook(raw)
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "mock bank statement line %d is malformed", i)
		}
		out = append(out, n)
	}
	return out, nil
}

// Refund asks the bank to return req.Amount of the transfer
// req.ProviderRef (the transfer id the webhook carried as EventID; a
// reference code works too) to its payer. The bank dedupes on RefundID.
// Errors: Invalid (refused: no such transfer, more than remains, the
// RefundID reused for something else — the result says Failed),
// Unavailable (unreachable or 5xx/401: the outcome is unknown, retry).
func (p *Provider) Refund(ctx context.Context, req provider.RefundRequest) (provider.RefundResult, error) {
	if req.ProviderRef == "" {
		return provider.RefundResult{Status: provider.RefundFailed, Message: "no transfer reference"},
			errs.Field("provider_ref", "the payment has no bank transfer id to refund")
	}
	body, _ := json.Marshal(RefundRequest{RefundID: req.RefundID, TransferID: Ref(req.ProviderRef), Amount: Dong(req.Amount.Dong())})
	status, resp, err := p.call(ctx, http.MethodPost, "/mockbank/v1/refunds", body)
	if err != nil {
		return provider.RefundResult{}, err
	}
	switch {
	case status == http.StatusCreated || status == http.StatusOK:
		var r Refund
		if err := json.Unmarshal(resp, &r); err != nil {
			return provider.RefundResult{}, errs.Wrap(errs.Unavailable, err, "mock bank refund answer is not JSON")
		}
		return provider.RefundResult{Status: provider.RefundSucceeded, ProviderRef: r.ReferenceCode,
			Message: fmt.Sprintf("refunded %d đồng; %d remaining", r.Amount, r.Remaining)}, nil
	case status >= 400 && status < 500 && status != http.StatusUnauthorized && status != http.StatusTooManyRequests:
		msg := bankMessage(resp)
		return provider.RefundResult{Status: provider.RefundFailed, Message: msg},
			errs.E(errs.Invalid, "mock bank refused the refund: %s", msg)
	}
	return provider.RefundResult{}, errs.E(errs.Unavailable, "mock bank refund: HTTP %d: %s", status, bankMessage(resp))
}

// call makes one authenticated request and returns the status and body.
// Errors: Unavailable when no answer came back.
func (p *Provider) call(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.cfg.BaseURL+path, rd)
	if err != nil {
		return 0, nil, errs.Wrap(errs.Unavailable, err, "mock bank request")
	}
	req.Header.Set("Authorization", "Bearer "+p.cfg.Secret)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.cfg.Client.Do(req)
	if err != nil {
		// The error text holds the URL, never the Authorization header.
		return 0, nil, errs.Wrap(errs.Unavailable, err, "mock bank unreachable")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, nil, errs.Wrap(errs.Unavailable, err, "mock bank answer cut short")
	}
	return resp.StatusCode, b, nil
}

// bankMessage extracts the message of a bank *Error body, for humans.
func bankMessage(body []byte) string {
	var e Error
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		if e.Code != "" {
			return e.Code + ": " + e.Message
		}
		return e.Message
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return strings.TrimSpace(string(body))
}
