package mockbank

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/market4/market4/internal/provider/delivery"
	"github.com/market4/market4/pkg/money"
	"github.com/market4/market4/pkg/vietqr"
)

// Config configures the simulator. Only Secret is required.
type Config struct {
	// Secret signs webhooks and authenticates statement and refund calls
	// (Authorization: Bearer <Secret>). Never logged.
	Secret string
	// PlatformURL is the platform's base URL; notifications go to
	// PlatformURL + WebhookPath. Default http://localhost:8080.
	PlatformURL string
	// Client sends notifications. Default: a client with a 10 s timeout.
	Client *http.Client
	// Now is the bank's clock (transaction dates, signature timestamps,
	// attempt times). Default time.Now.
	Now func() time.Time
	// Backoff is the wait after a copy's first failed attempt; it doubles
	// after each further failure up to MaxBackoff. Default 1 s. There is no
	// jitter, so tests see exactly the traffic they expect.
	Backoff time.Duration
	// MaxBackoff caps the wait between attempts. Default 5 min.
	MaxBackoff time.Duration
	// MaxAttempts is how many times each copy of a notification is tried
	// before the bank gives up (the statement still lists the transfer).
	// Default 10: with the defaults, about 8.5 minutes of retries.
	MaxAttempts int
	// HoldTimeout bounds how long an out_of_order notification waits for the
	// next one. Default 1 min.
	HoldTimeout time.Duration
	// Logger receives delivery logs. Default slog.Default().
	Logger *slog.Logger
	// Shoppers are the payer accounts. Default DefaultShoppers().
	Shoppers []Shopper
	// FirstID is the id of the first movement. Default: the start time in
	// Unix seconds × 1,000,000, so a restarted simulator never reuses an id
	// the platform's inbox has already seen (it would drop the new transfer
	// as a duplicate), while ids stay below 2^53 for JavaScript tools.
	FirstID int64
	// InOnly notifies credits only. By default the debit of a payee account
	// by a refund is notified too, as transferType "out" (SePay notifies
	// both directions unless filtered), which the platform must acknowledge
	// and ignore.
	InOnly bool
}

// LogValue keeps the secret out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("platform_url", c.PlatformURL), slog.String("secret", "****"),
		slog.Duration("backoff", c.Backoff), slog.Int("max_attempts", c.MaxAttempts))
}

// Shopper is a payer's account at the bank.
type Shopper struct {
	Number  string `json:"number"`
	Name    string `json:"name"`
	BIN     string `json:"bin"`
	Balance int64  `json:"balance"` // whole đồng
}

// DefaultShoppers are the seeded payers: four people at four banks with
// 5,000,000 đ each.
func DefaultShoppers() []Shopper {
	return []Shopper{
		{Number: "0101000001", Name: "Nguyễn Văn An", BIN: "970436", Balance: 5_000_000},  // Vietcombank
		{Number: "0101000002", Name: "Trần Thị Bình", BIN: "970407", Balance: 5_000_000},  // Techcombank
		{Number: "0101000003", Name: "Lê Hoàng Cường", BIN: "970422", Balance: 5_000_000}, // MBBank
		{Number: "0101000004", Name: "Phạm Thị Dung", BIN: "970418", Balance: 5_000_000},  // BIDV
	}
}

// Dong is a whole-đồng amount in the bank's API. It marshals as a JSON
// integer (SePay's style) and accepts either an integer or a string of
// digits, so both bank-style and Market4-style clients can call it.
type Dong int64

// UnmarshalJSON accepts 50000 or "50000".
func (d *Dong) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if !allDigits(s) || len(s) > 15 {
		return errors.New("amount must be a whole number of đồng")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("amount must be a whole number of đồng")
	}
	*d = Dong(n)
	return nil
}

// Ref names a transfer by its numeric id or by its reference code. In JSON
// it may be a number or a string.
type Ref string

// UnmarshalJSON accepts 1795000000000001 or "1795000000000001" or "FT25326…".
func (r *Ref) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*r = Ref(s)
		return nil
	}
	if allDigits(string(b)) {
		*r = Ref(b)
		return nil
	}
	return errors.New("transfer_id must be a transfer id or reference code")
}

