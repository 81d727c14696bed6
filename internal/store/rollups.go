package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
)

// Summaries of sealed days (migration 00006). stall_daily holds every
// (stall, business day, provider) and is what the confirmation path
// writes; market_daily and stall_monthly hold the same figures per
// (market, day, provider) and per (stall, month, provider) for the days up
// to rollup_seal.sealed_through, so that a month's report reads ~5k rows
// instead of ~118k. The invariant, checked by AuditRollups: for every day
// up to the watermark the summaries equal stall_daily summed, and they hold
// nothing after it.

// sealedThrough is the SQL for the watermark, for use inside a report
// statement: every part of one statement reads it under one snapshot.
const sealedThrough = "(SELECT sealed_through FROM rollup_seal WHERE id = 1)"

// least is the two-argument minimum of each dialect.
func (r *repo) least(a, b string) string {
	if r.dialect == Postgres {
		return "LEAST(" + a + ", " + b + ")"
	}
	return "min(" + a + ", " + b + ")"
}

// dayBit is the SQL for the stall_monthly.days bit of a 'YYYY-MM-DD'
// column when the row has payments, else 0.
func (r *repo) dayBit(day, payments string) string {
	one := "1"
	if r.dialect == Postgres {
		one = "CAST(1 AS BIGINT)"
	}
	return "CASE WHEN " + payments + " > 0 THEN " + one + " << (CAST(substr(" + day + ", 9, 2) AS INTEGER) - 1) ELSE 0 END"
}

// bitOr aggregates dayBit values: bit_or on PostgreSQL; SQLite has none,
// and the sum of the distinct bits is the same thing because every value
// is 0 or the single bit of its day.
func (r *repo) bitOr(expr string) string {
	if r.dialect == Postgres {
		return "bit_or(" + expr + ")"
	}
	return "SUM(DISTINCT " + expr + ")"
}

// addSums is the ON CONFLICT … DO UPDATE assignments adding a row's four
// figures to table's existing row.
func addSums(table string) string {
	return "payments = " + table + ".payments + excluded.payments, amount = " + table + ".amount + excluded.amount, " +
		"refunds = " + table + ".refunds + excluded.refunds, refunded = " + table + ".refunded + excluded.refunded"
}

// dayBitOf is the stall_monthly.days bit of a business day for a delta
// with payments, else 0.
func dayBitOf(day string, payments int64) (int64, error) {
	if payments <= 0 {
		return 0, nil
	}
	if len(day) != 10 {
		return 0, errs.E(errs.Internal, "rollup day %q", day)
	}
	dom, err := strconv.Atoi(day[8:])
	if err != nil || dom < 1 || dom > 31 {
		return 0, errs.E(errs.Internal, "rollup day %q", day)
	}
	return 1 << (dom - 1), nil
}

// AddDaily implements app.PaymentStore: d goes to stall_daily and, when
// its day is sealed, to the summaries as well.
//
// The watermark must be read after the stall_daily upsert has taken
// stall_daily's ROW EXCLUSIVE lock, which is held to commit and which the
// sealer's SHARE ROW EXCLUSIVE waits for: then either the sealer waits for
// this transaction and folds its row, or this transaction waited for the
// sealer and reads its new watermark — never both, never neither
// (TestSealRacesLatePayments fails when the order is reversed). On
// PostgreSQL everything is one statement: its locks are taken when it is
// parsed or bound, and under READ COMMITTED its snapshot is taken after,
// when it starts executing; on an open day the summary parts write nothing.
// SQLite runs one writer at a time, so separate statements are as good.
func (r *repo) AddDaily(ctx context.Context, d app.DailyDelta) error {
	bit, err := dayBitOf(d.Day, d.Payments)
	if err != nil {
		return err
	}
	daily := `INSERT INTO stall_daily (stall_id, day, provider, shard, market_id, district_id, payments, amount, refunds, refunded)
	    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	    ON CONFLICT (stall_id, day, provider, shard) DO UPDATE SET ` + addSums("stall_daily")
	dailyArgs := []any{d.StallID, d.Day, d.Provider, d.Shard, d.MarketID, d.DistrictID, d.Payments, d.Amount, d.Refunds, d.Refunded}
	market := `INSERT INTO market_daily (market_id, day, provider, district_id, payments, amount, refunds, refunded)
	    SELECT ?, ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
	    FROM rollup_seal WHERE id = 1 AND sealed_through >= ?
	    ON CONFLICT (market_id, day, provider) DO UPDATE SET ` + addSums("market_daily")
	marketArgs := []any{d.MarketID, d.Day, d.Provider, d.DistrictID, d.Payments, d.Amount, d.Refunds, d.Refunded, d.Day}
	stall := `INSERT INTO stall_monthly (stall_id, month, provider, market_id, district_id, payments, amount, refunds, refunded, days)
	    SELECT ?, ?, ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
	    FROM rollup_seal WHERE id = 1 AND sealed_through >= ?
	    ON CONFLICT (stall_id, month, provider) DO UPDATE SET ` + addSums("stall_monthly") + `,
	        days     = stall_monthly.days | excluded.days`
	stallArgs := []any{d.StallID, d.Day[:7], d.Provider, d.MarketID, d.DistrictID, d.Payments, d.Amount, d.Refunds, d.Refunded, bit, d.Day}
	if r.dialect == Postgres {
		q := "WITH d AS (" + daily + "),\n\tm AS (" + market + ")\n" + stall
		args := append(append(dailyArgs, marketArgs...), stallArgs...)
		return translate(r.q(ctx).Exec(q, args...).Error)
	}
	for _, st := range []struct {
		q    string
		args []any
	}{{daily, dailyArgs}, {market, marketArgs}, {stall, stallArgs}} {
		if err := r.q(ctx).Exec(st.q, st.args...).Error; err != nil {
			return translate(err)
		}
	}
	return nil
}

