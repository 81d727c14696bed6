package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/internal/translog"
)

// sequenceAll runs the sequencer until it has nothing left.
func sequenceAll(t *testing.T, svc *app.Service) int {
	t.Helper()
	total := 0
	for i := 0; ; i++ {
		n, err := svc.SequenceOnce(context.Background())
		trMust(t, err)
		total += n
		if n == 0 {
			return total
		}
		if i > 10000 {
			t.Fatal("sequencer never runs dry")
		}
	}
}

func countRows(t *testing.T, st *store.Store, q string) int {
	t.Helper()
	var n int
	trMust(t, st.SQL().QueryRow(q).Scan(&n))
	return n
}

// movementCount is the number of money movements the journal records:
// one stall line per payment credit and per refund.
const movementCount = `SELECT COUNT(*) FROM journal WHERE account LIKE 'stall:%' AND (refund_id IS NOT NULL OR (amount < 0 AND payment_id IS NOT NULL))`

func paymentIDs(t *testing.T, st *store.Store) []string {
	t.Helper()
	rows, err := st.SQL().Query(`SELECT id FROM payments WHERE paid > 0 ORDER BY id`)
	trMust(t, err)
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		trMust(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	return ids
}

// verifyPayment checks a payment's inclusion proofs the way an outside
// verifier would: signature first, then each leaf against the signed root.
func verifyPayment(t *testing.T, svc *app.Service, vkey, paymentID string) *app.LogProofs {
	t.Helper()
	ps, err := svc.PaymentInclusion(context.Background(), paymentID, 0)
	trMust(t, err)
	cp, err := translog.OpenCheckpoint(ps.Checkpoint, vkey)
	trMust(t, err)
	if cp.Size != ps.TreeSize {
		t.Fatalf("checkpoint size %d, proofs for %d", cp.Size, ps.TreeSize)
	}
	for _, l := range ps.Leaves {
		leaf, err := translog.ParseLeaf(l.Leaf)
		trMust(t, err)
		if leaf.Kind == translog.KindPayment && leaf.ID != paymentID {
			t.Fatalf("payment leaf of %s names %s", paymentID, leaf.ID)
		}
		trMust(t, translog.VerifyInclusion(translog.LeafHash(l.Leaf), l.Index, cp.Size, cp.Root, l.Proof))
	}
	return ps
}

// TestTransparencyLog: every payment credit and succeeded refund becomes
// exactly one leaf, in journal order, in small signed batches; proofs
// verify against the signed checkpoints; later checkpoints are consistent
// with earlier ones; the audit is clean.
func TestTransparencyLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		start := time.Date(2026, 11, 1, 0, 0, 0, 0, hcm)
		w := trNew(t, st, start)
		w.stall(0, "vegetables", market.StallActive)
		w.stall(1, "meat", market.StallActive)
		w.stall(2, "fruit", market.StallActive)
		w.stall(0, "seafood", market.StallPending)
		if _, err := w.svc.SequenceOnce(ctx); !errs.Is(err, errs.Unavailable) {
			t.Fatalf("sequencer without a key: err = %v, want unavailable", err)
		}
		vkey := w.useLog(app.LogOptions{Batch: 7})
		if got, _ := w.svc.LogVerifierKey(); got != vkey {
			t.Fatalf("verifier key %q, want %q", got, vkey)
		}
		// An empty log still has a signed head.
		sequenceAll(t, w.svc)
		cp0, err := w.svc.LatestLogCheckpoint(ctx)
		trMust(t, err)
		if c, err := translog.OpenCheckpoint(cp0.Note, vkey); err != nil || c.Size != 0 {
			t.Fatalf("empty log checkpoint: %+v, %v", c, err)
		}

		r := rand.New(rand.NewPCG(3, 4))
		w.randomActivity(r, start, 10, 40)
		n := sequenceAll(t, w.svc)
		if want := countRows(t, st, movementCount); n != want || want < 40 {
			t.Fatalf("sequencer appended %d leaves, the journal has %d movements", n, want)
		}
		if got := countRows(t, st, `SELECT COUNT(DISTINCT ref_id) FROM log_leaves`); got != n {
			t.Fatalf("%d distinct movements for %d leaves", got, n)
		}
		// Leaves are in journal order.
		if got := countRows(t, st, `SELECT COUNT(*) FROM log_leaves a JOIN log_leaves b ON b.idx = a.idx + 1 WHERE b.journal_id < a.journal_id`); got != 0 {
			t.Fatalf("%d leaves out of journal order", got)
		}
		cp1, err := w.svc.LatestLogCheckpoint(ctx)
		trMust(t, err)
		if cp1.Size != uint64(n) {
			t.Fatalf("checkpoint size %d after %d leaves", cp1.Size, n)
		}
		if got := countRows(t, st, `SELECT COUNT(*) FROM log_checkpoints`); got < n/7 {
			t.Fatalf("%d checkpoints for %d leaves in batches of 7", got, n)
		}
		for _, id := range paymentIDs(t, st) {
			verifyPayment(t, w.svc, vkey, id)
		}
		if _, err := w.svc.PaymentInclusion(ctx, "01936f4e-8a2b-7c3d-9e4f-0a1b2c3d4e5f", 0); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown payment: err = %v", err)
		}
		audit, err := w.svc.AuditLog(ctx)
		trMust(t, err)
		if len(audit.Problems) > 0 || audit.Checked != cp1.Size {
			t.Fatalf("audit of an untouched log: checked %d of %d: %s", audit.Checked, cp1.Size, strings.Join(audit.Problems, "\n"))
		}

		// More activity: history is only appended to.
		w.randomActivity(r, start.AddDate(0, 0, 10), 5, 20)
		sequenceAll(t, w.svc)
		cp2, err := w.svc.LatestLogCheckpoint(ctx)
		trMust(t, err)
		old, err := translog.OpenCheckpoint(cp1.Note, vkey)
		trMust(t, err)
		for _, from := range []uint64{0, 1, old.Size / 2, old.Size} {
			size, proof, note, err := w.svc.LogConsistency(ctx, from, 0)
			trMust(t, err)
			cur, err := translog.OpenCheckpoint(note, vkey)
			trMust(t, err)
			if size != cp2.Size || cur.Size != size {
				t.Fatalf("consistency to %d, latest is %d", size, cp2.Size)
			}
			root1, err := translog.Root(ctx, st.Read(), from)
			trMust(t, err)
			if from == old.Size {
				root1 = old.Root
			}
			trMust(t, translog.VerifyConsistency(from, size, root1, cur.Root, proof))
		}
		if _, _, _, err := w.svc.LogConsistency(ctx, cp2.Size+1, 0); !errs.Is(err, errs.Invalid) {
			t.Fatalf("consistency from beyond the log: err = %v", err)
		}
		// Proofs at an older size come with that size's checkpoint.
		ids := paymentIDs(t, st)
		ps, err := w.svc.PaymentInclusion(ctx, ids[0], cp1.Size)
		trMust(t, err)
		c, err := translog.OpenCheckpoint(ps.Checkpoint, vkey)
		trMust(t, err)
		for _, l := range ps.Leaves {
			trMust(t, translog.VerifyInclusion(translog.LeafHash(l.Leaf), l.Index, c.Size, c.Root, l.Proof))
		}
		if n, err := w.svc.SequenceOnce(ctx); err != nil || n != 0 {
			t.Fatalf("idle sequencer appended %d, %v", n, err)
		}
		audit, err = w.svc.AuditLog(ctx)
		trMust(t, err)
		if len(audit.Problems) > 0 {
			t.Fatalf("audit: %s", strings.Join(audit.Problems, "\n"))
		}
	})
}