// TransferRequest is a shopper paying a scanned VietQR.
type TransferRequest struct {
	FromAccount string `json:"from_account"`
	QRPayload   string `json:"qr_payload"`
	// Amount is required for a static QR. For a QR with an amount it may
	// differ (some apps let the payer edit it): the transfer is then for
	// Amount, which is how tests produce partial and over-payments.
	Amount Dong `json:"amount,omitempty"`
	// Faults, when present, replace the global faults for this transfer.
	Faults *Faults `json:"faults,omitempty"`
}

// Transaction is one movement as the simulator's API shows it.
type Transaction struct {
	ID            int64  `json:"id"`
	Type          string `json:"type"` // "transfer" (shopper → payee) or "refund" (payee → shopper)
	ReferenceCode string `json:"reference_code"`
	FromBIN       string `json:"from_bin"`
	FromAccount   string `json:"from_account"`
	FromName      string `json:"from_name,omitempty"`
	ToBIN         string `json:"to_bin"`
	ToAccount     string `json:"to_account"`
	ToName        string `json:"to_name,omitempty"`
	Amount        int64  `json:"amount"`
	// QRAmount is the amount the QR asked for (0 for a static QR);
	// AmountEdited says the payer changed it.
	QRAmount     int64  `json:"qr_amount,omitempty"`
	AmountEdited bool   `json:"amount_edited,omitempty"`
	QRPayload    string `json:"qr_payload,omitempty"`
	// OriginalContent is what the payer's app sent; Content is what the
	// bank delivers after mangling.
	OriginalContent string    `json:"original_content"`
	Content         string    `json:"content"`
	Description     string    `json:"description"`
	CreatedAt       time.Time `json:"created_at"`
	Refunded        int64     `json:"refunded"`            // transfers: sum of refunds
	RefundOf        int64     `json:"refund_of,omitempty"` // refunds: the transfer refunded
	RefundID        string    `json:"refund_id,omitempty"`
	Faults          Faults    `json:"faults"`
	// Delivery is the notification's state: "pending", "held"
	// (out_of_order), "delivered" (some copy was acknowledged), "failed"
	// (every copy exhausted its attempts) or "none" (not notified).
	Delivery string    `json:"delivery"`
	Attempts []Attempt `json:"attempts"`
	Webhook  Webhook   `json:"webhook"`
}

// Delivery states.
const (
	DeliveryPending   = delivery.Pending
	DeliveryHeld      = delivery.Held
	DeliveryDelivered = delivery.Delivered
	DeliveryFailed    = delivery.Failed
	DeliveryNone      = delivery.None
)

// Attempt is one try at delivering one copy of a notification: Copy 0 is
// the original, 1…N the duplicates; N counts from 1 within the copy;
// Status is 0 when nothing came back.
type Attempt = delivery.Attempt

// Entry is one line of an account's history.
type Entry struct {
	TransactionID       int64     `json:"transaction_id"`
	Type                string    `json:"type"` // "debit" or "credit"
	Amount              int64     `json:"amount"`
	Balance             int64     `json:"balance"` // after the movement
	At                  time.Time `json:"at"`
	CounterpartyBIN     string    `json:"counterparty_bin"`
	CounterpartyAccount string    `json:"counterparty_account"`
	Content             string    `json:"content"`
	ReferenceCode       string    `json:"reference_code"`
}

// Account is a shopper or a credited payee account with its balance.
type Account struct {
	BIN     string `json:"bin"`
	Bank    string `json:"bank"`
	Number  string `json:"number"`
	Name    string `json:"name,omitempty"`
	Balance int64  `json:"balance"`
}

// RefundRequest asks the bank to return (part of) a transfer to its payer.
type RefundRequest struct {
	RefundID   string `json:"refund_id"`   // the caller's id; the bank dedupes on it
	TransferID Ref    `json:"transfer_id"` // the transfer's id (or reference code)
	Amount     Dong   `json:"amount"`      // ≤ transfer amount − already refunded
}

