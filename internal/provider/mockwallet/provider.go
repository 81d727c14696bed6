package mockwallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/pkg/money"
	"github.com/market4/market4/pkg/vietqr"
)

// DefaultTolerance is how far an IPN's responseTime may be from now.
const DefaultTolerance = 5 * time.Minute

// ProviderConfig configures the platform's side of the wallet.
type ProviderConfig struct {
	PartnerCode, AccessKey string
	SecretKey              string // never logged
	// BaseURL is the wallet's API base, e.g. http://127.0.0.1:9090
	// (/mockwallet/v2/... is appended).
	BaseURL string
	// Client makes API calls. Default: 10 s timeout.
	Client *http.Client
	// Now is the clock used when ParseWebhook is given a zero time.
	// Default time.Now.
	Now func() time.Time
	// Tolerance is the IPN responseTime window. Default 5 min.
	Tolerance time.Duration
}

// LogValue keeps the secret key out of logs.
func (c ProviderConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("partner_code", c.PartnerCode), slog.String("base_url", c.BaseURL),
		slog.String("secret_key", "****"))
}

// Provider is the platform's adapter for the wallet. Safe for concurrent use.
type Provider struct {
	cfg ProviderConfig
}

var _ provider.Provider = (*Provider)(nil)

// NewProvider builds the adapter. With an empty SecretKey every IPN is
// refused.
func NewProvider(cfg ProviderConfig) *Provider {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = DefaultTolerance
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Provider{cfg: cfg}
}

// Name returns provider.MockWallet.
func (p *Provider) Name() string { return provider.MockWallet }

// wireIPN is IPN with every field optional, so a missing field is told
// from a zero one.
type wireIPN struct {
	PartnerCode  *string `json:"partnerCode"`
	OrderID      *string `json:"orderId"`
	RequestID    *string `json:"requestId"`
	Amount       *int64  `json:"amount"`
	OrderInfo    *string `json:"orderInfo"`
	OrderType    *string `json:"orderType"`
	TransID      *int64  `json:"transId"`
	ResultCode   *int    `json:"resultCode"`
	Message      *string `json:"message"`
	PayType      *string `json:"payType"`
	ResponseTime *int64  `json:"responseTime"`
	ExtraData    *string `json:"extraData"`
	Signature    *string `json:"signature"`
}

// ParseWebhook verifies and parses an IPN. The signature lives inside the
// body, so the body is first read only as far as needed to rebuild the
// signed string — one JSON object whose signed fields are all present with
// their JSON types, else BadSignature ("malformed IPN": it cannot be
// verified) — then the signature is compared in constant time, then
// responseTime must be within the tolerance of now, and only then are the
// values judged (Invalid). Headers are not used. A zero now means Now().
//
// EventID is the transId for a payment (resultCode 0) and
// orderId:resultCode for a failed one, whose transId the merchant has no
// use for.
func (p *Provider) ParseWebhook(_ http.Header, body []byte, now time.Time) (provider.Notification, error) {
	var w wireIPN
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return provider.Notification{}, errs.Wrap(errs.BadSignature, err, "malformed IPN")
	}
	if _, err := dec.Token(); err != io.EOF {
		return provider.Notification{}, errs.E(errs.BadSignature, "malformed IPN: data after the JSON object")
	}
	if w.Signature == nil || *w.Signature == "" {
		return provider.Notification{}, errs.E(errs.BadSignature, "missing signature")
	}
	var missing errs.Fields
	for _, f := range []struct {
		name    string
		present bool
	}{{"partnerCode", w.PartnerCode != nil}, {"orderId", w.OrderID != nil}, {"requestId", w.RequestID != nil},
		{"amount", w.Amount != nil}, {"orderInfo", w.OrderInfo != nil}, {"orderType", w.OrderType != nil},
		{"transId", w.TransID != nil}, {"resultCode", w.ResultCode != nil}, {"message", w.Message != nil},
		{"payType", w.PayType != nil}, {"responseTime", w.ResponseTime != nil}, {"extraData", w.ExtraData != nil}} {
		missing.Check(f.present, f.name, "is required")
	}
	if len(missing) > 0 {
		return provider.Notification{}, &errs.Error{Code: errs.BadSignature, Message: "malformed IPN: signed fields missing", Fields: missing}
	}
	n := IPN{PartnerCode: *w.PartnerCode, OrderID: *w.OrderID, RequestID: *w.RequestID, Amount: *w.Amount,
		OrderInfo: *w.OrderInfo, OrderType: *w.OrderType, TransID: *w.TransID, ResultCode: *w.ResultCode,
		Message: *w.Message, PayType: *w.PayType, ResponseTime: *w.ResponseTime, ExtraData: *w.ExtraData}
	if !verify(p.cfg.SecretKey, n.RawSignature(p.cfg.AccessKey), *w.Signature) {
		return provider.Notification{}, errs.E(errs.BadSignature, "signature mismatch")
	}
	if now.IsZero() {
		now = p.cfg.Now()
	}
	at := time.UnixMilli(n.ResponseTime).UTC()
	if d := now.Sub(at); d > p.cfg.Tolerance || d < -p.cfg.Tolerance {
		return provider.Notification{}, errs.E(errs.BadSignature, "stale responseTime")
	}
	if n.PartnerCode != p.cfg.PartnerCode {
		return provider.Notification{}, errs.Field("partnerCode", "is not this merchant's")
	}
	return toNotification(n, at)
}