// RollupsSealedThrough implements app.ReportStore.
func (r *repo) RollupsSealedThrough(ctx context.Context) (string, error) {
	var s string
	err := r.each(ctx, `SELECT sealed_through FROM rollup_seal WHERE id = 1`, nil, func(rows *sql.Rows) error { return rows.Scan(&s) })
	return s, err
}

// FirstRollupDay implements app.ReportStore. It scans stall_daily (no
// index leads with the day); SealRollups asks only before the first seal.
func (r *repo) FirstRollupDay(ctx context.Context) (string, error) {
	var s sql.NullString
	err := r.each(ctx, `SELECT MIN(day) FROM stall_daily`, nil, func(rows *sql.Rows) error { return rows.Scan(&s) })
	return s.String, err
}

// SealRollups implements app.ReportStore. On PostgreSQL it first takes
// SHARE ROW EXCLUSIVE on stall_daily: rollup writers wait (reads go on)
// while it folds the newly sealed days — a few milliseconds per day — and
// every writer that got in before has committed, so its rows are folded
// here. SQLite's IMMEDIATE transactions already exclude other writers.
func (r *repo) SealRollups(ctx context.Context, through string) (string, error) {
	if !r.inTx {
		return "", errs.E(errs.Internal, "SealRollups must run in a transaction")
	}
	// The watermark only moves forward: when it is already there, nothing
	// to do and no reason to make rollup writers wait for the lock.
	if prev, err := r.RollupsSealedThrough(ctx); err != nil || through <= prev {
		return prev, err
	}
	if err := r.lockRollupWriters(ctx); err != nil {
		return "", err
	}
	prev, err := r.RollupsSealedThrough(ctx)
	if err != nil || through <= prev {
		return prev, err
	}
	if err := r.foldSummaries(ctx, prev, through); err != nil {
		return "", err
	}
	return prev, translate(r.q(ctx).Exec(`UPDATE rollup_seal SET sealed_through = ? WHERE id = 1`, through).Error)
}

// lockRollupWriters makes stall_daily's writers wait until the
// transaction ends, and waits for those already in: SHARE ROW EXCLUSIVE on
// PostgreSQL (readers go on); SQLite's IMMEDIATE transactions exclude
// other writers already.
func (r *repo) lockRollupWriters(ctx context.Context) error {
	if r.dialect != Postgres {
		return nil
	}
	return translate(r.q(ctx).Exec(`LOCK TABLE stall_daily IN SHARE ROW EXCLUSIVE MODE`).Error)
}

// foldSummaries adds stall_daily's days in (after, through] to the
// summaries. The caller excludes rollup writers.
func (r *repo) foldSummaries(ctx context.Context, after, through string) error {
	err := r.q(ctx).Exec(`INSERT INTO market_daily (market_id, day, provider, district_id, payments, amount, refunds, refunded)
	SELECT d.market_id, d.day, d.provider, MIN(d.district_id), SUM(d.payments), SUM(d.amount), SUM(d.refunds), SUM(d.refunded)
	FROM stall_daily d
	WHERE d.day > ? AND d.day <= ?
	GROUP BY d.market_id, d.day, d.provider`, after, through).Error
	if err != nil {
		return translate(err)
	}
	// A month sealed in several steps already has a row: add to it.
	err = r.q(ctx).Exec(`INSERT INTO stall_monthly (stall_id, month, provider, market_id, district_id, payments, amount, refunds, refunded, days)
	SELECT d.stall_id, substr(d.day, 1, 7), d.provider, MIN(d.market_id), MIN(d.district_id),
	       SUM(d.payments), SUM(d.amount), SUM(d.refunds), SUM(d.refunded), `+r.bitOr(r.dayBit("d.day", "d.payments"))+`
	FROM stall_daily d
	WHERE d.day > ? AND d.day <= ?
	GROUP BY d.stall_id, substr(d.day, 1, 7), d.provider
	ON CONFLICT (stall_id, month, provider) DO UPDATE SET `+addSums("stall_monthly")+`,
	    days     = stall_monthly.days | excluded.days`, after, through).Error
	return translate(err)
}