// Refund is the bank's record of a refund.
type Refund struct {
	RefundID      string    `json:"refund_id"`
	TransferID    int64     `json:"transfer_id"`
	TransactionID int64     `json:"transaction_id"` // the payee-debit movement
	ReferenceCode string    `json:"reference_code"`
	Amount        int64     `json:"amount"`
	Status        string    `json:"status"` // "succeeded"
	RefundedTotal int64     `json:"refunded_total"`
	Remaining     int64     `json:"remaining"`
	CreatedAt     time.Time `json:"created_at"`
}

// Error is the bank's refusal as its API renders it. It is the wire format
// of a foreign system, deliberately not internal/errs: the adapter
// translates it into errs codes.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Rule    string `json:"rule,omitempty"` // the broken VietQR rule (vietqr.Rule*)
	Tag     string `json:"tag,omitempty"`  // the VietQR tag at fault
}

func (e *Error) Error() string { return "mockbank: " + e.Code + ": " + e.Message }

func bad(code, field, msg string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: code, Field: field, Message: msg}
}

// The bank's error codes.
const (
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidQR         = "invalid_qr"
	CodeUnknownAccount    = "unknown_account"
	CodeAccountExists     = "account_exists"
	CodeAmountRequired    = "amount_required"
	CodeAmountOutOfRange  = "amount_out_of_range"
	CodeInsufficientFunds = "insufficient_funds"
	CodeNotFound          = "not_found"
	CodeUnauthorized      = "unauthorized"
	CodeRefundExceeds     = "refund_exceeds_remaining"
	CodeRefundIDReused    = "refund_id_reused"
	CodeClosed            = "closed"
)

// Bank is the simulator: the payers' banks, NAPAS and the payees' banks in
// one process, plus a SePay-style notification service watching every
// payee account. Safe for concurrent use.
type Bank struct {
	cfg Config
	log *slog.Logger
	out *delivery.Sender // delivers the notifications; their state is guarded by mu
	mux *http.ServeMux

	mu       sync.Mutex
	nextID   int64
	faults   Faults
	shoppers map[string]*shopperAcct
	order    []string // shopper numbers in creation order
	payees   map[string]*payeeAcct
	txns     []*txn // by id (ids increase)
	byID     map[int64]*txn
	byRef    map[string]*txn
	refunds  map[string]*refundRecord
}

type shopperAcct struct {
	Shopper
	entries []Entry
}

type payeeAcct struct {
	bin, number, name string
	balance           int64
	entries           []Entry
}

type txn struct {
	t    Transaction   // Delivery and Attempts are filled in by snapshot
	body []byte        // the webhook body, fixed at creation
	job  *delivery.Job // the notification; nil when not notified
}

type refundRecord struct {
	req      RefundRequest
	refund   Refund
	err      *Error
	replayed bool
}

// New builds a simulator. It panics when cfg.Secret is empty: a bank that
// signs with an empty key authenticates nothing.
func New(cfg Config) *Bank {
	if cfg.Secret == "" {
		panic("mockbank: Config.Secret is required")
	}
	if cfg.PlatformURL == "" {
		cfg.PlatformURL = "http://localhost:8080"
	}
	cfg.PlatformURL = strings.TrimRight(cfg.PlatformURL, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Shoppers == nil {
		cfg.Shoppers = DefaultShoppers()
	}
	if cfg.FirstID <= 0 {
		cfg.FirstID = cfg.Now().Unix() * 1_000_000
	}
	b := &Bank{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "mockbank"),
		nextID:   cfg.FirstID,
		shoppers: map[string]*shopperAcct{},
		payees:   map[string]*payeeAcct{},
		byID:     map[int64]*txn{},
		byRef:    map[string]*txn{},
		refunds:  map[string]*refundRecord{},
	}
	b.out = newSender(b) // the retry and hold defaults are delivery's
	for _, s := range cfg.Shoppers {
		if _, dup := b.shoppers[s.Number]; !dup {
			b.order = append(b.order, s.Number)
		}
		b.shoppers[s.Number] = &shopperAcct{Shopper: s}
	}
	b.mux = b.routes()
	return b
}

// Close stops every delivery (in-flight requests are cancelled) and waits
// for the goroutines to return. Later transfers and refunds are refused.
// Safe to call more than once.
func (b *Bank) Close() { b.out.Close() }