// toNotification judges the values of an authenticated IPN or statement
// line. Errors: Invalid naming the field.
func toNotification(n IPN, at time.Time) (provider.Notification, error) {
	var fs errs.Fields
	fs.Check(validID(n.OrderID), "orderId", "must be 1–50 letters, digits or -_.")
	fs.Check(n.Amount > 0 && n.Amount < 500_000_000, "amount", "must be from 1 to 499999999 đồng")
	paid := n.ResultCode == ResultOK
	fs.Check(!paid || n.TransID > 0, "transId", "must be positive for a payment")
	fs.Check(n.TransID >= 0, "transId", "must not be negative")
	if err := fs.Err(); err != nil {
		return provider.Notification{}, err
	}
	out := provider.Notification{
		Provider:  provider.MockWallet,
		EventID:   n.OrderID + ":" + strconv.Itoa(n.ResultCode),
		Account:   n.PartnerCode,
		Amount:    money.FromDong(n.Amount),
		Content:   n.OrderInfo,
		OrderCode: n.OrderID,
		Reference: strconv.FormatInt(n.TransID, 10),
		Incoming:  true,
		At:        at,
		Success:   paid,
	}
	if paid {
		out.EventID = out.Reference
	}
	return out, nil
}

// Ack answers as MoMo expects: 204 No Content once recorded, 500 so the
// wallet retries otherwise.
func (p *Provider) Ack(ok bool) (int, string, []byte) {
	if ok {
		return http.StatusNoContent, "", nil
	}
	return http.StatusInternalServerError, "application/json", []byte(`{"message":"not recorded, retry"}`)
}

