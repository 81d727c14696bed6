package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"gorm.io/gorm"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/translog"
)

// The tamper-evident log lives in log_leaves, log_nodes and
// log_checkpoints (migration 00004). The repo implements
// translog.NodeReader and translog.NodeWriter over log_nodes, so the
// sequencer appends nodes, leaves and the signed checkpoint in one
// transaction.

var (
	_ translog.NodeReader = (*repo)(nil)
	_ translog.NodeWriter = (*repo)(nil)
)

// logLockKey is the PostgreSQL advisory lock key of the sequencer: the
// bytes "m4trlog" as an integer, unlikely to collide with other users of
// advisory locks in the same database.
const logLockKey int64 = 0x6d3474726c6f67

// LockLog implements app.LogStore.
func (r *repo) LockLog(ctx context.Context) (bool, error) {
	if r.dialect != Postgres {
		return true, nil
	}
	if !r.inTx {
		return false, errs.E(errs.Internal, "LockLog must run in a transaction")
	}
	var ok bool
	err := r.each(ctx, `SELECT pg_try_advisory_xact_lock(?)`, []any{logLockKey}, func(rows *sql.Rows) error { return rows.Scan(&ok) })
	return ok, err
}

// nodeChunk bounds the ids per statement: 2 parameters each, far below
// both engines' limits, and short enough for the planner.
const nodeChunk = 200

// Nodes implements translog.NodeReader with one query per 200 ids (a
// proof or LoadTree needs at most 64 + 1).
func (r *repo) Nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	found := make(map[compact.NodeID][]byte, len(ids))
	for start := 0; start < len(ids); start += nodeChunk {
		chunk := ids[start:min(start+nodeChunk, len(ids))]
		if err := r.readNodes(ctx, chunk, found); err != nil {
			return nil, err
		}
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := found[id]
		if !ok {
			return nil, fmt.Errorf("%w: node (level %d, index %d)", translog.ErrNotFound, id.Level, id.Index)
		}
		out[i] = bytes.Clone(h)
	}
	return out, nil
}

func (r *repo) readNodes(ctx context.Context, ids []compact.NodeID, into map[compact.NodeID][]byte) error {
	if len(ids) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("SELECT level, idx, hash FROM log_nodes WHERE ")
	args := make([]any, 0, 2*len(ids))
	for i, id := range ids {
		if id.Level >= 64 || id.Index > 1<<63-1 {
			return fmt.Errorf("%w: node (level %d, index %d)", translog.ErrNotFound, id.Level, id.Index)
		}
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(level = ? AND idx = ?)")
		args = append(args, int64(id.Level), int64(id.Index))
	}
	return r.each(ctx, b.String(), args, func(rows *sql.Rows) error {
		var level, idx int64
		var h []byte
		if err := rows.Scan(&level, &idx, &h); err != nil {
			return err
		}
		into[compact.NewNodeID(uint(level), uint64(idx))] = bytes.Clone(h)
		return nil
	})
}

// PutNodes implements translog.NodeWriter. Inside a transaction it writes
// there (the sequencer's case); otherwise it opens its own, so a batch is
// stored whole or not at all either way.
func (r *repo) PutNodes(ctx context.Context, nodes []translog.Node) error {
	for _, n := range nodes {
		if len(n.Hash) != translog.HashSize {
			return fmt.Errorf("%w: node (level %d, index %d) hash is %d bytes, want %d", translog.ErrInvalid, n.ID.Level, n.ID.Index, len(n.Hash), translog.HashSize)
		}
		if n.ID.Level >= 64 || n.ID.Index > 1<<63-1 {
			return fmt.Errorf("%w: node (level %d, index %d) out of range", translog.ErrInvalid, n.ID.Level, n.ID.Index)
		}
	}
	if len(nodes) == 0 {
		return nil
	}
	if r.inTx {
		return r.putNodes(ctx, nodes)
	}
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return (&repo{db: tx, dialect: r.dialect, inTx: true}).putNodes(ctx, nodes)
	})
}