// SetFaults replaces the global faults applied to transfers that carry
// none of their own.
func (b *Bank) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return bad(CodeInvalidRequest, f.field(), err.Error())
	}
	b.mu.Lock()
	b.faults = f
	b.mu.Unlock()
	return nil
}

// Faults returns the global faults.
func (b *Bank) Faults() Faults {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.faults
}

// Transfer debits the shopper, credits the QR's account, records the
// movement and queues its notification. The returned Transaction is the
// state at creation (delivery "pending" or "held").
//
// Errors (*Error, 422 unless noted): invalid_request (missing field, bad
// faults), invalid_qr (Rule and Tag name the broken VietQR rule),
// unknown_account, amount_required (static QR without amount),
// amount_out_of_range, insufficient_funds, closed (503).
func (b *Bank) Transfer(req TransferRequest) (Transaction, error) {
	if req.FromAccount == "" {
		return Transaction{}, bad(CodeInvalidRequest, "from_account", "from_account is required")
	}
	if req.QRPayload == "" {
		return Transaction{}, bad(CodeInvalidRequest, "qr_payload", "qr_payload is required")
	}
	qr, err := vietqr.Decode(req.QRPayload)
	if err != nil {
		e := bad(CodeInvalidQR, "qr_payload", err.Error())
		var qe *vietqr.Error
		if errors.As(err, &qe) {
			e.Rule, e.Tag = qe.Rule, qe.Tag
		}
		return Transaction{}, e
	}
	var qrAmount int64
	if qr.Amount != "" {
		qrAmount, err = strconv.ParseInt(qr.Amount, 10, 64)
		if err != nil {
			return Transaction{}, bad(CodeAmountOutOfRange, "qr_payload", "the QR's amount is too large")
		}
	}
	amount := int64(req.Amount)
	switch {
	case amount == 0 && qrAmount == 0:
		return Transaction{}, bad(CodeAmountRequired, "amount", "a static QR has no amount: the payer must type one")
	case amount == 0:
		amount = qrAmount
	}
	if amount <= 0 || amount >= maxAmount {
		return Transaction{}, bad(CodeAmountOutOfRange, "amount", fmt.Sprintf("amount must be from 1 to %d đồng", maxAmount-1))
	}
	var faults Faults
	if req.Faults != nil {
		if err := req.Faults.Validate(); err != nil {
			return Transaction{}, bad(CodeInvalidRequest, req.Faults.field(), err.Error())
		}
		faults = *req.Faults
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.out.Closed() {
		return Transaction{}, &Error{Status: http.StatusServiceUnavailable, Code: CodeClosed, Message: "the bank is closed"}
	}
	s, ok := b.shoppers[req.FromAccount]
	if !ok {
		return Transaction{}, bad(CodeUnknownAccount, "from_account", "no such shopper account")
	}
	if s.Balance < amount {
		return Transaction{}, bad(CodeInsufficientFunds, "amount",
			fmt.Sprintf("balance %s is less than %s", money.FromDong(s.Balance).Format(), money.FromDong(amount).Format()))
	}
	if req.Faults == nil {
		faults = b.faults
	}
	now := b.cfg.Now()
	id := b.newID()
	original := qr.Purpose
	if original == "" {
		original = defaultContent(s.Name)
	}
	content := mangle(faults.Mangle, original, id)
	t := Transaction{
		ID: id, Type: "transfer", ReferenceCode: referenceCode(s.BIN, id, now),
		FromBIN: s.BIN, FromAccount: s.Number, FromName: s.Name,
		ToBIN: qr.BIN, ToAccount: qr.AccountNumber, ToName: qr.MerchantName,
		Amount: amount, QRAmount: qrAmount, AmountEdited: qrAmount != 0 && amount != qrAmount, QRPayload: req.QRPayload,
		OriginalContent: original, Content: content,
		Description: fmt.Sprintf("%s.CT tu %s %s toi %s %s", content, s.Number, strings.ToUpper(vietqr.ASCII(s.Name)),
			qr.AccountNumber, strings.ToUpper(qr.MerchantName)),
		CreatedAt: now, Faults: faults,
	}
	t.Description = strings.TrimSpace(t.Description)

	s.Balance -= amount
	s.entries = append(s.entries, Entry{TransactionID: id, Type: "debit", Amount: amount, Balance: s.Balance, At: now,
		CounterpartyBIN: qr.BIN, CounterpartyAccount: qr.AccountNumber, Content: original, ReferenceCode: t.ReferenceCode})
	p := b.payee(qr.BIN, qr.AccountNumber, qr.MerchantName)
	p.balance += amount
	p.entries = append(p.entries, Entry{TransactionID: id, Type: "credit", Amount: amount, Balance: p.balance, At: now,
		CounterpartyBIN: s.BIN, CounterpartyAccount: s.Number, Content: content, ReferenceCode: t.ReferenceCode})

	x := b.record(t, "in", qr.BIN, qr.AccountNumber, faults)
	b.queue(x, faults)
	return b.snapshot(x), nil
}

// defaultContent is the transfer content a payer's app writes when the QR
// has no purpose (62/08): the payer's name without accents, as Vietnamese
// bank apps do.
func defaultContent(payerName string) string {
	return strings.ToUpper(vietqr.ASCII(payerName)) + " chuyen tien"
}

// Refund sends money from a transfer's payee back to its shopper.
// Idempotent on RefundID: the same request gets the same answer, refusals
// included. Errors (*Error): invalid_request, refund_id_reused (409, same
// id with another transfer or amount), not_found (404, no such transfer;
// remembered), refund_exceeds_remaining (remembered), closed (503).
func (b *Bank) Refund(req RefundRequest) (Refund, error) {
	r, _, err := b.refund(req)
	return r, err
}

func (b *Bank) refund(req RefundRequest) (Refund, bool, error) {
	switch {
	case req.RefundID == "" || len(req.RefundID) > 64:
		return Refund{}, false, bad(CodeInvalidRequest, "refund_id", "refund_id is required (at most 64 characters)")
	case req.TransferID == "":
		return Refund{}, false, bad(CodeInvalidRequest, "transfer_id", "transfer_id is required")
	case req.Amount <= 0 || req.Amount >= maxAmount:
		return Refund{}, false, bad(CodeAmountOutOfRange, "amount", fmt.Sprintf("amount must be from 1 to %d đồng", maxAmount-1))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if rec, ok := b.refunds[req.RefundID]; ok {
		if rec.req != req {
			return Refund{}, false, &Error{Status: http.StatusConflict, Code: CodeRefundIDReused, Field: "refund_id",
				Message: "this refund_id was used for another transfer or amount"}
		}
		if rec.err != nil {
			return Refund{}, true, rec.err
		}
		return rec.refund, true, nil
	}
	if b.out.Closed() {
		return Refund{}, false, &Error{Status: http.StatusServiceUnavailable, Code: CodeClosed, Message: "the bank is closed"}
	}
	rec := &refundRecord{req: req}
	b.refunds[req.RefundID] = rec
	orig := b.lookup(string(req.TransferID))
	if orig == nil || orig.t.Type != "transfer" {
		rec.err = &Error{Status: http.StatusNotFound, Code: CodeNotFound, Field: "transfer_id", Message: "no such transfer"}
		return Refund{}, false, rec.err
	}
	amount := int64(req.Amount)
	if remaining := orig.t.Amount - orig.t.Refunded; amount > remaining {
		rec.err = bad(CodeRefundExceeds, "amount", fmt.Sprintf("only %s of this transfer is left to refund",
			money.FromDong(remaining).Format()))
		return Refund{}, false, rec.err
	}
	now := b.cfg.Now()
	id := b.newID()
	p := b.payee(orig.t.ToBIN, orig.t.ToAccount, "")
	s := b.shoppers[orig.t.FromAccount]
	content := fmt.Sprintf("HOAN TIEN GD %s", orig.t.ReferenceCode)
	t := Transaction{
		ID: id, Type: "refund", ReferenceCode: referenceCode(orig.t.ToBIN, id, now),
		FromBIN: p.bin, FromAccount: p.number, FromName: p.name, ToBIN: s.BIN, ToAccount: s.Number, ToName: s.Name,
		Amount: amount, OriginalContent: content, Content: content,
		Description: fmt.Sprintf("%s.CT tu %s toi %s %s", content, p.number, s.Number, strings.ToUpper(vietqr.ASCII(s.Name))),
		CreatedAt:   now, RefundOf: orig.t.ID, RefundID: req.RefundID,
	}
	orig.t.Refunded += amount
	p.balance -= amount
	p.entries = append(p.entries, Entry{TransactionID: id, Type: "debit", Amount: amount, Balance: p.balance, At: now,
		CounterpartyBIN: s.BIN, CounterpartyAccount: s.Number, Content: content, ReferenceCode: t.ReferenceCode})
	s.Balance += amount
	s.entries = append(s.entries, Entry{TransactionID: id, Type: "credit", Amount: amount, Balance: s.Balance, At: now,
		CounterpartyBIN: p.bin, CounterpartyAccount: p.number, Content: content, ReferenceCode: t.ReferenceCode})
	f := b.faults
	f.Mangle = "" // mangling is about payers' apps; the refund text is the bank's own
	x := b.record(t, "out", p.bin, p.number, f)
	if !b.cfg.InOnly {
		b.queue(x, f) // otherwise not notified: Delivery "none"
	}
	rec.refund = Refund{RefundID: req.RefundID, TransferID: orig.t.ID, TransactionID: id, ReferenceCode: t.ReferenceCode,
		Amount: amount, Status: "succeeded", RefundedTotal: orig.t.Refunded, Remaining: orig.t.Amount - orig.t.Refunded,
		CreatedAt: now}
	return rec.refund, false, nil
}

// Transaction returns one movement with its delivery attempts so far.
func (b *Bank) Transaction(id int64) (Transaction, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	x, ok := b.byID[id]
	if !ok {
		return Transaction{}, false
	}
	return b.snapshot(x), true
}

// Transactions returns the last limit movements, newest first.
func (b *Bank) Transactions(limit int) []Transaction {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Transaction, 0, min(limit, len(b.txns)))
	for i := len(b.txns) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, b.snapshot(b.txns[i]))
	}
	return out
}