// Create opens a wallet order for req.OrderCode. The requestId is the
// order code, so retrying a Create whose answer was lost is idempotent at
// the wallet. ProviderRef is the wallet's orderId (MoMo assigns no id of
// its own until the payment: the transId comes with the IPN).
// Errors: Invalid (the wallet refused the order: amount outside 1,000 –
// 50,000,000 đ, malformed fields, no NotifyURL), Conflict (the order code
// exists at the wallet with other details), Unavailable (unreachable, 5xx,
// or our credentials refused).
func (p *Provider) Create(ctx context.Context, req provider.CreateRequest) (provider.CreateResult, error) {
	if req.NotifyURL == "" {
		return provider.CreateResult{}, errs.Field("notify_url", "the wallet needs an IPN URL")
	}
	info := req.Description
	if info == "" {
		info = "Thanh toan don hang " + req.OrderCode
	}
	cr := CreateRequest{PartnerCode: p.cfg.PartnerCode, RequestID: req.OrderCode, Amount: req.Amount.Dong(),
		OrderID: req.OrderCode, OrderInfo: info, RedirectURL: req.ReturnURL, IPNURL: req.NotifyURL,
		RequestType: "captureWallet", Lang: "vi"}
	cr.Signature = Sign(p.cfg.SecretKey, cr.RawSignature(p.cfg.AccessKey))
	var resp CreateResponse
	if err := p.call(ctx, "/mockwallet/v2/gateway/api/create", cr, &resp); err != nil {
		return provider.CreateResult{}, err
	}
	switch resp.ResultCode {
	case ResultOK:
		return provider.CreateResult{ProviderRef: resp.OrderID, PayURL: resp.PayURL, QRPayload: resp.QRCodeURL}, nil
	case ResultDuplicateOrder, ResultDuplicateRequest:
		return provider.CreateResult{}, errs.E(errs.Conflict, "wallet: %s", resp.Message)
	case ResultInvalidAmount, ResultAmountOutOfRange:
		return provider.CreateResult{}, &errs.Error{Code: errs.Invalid, Message: "wallet: " + resp.Message,
			Fields: []errs.FieldError{{Field: "amount", Message: resp.Message}}}
	case ResultBadFormat:
		return provider.CreateResult{}, errs.E(errs.Invalid, "wallet: %s", resp.Message)
	}
	return provider.CreateResult{}, errs.E(errs.Unavailable, "wallet: resultCode %d: %s", resp.ResultCode, resp.Message)
}

// Statement lists the payments made in [from, to).
// Errors: Unavailable.
func (p *Provider) Statement(ctx context.Context, from, to time.Time) ([]provider.Notification, error) {
	f, t := from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano)
	q := url.Values{"partnerCode": {p.cfg.PartnerCode}, "from": {f}, "to": {t},
		"signature": {Sign(p.cfg.SecretKey, StatementRawSignature(p.cfg.AccessKey, p.cfg.PartnerCode, f, t))}}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.BaseURL+"/mockwallet/v1/statement?"+q.Encode(), nil)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "wallet statement request")
	}
	status, body, err := p.do(httpReq)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, errs.E(errs.Unavailable, "wallet statement: HTTP %d", status)
	}
	var st Statement
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "wallet statement is not JSON")
	}
	out := make([]provider.Notification, 0, len(st.Transactions))
	for i, line := range st.Transactions {
		n, err := toNotification(line, time.UnixMilli(line.ResponseTime).UTC())
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "wallet statement line %d is malformed", i)
		}
		out = append(out, n)
	}
	return out, nil
}

