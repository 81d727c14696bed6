package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/pkg/money"
)

type paymentRow struct {
	ID          string `gorm:"primaryKey"`
	StallID     string
	MarketID    string
	DistrictID  string
	OrderCode   string
	Kind        string
	Channel     string
	Provider    string
	Amount      int64
	Paid        int64
	Refunded    int64
	Reserved    int64
	Description string
	Status      string
	Overpaid    bool
	Late        bool
	QRPayload   string `gorm:"column:qr_payload"`
	PayURL      string `gorm:"column:pay_url"`
	ProviderRef string
	CreatedBy   *string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	PaidAt      *time.Time
	UpdatedAt   time.Time
}

func (paymentRow) TableName() string { return "payments" }

func toPaymentRow(p *payment.Payment) paymentRow {
	r := paymentRow{ID: p.ID, StallID: p.StallID, MarketID: p.MarketID, DistrictID: p.DistrictID, OrderCode: p.OrderCode,
		Kind: string(p.Kind), Channel: p.Channel, Provider: p.Provider, Amount: p.Amount.Dong(), Paid: p.Paid.Dong(),
		Refunded: p.Refunded.Dong(), Reserved: p.Reserved.Dong(), Description: p.Description, Status: string(p.Status),
		Overpaid: p.Overpaid, Late: p.Late, QRPayload: p.QRPayload, PayURL: p.PayURL, ProviderRef: p.ProviderRef,
		CreatedBy: nullable(p.CreatedBy), CreatedAt: p.CreatedAt.UTC(), ExpiresAt: p.ExpiresAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	if !p.PaidAt.IsZero() {
		t := p.PaidAt.UTC()
		r.PaidAt = &t
	}
	return r
}

func (r paymentRow) toPayment() payment.Payment {
	p := payment.Payment{ID: r.ID, StallID: r.StallID, MarketID: r.MarketID, DistrictID: r.DistrictID, OrderCode: r.OrderCode,
		Kind: payment.Kind(r.Kind), Channel: r.Channel, Provider: r.Provider, Amount: money.FromDong(r.Amount),
		Paid: money.FromDong(r.Paid), Refunded: money.FromDong(r.Refunded), Reserved: money.FromDong(r.Reserved),
		Description: r.Description, Status: payment.Status(r.Status), Overpaid: r.Overpaid, Late: r.Late,
		QRPayload: r.QRPayload, PayURL: r.PayURL, ProviderRef: r.ProviderRef, CreatedBy: deref(r.CreatedBy),
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.PaidAt != nil {
		p.PaidAt = r.PaidAt.UTC()
	}
	return p
}

func (r *repo) CreatePayment(ctx context.Context, p *payment.Payment) error {
	row := toPaymentRow(p)
	return translate(r.q(ctx).Create(&row).Error)
}

func (r *repo) paymentWhere(ctx context.Context, lock bool, query string, arg any) (*payment.Payment, error) {
	var row paymentRow
	if err := r.forUpdate(r.q(ctx), lock).Where(query, arg).Take(&row).Error; err != nil {
		return nil, notFound(err, "payment")
	}
	p := row.toPayment()
	return &p, nil
}

func (r *repo) PaymentByID(ctx context.Context, id string, lock bool) (*payment.Payment, error) {
	return r.paymentWhere(ctx, lock, "id = ?", id)
}

func (r *repo) PaymentByCode(ctx context.Context, code string, lock bool) (*payment.Payment, error) {
	return r.paymentWhere(ctx, lock, "order_code = ?", code)
}

func (r *repo) UpdatePayment(ctx context.Context, p *payment.Payment) error {
	row := toPaymentRow(p)
	res := r.q(ctx).Model(&paymentRow{}).Where("id = ?", p.ID).Updates(map[string]any{
		"paid": row.Paid, "refunded": row.Refunded, "reserved": row.Reserved, "status": row.Status,
		"overpaid": row.Overpaid, "late": row.Late, "provider_ref": row.ProviderRef, "pay_url": row.PayURL,
		"paid_at": row.PaidAt, "updated_at": row.UpdatedAt,
	})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.E(errs.NotFound, "no such payment")
	}
	return nil
}

func (r *repo) ListPayments(ctx context.Context, f app.PaymentFilter) ([]payment.Payment, error) {
	db := r.q(ctx).Where("stall_id = ?", f.StallID)
	if f.Status != "" {
		db = db.Where("status = ?", string(f.Status))
	}
	if !f.From.IsZero() {
		db = db.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		db = db.Where("created_at < ?", f.To.UTC())
	}
	var rows []paymentRow
	if err := page(db, f.Page).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]payment.Payment, len(rows))
	for i, row := range rows {
		out[i] = row.toPayment()
	}
	return out, nil
}