// Statement returns every credit (transferType "in") made in [from, to),
// oldest first, in the webhook's shape, whether or not its notification
// got through. A non-empty account keeps only credits to that account.
func (b *Bank) Statement(from, to time.Time, account string) []Webhook {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []Webhook{}
	for _, x := range b.txns {
		if x.t.Type == "transfer" && !x.t.CreatedAt.Before(from) && x.t.CreatedAt.Before(to) &&
			(account == "" || x.t.ToAccount == account) {
			out = append(out, x.t.Webhook)
		}
	}
	return out
}

// Accounts returns the shoppers (in seed order) and the credited payee
// accounts (by bank, then number).
func (b *Bank) Accounts() (shoppers, payees []Account) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.order {
		s := b.shoppers[n]
		shoppers = append(shoppers, Account{BIN: s.BIN, Bank: bankName(s.BIN), Number: s.Number, Name: s.Name, Balance: s.Balance})
	}
	payees = []Account{}
	for _, p := range b.payees {
		payees = append(payees, Account{BIN: p.bin, Bank: bankName(p.bin), Number: p.number, Name: p.name, Balance: p.balance})
	}
	slices.SortFunc(payees, func(x, y Account) int {
		return strings.Compare(x.BIN+"/"+x.Number, y.BIN+"/"+y.Number)
	})
	return shoppers, payees
}

