package app

import (
	"context"
	"time"

	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
)

// PaymentStore persists payments, the transfer inbox, refunds, the journal,
// rollups, stall events and idempotency records.
type PaymentStore interface {
	// CreatePayment errors: Conflict (field order_code) on a code collision.
	CreatePayment(ctx context.Context, p *payment.Payment) error
	// PaymentByID errors: NotFound. lock holds the row until the transaction ends.
	PaymentByID(ctx context.Context, id string, lock bool) (*payment.Payment, error)
	// PaymentByCode errors: NotFound.
	PaymentByCode(ctx context.Context, code string, lock bool) (*payment.Payment, error)
	// UpdatePayment writes the mutable fields (amounts, status, flags, refs, times).
	UpdatePayment(ctx context.Context, p *payment.Payment) error
	ListPayments(ctx context.Context, f PaymentFilter) ([]payment.Payment, error)
	// ExpirePayments marks pending payments past their expiry as expired and
	// returns them.
	ExpirePayments(ctx context.Context, now time.Time, limit int) ([]payment.Payment, error)
	// StallsByAccount returns the stalls paid into this bank account.
	StallsByAccount(ctx context.Context, bin, account string) ([]market.Stall, error)

	// InsertTransfer records t unless (Provider, EventID) is already there;
	// it returns false for a duplicate. Concurrent inserts of one event wait
	// for each other, so exactly one returns true.
	InsertTransfer(ctx context.Context, t *payment.Transfer) (bool, error)
	ListTransfers(ctx context.Context, f TransferFilter) ([]payment.Transfer, error)

	// AppendJournal appends a balanced entry.
	AppendJournal(ctx context.Context, entryID string, e payment.Entry, ref JournalRef, at time.Time) error
	// AddDaily adds d to the sharded per-stall, per-day rollup and, when
	// d's day is already sealed (see SealRollups), to the summaries.
	AddDaily(ctx context.Context, d DailyDelta) error
	// AppendEvent records an event for a stall's live stream and returns its id.
	AppendEvent(ctx context.Context, stallID, typ string, data []byte, at time.Time) (int64, error)
	// EventsAfter returns events with id > AfterID (optionally only of one
	// stall, optionally also any created since Since), oldest first.
	EventsAfter(ctx context.Context, f EventFilter) ([]StallEvent, error)

	CreateRefund(ctx context.Context, r *payment.Refund) error
	// RefundByID errors: NotFound.
	RefundByID(ctx context.Context, id string, lock bool) (*payment.Refund, error)
	UpdateRefund(ctx context.Context, r *payment.Refund) error
	ListRefunds(ctx context.Context, paymentID string) ([]payment.Refund, error)
	// PendingRefunds lists refunds still pending that were created before.
	PendingRefunds(ctx context.Context, before time.Time, limit int) ([]payment.Refund, error)

	// ClaimIdempotency inserts an in-flight record for (UserID, Key) and
	// returns nil, or returns the existing record without changing it.
	ClaimIdempotency(ctx context.Context, r IdemRecord) (*IdemRecord, error)
	// TakeOverIdempotency re-leases a stale in-flight record (its holder
	// crashed); false when someone else holds a live lease or it completed.
	TakeOverIdempotency(ctx context.Context, userID, key string, now, until time.Time) (bool, error)
	// CompleteIdempotency stores the response of a claimed key.
	CompleteIdempotency(ctx context.Context, userID, key string, status int, body []byte) error
	// ReleaseIdempotency forgets an in-flight key whose command failed.
	ReleaseIdempotency(ctx context.Context, userID, key string) error

	// Audit runs the invariant checks and returns one line per violation.
	Audit(ctx context.Context) ([]string, error)
}

// PaymentFilter narrows ListPayments.
type PaymentFilter struct {
	Page
	StallID string
	Status  payment.Status
	From    time.Time // created_at ≥ From when set
	To      time.Time // created_at < To when set
}

// TransferFilter narrows ListTransfers.
type TransferFilter struct {
	Page
	Outcomes   []payment.Outcome
	DistrictID string
	From, To   time.Time // received_at window
	Unreviewed bool
}

// JournalRef ties a journal entry to what caused it.
type JournalRef struct {
	Provider  string
	EventID   string
	StallID   string
	PaymentID string
	RefundID  string
}

// DailyDelta is an increment to a stall's rollup for one business day.
type DailyDelta struct {
	StallID, MarketID, DistrictID string
	Day                           string // YYYY-MM-DD, Asia/Ho_Chi_Minh
	Provider                      string
	Shard                         int
	Payments, Amount              int64
	Refunds, Refunded             int64
}

// StallEvent is one entry of a stall's live stream.
type StallEvent struct {
	ID        int64
	StallID   string
	Type      string
	Data      []byte
	CreatedAt time.Time
}

// EventFilter narrows EventsAfter.
type EventFilter struct {
	StallID string
	AfterID int64
	Since   time.Time
	Limit   int
}

// IdemRecord is a stored Idempotency-Key.
type IdemRecord struct {
	UserID, Key, RequestHash string
	Done                     bool
	StatusCode               int
	Response                 []byte
	CreatedAt, LockedUntil   time.Time
}