func (r *repo) ExpirePayments(ctx context.Context, now time.Time, limit int) ([]payment.Payment, error) {
	var rows []paymentRow
	err := r.forUpdate(r.q(ctx), true).Where("status = ? AND expires_at <= ?", string(payment.Pending), now.UTC()).
		Order("expires_at").Limit(limit).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, translate(err)
	}
	ids := make([]string, len(rows))
	out := make([]payment.Payment, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
		out[i] = row.toPayment()
		out[i].Status, out[i].UpdatedAt = payment.Expired, now
	}
	err = r.q(ctx).Model(&paymentRow{}).Where("id IN ? AND status = ?", ids, string(payment.Pending)).
		Updates(map[string]any{"status": string(payment.Expired), "updated_at": now.UTC()}).Error
	return out, translate(err)
}

func (r *repo) StallsByAccount(ctx context.Context, bin, account string) ([]market.Stall, error) {
	db := r.q(ctx).Where("account_number = ?", account)
	if bin != "" {
		db = db.Where("bank_bin = ?", bin)
	}
	var rows []stallRow
	if err := db.Order("id").Limit(20).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]market.Stall, len(rows))
	for i, row := range rows {
		out[i] = row.toStall()
	}
	return out, nil
}

type transferRow struct {
	Provider   string `gorm:"primaryKey"`
	EventID    string `gorm:"primaryKey"`
	BankBIN    string `gorm:"column:bank_bin"`
	Account    string
	Amount     int64
	Content    string
	Reference  string
	Incoming   bool
	OccurredAt time.Time
	ReceivedAt time.Time
	Source     string
	Outcome    string
	PaymentID  *string
	StallID    *string
	DistrictID *string
	ReviewedAt *time.Time
	ReviewedBy *string
	ReviewNote string
}

func (transferRow) TableName() string { return "transfers" }

func (r transferRow) toTransfer() payment.Transfer {
	t := payment.Transfer{Provider: r.Provider, EventID: r.EventID, BankBIN: r.BankBIN, Account: r.Account,
		Amount: money.FromDong(r.Amount), Content: r.Content, Reference: r.Reference, Incoming: r.Incoming,
		OccurredAt: r.OccurredAt.UTC(), ReceivedAt: r.ReceivedAt.UTC(), Source: r.Source, Outcome: payment.Outcome(r.Outcome),
		PaymentID: deref(r.PaymentID), StallID: deref(r.StallID), DistrictID: deref(r.DistrictID),
		ReviewedBy: deref(r.ReviewedBy), ReviewNote: r.ReviewNote}
	if r.ReviewedAt != nil {
		t.ReviewedAt = r.ReviewedAt.UTC()
	}
	return t
}