// AddShopper opens a payer account (for load tools that need more payers
// or money than the seed). Errors: invalid_request, account_exists (409).
func (b *Bank) AddShopper(s Shopper) (Account, error) {
	switch {
	case !validAccount(s.Number):
		return Account{}, bad(CodeInvalidRequest, "number", "number must be 1–19 letters or digits")
	case len(s.BIN) != 6 || !allDigits(s.BIN):
		return Account{}, bad(CodeInvalidRequest, "bin", "bin must be 6 digits")
	case strings.TrimSpace(s.Name) == "":
		return Account{}, bad(CodeInvalidRequest, "name", "name is required")
	case s.Balance < 0:
		return Account{}, bad(CodeInvalidRequest, "balance", "balance must not be negative")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.shoppers[s.Number]; dup {
		return Account{}, &Error{Status: http.StatusConflict, Code: CodeAccountExists, Field: "number", Message: "account exists"}
	}
	b.shoppers[s.Number] = &shopperAcct{Shopper: s}
	b.order = append(b.order, s.Number)
	return Account{BIN: s.BIN, Bank: bankName(s.BIN), Number: s.Number, Name: s.Name, Balance: s.Balance}, nil
}

// History returns an account's entries, oldest first: a shopper's, or
// those of the payee accounts with that number (at bin, or at any bank
// when bin is empty).
func (b *Bank) History(number, bin string) (Account, []Entry, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.shoppers[number]; ok && (bin == "" || bin == s.BIN) {
		return Account{BIN: s.BIN, Bank: bankName(s.BIN), Number: s.Number, Name: s.Name, Balance: s.Balance},
			slices.Clone(s.entries), true
	}
	var acct Account
	var entries []Entry
	found := false
	for _, p := range b.payees {
		if p.number == number && (bin == "" || p.bin == bin) {
			if !found {
				acct = Account{BIN: p.bin, Bank: bankName(p.bin), Number: p.number, Name: p.name, Balance: p.balance}
			}
			found = true
			entries = append(entries, p.entries...)
		}
	}
	slices.SortFunc(entries, func(x, y Entry) int { return cmp.Compare(x.TransactionID, y.TransactionID) })
	return acct, entries, found
}

// newID returns the next movement id. Called with b.mu held.
func (b *Bank) newID() int64 {
	id := b.nextID
	b.nextID++
	return id
}

// payee returns (creating) the credited account. Called with b.mu held.
func (b *Bank) payee(bin, number, name string) *payeeAcct {
	k := bin + "/" + number
	p, ok := b.payees[k]
	if !ok {
		p = &payeeAcct{bin: bin, number: number}
		b.payees[k] = p
	}
	if p.name == "" && name != "" {
		p.name = name
	}
	return p
}

// lookup finds a movement by id or reference code. Called with b.mu held.
func (b *Bank) lookup(ref string) *txn {
	if allDigits(ref) {
		if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
			if x, ok := b.byID[id]; ok {
				return x
			}
		}
	}
	return b.byRef[ref]
}