// putNodes inserts nodes, skipping those already stored, then checks that
// every skipped one was stored with the same hash.
func (r *repo) putNodes(ctx context.Context, nodes []translog.Node) error {
	const chunk = 1000
	for start := 0; start < len(nodes); start += chunk {
		part := nodes[start:min(start+chunk, len(nodes))]
		var b strings.Builder
		b.WriteString("INSERT INTO log_nodes (level, idx, hash) VALUES ")
		args := make([]any, 0, 3*len(part))
		for i, n := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, int64(n.ID.Level), int64(n.ID.Index), bytes.Clone(n.Hash))
		}
		b.WriteString(" ON CONFLICT (level, idx) DO NOTHING")
		res := r.q(ctx).Exec(b.String(), args...)
		if res.Error != nil {
			return translate(res.Error)
		}
		if res.RowsAffected == int64(len(part)) {
			continue
		}
		ids := make([]compact.NodeID, len(part))
		for i, n := range part {
			ids[i] = n.ID
		}
		stored, err := r.Nodes(ctx, ids)
		if err != nil {
			return err
		}
		for i, n := range part {
			if !bytes.Equal(stored[i], n.Hash) {
				return fmt.Errorf("%w: node (level %d, index %d)", translog.ErrConflict, n.ID.Level, n.ID.Index)
			}
		}
	}
	return nil
}

