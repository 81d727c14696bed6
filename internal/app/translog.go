package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/translog"
)

// The transparency log commits every money movement to an RFC 6962 Merkle
// tree (package translog). Design:
//
//   - A movement is one journal entry that moves money to or from a stall:
//     a payment credit (the stall line of a Received entry) or a refund
//     (the stall line of a RefundSent entry). Each becomes exactly one leaf;
//     log_leaves.ref_id is the journal entry id and is unique, so a
//     movement can never be logged twice.
//   - A payment credit's leaf: kind payment, id = the payment id, the
//     stall, the amount credited by this transfer, status = the transfer's
//     matching outcome (matched, partial, overpaid, late, direct),
//     occurred_at = when the bank says the transfer happened (the time its
//     business day comes from), provider, provider_ref = the provider's
//     event id of the transfer. A payment paid in two transfers has two
//     leaves with the same id and different provider_ref.
//   - A refund's leaf: kind refund, id = the refund id, the stall, the
//     amount, status = the refund's status (succeeded), occurred_at = when
//     it was journaled, provider, provider_ref = the provider's refund
//     reference.
//   - Every field comes from rows that never legitimately change once the
//     entry is journaled (the journal is append-only; a transfer's outcome
//     and a succeeded refund are final), so the audit can rebuild each leaf
//     from the current rows and any difference is an alteration.
//   - Order: the sequencer appends movements in journal id order. It is
//     not inside the confirmation transaction (one tree head would
//     serialise every payment); it runs in the background, batches up to
//     LogOptions.Batch movements, and signs one checkpoint per batch. A
//     cursor (the highest journal id logged, kept on each checkpoint)
//     makes finding new rows an index range scan; because PostgreSQL
//     assigns ids before commit, a row can commit below the cursor, so
//     every SweepEvery runs the sequencer also looks, with an anti-join,
//     for unlogged rows above the cursor of a checkpoint older than
//     SweepLag. Those are appended late, which is fine: log order is the
//     order the sequencer saw movements, and each is still logged once.
//   - One sequencer at a time: PostgreSQL pg_try_advisory_xact_lock (the
//     others skip the run), SQLite's single writer. Leaves, nodes and the
//     checkpoint commit in one transaction.

// LogOptions configure the transparency log.
type LogOptions struct {
	// SignerKey is the Ed25519 signed-note key that signs checkpoints
	// ("PRIVATE+KEY+<origin>+<hash>+<key>", from translog.GenerateKey).
	// Keep it secret (MARKET4_LOG_SIGNER_KEY or _FILE).
	SignerKey string
	// VerifierKey is the published key auditors verify with; when empty
	// it is derived from SignerKey. When set it must match.
	VerifierKey string
	// Origin names the log (first line of every checkpoint); when empty
	// the signer key's name is used. It must equal the key's name.
	Origin string
	// Batch caps the movements appended per run (default 1000).
	Batch int
	// SweepEvery makes every n-th run also look for rows committed below
	// the cursor (default 10); SweepLag is how old a checkpoint must be
	// for the rows below its cursor to be surely committed (default 1m).
	SweepEvery int
	SweepLag   time.Duration
	// SweepRows bounds how far below the cursor a sweep looks (default
	// 200 000 journal rows, far more than commit in one SweepLag), so a
	// young log after a large catch-up does not rescan the whole journal;
	// negative sweeps everything (operators: `market4 log sequence --full`).
	// The audit always checks the whole journal.
	SweepRows int64
}

// logState is a Service's log configuration, set by UseTransparencyLog.
type logState struct {
	opt      LogOptions
	origin   string
	vkey     string
	mu       sync.Mutex
	runs     int
	lastSkip map[string]bool // movements that cannot be logged, reported once
	// skipAfter lets the cursor pass movements that cannot be logged when
	// no loggable one follows them yet (they are reported and audited; a
	// restart re-detects them).
	skipAfter int64
}