// RebuildSummaries implements app.ReportStore, excluding rollup writers
// as SealRollups does.
func (r *repo) RebuildSummaries(ctx context.Context) error {
	if !r.inTx {
		return errs.E(errs.Internal, "RebuildSummaries must run in a transaction")
	}
	if err := r.lockRollupWriters(ctx); err != nil {
		return err
	}
	return r.rebuildSummaries(ctx)
}

// rebuildSummaries recomputes the summaries of every sealed day from
// stall_daily. The caller excludes rollup writers.
func (r *repo) rebuildSummaries(ctx context.Context) error {
	for _, t := range []string{"market_daily", "stall_monthly"} {
		if err := r.q(ctx).Exec(`DELETE FROM ` + t).Error; err != nil {
			return translate(err)
		}
	}
	s, err := r.RollupsSealedThrough(ctx)
	if err != nil || s == "" {
		return err
	}
	return r.foldSummaries(ctx, "", s)
}

// auditSummaries compares the summaries with stall_daily summed over the
// sealed days, and reports summary rows of days not sealed.
func (r *repo) auditSummaries(ctx context.Context) ([]string, error) {
	var out []string
	q := `SELECT x.market_id, x.day, x.provider, SUM(x.sp), SUM(x.sa), SUM(x.sr), SUM(x.sf), SUM(x.mp), SUM(x.ma), SUM(x.mr), SUM(x.mf)
	FROM (
	    SELECT d.market_id, d.day, d.provider, d.payments AS sp, d.amount AS sa, d.refunds AS sr, d.refunded AS sf,
	           0 AS mp, 0 AS ma, 0 AS mr, 0 AS mf
	    FROM stall_daily d WHERE d.day <= ` + sealedThrough + `
	    UNION ALL
	    SELECT m.market_id, m.day, m.provider, 0, 0, 0, 0, m.payments, m.amount, m.refunds, m.refunded FROM market_daily m
	) x
	GROUP BY x.market_id, x.day, x.provider
	HAVING SUM(x.sp) <> SUM(x.mp) OR SUM(x.sa) <> SUM(x.ma) OR SUM(x.sr) <> SUM(x.mr) OR SUM(x.sf) <> SUM(x.mf)
	ORDER BY x.market_id, x.day, x.provider`
	err := r.each(ctx, q, nil, func(rows *sql.Rows) error {
		var mkt, day, prov string
		var sp, sa, sr, sf, mp, ma, mr, mf int64
		if err := rows.Scan(&mkt, &day, &prov, &sp, &sa, &sr, &sf, &mp, &ma, &mr, &mf); err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("market summary differs from stall rollups: market %s day %s provider %s: rollups %d payments / %d đồng, %d refunds / %d đồng; summary %d / %d, %d / %d",
			mkt, day, prov, sp, sa, sr, sf, mp, ma, mr, mf))
		return nil
	})
	if err != nil {
		return nil, err
	}
	q = `SELECT x.stall_id, x.month, x.provider, SUM(x.sp), SUM(x.sa), SUM(x.sr), SUM(x.sf), SUM(x.sd),
	       SUM(x.mp), SUM(x.ma), SUM(x.mr), SUM(x.mf), SUM(x.md)
	FROM (
	    SELECT d.stall_id, substr(d.day, 1, 7) AS month, d.provider, SUM(d.payments) AS sp, SUM(d.amount) AS sa,
	           SUM(d.refunds) AS sr, SUM(d.refunded) AS sf, ` + r.bitOr(r.dayBit("d.day", "d.payments")) + ` AS sd,
	           0 AS mp, 0 AS ma, 0 AS mr, 0 AS mf, 0 AS md
	    FROM stall_daily d WHERE d.day <= ` + sealedThrough + `
	    GROUP BY d.stall_id, substr(d.day, 1, 7), d.provider
	    UNION ALL
	    SELECT m.stall_id, m.month, m.provider, 0, 0, 0, 0, 0, m.payments, m.amount, m.refunds, m.refunded, m.days
	    FROM stall_monthly m
	) x
	GROUP BY x.stall_id, x.month, x.provider
	HAVING SUM(x.sp) <> SUM(x.mp) OR SUM(x.sa) <> SUM(x.ma) OR SUM(x.sr) <> SUM(x.mr) OR SUM(x.sf) <> SUM(x.mf)
	    OR SUM(x.sd) <> SUM(x.md)
	ORDER BY x.stall_id, x.month, x.provider`
	err = r.each(ctx, q, nil, func(rows *sql.Rows) error {
		var stall, month, prov string
		var sp, sa, sr, sf, sd, mp, ma, mr, mf, md int64
		if err := rows.Scan(&stall, &month, &prov, &sp, &sa, &sr, &sf, &sd, &mp, &ma, &mr, &mf, &md); err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("stall month summary differs from stall rollups: stall %s month %s provider %s: rollups %d payments / %d đồng, %d refunds / %d đồng, days %b; summary %d / %d, %d / %d, days %b",
			stall, month, prov, sp, sa, sr, sf, sd, mp, ma, mr, mf, md))
		return nil
	})
	return out, err
}
