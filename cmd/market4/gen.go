package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/store"
)

// cmdGen runs `market4 gen`: it bulk-loads a district of synthetic but
// consistent activity — stalls, payments (static and dynamic, two
// providers), their transfers, balanced journal entries, refunds,
// unmatched transfers awaiting review, and the rollups — so that `market4
// audit` and `market4 rollups audit` pass and reports and benchmarks have
// realistic volume. PostgreSQL is loaded with COPY (pgx CopyFrom on the
// store's own connection), SQLite with batched multi-row inserts, in one
// transaction either way. A district that already exists (by name and
// province) is reused and topped up to the requested markets and stalls.
func cmdGen(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	district := fs.String("district", "Huyện Mẫu", "district name (created unless it exists in the province)")
	province := fs.String("province", "Hậu Giang", "province of the district")
	nMarkets := fs.Int("markets", 10, "markets in the district")
	nStalls := fs.Int("stalls", 1000, "active stalls in the district")
	nPayments := fs.Int("payments", 100_000, "payments to generate")
	days := fs.Int("days", 90, "days of activity, ending --end")
	endS := fs.String("end", "", "last business day YYYY-MM-DD (default today, Asia/Ho_Chi_Minh)")
	refundRate := fs.Float64("refund-rate", 0.01, "fraction of payments refunded")
	unmatched := fs.Int("unmatched", 25, "unmatched transfers awaiting review")
	seed := fs.Uint64("seed", 1, "random seed")
	migrate := fs.Bool("migrate", false, "apply pending migrations first")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *nMarkets < 1 || *nStalls < *nMarkets || *nPayments < 0 || *days < 1 || *days > 3660 || *refundRate < 0 || *refundRate > 1 {
		return usageError{"gen: need markets ≥ 1, stalls ≥ markets, payments ≥ 0, 1 ≤ days ≤ 3660, 0 ≤ refund-rate ≤ 1"}
	}
	end := time.Now().In(payment.BusinessLocation)
	if *endS != "" {
		t, err := time.ParseInLocation(time.DateOnly, *endS, payment.BusinessLocation)
		if err != nil {
			return usageError{"gen: --end must be YYYY-MM-DD"}
		}
		end = t
	}
	end = time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, payment.BusinessLocation)
	start := end.AddDate(0, 0, -(*days - 1))
	st, err := openStore(ctx, cfg, *migrate)
	if err != nil {
		return err
	}
	defer st.Close()
	g := &generator{r: rand.New(rand.NewPCG(*seed, 0x6d34)), start: start, end: end, days: *days, dialect: st.Dialect(),
		rollups: map[rollupKey]*rollupVal{}}
	g.codeOffset = g.r.Uint64() & (1<<40 - 1)
	began := time.Now()
	conn, err := st.SQL().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var w rowWriter
	if st.Dialect() == store.Postgres {
		err = conn.Raw(func(dc any) error {
			pc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("gen: the PostgreSQL driver connection is %T, not pgx", dc)
			}
			tx, err := pc.Conn().Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
				return err
			}
			w = &pgWriter{tx: tx}
			if err := g.run(ctx, w, *district, *province, *nMarkets, *nStalls, *nPayments, *refundRate, *unmatched, stdout); err != nil {
				return err
			}
			return tx.Commit(ctx)
		})
		if err == nil {
			_, err = st.SQL().ExecContext(ctx, "ANALYZE stalls; ANALYZE payments; ANALYZE transfers; ANALYZE journal; ANALYZE refunds; ANALYZE stall_daily")
		}
	} else {
		var tx *sql.Tx
		if tx, err = conn.BeginTx(ctx, nil); err != nil {
			return err
		}
		defer tx.Rollback()
		w = &sqlWriter{tx: tx}
		if err = g.run(ctx, w, *district, *province, *nMarkets, *nStalls, *nPayments, *refundRate, *unmatched, stdout); err == nil {
			err = tx.Commit()
		}
	}
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	// The rows went straight into stall_daily: bring the summaries of
	// already sealed days up to date, then seal the finished days, as a
	// running server would within ten minutes.
	svc := newService(cfg, st, log)
	if err := svc.RebuildSummaries(ctx, market.Actor{Role: market.RoleAdmin}); err != nil {
		return fmt.Errorf("gen: summaries: %w", err)
	}
	if _, _, err := svc.SealRollups(ctx); err != nil {
		return fmt.Errorf("gen: seal: %w", err)
	}
	el := time.Since(began)
	fmt.Fprintf(stdout, "generated district %s (%s): %d payments, %d refunds, %d unmatched transfers, %d journal lines, %d rollup rows over %s..%s in %s (%.0f payments/s)\n",
		g.districtID, *district, g.payments, g.refunds, g.unmatched, g.journal, len(g.rollups), start.Format(time.DateOnly), end.Format(time.DateOnly),
		el.Round(time.Millisecond), float64(g.payments)/el.Seconds())
	return nil
}