// tamper runs SQL on the append-only journal, lifting its guard the way
// someone with database access would.
func tamper(t *testing.T, st *store.Store, q string) {
	t.Helper()
	db := st.SQL()
	if st.Dialect() == store.Postgres {
		for _, s := range []string{`ALTER TABLE journal DISABLE TRIGGER ALL`, q, `ALTER TABLE journal ENABLE TRIGGER ALL`} {
			_, err := db.Exec(s)
			trMust(t, err)
		}
		return
	}
	for _, s := range []string{`DROP TRIGGER journal_no_update`, q, `CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
		BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END`} {
		_, err := db.Exec(s)
		trMust(t, err)
	}
}

// TestLogAuditDetectsTampering: changing a logged amount (or date, or a
// refund) directly in the database is caught and the leaf is named.
func TestLogAuditDetectsTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		start := time.Date(2026, 11, 1, 9, 0, 0, 0, hcm)
		w := trNew(t, st, start)
		s1 := w.stall(0, "vegetables", market.StallActive)
		s2 := w.stall(1, "meat", market.StallActive)
		w.useLog(app.LogOptions{})
		var pays []*payment.Payment
		for i := 0; i < 6; i++ {
			s := s1
			if i%2 == 1 {
				s = s2
			}
			_, p := w.transfer(provider.MockBank, s, int64(10000*(i+1)), "", start.Add(time.Duration(i)*time.Hour))
			pays = append(pays, p)
		}
		w.refund(pays[4], 20000)
		sequenceAll(t, w.svc)
		audit, err := w.svc.AuditLog(ctx)
		trMust(t, err)
		if len(audit.Problems) > 0 {
			t.Fatalf("clean audit: %s", strings.Join(audit.Problems, "\n"))
		}
		leafOf := func(paymentID string, kind translog.Kind) uint64 {
			ps, err := w.svc.PaymentInclusion(ctx, paymentID, 0)
			trMust(t, err)
			for _, l := range ps.Leaves {
				if l.Kind == kind {
					return l.Index
				}
			}
			t.Fatalf("no %s leaf for %s", kind, paymentID)
			return 0
		}
		expectNamed := func(what string, idx uint64, fragments ...string) {
			t.Helper()
			audit, err := w.svc.AuditLog(ctx)
			trMust(t, err)
			all := strings.Join(audit.Problems, "\n")
			named := false
			for _, p := range audit.Problems {
				if strings.HasPrefix(p, fmt.Sprintf("leaf %d ", idx)) || strings.HasPrefix(p, fmt.Sprintf("leaf %d:", idx)) {
					named = true
				}
			}
			if !named {
				t.Fatalf("%s: audit does not name leaf %d:\n%s", what, idx, all)
			}
			for _, f := range fragments {
				if !strings.Contains(all, f) {
					t.Fatalf("%s: audit does not say %q:\n%s", what, f, all)
				}
			}
			t.Logf("%s:\n%s", what, all)
		}

		// 1. A payment's amount lowered in the journal.
		i2 := leafOf(pays[2].ID, translog.KindPayment)
		tamper(t, st, `UPDATE journal SET amount = amount + 1000 WHERE payment_id = '`+pays[2].ID+`' AND account LIKE 'stall:%'`)
		expectNamed("journal amount", i2, `amount "29000" (logged "30000")`, "rows were altered after logging", pays[2].ID)

		// 2. A transfer moved to another day.
		i1 := leafOf(pays[1].ID, translog.KindPayment)
		_, err = st.SQL().Exec(`UPDATE transfers SET occurred_at = received_at WHERE payment_id = '` + pays[1].ID + `'`)
		trMust(t, err)
		expectNamed("transfer date", i1, "occurred_at")

		// 3. A refund's journal line inflated.
		i4 := leafOf(pays[4].ID, translog.KindRefund)
		tamper(t, st, `UPDATE journal SET amount = 25000 WHERE refund_id IS NOT NULL AND account LIKE 'stall:%'`)
		expectNamed("refund amount", i4, `amount "25000" (logged "20000")`)

		// 4. A logged row deleted outright.
		i5 := leafOf(pays[5].ID, translog.KindPayment)
		if st.Dialect() == store.Postgres {
			tamper(t, st, `DELETE FROM journal WHERE payment_id = '`+pays[5].ID+`'`)
		} else {
			_, err := st.SQL().Exec(`DROP TRIGGER journal_no_delete`)
			trMust(t, err)
			_, err = st.SQL().Exec(`DELETE FROM journal WHERE payment_id = '` + pays[5].ID + `'`)
			trMust(t, err)
		}
		expectNamed("deleted row", i5, "journal stall line is gone")

		// 5. The log itself rewritten to match: the signed root disagrees.
		if st.Dialect() == store.Postgres {
			_, err = st.SQL().Exec(`ALTER TABLE log_leaves DISABLE TRIGGER ALL`)
			trMust(t, err)
			_, err = st.SQL().Exec(`UPDATE log_leaves SET hash = decode(repeat('00', 32), 'hex') WHERE idx = 0`)
		} else {
			_, err = st.SQL().Exec(`DROP TRIGGER log_leaves_no_update`)
			trMust(t, err)
			_, err = st.SQL().Exec(`UPDATE log_leaves SET hash = zeroblob(32) WHERE idx = 0`)
		}
		trMust(t, err)
		expectNamed("log row rewritten", 0, "stored hash is not the hash of the stored leaf bytes")
	})
}