// UseTransparencyLog turns the log on: the sequencer (RunSequencer,
// SequenceOnce) signs checkpoints with opt.SignerKey and the proof and
// audit methods verify with the matching verifier key.
// Errors: Invalid (keys that do not parse or match, origin not the key's name).
func (s *Service) UseTransparencyLog(opt LogOptions) error {
	name, vkey, err := verifierFromSigner(opt.SignerKey)
	if err != nil {
		return errs.Field("signer_key", err.Error())
	}
	if opt.VerifierKey != "" && opt.VerifierKey != vkey {
		return errs.Field("verifier_key", "does not match the signer key")
	}
	if opt.Origin == "" {
		opt.Origin = name
	}
	if opt.Origin != name {
		return errs.Field("origin", fmt.Sprintf("must be the signer key's name %q", name))
	}
	if _, err := translog.SignCheckpoint(opt.SignerKey, translog.Checkpoint{Origin: opt.Origin, Root: make([]byte, translog.HashSize)}); err != nil {
		return errs.Field("origin", err.Error())
	}
	if opt.Batch <= 0 {
		opt.Batch = 1000
	}
	if opt.SweepEvery <= 0 {
		opt.SweepEvery = 10
	}
	if opt.SweepLag <= 0 {
		opt.SweepLag = time.Minute
	}
	if opt.SweepRows == 0 {
		opt.SweepRows = 200_000
	}
	opt.VerifierKey = vkey
	s.logSt.Store(&logState{opt: opt, origin: opt.Origin, vkey: vkey, lastSkip: map[string]bool{}})
	return nil
}

// verifierFromSigner derives the published verifier key from a signer key
// (an Ed25519 seed), so operators configure one secret only.
func verifierFromSigner(skey string) (name, vkey string, err error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", "", errors.New("is not a signed-note private key (PRIVATE+KEY+<name>+<hash>+<key>)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", "", errors.New("is not an Ed25519 signed-note key")
	}
	if _, err := note.NewSigner(skey); err != nil {
		return "", "", err
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err = note.NewEd25519VerifierKey(parts[2], pub)
	if err != nil {
		return "", "", err
	}
	if v, err := note.NewVerifier(vkey); err != nil || fmt.Sprintf("%08x", v.KeyHash()) != parts[3] {
		return "", "", errors.New("key hash does not match the key")
	}
	return parts[2], vkey, nil
}

func (s *Service) log0() (*logState, error) {
	st := s.logSt.Load()
	if st == nil {
		return nil, errs.E(errs.Unavailable, "the transparency log is not configured on this server")
	}
	return st, nil
}

// LogVerifierKey returns the key that verifies this log's checkpoints.
// Errors: Unavailable (log not configured).
func (s *Service) LogVerifierKey() (string, error) {
	st, err := s.log0()
	if err != nil {
		return "", err
	}
	return st.vkey, nil
}

// leafOf builds the canonical leaf of a movement from its rows (see the
// design above). It does not validate; callers do.
func leafOf(m Movement) translog.Leaf {
	if m.RefundID != "" {
		l := translog.Leaf{Kind: translog.KindRefund, ID: m.RefundID, StallID: m.StallID, Amount: m.Amount,
			OccurredAt: m.CreatedAt, Provider: m.Provider}
		if m.Refund != nil {
			l.Status, l.ProviderRef = m.Refund.Status, m.Refund.ProviderRef
		}
		return l
	}
	l := translog.Leaf{Kind: translog.KindPayment, ID: m.PaymentID, StallID: m.StallID, Amount: -m.Amount,
		Provider: m.Provider, ProviderRef: m.EventID}
	if m.Transfer != nil {
		l.Status, l.OccurredAt = m.Transfer.Outcome, m.Transfer.OccurredAt
	}
	return l
}