// rowWriter loads rows into one table of the open transaction.
type rowWriter interface {
	write(ctx context.Context, table string, cols []string, rows [][]any) error
	query(ctx context.Context, q string, args []any, scan func(vals []any) error, dest ...any) error
}

type pgWriter struct{ tx pgx.Tx }

func (w *pgWriter) write(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := w.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

func (w *pgWriter) query(ctx context.Context, q string, args []any, scan func([]any) error, dest ...any) error {
	n := 0
	q = dollarParams(q, &n)
	rows, err := w.tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := scan(dest); err != nil {
			return err
		}
	}
	return rows.Err()
}

// dollarParams turns ? placeholders into $1, $2, … for pgx.
func dollarParams(q string, n *int) string {
	var b strings.Builder
	for _, r := range q {
		if r == '?' {
			*n++
			fmt.Fprintf(&b, "$%d", *n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

type sqlWriter struct{ tx *sql.Tx }

func (w *sqlWriter) write(ctx context.Context, table string, cols []string, rows [][]any) error {
	per := max(1, 30000/len(cols))
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		args := make([]any, 0, len(part)*len(cols))
		for i, r := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		if _, err := w.tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func (w *sqlWriter) query(ctx context.Context, q string, args []any, scan func([]any) error, dest ...any) error {
	rows, err := w.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := scan(dest); err != nil {
			return err
		}
	}
	return rows.Err()
}

type genStall struct {
	id, market, account, bin string
	created                  time.Time
	weight                   float64
}

type rollupKey struct{ stall, day, provider string }

type rollupVal struct {
	market, district                    string
	payments, amount, refunds, refunded int64
}

type generator struct {
	r          *rand.Rand
	start, end time.Time
	days       int
	dialect    store.Dialect
	codeOffset uint64
	districtID string
	stalls     []genStall
	pending    []genStall
	cum        []float64 // cumulative weights for picking busy stalls more often
	rollups    map[rollupKey]*rollupVal
	seq        int64

	payments, refunds, unmatched, journal int
}

var (
	paymentCols  = []string{"id", "stall_id", "market_id", "district_id", "order_code", "kind", "channel", "provider", "amount", "paid", "refunded", "reserved", "description", "status", "overpaid", "late", "qr_payload", "pay_url", "provider_ref", "created_by", "created_at", "expires_at", "paid_at", "updated_at"}
	transferCols = []string{"provider", "event_id", "bank_bin", "account", "amount", "content", "reference", "incoming", "occurred_at", "received_at", "source", "outcome", "payment_id", "stall_id", "district_id"}
	journalCols  = []string{"entry_id", "account", "amount", "stall_id", "payment_id", "refund_id", "provider", "event_id", "created_at"}
	refundCols   = []string{"id", "payment_id", "stall_id", "amount", "reason", "status", "provider_ref", "message", "created_by", "created_at", "updated_at"}
	dailyCols    = []string{"stall_id", "day", "provider", "shard", "market_id", "district_id", "payments", "amount", "refunds", "refunded"}
)

func newUUID() string { return uuid.Must(uuid.NewV7()).String() }

// orderCode makes the i-th order code of this run: a bijection of i onto
// 40 bits (multiplying by an odd constant), so codes never repeat within a
// run and look random, in the M4 + 8 Crockford symbols shape.
func (g *generator) orderCode(i uint64) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	v := (g.codeOffset + i*0x9E3779B97F) & (1<<40 - 1)
	b := []byte("M4        ")
	for k := 9; k >= 2; k-- {
		b[k] = alphabet[v&31]
		v >>= 5
	}
	return string(b)
}

func (g *generator) run(ctx context.Context, w rowWriter, districtName, province string, nMarkets, nStalls, nPayments int, refundRate float64, nUnmatched int, stdout io.Writer) error {
	if err := g.registry(ctx, w, districtName, province, nMarkets, nStalls); err != nil {
		return err
	}
	const chunk = 50_000
	var ps, ts, js, fs [][]any
	flush := func() error {
		for _, t := range []struct {
			name string
			cols []string
			rows *[][]any
		}{{"payments", paymentCols, &ps}, {"transfers", transferCols, &ts}, {"journal", journalCols, &js}, {"refunds", refundCols, &fs}} {
			if err := w.write(ctx, t.name, t.cols, *t.rows); err != nil {
				return err
			}
			*t.rows = (*t.rows)[:0]
		}
		return nil
	}
	run := g.r.Uint32()
	progress := time.Now()
	for i := 0; i < nPayments; i++ {
		st := g.pick()
		at := g.when(st.created)
		amount := g.amount()
		prov, kind, channel, outcome := "mockbank", "static", "bank_qr", "direct"
		switch x := g.r.Float64(); {
		case x < 0.15:
			prov, kind, channel, outcome = "mockwallet", "dynamic", "ewallet", "matched"
		case x < 0.55:
			kind, outcome = "dynamic", "matched"
		}
		pid := newUUID()
		event := fmt.Sprintf("GEN%08x-%d", run, i)
		created := at
		expires := at
		if kind == "dynamic" {
			created = at.Add(-time.Duration(10+g.r.IntN(300)) * time.Second)
			expires = created.Add(15 * time.Minute)
		}
		received := at.Add(2 * time.Second)
		var refunded int64
		var refundAt time.Time
		if g.r.Float64() < refundRate {
			refunded = amount
			if g.r.IntN(2) == 0 {
				refunded = amount / 2
			}
			refundAt = received.Add(time.Duration(30+g.r.IntN(7200)) * time.Second)
		}
		ps = append(ps, []any{pid, st.id, st.market, g.districtID, g.orderCode(uint64(i)), kind, channel, prov, amount, amount, refunded, int64(0),
			"", "succeeded", false, false, "", "", event, nil, created.UTC(), expires.UTC(), received.UTC(), received.UTC()})
		ts = append(ts, []any{prov, event, st.bin, st.account, amount, "", "", true, at.UTC(), received.UTC(), "webhook", outcome, pid, st.id, g.districtID})
		entry := newUUID()
		js = append(js, []any{entry, "clearing:" + prov, amount, st.id, pid, nil, prov, event, received.UTC()},
			[]any{entry, "stall:" + st.id, -amount, st.id, pid, nil, prov, event, received.UTC()})
		g.add(st, payment.BusinessDay(at), prov, 1, amount, 0, 0)
		g.payments++
		g.journal += 2
		if refunded > 0 {
			rid, rentry := newUUID(), newUUID()
			fs = append(fs, []any{rid, pid, st.id, refunded, "gen", "succeeded", "RF" + rid[:8], "", nil, refundAt.UTC(), refundAt.UTC()})
			js = append(js, []any{rentry, "stall:" + st.id, refunded, st.id, pid, rid, prov, nil, refundAt.UTC()},
				[]any{rentry, "clearing:" + prov, -refunded, st.id, pid, rid, prov, nil, refundAt.UTC()})
			g.add(st, payment.BusinessDay(refundAt), prov, 0, 0, 1, refunded)
			g.refunds++
			g.journal += 2
		}
		if len(ps) >= chunk {
			if err := flush(); err != nil {
				return err
			}
			if time.Since(progress) > 10*time.Second {
				progress = time.Now()
				fmt.Fprintf(stdout, "… %d payments\n", i+1)
			}
		}
	}
	for i := 0; i < nUnmatched && len(g.pending) > 0; i++ {
		st := g.pending[g.r.IntN(len(g.pending))]
		at := g.when(st.created)
		amount := g.amount()
		event := fmt.Sprintf("GEN%08x-u%d", run, i)
		ts = append(ts, []any{"mockbank", event, st.bin, st.account, amount, "chuyen tien", "", true, at.UTC(), at.Add(2 * time.Second).UTC(),
			"webhook", "unmatched", nil, st.id, g.districtID})
		entry := newUUID()
		js = append(js, []any{entry, "clearing:mockbank", amount, nil, nil, nil, "mockbank", event, at.Add(2 * time.Second).UTC()},
			[]any{entry, "suspense:mockbank", -amount, nil, nil, nil, "mockbank", event, at.Add(2 * time.Second).UTC()})
		g.unmatched++
		g.journal += 2
	}
	if err := flush(); err != nil {
		return err
	}
	return g.writeRollups(ctx, w)
}

// add accumulates one movement into the stall's rollup of that day.
func (g *generator) add(st genStall, day, prov string, payments, amount, refunds, refunded int64) {
	k := rollupKey{st.id, day, prov}
	v := g.rollups[k]
	if v == nil {
		v = &rollupVal{market: st.market, district: g.districtID}
		g.rollups[k] = v
	}
	v.payments += payments
	v.amount += amount
	v.refunds += refunds
	v.refunded += refunded
}

// writeRollups adds the generated rollups to whatever stall_daily holds
// (a district topped up twice keeps correct sums).
func (g *generator) writeRollups(ctx context.Context, w rowWriter) error {
	// In day order, as live traffic writes them (a day's rows land
	// together), so the table is laid out as in production.
	keys := make([]rollupKey, 0, len(g.rollups))
	for k := range g.rollups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b rollupKey) int {
		return cmp.Or(strings.Compare(a.day, b.day), strings.Compare(a.stall, b.stall), strings.Compare(a.provider, b.provider))
	})
	rows := make([][]any, 0, len(keys))
	for _, k := range keys {
		v := g.rollups[k]
		rows = append(rows, []any{k.stall, k.day, k.provider, int16(0), v.market, v.district, v.payments, v.amount, v.refunds, v.refunded})
	}
	upsert := ` ON CONFLICT (stall_id, day, provider, shard) DO UPDATE SET payments = stall_daily.payments + excluded.payments,
		amount = stall_daily.amount + excluded.amount, refunds = stall_daily.refunds + excluded.refunds, refunded = stall_daily.refunded + excluded.refunded`
	if pw, ok := w.(*pgWriter); ok {
		if _, err := pw.tx.Exec(ctx, `CREATE TEMP TABLE gen_daily (LIKE stall_daily) ON COMMIT DROP`); err != nil {
			return err
		}
		if err := w.write(ctx, "gen_daily", dailyCols, rows); err != nil {
			return err
		}
		_, err := pw.tx.Exec(ctx, `INSERT INTO stall_daily SELECT * FROM gen_daily`+upsert)
		return err
	}
	sw := w.(*sqlWriter)
	for start := 0; start < len(rows); start += 2000 {
		part := rows[start:min(start+2000, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO stall_daily (" + strings.Join(dailyCols, ", ") + ") VALUES ")
		args := make([]any, 0, len(part)*len(dailyCols))
		for i, r := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, r...)
		}
		if _, err := sw.tx.ExecContext(ctx, b.String()+upsert, args...); err != nil {
			return err
		}
	}
	return nil
}

// registry finds or creates the district, its markets and stalls. Busy
// and quiet stalls differ (a log-normal weight each), 10% of the stalls
// registered during the period, and 1% stay pending, receiving the
// transfers that nobody matches.
func (g *generator) registry(ctx context.Context, w rowWriter, name, province string, nMarkets, nStalls int) error {
	now := time.Now().UTC()
	var id string
	err := w.query(ctx, `SELECT id FROM districts WHERE name = ? AND province = ?`, []any{name, province},
		func(v []any) error { id = *(v[0].(*string)); return nil }, new(string))
	if err != nil {
		return err
	}
	if id == "" {
		id = newUUID()
		if err := w.write(ctx, "districts", []string{"id", "name", "province", "created_at"}, [][]any{{id, name, province, now}}); err != nil {
			return err
		}
	}
	g.districtID = id
	var markets []string
	err = w.query(ctx, `SELECT id FROM markets WHERE district_id = ? ORDER BY id`, []any{id},
		func(v []any) error { markets = append(markets, *(v[0].(*string))); return nil }, new(string))
	if err != nil {
		return err
	}
	var newMarkets [][]any
	for i := len(markets); i < nMarkets; i++ {
		mid := newUUID()
		markets = append(markets, mid)
		newMarkets = append(newMarkets, []any{mid, id, fmt.Sprintf("Chợ %s %d", strings.TrimPrefix(strings.TrimPrefix(name, "Huyện "), "Quận "), i+1),
			fmt.Sprintf("Ấp %d, %s", i+1, province), now})
	}
	if err := w.write(ctx, "markets", []string{"id", "district_id", "name", "address", "created_at"}, newMarkets); err != nil {
		return err
	}
	var created time.Time
	var sid, mid, acct, bin, status string
	err = w.query(ctx, `SELECT id, market_id, account_number, bank_bin, status, created_at FROM stalls WHERE district_id = ?`, []any{id},
		func(v []any) error {
			s := genStall{id: sid, market: mid, account: acct, bin: bin, created: created, weight: g.weight()}
			if status == "active" {
				g.stalls = append(g.stalls, s)
			} else if status == "pending" {
				g.pending = append(g.pending, s)
			}
			return nil
		}, &sid, &mid, &acct, &bin, &status, &created)
	if err != nil {
		return err
	}
	bins := []string{"970436", "970418", "970407", "970422", "970405", "970415", "970403", "970423", "970432", "970448"}
	var rows [][]any
	for i := len(g.stalls); i < nStalls+nStalls/100; i++ {
		s := genStall{id: newUUID(), market: markets[i%len(markets)], account: fmt.Sprintf("%012d", g.r.Int64N(1e12)),
			bin: bins[g.r.IntN(len(bins))], weight: g.weight()}
		if g.r.IntN(10) == 0 {
			s.created = g.start.Add(time.Duration(g.r.Int64N(int64(g.end.Sub(g.start)) + 1)))
		} else {
			s.created = g.start.AddDate(0, 0, -1-g.r.IntN(365)).Add(time.Duration(g.r.IntN(86400)) * time.Second)
		}
		status := "active"
		if i >= nStalls {
			status = "pending"
			g.pending = append(g.pending, s)
		} else {
			g.stalls = append(g.stalls, s)
		}
		rows = append(rows, []any{s.id, s.market, id, nil, fmt.Sprintf("G%05d", i+1), fmt.Sprintf("Sạp %d", i+1), "other", s.bin, s.account,
			"NGUYEN VAN A", status, s.created.UTC(), s.created.UTC()})
	}
	if err := w.write(ctx, "stalls", []string{"id", "market_id", "district_id", "owner_id", "stall_number", "name", "category", "bank_bin",
		"account_number", "account_name", "status", "created_at", "updated_at"}, rows); err != nil {
		return err
	}
	if len(g.stalls) == 0 {
		return errors.New("no active stalls")
	}
	total := 0.0
	for _, s := range g.stalls {
		total += s.weight
		g.cum = append(g.cum, total)
	}
	return nil
}

// weight makes some stalls far busier than others (log-normal).
func (g *generator) weight() float64 { return math.Exp(g.r.NormFloat64() * 0.8) }

func (g *generator) pick() genStall {
	x := g.r.Float64() * g.cum[len(g.cum)-1]
	lo, hi := 0, len(g.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if g.cum[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return g.stalls[lo]
}

// when picks a moment in market hours (5:00–19:00 local, busier in the
// morning) on a day of the period, not before the stall registered.
func (g *generator) when(after time.Time) time.Time {
	for tries := 0; ; tries++ {
		day := g.start.AddDate(0, 0, g.r.IntN(g.days))
		hour := 5 + math.Abs(g.r.NormFloat64())*4
		if hour >= 19 {
			hour = 5 + g.r.Float64()*14
		}
		t := day.Add(time.Duration(hour * float64(time.Hour))).Truncate(time.Second)
		if t.After(after) || tries > 20 {
			if !t.After(after) {
				t = after.Add(time.Minute)
			}
			return t
		}
	}
}

// amount is a ticket between 5.000 and 500.000 đồng, log-uniform, in
// whole thousands.
func (g *generator) amount() int64 {
	v := math.Exp(math.Log(5000) + g.r.Float64()*(math.Log(500000)-math.Log(5000)))
	return int64(v/1000) * 1000
}