// TestSequencerCatchesLateCommits: on PostgreSQL a journal row can commit
// after the sequencer has passed its id; the sweep logs it later, once.
func TestSequencerCatchesLateCommits(t *testing.T) {
	st := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, hcm)
	w := trNew(t, st, start)
	s := w.stall(0, "vegetables", market.StallActive)
	vkey := w.useLog(app.LogOptions{SweepEvery: 1, SweepLag: time.Minute})
	_, p1 := w.transfer(provider.MockBank, s, 10000, "", start)
	sequenceAll(t, w.svc) // checkpoint at start, cursor after p1

	// A confirmation in flight: its journal row takes an id now and
	// commits only after a later payment has been logged.
	slow, err := st.SQL().BeginTx(ctx, nil)
	trMust(t, err)
	defer slow.Rollback()
	lateID := "01936f4e-0000-7000-8000-00000000aaaa"
	exec := func(tx *sql.Tx, q string, args ...any) {
		t.Helper()
		_, err := tx.Exec(q, args...)
		trMust(t, err)
	}
	at := start.AddDate(0, 0, -1) // another day: its rollup row must not block p2's
	exec(slow, `INSERT INTO payments (id, stall_id, market_id, district_id, order_code, kind, channel, provider, amount, paid, description,
		status, qr_payload, pay_url, provider_ref, created_at, expires_at, paid_at, updated_at)
		SELECT $1, id, market_id, district_id, 'M4LATE0001', 'static', 'bank_qr', 'mockbank', 7000, 7000, '', 'succeeded', '', '', 'EVLATE', $2, $2, $2, $2
		FROM stalls WHERE id = $3`, lateID, at, s.ID)
	exec(slow, `INSERT INTO transfers (provider, event_id, bank_bin, account, amount, content, reference, incoming, occurred_at, received_at,
		source, outcome, payment_id, stall_id, district_id) VALUES ('mockbank', 'EVLATE', $1, $2, 7000, '', '', true, $3, $3, 'webhook', 'direct', $4, $5, $6)`,
		s.BankBIN, s.AccountNumber, at, lateID, s.ID, s.DistrictID)
	exec(slow, `INSERT INTO journal (entry_id, account, amount, stall_id, payment_id, provider, event_id, created_at) VALUES
		('01936f4e-0000-7000-8000-00000000bbbb', 'clearing:mockbank', 7000, $1, $2, 'mockbank', 'EVLATE', $3),
		('01936f4e-0000-7000-8000-00000000bbbb', $4, -7000, $1, $2, 'mockbank', 'EVLATE', $3)`, s.ID, lateID, at, "stall:"+s.ID)
	exec(slow, `INSERT INTO stall_daily (stall_id, day, provider, shard, market_id, district_id, payments, amount, refunds, refunded)
		VALUES ($1, $2, 'mockbank', 7, $3, $4, 1, 7000, 0, 0)`, s.ID, payment.BusinessDay(at), s.MarketID, s.DistrictID)

	w.clock.set(start.Add(10 * time.Minute))
	_, p2 := w.transfer(provider.MockBank, s, 20000, "", start.Add(10*time.Minute))
	if n := sequenceAll(t, w.svc); n != 1 {
		t.Fatalf("sequencer appended %d, want p2 only", n)
	}
	trMust(t, slow.Commit())
	// The sweep looks above the cursor of a checkpoint at least a minute
	// old (the one before the late row took its id) and finds it.
	w.clock.set(start.Add(11 * time.Minute))
	if n := sequenceAll(t, w.svc); n != 1 {
		t.Fatalf("sweep appended %d, want the late row", n)
	}
	for _, id := range []string{p1.ID, p2.ID, lateID} {
		verifyPayment(t, w.svc, vkey, id)
	}
	if n := sequenceAll(t, w.svc); n != 0 {
		t.Fatalf("late row logged twice (%d more)", n)
	}
	audit, err := w.svc.AuditLog(ctx)
	trMust(t, err)
	if len(audit.Problems) > 0 {
		t.Fatalf("audit: %s", strings.Join(audit.Problems, "\n"))
	}
}