// SequenceOnce appends the movements not yet logged (at most one batch)
// and signs a checkpoint of the new size; it returns how many it appended.
// Another instance holding the sequencer lock makes it return 0 at once.
// The first run on an empty log signs the empty tree, so a checkpoint is
// always available. Errors: Unavailable (log not configured), store failures.
func (s *Service) SequenceOnce(ctx context.Context) (int, error) {
	st, err := s.log0()
	if err != nil {
		return 0, err
	}
	st.mu.Lock()
	st.runs++
	sweep := st.runs%st.opt.SweepEvery == 1 || st.opt.SweepEvery == 1
	skipAfter := st.skipAfter
	st.mu.Unlock()
	now := s.now()
	var appended int
	var skipped []string
	var passed int64
	err = s.store.InTx(ctx, func(tx Tx) error {
		appended, skipped, passed = 0, nil, 0
		if ok, err := tx.LockLog(ctx); err != nil || !ok {
			return err
		}
		var size uint64
		var hwm int64
		head, err := tx.LatestCheckpoint(ctx)
		switch {
		case errs.Is(err, errs.NotFound):
			head = nil
		case err != nil:
			return err
		default:
			size, hwm = head.Size, head.JournalHWM
		}
		var ms []Movement
		if sweep && hwm > 0 {
			floor, err := tx.SweepFloor(ctx, now.Add(-st.opt.SweepLag))
			if err != nil {
				return err
			}
			if st.opt.SweepRows < 0 {
				floor = 0
			} else {
				floor = max(floor, hwm-st.opt.SweepRows)
			}
			if ms, err = tx.UnloggedMovements(ctx, floor, hwm, true, st.opt.Batch); err != nil {
				return err
			}
		}
		newHWM := hwm
		if room := st.opt.Batch - len(ms); room > 0 {
			fresh, err := tx.UnloggedMovements(ctx, max(hwm, skipAfter), 0, false, room)
			if err != nil {
				return err
			}
			for _, m := range fresh {
				newHWM = max(newHWM, m.JournalID)
			}
			ms = append(ms, fresh...)
		}
		leaves := make([]LogLeaf, 0, len(ms))
		hashes := make([][]byte, 0, len(ms))
		for _, m := range ms {
			l := leafOf(m)
			if err := l.Validate(); err != nil {
				skipped = append(skipped, fmt.Sprintf("journal entry %s (journal row %d): %v", m.EntryID, m.JournalID, err))
				continue
			}
			b := l.Bytes()
			h := translog.LeafHash(b)
			leaves = append(leaves, LogLeaf{Index: size + uint64(len(leaves)), Kind: l.Kind, RefID: m.EntryID,
				PaymentID: m.PaymentID, JournalID: m.JournalID, Leaf: b, Hash: h, CreatedAt: now})
			hashes = append(hashes, h)
		}
		if len(leaves) == 0 && head != nil {
			// Nothing new, or only movements that cannot be logged: a
			// checkpoint's size is its key, so the cursor moves past those
			// in memory until a loggable movement follows them.
			passed = newHWM
			return nil
		}
		tree, err := translog.LoadTree(ctx, tx, size)
		if err != nil {
			return logErr(err)
		}
		ap, err := tree.Append(hashes)
		if err != nil {
			return err
		}
		note, err := translog.SignCheckpoint(st.opt.SignerKey, translog.Checkpoint{Origin: st.origin, Size: ap.Tree.Size(), Root: ap.Root})
		if err != nil {
			return err
		}
		if err := tx.AppendLog(ctx, leaves, ap.Nodes, LogCheckpoint{Size: ap.Tree.Size(), Root: ap.Root, Note: note,
			JournalHWM: newHWM, CreatedAt: now}); err != nil {
			return err
		}
		appended = len(leaves)
		return nil
	})
	if err != nil {
		return 0, err
	}
	st.mu.Lock()
	st.skipAfter = max(st.skipAfter, passed)
	for _, msg := range skipped {
		if !st.lastSkip[msg] {
			st.lastSkip[msg] = true
			s.log.Error("transparency log: movement cannot be logged", "problem", msg)
		}
	}
	st.mu.Unlock()
	return appended, nil
}

