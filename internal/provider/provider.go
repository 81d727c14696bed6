// Package provider is the boundary between Market4 and the payment
// providers (banks' transfer notification services, e-wallets). The use
// cases depend only on the types here; each provider lives in a
// sub-package (mockbank, mockwallet) implementing Provider, and cmd/ wires
// the concrete ones.
package provider

import (
	"context"
	"net/http"
	"time"

	"github.com/market4/market4/pkg/money"
)

// Names of the providers wired today.
const (
	MockBank   = "mockbank"   // VietQR bank transfers, notified SePay-style
	MockWallet = "mockwallet" // e-wallet orders with MoMo-style IPN
)

// Notification is one incoming money movement as a provider reports it,
// normalised. It is what a webhook, an IPN or a statement line becomes.
type Notification struct {
	Provider  string       // MockBank, MockWallet, ...
	EventID   string       // the provider's unique id of this transfer; the inbox dedupes on (Provider, EventID)
	BankBIN   string       // receiving bank BIN when known ("" if the provider only names the account)
	Account   string       // receiving account number (bank) or merchant code (wallet)
	Amount    money.Amount // whole đồng, > 0
	Content   string       // transfer content / order info as the payer's bank delivered it (may be mangled)
	OrderCode string       // our order code when the provider echoes it explicitly (wallet orderId); "" for banks
	Reference string       // the provider's own reference (bank referenceCode, wallet transId)
	Incoming  bool         // true for money in; outgoing movements are acknowledged and ignored
	At        time.Time    // when the provider says it happened (UTC)
	Success   bool         // false for a wallet IPN reporting a failed/canceled payment
}

// CreateRequest asks a provider to open a payment for an order we created.
type CreateRequest struct {
	OrderCode   string       // our order code, [A-Z0-9]
	Amount      money.Amount // whole đồng
	Description string       // ASCII, short
	ExpiresAt   time.Time
	NotifyURL   string // where the provider must send its IPN/webhook
	ReturnURL   string // where the payer's browser returns (wallet)
}

// CreateResult is what the payer is shown.
type CreateResult struct {
	ProviderRef string // provider's id of the order ("" when none)
	PayURL      string // a page the payer opens (wallet)
	QRPayload   string // a QR to scan ("" when the caller renders its own VietQR)
}

// RefundRequest asks the provider to send money back to the payer.
type RefundRequest struct {
	RefundID    string       // our refund id; providers dedupe on it, so retrying is safe
	OrderCode   string       // the original payment's order code
	ProviderRef string       // the original payment's provider reference (transfer id or transId)
	Amount      money.Amount // ≤ what remains refundable
	Reason      string
}

// RefundStatus is the provider's answer to a refund.
type RefundStatus string

// Refund outcomes.
const (
	RefundPending   RefundStatus = "pending"   // accepted, final answer later
	RefundSucceeded RefundStatus = "succeeded" // money sent back
	RefundFailed    RefundStatus = "failed"    // refused; nothing moved
)

// RefundResult is the provider's answer to a refund request.
type RefundResult struct {
	Status      RefundStatus
	ProviderRef string
	Message     string
}

// Provider is one payment provider.
type Provider interface {
	// Name is the provider's constant name (MockBank, ...).
	Name() string
	// ParseWebhook verifies a webhook/IPN request — signature over the raw
	// body in constant time, timestamp within tolerance of now — and parses
	// it. It must not trust anything before the signature is checked.
	// Errors: *errs.Error with Code BadSignature (missing, malformed, wrong
	// or stale signature) or Invalid (well signed but malformed body).
	ParseWebhook(h http.Header, body []byte, now time.Time) (Notification, error)
	// Ack renders the acknowledgement the provider expects, for a
	// notification that was recorded (ok) or could not be (!ok, so the
	// provider retries).
	Ack(ok bool) (status int, contentType string, body []byte)
	// Create opens a payment at the provider (wallets); bank QR payments
	// need no call and return an empty result.
	// Errors: Unavailable when the provider cannot be reached.
	Create(ctx context.Context, req CreateRequest) (CreateResult, error)
	// Statement lists every incoming movement in [from, to) — what
	// reconciliation compares with what the webhooks delivered.
	// Errors: Unavailable.
	Statement(ctx context.Context, from, to time.Time) ([]Notification, error)
	// Refund asks for money back to the payer; idempotent on RefundID.
	// Errors: Unavailable (unknown outcome: the caller keeps the refund
	// pending and retries), Invalid (refused outright).
	Refund(ctx context.Context, req RefundRequest) (RefundResult, error)
}