// TestLeafInclusionPrivacy: anyone gets a proof by index, but only those
// who may read the stall see what the leaf says.
func TestLeafInclusionPrivacy(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	w := trNew(t, st, time.Date(2026, 11, 1, 9, 0, 0, 0, hcm))
	s := w.stall(0, "vegetables", market.StallActive)
	vkey := w.useLog(app.LogOptions{})
	w.transfer(provider.MockBank, s, 10000, "", w.clock.now())
	sequenceAll(t, w.svc)
	for _, c := range []struct {
		name string
		a    market.Actor
		show bool
	}{
		{"anonymous", market.Actor{}, false},
		{"staff of another district", w.staff[1], false},
		{"staff of the district", w.staff[0], true},
		{"the vendor", w.vendor, true},
		{"admin", w.admin, true},
	} {
		ps, err := w.svc.LeafInclusion(ctx, c.a, 0, 0)
		trMust(t, err)
		l := ps.Leaves[0]
		if (l.Leaf != nil) != c.show {
			t.Fatalf("%s: leaf bytes shown = %v, want %v", c.name, l.Leaf != nil, c.show)
		}
		cp, err := translog.OpenCheckpoint(ps.Checkpoint, vkey)
		trMust(t, err)
		trMust(t, translog.VerifyInclusion(l.LeafHash, 0, cp.Size, cp.Root, l.Proof))
	}
	if _, err := w.svc.LeafInclusion(ctx, market.Actor{}, 1, 0); !errs.Is(err, errs.Invalid) {
		t.Fatalf("index beyond the log: err = %v", err)
	}
}

// TestLogOptions: keys are checked when the log is configured.
func TestLogOptions(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	svc := app.New(st, nil, app.DefaultConfig(), nil)
	skey, vkey, err := translog.GenerateKey("market4.test/journal")
	trMust(t, err)
	_, vkey2, err := translog.GenerateKey("market4.test/journal")
	trMust(t, err)
	for _, c := range []struct {
		opt app.LogOptions
		ok  bool
	}{
		{app.LogOptions{SignerKey: skey}, true},
		{app.LogOptions{SignerKey: skey, VerifierKey: vkey, Origin: "market4.test/journal"}, true},
		{app.LogOptions{SignerKey: skey, VerifierKey: vkey2}, false},
		{app.LogOptions{SignerKey: skey, Origin: "other.example/log"}, false},
		{app.LogOptions{SignerKey: vkey}, false},
		{app.LogOptions{}, false},
	} {
		err := svc.UseTransparencyLog(c.opt)
		if (err == nil) != c.ok {
			t.Errorf("%+v: err = %v", c.opt, err)
		}
	}
	if got, err := svc.LogVerifierKey(); err != nil || got != vkey {
		t.Fatalf("verifier key = %q, %v; want %q", got, err, vkey)
	}
}