// RunSequencer appends new movements to the transparency log every
// interval until ctx ends, catching up without pause while batches come
// back full. Every instance may run it: a database lock lets one append at
// a time. Every ten minutes it also seals finished days and compacts the
// rollups of past ones (see SealRollups and CompactRollups), which needs no
// log configuration.
func (s *Service) RunSequencer(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var lastCompact time.Time
	warned := false
	for {
		if st, err := s.log0(); err == nil {
			for {
				n, err := s.SequenceOnce(ctx)
				if err != nil {
					if ctx.Err() == nil {
						s.log.Warn("transparency log sequencer", "err", err)
					}
					break
				}
				if n < st.opt.Batch {
					break
				}
			}
		} else if !warned {
			warned = true
			s.log.Warn("transparency log disabled: no signer key configured")
		}
		if time.Since(lastCompact) >= 10*time.Minute {
			lastCompact = time.Now()
			if _, _, err := s.SealRollups(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("seal rollups", "err", err)
			}
			if _, err := s.CompactRollups(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("compact rollups", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// LatestLogCheckpoint returns the newest signed checkpoint note.
// Errors: Unavailable (log not configured), NotFound (nothing signed yet).
func (s *Service) LatestLogCheckpoint(ctx context.Context) (*LogCheckpoint, error) {
	if _, err := s.log0(); err != nil {
		return nil, err
	}
	return s.store.Read().LatestCheckpoint(ctx)
}

// LeafProof is an inclusion proof of one leaf in the log of TreeSize
// leaves. Leaf (the canonical bytes) is nil when the caller may not see
// what it says; LeafHash is always given.
type LeafProof struct {
	Index     uint64
	Kind      translog.Kind
	Leaf      []byte
	LeafHash  []byte
	TreeSize  uint64
	Proof     [][]byte
	Logged    time.Time
	PaymentID string
}

// LogProofs are inclusion proofs against one tree size, with the signed
// checkpoint of that size when the log signed one (always for the latest).
type LogProofs struct {
	TreeSize   uint64
	Checkpoint []byte
	Leaves     []LeafProof
}

// treeSize resolves a requested size (0 = latest) against the log.
func (s *Service) treeSize(ctx context.Context, size uint64) (uint64, []byte, error) {
	head, err := s.LatestLogCheckpoint(ctx)
	if err != nil {
		return 0, nil, err
	}
	if size == 0 || size == head.Size {
		return head.Size, head.Note, nil
	}
	if size > head.Size {
		return 0, nil, errs.Field("tree_size", fmt.Sprintf("the log has %d leaves", head.Size))
	}
	cp, err := s.store.Read().CheckpointAt(ctx, size)
	if errs.Is(err, errs.NotFound) {
		return size, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	return size, cp.Note, nil
}

// PaymentInclusion proves that a payment's money movements (its credits
// and refunds) are in the log of the given size (0 = the latest). The
// payment id acts as the capability: whoever holds it (the payer's receipt,
// the vendor) may see the leaves it names, so no login is needed.
// Errors: Unavailable, NotFound (no such payment, or not logged yet:
// the sequencer runs every second), Invalid (tree_size beyond the log).
func (s *Service) PaymentInclusion(ctx context.Context, paymentID string, size uint64) (*LogProofs, error) {
	size, cp, err := s.treeSize(ctx, size)
	if err != nil {
		return nil, err
	}
	ls, err := s.store.Read().LeavesOfPayment(ctx, paymentID)
	if err != nil {
		return nil, err
	}
	out := &LogProofs{TreeSize: size, Checkpoint: cp}
	for _, l := range ls {
		if l.Index >= size {
			continue
		}
		p, err := s.proveLeaf(ctx, l, size, true)
		if err != nil {
			return nil, err
		}
		out.Leaves = append(out.Leaves, *p)
	}
	if len(out.Leaves) == 0 {
		return nil, errs.E(errs.NotFound, "no logged movement of this payment in a tree of size %d (new payments are logged within seconds)", size)
	}
	return out, nil
}

// LeafInclusion proves the leaf at index is in the log of the given size
// (0 = the latest). Anyone may ask; the leaf's bytes (stall, amount) are
// given only to those who may read the stall (its vendor, its district's
// staff, admins), so indices cannot be walked to read every stall's takings.
// Errors: Unavailable, NotFound, Invalid (index or tree_size beyond the log).
func (s *Service) LeafInclusion(ctx context.Context, a market.Actor, index, size uint64) (*LogProofs, error) {
	size, cp, err := s.treeSize(ctx, size)
	if err != nil {
		return nil, err
	}
	if index >= size {
		return nil, errs.Field("index", fmt.Sprintf("must be below the tree size %d", size))
	}
	l, err := s.store.Read().LeafAt(ctx, index)
	if err != nil {
		return nil, err
	}
	show := false
	if a.Role != "" {
		if lf, err := translog.ParseLeaf(l.Leaf); err == nil {
			if st, err := s.store.Read().StallByID(ctx, lf.StallID, false); err == nil {
				show = a.CanReadStall(st)
			}
		}
	}
	p, err := s.proveLeaf(ctx, *l, size, show)
	if err != nil {
		return nil, err
	}
	return &LogProofs{TreeSize: size, Checkpoint: cp, Leaves: []LeafProof{*p}}, nil
}

func (s *Service) proveLeaf(ctx context.Context, l LogLeaf, size uint64, show bool) (*LeafProof, error) {
	proof, err := translog.InclusionProof(ctx, s.store.Read(), l.Index, size)
	if err != nil {
		return nil, logErr(err)
	}
	p := &LeafProof{Index: l.Index, Kind: l.Kind, LeafHash: l.Hash, TreeSize: size, Proof: proof, Logged: l.CreatedAt}
	if show {
		p.Leaf, p.PaymentID = l.Leaf, l.PaymentID
	}
	return p, nil
}

// LogConsistency proves the log of size `to` (0 = the latest) extends the
// log of size `from`. Errors: Unavailable, Invalid (from > to, to beyond the log).
func (s *Service) LogConsistency(ctx context.Context, from, to uint64) (uint64, [][]byte, []byte, error) {
	to, cp, err := s.treeSize(ctx, to)
	if err != nil {
		return 0, nil, nil, err
	}
	if from > to {
		return 0, nil, nil, errs.Field("from", fmt.Sprintf("must not exceed to (%d)", to))
	}
	p, err := translog.ConsistencyProof(ctx, s.store.Read(), from, to)
	if err != nil {
		return 0, nil, nil, logErr(err)
	}
	return to, p, cp, nil
}

// logErr maps translog's sentinel errors to application codes.
func logErr(err error) error {
	switch {
	case errors.Is(err, translog.ErrNotFound):
		return errs.Wrap(errs.NotFound, err, "the log has not reached that size")
	case errors.Is(err, translog.ErrInvalid), errors.Is(err, translog.ErrMalformed):
		return errs.Wrap(errs.Invalid, err, "invalid log request")
	}
	return err
}

// LogAudit is the outcome of AuditLog.
type LogAudit struct {
	TreeSize uint64 // size of the latest checkpoint
	Checked  uint64 // leaves compared with the current rows
	Problems []string
}

// AuditLog detects rows changed directly in the database: it verifies the
// latest checkpoint's signature and that the stored tree yields its root,
// rebuilds every logged movement's canonical leaf from the CURRENT journal,
// transfer and refund rows, compares it with the stored leaf, hash and
// tree node, recomputes the root from the rebuilt leaves, and for every
// leaf that differs checks the inclusion proof against the signed
// checkpoint, naming the leaf index and the row. It also lists movements
// journaled more than SweepLag ago that are not logged. An empty
// Problems means the database still says what the log signed.
// Errors: Unavailable (log not configured), store failures.
func (s *Service) AuditLog(ctx context.Context) (*LogAudit, error) {
	st, err := s.log0()
	if err != nil {
		return nil, err
	}
	rd := s.store.Read()
	out := &LogAudit{}
	bad := func(format string, args ...any) { out.Problems = append(out.Problems, fmt.Sprintf(format, args...)) }
	head, err := rd.LatestCheckpoint(ctx)
	if errs.Is(err, errs.NotFound) {
		head = nil
	} else if err != nil {
		return nil, err
	}
	var signed translog.Checkpoint
	if head != nil {
		signed, err = translog.OpenCheckpoint(head.Note, st.vkey)
		if err != nil {
			bad("checkpoint of size %d: signature does not verify with %s: %v", head.Size, st.vkey, err)
			// Go on against the stored head, so the rows are still checked.
			signed = translog.Checkpoint{Origin: st.origin, Size: head.Size, Root: head.Root}
		} else if signed.Size != head.Size || !bytes.Equal(signed.Root, head.Root) {
			bad("checkpoint of size %d: stored size/root columns differ from the signed note (size %d)", head.Size, signed.Size)
		}
		root, err := translog.Root(ctx, rd, signed.Size)
		if err != nil {
			bad("tree of size %d cannot be loaded from log_nodes: %v", signed.Size, err)
		} else if !bytes.Equal(root, signed.Root) {
			bad("log_nodes yield root %x at size %d, the signed checkpoint says %x: tree nodes were altered", root, signed.Size, signed.Root)
		}
	}
	out.TreeSize = signed.Size
	var tree translog.Tree
	var suspects []uint64
	next := uint64(0)
	for {
		ls, err := rd.LogLeaves(ctx, next, 2000)
		if err != nil {
			return nil, err
		}
		if len(ls) == 0 {
			break
		}
		hashes := make([][]byte, 0, len(ls))
		for _, sl := range ls {
			if sl.Index != next {
				bad("leaf %d is missing from log_leaves (next stored is %d)", next, sl.Index)
				for ; next < sl.Index; next++ {
					hashes = append(hashes, make([]byte, translog.HashSize))
				}
			}
			next = sl.Index + 1
			out.Checked++
			h, changed := auditLeaf(sl, bad)
			hashes = append(hashes, h)
			if changed && sl.Index < signed.Size {
				suspects = append(suspects, sl.Index)
			}
		}
		if len(hashes) > 0 {
			ap, err := tree.Append(hashes)
			if err != nil {
				return nil, err
			}
			if tree.Size() < signed.Size && ap.Tree.Size() >= signed.Size {
				// The signed size falls inside this batch: fold exactly
				// up to it to compare roots.
				cut, err := tree.Append(hashes[:signed.Size-tree.Size()])
				if err != nil {
					return nil, err
				}
				if !bytes.Equal(cut.Root, signed.Root) {
					bad("root rebuilt from the current rows differs from the signed checkpoint of size %d", signed.Size)
				}
			}
			tree = ap.Tree
		}
	}
	if tree.Size() < signed.Size {
		bad("log_leaves holds %d leaves but the signed checkpoint covers %d", tree.Size(), signed.Size)
	}
	for _, idx := range suspects {
		s.auditInclusion(ctx, idx, signed, bad)
	}
	floor, err := rd.SweepFloor(ctx, s.now().Add(-st.opt.SweepLag))
	if err != nil {
		return nil, err
	}
	missing, err := rd.UnloggedMovements(ctx, 0, floor, true, 100)
	if err != nil {
		return nil, err
	}
	for _, m := range missing {
		bad("journal entry %s (journal row %d, payment %s) moved money but is not in the log", m.EntryID, m.JournalID, m.PaymentID)
	}
	cps, err := rd.RecentCheckpoints(ctx, 50)
	if err != nil {
		return nil, err
	}
	for _, cp := range cps[min(1, len(cps)):] {
		c, err := translog.OpenCheckpoint(cp.Note, st.vkey)
		if err != nil {
			bad("checkpoint of size %d: signature does not verify: %v", cp.Size, err)
			continue
		}
		root, err := translog.Root(ctx, rd, c.Size)
		if err != nil || !bytes.Equal(root, c.Root) {
			bad("checkpoint of size %d: the stored tree no longer yields its signed root", cp.Size)
		}
	}
	return out, nil
}

// auditLeaf compares one stored leaf with the leaf rebuilt from the
// current rows and returns the rebuilt leaf's hash and whether anything
// differs.
func auditLeaf(sl StoredLeaf, bad func(string, ...any)) ([]byte, bool) {
	m := sl.Movement
	what := "payment " + sl.PaymentID
	if sl.Kind == translog.KindRefund {
		what = "refund of payment " + sl.PaymentID
	}
	where := fmt.Sprintf("leaf %d (%s, journal entry %s", sl.Index, what, sl.RefID)
	if m.Found {
		where += fmt.Sprintf(", journal row %d)", m.JournalID)
	} else {
		where += ")"
	}
	changed := false
	if !bytes.Equal(translog.LeafHash(sl.Leaf), sl.Hash) {
		bad("%s: stored hash is not the hash of the stored leaf bytes", where)
		changed = true
	}
	if !bytes.Equal(sl.NodeHash, sl.Hash) {
		bad("%s: tree node (0, %d) differs from the stored leaf hash", where, sl.Index)
		changed = true
	}
	if !m.Found {
		bad("%s: its journal stall line is gone (row deleted or its account changed)", where)
		return make([]byte, translog.HashSize), true
	}
	now := leafOf(m)
	b := now.Bytes()
	h := translog.LeafHash(b)
	if !bytes.Equal(b, sl.Leaf) {
		changed = true
		was, err := translog.ParseLeaf(sl.Leaf)
		if err != nil {
			bad("%s: stored leaf bytes do not parse: %v", where, err)
		} else {
			bad("%s: the rows now say %s", where, leafDiff(was, now))
		}
	}
	if m.Transfer != nil && m.RefundID == "" && m.Transfer.Amount != -m.Amount {
		bad("%s: transfer amount %d differs from the journal's %d", where, m.Transfer.Amount, -m.Amount)
	}
	if m.Refund != nil && m.Refund.Amount != m.Amount {
		bad("%s: refund row amount %d differs from the journal's %d", where, m.Refund.Amount, m.Amount)
	}
	return h, changed
}

// leafDiff names the fields that differ between the logged and the
// rebuilt leaf.
func leafDiff(was, now translog.Leaf) string {
	var d []string
	f := func(name, a, b string) {
		if a != b {
			d = append(d, fmt.Sprintf("%s %q (logged %q)", name, b, a))
		}
	}
	f("kind", string(was.Kind), string(now.Kind))
	f("id", was.ID, now.ID)
	f("stall_id", was.StallID, now.StallID)
	f("amount", fmt.Sprint(was.Amount), fmt.Sprint(now.Amount))
	f("status", was.Status, now.Status)
	f("occurred_at", translog.CanonicalTime(was.OccurredAt).Format(translog.TimeLayout), translog.CanonicalTime(now.OccurredAt).Format(translog.TimeLayout))
	f("provider", was.Provider, now.Provider)
	f("provider_ref", was.ProviderRef, now.ProviderRef)
	if len(d) == 0 {
		return "the same fields but other bytes"
	}
	return strings.Join(d, ", ")
}

// auditInclusion checks a suspect leaf against the signed checkpoint: the
// current rows' leaf must not verify, while the logged one should, which
// shows the row changed after it was logged.
func (s *Service) auditInclusion(ctx context.Context, idx uint64, cp translog.Checkpoint, bad func(string, ...any)) {
	rd := s.store.Read()
	l, err := rd.LeafAt(ctx, idx)
	if err != nil {
		bad("leaf %d: %v", idx, err)
		return
	}
	proof, err := translog.InclusionProof(ctx, rd, idx, cp.Size)
	if err != nil {
		bad("leaf %d: no inclusion proof at size %d: %v", idx, cp.Size, err)
		return
	}
	ls, err := rd.LogLeaves(ctx, idx, 1)
	if err != nil || len(ls) == 0 || !ls[0].Movement.Found {
		bad("leaf %d: the signed checkpoint of size %d includes a movement whose rows are gone", idx, cp.Size)
		return
	}
	now := translog.LeafHash(leafOf(ls[0].Movement).Bytes())
	if translog.VerifyInclusion(now, idx, cp.Size, cp.Root, proof) == nil {
		return
	}
	if translog.VerifyInclusion(l.Hash, idx, cp.Size, cp.Root, proof) == nil {
		bad("leaf %d: the signed checkpoint of size %d includes the logged leaf, not what the rows say now: the rows were altered after logging", idx, cp.Size)
	} else {
		bad("leaf %d: neither the logged leaf nor the current rows verify against the checkpoint of size %d", idx, cp.Size)
	}
}
