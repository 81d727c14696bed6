package app

import (
	"context"
	"time"

	"github.com/market4/market4/internal/translog"
)

// TransparencyStore is what district reports, rollup maintenance and the
// tamper-evident log need from persistence. It is embedded in Tx.
type TransparencyStore interface {
	ReportStore
	LogStore
}

// ReportStore reads the rollups (stall_daily) and the small registry tables
// for reports, and maintains the rollups. No report method reads payments,
// transfers or the journal, so a report costs stalls × days whatever the
// number of payments.
type ReportStore interface {
	// ReportFlows sums the rollups of f's scope per (group, bucket,
	// provider). Errors: store failures only.
	ReportFlows(ctx context.Context, f ReportFilter) ([]FlowRow, error)
	// ReportActivity returns, for every stall of f's scope with at least
	// one payment in [f.From, f.To], on which of those days it had one
	// (ignoring f.Period and f.GroupBy). One row per stall, so counting
	// active stalls per bucket costs no per-(stall, day) result rows.
	ReportActivity(ctx context.Context, f ReportFilter) ([]StallActivity, error)
	// ReportStalls lists the registry rows of f's scope (stalls of the
	// district, market or the one stall), whatever their creation date.
	ReportStalls(ctx context.Context, f ReportFilter) ([]StallInfo, error)
	// CountUnreviewed counts unmatched transfers not yet reviewed, in one
	// district or (districtID "") everywhere.
	CountUnreviewed(ctx context.Context, districtID string) (int64, error)
	// MarketDaily sums the rollups per (market, day) over [from, to] for the
	// public open data, with the number of stalls that had payments.
	MarketDaily(ctx context.Context, districtID, from, to string) ([]MarketDay, error)

	// RebuildRollups recomputes every stall_daily row from the journal,
	// transfers and payments, and the summaries of sealed days from them,
	// in one transaction, blocking rollup writers meanwhile, and returns
	// the number of stall_daily rows written.
	RebuildRollups(ctx context.Context) (int64, error)
	// SealRollups folds every business day after the current watermark up
	// to through into the summaries (per market and day, per stall and
	// month) and moves the watermark there, blocking rollup writers
	// meanwhile; reports then read those days from the summaries. It
	// returns the previous watermark ("" when nothing was sealed) and does
	// nothing when through is not after it. Writes to a sealed day later
	// (late webhooks) go to both, see AddDaily.
	SealRollups(ctx context.Context, through string) (prev string, err error)
	// RebuildSummaries recomputes the summaries of the sealed days from
	// stall_daily, blocking rollup writers meanwhile.
	RebuildSummaries(ctx context.Context) error
	// RollupsSealedThrough returns the last sealed business day, or "".
	RollupsSealedThrough(ctx context.Context) (string, error)
	// FirstRollupDay returns the earliest business day in stall_daily, or
	// "" when it is empty.
	FirstRollupDay(ctx context.Context) (string, error)
	// CompactRollups folds the shards of every day before the given
	// business day into shard 0 and returns the number of rows removed.
	CompactRollups(ctx context.Context, before string) (int64, error)
	// AuditRollups compares every (stall, day, provider) rollup with the
	// same figures recomputed from the journal, and the summaries of sealed
	// days with the rollups, and returns one line per difference.
	AuditRollups(ctx context.Context) ([]string, error)
}

// LogStore persists the tamper-evident log: leaves, tree nodes (as a
// translog.NodeReader and NodeWriter) and signed checkpoints.
type LogStore interface {
	translog.NodeReader
	translog.NodeWriter
	// LockLog takes the sequencer lock until the transaction ends; false
	// means another sequencer holds it (PostgreSQL advisory lock; SQLite
	// writers are serialised anyway, so there it is always true).
	LockLog(ctx context.Context) (bool, error)
	// LatestCheckpoint returns the newest checkpoint. Errors: NotFound when
	// the log has none yet.
	LatestCheckpoint(ctx context.Context) (*LogCheckpoint, error)
	// CheckpointAt returns the checkpoint of exactly that size. Errors: NotFound.
	CheckpointAt(ctx context.Context, size uint64) (*LogCheckpoint, error)
	// RecentCheckpoints returns up to limit checkpoints, newest first.
	RecentCheckpoints(ctx context.Context, limit int) ([]LogCheckpoint, error)
	// SweepFloor returns the journal_hwm of the newest checkpoint created
	// before t, or 0: journal rows at or below it were all committed when
	// the sequencer passed them.
	SweepFloor(ctx context.Context, before time.Time) (int64, error)
	// UnloggedMovements returns money movements (journal stall lines of
	// payment credits and refunds) with journal id in (after, upTo] (upTo 0
	// means no bound), oldest first, at most limit. With sweep it skips
	// those already logged; without, it assumes none above after is.
	UnloggedMovements(ctx context.Context, after, upTo int64, sweep bool, limit int) ([]Movement, error)
	// AppendLog stores leaves, nodes and the checkpoint of one sequencer
	// batch. Errors: Conflict when another sequencer got there first.
	AppendLog(ctx context.Context, leaves []LogLeaf, nodes []translog.Node, cp LogCheckpoint) error
	// LogLeaves returns stored leaves with idx >= from, in order, at most
	// limit, each with the movement recomputed from the current rows.
	LogLeaves(ctx context.Context, from uint64, limit int) ([]StoredLeaf, error)
	// LeavesOfPayment returns the stored leaves of a payment (its credits
	// and refunds), in log order.
	LeavesOfPayment(ctx context.Context, paymentID string) ([]LogLeaf, error)
	// LeafAt returns the stored leaf at idx. Errors: NotFound.
	LeafAt(ctx context.Context, idx uint64) (*LogLeaf, error)
}