// record stores a movement and builds its notification body (fixed from
// now on, so every attempt and copy carries the same bytes). dir is the
// watched account's side: "in" for the credited payee, "out" for the
// debited one. Called with b.mu held.
func (b *Bank) record(t Transaction, dir, bin, account string, f Faults) *txn {
	t.Webhook = Webhook{
		ID: t.ID, Gateway: gateway(bin), TransactionDate: t.CreatedAt.In(hcm).Format(DateLayout),
		AccountNumber: account, Content: t.Content, TransferType: dir, TransferAmount: t.Amount,
		ReferenceCode: t.ReferenceCode, Description: t.Description,
	}
	t.Faults = f
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(t.Webhook) // plain struct: cannot fail
	x := &txn{t: t, body: bytes.TrimRight(buf.Bytes(), "\n")}
	b.txns = append(b.txns, x)
	b.byID[t.ID] = x
	b.byRef[t.ReferenceCode] = x
	return x
}

// snapshot copies a movement for callers. Called with b.mu held.
func (b *Bank) snapshot(x *txn) Transaction {
	t := x.t
	t.Delivery, t.Attempts = x.job.State()
	return t
}

// gateway is SePay's name for the receiving bank: its short name, or the
// BIN when the directory does not know it.
func gateway(bin string) string {
	if bk, ok := vietqr.LookupBank(bin); ok {
		return bk.ShortName
	}
	return bin
}

func bankName(bin string) string {
	if bk, ok := vietqr.LookupBank(bin); ok {
		return bk.ShortName
	}
	return ""
}

// referenceCode is a bank-style reference: Vietcombank's "MBVCB.<10
// digits>" for its customers, the common "FT<yyddd><7 digits>" otherwise.
// Unique because the id is.
func referenceCode(payerBIN string, id int64, at time.Time) string {
	if payerBIN == "970436" {
		return fmt.Sprintf("MBVCB.%010d", id%10_000_000_000)
	}
	return fmt.Sprintf("FT%s%09d", at.In(hcm).Format("06002"), id%1_000_000_000)
}
