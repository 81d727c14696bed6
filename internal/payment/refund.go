package payment

import (
	"time"

	"github.com/market4/market4/pkg/money"
)

// RefundStatus is where a refund is: pending at the provider, then
// succeeded or failed.
type RefundStatus string

// Refund statuses.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
)

// Refund sends part or all of a payment back to the payer.
type Refund struct {
	ID          string
	PaymentID   string
	StallID     string
	Amount      money.Amount
	Reason      string
	Status      RefundStatus
	ProviderRef string
	Message     string // provider's reason when failed
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}