// Report groupings and periods.
const (
	GroupDistrict = "district"
	GroupMarket   = "market"
	GroupStall    = "stall"

	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
)

// ReportFilter selects the rollup rows of a report. Days are business
// dates (YYYY-MM-DD, Asia/Ho_Chi_Minh), both ends included.
type ReportFilter struct {
	DistrictID string // "" = every district (admins)
	MarketID   string
	StallID    string
	StallIDs   []string // when set, only these stalls (e.g. the OCOP ones)
	GroupBy    string   // GroupDistrict, GroupMarket or GroupStall
	Period     string   // PeriodDay, PeriodWeek or PeriodMonth: the bucket
	From, To   string
	Whole      bool // ReportFlows: one bucket for the whole range
}

// FlowRow is the rollup sum of one (group, bucket, provider). Bucket is
// the first business date of the bucket.
type FlowRow struct {
	GroupID, Bucket, Provider string
	Payments, Amount          int64
	Refunds, Refunded         int64
}

// StallActivity is a stall's days with payments: bit i of Days[k] is
// day From + 63·k + i (63 bits per word keep every word positive in both
// engines' signed 64-bit integers).
type StallActivity struct {
	StallID string
	Days    []uint64
}

// ActivityWordDays is how many days one word of StallActivity.Days covers.
const ActivityWordDays = 63

// StallInfo is the registry row of a stall that reports need.
type StallInfo struct {
	ID, MarketID, DistrictID string
	MarketName, DistrictName string
	StallNumber, Name        string
	Category, Status         string
	CreatedAt                time.Time
}

// MarketDay is one market's rollup sum for one business day.
type MarketDay struct {
	DistrictID, DistrictName string
	MarketID, MarketName     string
	Day                      string
	ActiveStalls             int64
	Payments, Amount         int64
	Refunds, Refunded        int64
}

// Movement is one money movement as the database holds it now: the
// journal entry's stall line plus the transfer (payment credits) or refund
// row it records. The service turns it into a translog.Leaf.
type Movement struct {
	JournalID int64
	EntryID   string
	Account   string
	Amount    int64 // signed, as in the journal: credits to a stall are negative
	StallID   string
	PaymentID string
	RefundID  string
	Provider  string
	EventID   string
	CreatedAt time.Time
	Found     bool // false when no journal row matched (deleted or altered)
	Transfer  *MovementTransfer
	Refund    *MovementRefund
}

// MovementTransfer is what a payment credit's leaf takes from its transfer.
type MovementTransfer struct {
	Outcome    string
	Amount     int64
	OccurredAt time.Time
}

// MovementRefund is what a refund's leaf takes from the refund row.
type MovementRefund struct {
	Status      string
	Amount      int64
	ProviderRef string
}

// LogLeaf is one stored leaf.
type LogLeaf struct {
	Index     uint64
	Kind      translog.Kind
	RefID     string // journal entry id
	PaymentID string
	JournalID int64
	Leaf      []byte // canonical bytes
	Hash      []byte
	CreatedAt time.Time
}

// StoredLeaf is a stored leaf with its level-0 node and the movement as
// recomputed from the current rows, for the audit.
type StoredLeaf struct {
	LogLeaf
	NodeHash []byte // nil when the node row is missing
	Movement Movement
}

// LogCheckpoint is a signed tree head as stored.
type LogCheckpoint struct {
	Size       uint64
	Root       []byte
	Note       []byte
	JournalHWM int64
	CreatedAt  time.Time
}