func (r *repo) InsertTransfer(ctx context.Context, t *payment.Transfer) (bool, error) {
	row := transferRow{Provider: t.Provider, EventID: t.EventID, BankBIN: t.BankBIN, Account: t.Account, Amount: t.Amount.Dong(),
		Content: t.Content, Reference: t.Reference, Incoming: t.Incoming, OccurredAt: t.OccurredAt.UTC(),
		ReceivedAt: t.ReceivedAt.UTC(), Source: t.Source, Outcome: string(t.Outcome), PaymentID: nullable(t.PaymentID),
		StallID: nullable(t.StallID), DistrictID: nullable(t.DistrictID)}
	res := r.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (r *repo) ListTransfers(ctx context.Context, f app.TransferFilter) ([]payment.Transfer, error) {
	db := r.q(ctx)
	if len(f.Outcomes) > 0 {
		os := make([]string, len(f.Outcomes))
		for i, o := range f.Outcomes {
			os[i] = string(o)
		}
		db = db.Where("outcome IN ?", os)
	}
	if f.DistrictID != "" {
		db = db.Where("district_id = ?", f.DistrictID)
	}
	if !f.From.IsZero() {
		db = db.Where("received_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		db = db.Where("received_at < ?", f.To.UTC())
	}
	if f.Unreviewed {
		db = db.Where("reviewed_at IS NULL")
	}
	if f.After != "" {
		prov, ev, _ := strings.Cut(f.After, "/")
		db = db.Where("(provider > ?) OR (provider = ? AND event_id > ?)", prov, prov, ev)
	}
	var rows []transferRow
	if err := db.Order("provider, event_id").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]payment.Transfer, len(rows))
	for i, row := range rows {
		out[i] = row.toTransfer()
	}
	return out, nil
}

type journalRow struct {
	ID        int64 `gorm:"primaryKey;autoIncrement"`
	EntryID   string
	Account   string
	Amount    int64
	StallID   *string
	PaymentID *string
	RefundID  *string
	Provider  string
	EventID   *string
	CreatedAt time.Time
}

func (journalRow) TableName() string { return "journal" }

func (r *repo) AppendJournal(ctx context.Context, entryID string, e payment.Entry, ref app.JournalRef, at time.Time) error {
	if !e.Balanced() {
		return errs.E(errs.Internal, "refusing an unbalanced journal entry %v", e.Lines)
	}
	rows := make([]journalRow, len(e.Lines))
	for i, l := range e.Lines {
		rows[i] = journalRow{EntryID: entryID, Account: l.Account, Amount: l.Amount, StallID: nullable(ref.StallID),
			PaymentID: nullable(ref.PaymentID), RefundID: nullable(ref.RefundID), Provider: ref.Provider,
			EventID: nullable(ref.EventID), CreatedAt: at.UTC()}
	}
	return translate(r.q(ctx).Omit("id").Create(&rows).Error)
}

type eventRow struct {
	ID        int64 `gorm:"primaryKey;autoIncrement"`
	StallID   string
	Type      string
	Data      string
	CreatedAt time.Time
}

func (eventRow) TableName() string { return "stall_events" }

func (r *repo) AppendEvent(ctx context.Context, stallID, typ string, data []byte, at time.Time) (int64, error) {
	row := eventRow{StallID: stallID, Type: typ, Data: string(data), CreatedAt: at.UTC()}
	if err := r.q(ctx).Omit("id").Create(&row).Error; err != nil {
		return 0, translate(err)
	}
	return row.ID, nil
}

func (r *repo) EventsAfter(ctx context.Context, f app.EventFilter) ([]app.StallEvent, error) {
	db := r.q(ctx).Where("id > ?", f.AfterID)
	if f.StallID != "" {
		db = db.Where("stall_id = ?", f.StallID)
	}
	if !f.Since.IsZero() {
		db = db.Where("created_at >= ?", f.Since.UTC())
	}
	if f.Limit <= 0 {
		f.Limit = 500
	}
	var rows []eventRow
	if err := db.Order("id").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]app.StallEvent, len(rows))
	for i, row := range rows {
		out[i] = app.StallEvent{ID: row.ID, StallID: row.StallID, Type: row.Type, Data: []byte(row.Data), CreatedAt: row.CreatedAt.UTC()}
	}
	return out, nil
}