// LatestCheckpoint implements app.LogStore.
func (r *repo) LatestCheckpoint(ctx context.Context) (*app.LogCheckpoint, error) {
	cps, err := r.checkpoints(ctx, `ORDER BY size DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	if len(cps) == 0 {
		return nil, errs.E(errs.NotFound, "the log has no checkpoint yet")
	}
	return &cps[0], nil
}

// CheckpointAt implements app.LogStore.
func (r *repo) CheckpointAt(ctx context.Context, size uint64) (*app.LogCheckpoint, error) {
	cps, err := r.checkpoints(ctx, `WHERE size = ?`, int64(size))
	if err != nil {
		return nil, err
	}
	if len(cps) == 0 {
		return nil, errs.E(errs.NotFound, "no checkpoint of size %d", size)
	}
	return &cps[0], nil
}

// RecentCheckpoints implements app.LogStore.
func (r *repo) RecentCheckpoints(ctx context.Context, limit int) ([]app.LogCheckpoint, error) {
	return r.checkpoints(ctx, `ORDER BY size DESC LIMIT ?`, limit)
}

func (r *repo) checkpoints(ctx context.Context, tail string, args ...any) ([]app.LogCheckpoint, error) {
	var out []app.LogCheckpoint
	err := r.each(ctx, `SELECT size, root, note, journal_hwm, created_at FROM log_checkpoints `+tail, args, func(rows *sql.Rows) error {
		var cp app.LogCheckpoint
		var size int64
		var note string
		if err := rows.Scan(&size, &cp.Root, &note, &cp.JournalHWM, &cp.CreatedAt); err != nil {
			return err
		}
		cp.Size, cp.Note, cp.CreatedAt = uint64(size), []byte(note), cp.CreatedAt.UTC()
		out = append(out, cp)
		return nil
	})
	return out, err
}

// SweepFloor implements app.LogStore.
func (r *repo) SweepFloor(ctx context.Context, before time.Time) (int64, error) {
	var hwm int64
	err := r.each(ctx, `SELECT journal_hwm FROM log_checkpoints WHERE created_at < ? ORDER BY size DESC LIMIT 1`,
		[]any{before.UTC()}, func(rows *sql.Rows) error { return rows.Scan(&hwm) })
	return hwm, err
}

// movementColumns are the journal stall line of a movement and the
// transfer or refund row it records, as scanned by scanMovement.
const movementColumns = `j.id, j.entry_id, j.account, j.amount, j.stall_id, j.payment_id, j.refund_id, j.provider, j.event_id, j.created_at,
	       t.outcome, t.amount, t.occurred_at, f.status, f.amount, f.provider_ref`

// movementJoins attach a journal line's transfer (payment credits only)
// and refund.
const movementJoins = `LEFT JOIN transfers t ON j.refund_id IS NULL AND t.provider = j.provider AND t.event_id = j.event_id
	LEFT JOIN refunds f ON f.id = j.refund_id`

// isMovement selects the journal lines that are money movements: the stall
// line of a payment credit (negative: the platform owes the stall) and the
// stall line of a refund.
const isMovement = `j.account LIKE 'stall:%' AND (j.refund_id IS NOT NULL OR (j.amount < 0 AND j.payment_id IS NOT NULL))`

type movementScan struct {
	id                                  sql.NullInt64
	entry, account                      sql.NullString
	amount                              sql.NullInt64
	stall, pay, refund, provider, event sql.NullString
	created                             sql.NullTime
	outcome                             sql.NullString
	tAmount                             sql.NullInt64
	occurred                            sql.NullTime
	fStatus                             sql.NullString
	fAmount                             sql.NullInt64
	fRef                                sql.NullString
}

func (m *movementScan) dest() []any {
	return []any{&m.id, &m.entry, &m.account, &m.amount, &m.stall, &m.pay, &m.refund, &m.provider, &m.event, &m.created,
		&m.outcome, &m.tAmount, &m.occurred, &m.fStatus, &m.fAmount, &m.fRef}
}

func (m *movementScan) movement() app.Movement {
	mv := app.Movement{Found: m.id.Valid, JournalID: m.id.Int64, EntryID: m.entry.String, Account: m.account.String,
		Amount: m.amount.Int64, StallID: m.stall.String, PaymentID: m.pay.String, RefundID: m.refund.String,
		Provider: m.provider.String, EventID: m.event.String, CreatedAt: m.created.Time.UTC()}
	if m.outcome.Valid {
		mv.Transfer = &app.MovementTransfer{Outcome: m.outcome.String, Amount: m.tAmount.Int64, OccurredAt: m.occurred.Time.UTC()}
	}
	if m.fStatus.Valid {
		mv.Refund = &app.MovementRefund{Status: m.fStatus.String, Amount: m.fAmount.Int64, ProviderRef: m.fRef.String}
	}
	return mv
}

// UnloggedMovements implements app.LogStore. The cursor query walks the
// journal's primary key from after; the sweep adds an anti-join on
// log_leaves_ref_key to catch rows that committed after the cursor passed
// their id (PostgreSQL assigns ids at insert, not at commit).
func (r *repo) UnloggedMovements(ctx context.Context, after, upTo int64, sweep bool, limit int) ([]app.Movement, error) {
	where := []string{"j.id > ?", isMovement}
	args := []any{after}
	if upTo > 0 {
		where = append(where, "j.id <= ?")
		args = append(args, upTo)
	}
	if sweep {
		where = append(where, "NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.ref_id = j.entry_id)")
	}
	args = append(args, limit)
	q := `SELECT ` + movementColumns + `
	FROM journal j
	` + movementJoins + `
	WHERE ` + strings.Join(where, " AND ") + `
	ORDER BY j.id
	LIMIT ?`
	var out []app.Movement
	err := r.each(ctx, q, args, func(rows *sql.Rows) error {
		var m movementScan
		if err := rows.Scan(m.dest()...); err != nil {
			return err
		}
		out = append(out, m.movement())
		return nil
	})
	return out, err
}

// AppendLog implements app.LogStore.
func (r *repo) AppendLog(ctx context.Context, leaves []app.LogLeaf, nodes []translog.Node, cp app.LogCheckpoint) error {
	if !r.inTx {
		return errs.E(errs.Internal, "AppendLog must run in a transaction")
	}
	const chunk = 500
	for start := 0; start < len(leaves); start += chunk {
		part := leaves[start:min(start+chunk, len(leaves))]
		var b strings.Builder
		b.WriteString("INSERT INTO log_leaves (idx, kind, ref_id, payment_id, journal_id, leaf, hash, created_at) VALUES ")
		args := make([]any, 0, 8*len(part))
		for i, l := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, int64(l.Index), string(l.Kind), l.RefID, l.PaymentID, l.JournalID, l.Leaf, l.Hash, l.CreatedAt.UTC())
		}
		if err := r.q(ctx).Exec(b.String(), args...).Error; err != nil {
			return translate(err)
		}
	}
	if err := r.PutNodes(ctx, nodes); err != nil {
		if errors.Is(err, translog.ErrConflict) {
			return errs.Wrap(errs.Conflict, err, "log node already stored with another hash")
		}
		return err
	}
	return translate(r.q(ctx).Exec(`INSERT INTO log_checkpoints (size, root, note, journal_hwm, created_at) VALUES (?, ?, ?, ?, ?)`,
		int64(cp.Size), cp.Root, string(cp.Note), cp.JournalHWM, cp.CreatedAt.UTC()).Error)
}

const leafColumns = `l.idx, l.kind, l.ref_id, l.payment_id, l.journal_id, l.leaf, l.hash, l.created_at`

func scanLeaf(dest *app.LogLeaf) []any {
	return []any{(*u64)(&dest.Index), (*string)(&dest.Kind), &dest.RefID, &dest.PaymentID, &dest.JournalID, &dest.Leaf, &dest.Hash, &dest.CreatedAt}
}

// u64 scans a non-negative BIGINT into a uint64.
type u64 uint64

func (u *u64) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	if n.Int64 < 0 {
		return fmt.Errorf("negative log index %d", n.Int64)
	}
	*u = u64(n.Int64)
	return nil
}

// LogLeaves implements app.LogStore.
func (r *repo) LogLeaves(ctx context.Context, from uint64, limit int) ([]app.StoredLeaf, error) {
	q := `SELECT ` + leafColumns + `, n.hash, ` + movementColumns + `
	FROM log_leaves l
	LEFT JOIN log_nodes n ON n.level = 0 AND n.idx = l.idx
	LEFT JOIN journal j ON j.entry_id = l.ref_id AND j.account LIKE 'stall:%'
	` + movementJoins + `
	WHERE l.idx >= ?
	ORDER BY l.idx
	LIMIT ?`
	var out []app.StoredLeaf
	err := r.each(ctx, q, []any{int64(from), limit}, func(rows *sql.Rows) error {
		var sl app.StoredLeaf
		var m movementScan
		dest := append(scanLeaf(&sl.LogLeaf), &sl.NodeHash)
		if err := rows.Scan(append(dest, m.dest()...)...); err != nil {
			return err
		}
		sl.CreatedAt = sl.CreatedAt.UTC()
		sl.Movement = m.movement()
		out = append(out, sl)
		return nil
	})
	return out, err
}

// LeavesOfPayment implements app.LogStore. A payment has a handful of
// leaves, sorted here rather than in SQL: with ORDER BY idx LIMIT the
// planner may walk the primary key instead of log_leaves_payment_idx.
func (r *repo) LeavesOfPayment(ctx context.Context, paymentID string) ([]app.LogLeaf, error) {
	ls, err := r.leaves(ctx, `WHERE l.payment_id = ?`, paymentID)
	slices.SortFunc(ls, func(a, b app.LogLeaf) int { return cmp.Compare(a.Index, b.Index) })
	return ls, err
}

// LeafAt implements app.LogStore.
func (r *repo) LeafAt(ctx context.Context, idx uint64) (*app.LogLeaf, error) {
	ls, err := r.leaves(ctx, `WHERE l.idx = ?`, int64(idx))
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, errs.E(errs.NotFound, "no leaf at index %d", idx)
	}
	return &ls[0], nil
}

func (r *repo) leaves(ctx context.Context, tail string, args ...any) ([]app.LogLeaf, error) {
	var out []app.LogLeaf
	err := r.each(ctx, `SELECT `+leafColumns+` FROM log_leaves l `+tail, args, func(rows *sql.Rows) error {
		var l app.LogLeaf
		if err := rows.Scan(scanLeaf(&l)...); err != nil {
			return err
		}
		l.CreatedAt = l.CreatedAt.UTC()
		out = append(out, l)
		return nil
	})
	return out, err
}