// Refund returns req.Amount of a paid order. The wallet needs the
// payment's transId: req.ProviderRef when it is one (all digits and not
// the order code itself), otherwise it is looked up with a query on
// req.OrderCode. The refund's own MoMo orderId and requestId are
// req.RefundID, so retries are deduplicated by the wallet.
// Errors: Invalid (refused: nothing left to refund, unknown or unpaid
// order, amount out of range, RefundID reused — the result says Failed),
// Unavailable (unreachable, 5xx, credentials refused: outcome unknown).
func (p *Provider) Refund(ctx context.Context, req provider.RefundRequest) (provider.RefundResult, error) {
	failed := func(msg string) (provider.RefundResult, error) {
		return provider.RefundResult{Status: provider.RefundFailed, Message: msg}, errs.E(errs.Invalid, "wallet refused the refund: %s", msg)
	}
	transID, err := strconv.ParseInt(req.ProviderRef, 10, 64)
	if err != nil || transID <= 0 || req.ProviderRef == req.OrderCode {
		orderID := req.OrderCode
		if orderID == "" {
			orderID = req.ProviderRef
		}
		if orderID == "" {
			return failed("no order code or transId to refund")
		}
		qr := QueryRequest{PartnerCode: p.cfg.PartnerCode, RequestID: "q-" + req.RefundID, OrderID: orderID, Lang: "vi"}
		qr.Signature = Sign(p.cfg.SecretKey, qr.RawSignature(p.cfg.AccessKey))
		var q QueryResponse
		if err := p.call(ctx, "/mockwallet/v2/gateway/api/query", qr, &q); err != nil {
			return provider.RefundResult{}, err
		}
		switch q.ResultCode {
		case ResultOK:
			transID = q.TransID
		case ResultOrderNotFound, ResultPending, ResultDeclined:
			return failed(q.Message)
		default:
			return provider.RefundResult{}, errs.E(errs.Unavailable, "wallet query: resultCode %d: %s", q.ResultCode, q.Message)
		}
	}
	rr := RefundRequest{PartnerCode: p.cfg.PartnerCode, OrderID: req.RefundID, RequestID: req.RefundID,
		Amount: req.Amount.Dong(), TransID: transID, Lang: "vi", Description: asciiLine(req.Reason)}
	rr.Signature = Sign(p.cfg.SecretKey, rr.RawSignature(p.cfg.AccessKey))
	var resp RefundResponse
	if err := p.call(ctx, "/mockwallet/v2/gateway/api/refund", rr, &resp); err != nil {
		return provider.RefundResult{}, err
	}
	switch resp.ResultCode {
	case ResultOK:
		return provider.RefundResult{Status: provider.RefundSucceeded, ProviderRef: strconv.FormatInt(resp.TransID, 10),
			Message: resp.Message}, nil
	case ResultProcessing, ResultPending:
		return provider.RefundResult{Status: provider.RefundPending, Message: resp.Message}, nil
	case ResultOrderNotFound, ResultRefundRejected, ResultInvalidAmount, ResultAmountOutOfRange, ResultBadFormat,
		ResultDuplicateOrder, ResultDuplicateRequest:
		return failed(fmt.Sprintf("%d %s", resp.ResultCode, resp.Message))
	}
	return provider.RefundResult{}, errs.E(errs.Unavailable, "wallet refund: resultCode %d: %s", resp.ResultCode, resp.Message)
}

// call POSTs a MoMo request and decodes the answer, whatever the HTTP
// status (MoMo's result is in the body). Errors: Unavailable when no
// parseable answer came back.
func (p *Provider) call(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encode wallet request")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.BaseURL+path, bytes.NewReader(b))
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "wallet request")
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	status, body, err := p.do(req)
	if err != nil {
		return err
	}
	if status >= 500 {
		return errs.E(errs.Unavailable, "wallet: HTTP %d", status)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return errs.Wrap(errs.Unavailable, err, "wallet answer (HTTP %d) is not JSON", status)
	}
	return nil
}

func (p *Provider) do(req *http.Request) (int, []byte, error) {
	resp, err := p.cfg.Client.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 0, nil, errs.Wrap(errs.Unavailable, err, "wallet call cancelled")
		}
		return 0, nil, errs.Wrap(errs.Unavailable, err, "wallet unreachable")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, nil, errs.Wrap(errs.Unavailable, err, "wallet answer cut short")
	}
	return resp.StatusCode, body, nil
}

// asciiLine transliterates a refund description to printable ASCII within
// MoMo's 255-byte limit: the signed raw string must be the same bytes on
// both sides, whatever a JSON library does with other characters.
func asciiLine(s string) string {
	s = vietqr.ASCII(s)
	if len(s) > 255 {
		s = s[:255]
	}
	return s
}

// DevProviderConfig is the adapter configuration matching a simulator
// started with the development keys (mockwallet.Config{} defaults) at
// baseURL — what the demo wires.
func DevProviderConfig(baseURL string) ProviderConfig {
	return ProviderConfig{PartnerCode: DevPartnerCode, AccessKey: DevAccessKey, SecretKey: DevSecretKey, BaseURL: baseURL}
}