type refundRow struct {
	ID          string `gorm:"primaryKey"`
	PaymentID   string
	StallID     string
	Amount      int64
	Reason      string
	Status      string
	ProviderRef string
	Message     string
	CreatedBy   *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (refundRow) TableName() string { return "refunds" }

func toRefundRow(f *payment.Refund) refundRow {
	return refundRow{ID: f.ID, PaymentID: f.PaymentID, StallID: f.StallID, Amount: f.Amount.Dong(), Reason: f.Reason,
		Status: string(f.Status), ProviderRef: f.ProviderRef, Message: f.Message, CreatedBy: nullable(f.CreatedBy),
		CreatedAt: f.CreatedAt.UTC(), UpdatedAt: f.UpdatedAt.UTC()}
}

func (r refundRow) toRefund() payment.Refund {
	return payment.Refund{ID: r.ID, PaymentID: r.PaymentID, StallID: r.StallID, Amount: money.FromDong(r.Amount), Reason: r.Reason,
		Status: payment.RefundStatus(r.Status), ProviderRef: r.ProviderRef, Message: r.Message, CreatedBy: deref(r.CreatedBy),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (r *repo) CreateRefund(ctx context.Context, f *payment.Refund) error {
	row := toRefundRow(f)
	return translate(r.q(ctx).Create(&row).Error)
}

func (r *repo) RefundByID(ctx context.Context, id string, lock bool) (*payment.Refund, error) {
	var row refundRow
	if err := r.forUpdate(r.q(ctx), lock).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err, "refund")
	}
	f := row.toRefund()
	return &f, nil
}

func (r *repo) UpdateRefund(ctx context.Context, f *payment.Refund) error {
	return translate(r.q(ctx).Model(&refundRow{}).Where("id = ?", f.ID).Updates(map[string]any{
		"status": string(f.Status), "provider_ref": f.ProviderRef, "message": f.Message, "updated_at": f.UpdatedAt.UTC(),
	}).Error)
}

func (r *repo) ListRefunds(ctx context.Context, paymentID string) ([]payment.Refund, error) {
	var rows []refundRow
	if err := r.q(ctx).Where("payment_id = ?", paymentID).Order("id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]payment.Refund, len(rows))
	for i, row := range rows {
		out[i] = row.toRefund()
	}
	return out, nil
}

func (r *repo) PendingRefunds(ctx context.Context, before time.Time, limit int) ([]payment.Refund, error) {
	var rows []refundRow
	err := r.q(ctx).Where("status = ? AND created_at < ?", string(payment.RefundPending), before.UTC()).
		Order("created_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]payment.Refund, len(rows))
	for i, row := range rows {
		out[i] = row.toRefund()
	}
	return out, nil
}

type idemRow struct {
	UserID      string `gorm:"primaryKey"`
	Key         string `gorm:"primaryKey"`
	RequestHash string
	State       string
	StatusCode  int
	Response    string
	CreatedAt   time.Time
	LockedUntil time.Time
}

func (idemRow) TableName() string { return "idempotency_keys" }

func (r *repo) ClaimIdempotency(ctx context.Context, rec app.IdemRecord) (*app.IdemRecord, error) {
	row := idemRow{UserID: rec.UserID, Key: rec.Key, RequestHash: rec.RequestHash, State: "in_flight",
		CreatedAt: rec.CreatedAt.UTC(), LockedUntil: rec.LockedUntil.UTC()}
	res := r.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return nil, translate(res.Error)
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	var cur idemRow
	if err := r.q(ctx).Where("user_id = ? AND key = ?", rec.UserID, rec.Key).Take(&cur).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errs.E(errs.InFlight, "the idempotency key was released concurrently; retry")
		}
		return nil, translate(err)
	}
	return &app.IdemRecord{UserID: cur.UserID, Key: cur.Key, RequestHash: cur.RequestHash, Done: cur.State == "done",
		StatusCode: cur.StatusCode, Response: []byte(cur.Response), CreatedAt: cur.CreatedAt.UTC(), LockedUntil: cur.LockedUntil.UTC()}, nil
}

func (r *repo) TakeOverIdempotency(ctx context.Context, userID, key string, now, until time.Time) (bool, error) {
	res := r.q(ctx).Model(&idemRow{}).Where("user_id = ? AND key = ? AND state = 'in_flight' AND locked_until <= ?", userID, key, now.UTC()).
		Update("locked_until", until.UTC())
	return res.RowsAffected == 1, translate(res.Error)
}

func (r *repo) CompleteIdempotency(ctx context.Context, userID, key string, status int, body []byte) error {
	res := r.q(ctx).Model(&idemRow{}).Where("user_id = ? AND key = ?", userID, key).
		Updates(map[string]any{"state": "done", "status_code": status, "response": string(body)})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected != 1 {
		return errs.E(errs.Conflict, "idempotency key %q vanished before completion", key)
	}
	return nil
}

func (r *repo) ReleaseIdempotency(ctx context.Context, userID, key string) error {
	return translate(r.q(ctx).Where("user_id = ? AND key = ? AND state = 'in_flight'", userID, key).Delete(&idemRow{}).Error)
}

// Audit checks the money invariants directly in SQL and returns one line
// per violation found.
func (r *repo) Audit(ctx context.Context) ([]string, error) {
	var out []string
	checks := []struct {
		name, sql string
	}{
		{"unbalanced journal entry", `SELECT entry_id, SUM(amount) FROM journal GROUP BY entry_id HAVING SUM(amount) <> 0`},
		{"provider event applied more than once", `SELECT provider || '/' || event_id, COUNT(DISTINCT entry_id) FROM journal WHERE event_id IS NOT NULL GROUP BY provider, event_id HAVING COUNT(DISTINCT entry_id) > 1`},
		{"refunds exceed paid", `SELECT id, paid - refunded - reserved FROM payments WHERE refunded + reserved > paid`},
		{"payment paid differs from its transfers", `SELECT p.id, p.paid - COALESCE(t.s, 0) FROM payments p LEFT JOIN (SELECT payment_id, SUM(amount) AS s FROM transfers WHERE outcome NOT IN ('ignored','unmatched') GROUP BY payment_id) t ON t.payment_id = p.id WHERE p.paid <> COALESCE(t.s, 0)`},
		{"payment refunded differs from succeeded refunds", `SELECT p.id, p.refunded - COALESCE(f.s, 0) FROM payments p LEFT JOIN (SELECT payment_id, SUM(amount) AS s FROM refunds WHERE status = 'succeeded' GROUP BY payment_id) f ON f.payment_id = p.id WHERE p.refunded <> COALESCE(f.s, 0)`},
		{"stall journal balance differs from rollups", `SELECT COALESCE(j.stall_id, d.stall_id), COALESCE(-j.s, 0) - COALESCE(d.s, 0) FROM
			(SELECT stall_id, SUM(amount) AS s FROM journal WHERE account LIKE 'stall:%' GROUP BY stall_id) j
			FULL OUTER JOIN (SELECT stall_id, SUM(amount) - SUM(refunded) AS s FROM stall_daily GROUP BY stall_id) d ON d.stall_id = j.stall_id
			WHERE COALESCE(-j.s, 0) <> COALESCE(d.s, 0)`},
	}
	for _, c := range checks {
		// FULL OUTER JOIN works on both engines (SQLite has it since 3.39).
		rows, err := r.q(ctx).Raw(c.sql).Rows()
		if err != nil {
			return nil, translate(fmt.Errorf("%s: %w", c.name, err))
		}
		for rows.Next() {
			var k string
			var v int64
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, translate(err)
			}
			out = append(out, fmt.Sprintf("%s: %s (off by %d)", c.name, k, v))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, translate(err)
		}
	}
	// Finer than the per-stall balance: every (stall, day, provider) rollup
	// against the journal (reports.go).
	more, err := r.AuditRollups(ctx)
	return append(out, more...), err
}
