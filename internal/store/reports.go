package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"iter"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
)

// Reports read stall_daily (the per-stall, per-business-day rollups the
// confirmation path maintains) and the registry, never payments or the
// journal: their cost grows with stalls × days, not with payments.

// bucketExpr is the SQL for the report bucket holding stall_daily.day
// (TEXT 'YYYY-MM-DD'): the day itself, the first of its month, or — for
// ISO weeks, Monday to Sunday — the number of whole weeks since f.From,
// which the service aligns to a Monday, read from the day table (see
// dayTable; weekBucket turns it back into a date). join reports whether
// the query must join the day table.
func bucketExpr(f app.ReportFilter) (expr string, join bool, err error) {
	if f.Whole {
		return "''", false, nil
	}
	switch f.Period {
	case app.PeriodDay:
		return "d.day", false, nil
	case app.PeriodMonth:
		return "substr(d.day, 1, 7) || '-01'", false, nil
	case app.PeriodWeek:
		return "k.n / 7", true, nil
	}
	return "", false, errs.E(errs.Internal, "unknown report period %q", f.Period)
}

// reportRange parses f's range, which the service has validated.
func reportRange(f app.ReportFilter) (from, to time.Time, err error) {
	if from, err = time.Parse(time.DateOnly, f.From); err != nil {
		return from, to, errs.E(errs.Internal, "report from %q", f.From)
	}
	if to, err = time.Parse(time.DateOnly, f.To); err != nil || to.Before(from) {
		return from, to, errs.E(errs.Internal, "report to %q", f.To)
	}
	return from, to, nil
}

// dayTable is a WITH clause naming every day of f's range with its number
// from f.From, k(day, n), for queries that need a day's position in the
// range: joining it costs a hash probe per rollup row where parsing d.day
// as a date cost ~0.6 µs a row on PostgreSQL — more than all the rest of a
// month's report at 10M payments. The days are formatted here from parsed
// dates, never taken from the request, so they are safe to inline.
func dayTable(f app.ReportFilter) (string, int, error) {
	from, to, err := reportRange(f)
	if err != nil {
		return "", 0, err
	}
	var b strings.Builder
	b.WriteString("WITH k(day, n) AS (VALUES ")
	n := 0
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString("('" + d.Format(time.DateOnly) + "', " + strconv.Itoa(n) + ")")
		n++
	}
	b.WriteString(")\n")
	return b.String(), n, nil
}

// weekBucket turns the week number bucketExpr yields back into the date
// of that week's Monday.
func weekBucket(f app.ReportFilter, n string) (string, error) {
	k, err := strconv.Atoi(n)
	from, err2 := time.Parse(time.DateOnly, f.From)
	if err != nil || err2 != nil {
		return "", fmt.Errorf("week bucket %q from %q", n, f.From)
	}
	return from.AddDate(0, 0, 7*k).Format(time.DateOnly), nil
}

func groupColumn(groupBy string) (string, error) {
	switch groupBy {
	case app.GroupDistrict:
		return "district_id", nil
	case app.GroupMarket:
		return "market_id", nil
	case app.GroupStall:
		return "stall_id", nil
	}
	return "", errs.E(errs.Internal, "unknown report grouping %q", groupBy)
}

// scopeOf is the WHERE conditions selecting f's district, market and
// stalls in the rollup table aliased t, without dates. The district comes
// first so that the (district_id, day|month) indexes are used; a single
// stall uses the primary key, which starts with the stall.
func scopeOf(f app.ReportFilter, t string) ([]string, []any) {
	var where []string
	var args []any
	if f.StallID != "" {
		where = append(where, t+".stall_id = ?")
		args = append(args, f.StallID)
	}
	if f.DistrictID != "" {
		where = append(where, t+".district_id = ?")
		args = append(args, f.DistrictID)
	}
	if f.MarketID != "" {
		where = append(where, t+".market_id = ?")
		args = append(args, f.MarketID)
	}
	if len(f.StallIDs) > 0 {
		where = append(where, t+".stall_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.StallIDs)), ", ")+")")
		for _, id := range f.StallIDs {
			args = append(args, id)
		}
	}
	return where, args
}

// flowPart is one SELECT of a report's UNION ALL: rollup figures with the
// group column and the day they count for.
type flowPart struct {
	sql  string
	args []any
}

// part selects group, day, provider and the four figures from table t
// (aliased x) within f's scope and the given day conditions.
func part(f app.ReportFilter, group, table, day string, conds []string, args []any) flowPart {
	where, wargs := scopeOf(f, "x")
	where = append(where, conds...)
	return flowPart{
		sql: "SELECT x." + group + " AS group_id, " + day + " AS day, x.provider, x.payments, x.amount, x.refunds, x.refunded\n\t    FROM " +
			table + " x\n\t    WHERE " + strings.Join(where, " AND "),
		args: append(wargs, args...),
	}
}

// wholeMonths returns the first and last day of the calendar months lying
// wholly inside [from, to], or ok false when there are none.
func wholeMonths(from, to string) (first, last string, ok bool) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	if f.Day() != 1 {
		f = time.Date(f.Year(), f.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	if t.AddDate(0, 0, 1).Day() != 1 {
		t = time.Date(t.Year(), t.Month(), 0, 0, 0, 0, 0, time.UTC)
	}
	if t.Before(f) {
		return "", "", false
	}
	return f.Format(time.DateOnly), t.Format(time.DateOnly), true
}

// flowParts splits f's range between the summaries of sealed days and
// stall_daily, so that every day is read from exactly one place under the
// statement's snapshot of the watermark (sealedThrough):
//   - reports by district or market read market_daily up to the watermark
//     and stall_daily after it;
//   - reports by stall in months or one bucket read stall_monthly for the
//     calendar months wholly inside the range (it holds their sealed days)
//     and stall_daily for the rest;
//   - other reports by stall (per day or week: a row per stall-day is
//     what they show) read stall_daily.
func (r *repo) flowParts(f app.ReportFilter, group string) []flowPart {
	daily := func(conds []string, args []any) flowPart {
		return part(f, group, "stall_daily", "x.day", conds, args)
	}
	if f.StallID == "" && len(f.StallIDs) == 0 && f.GroupBy != app.GroupStall {
		return []flowPart{
			part(f, group, "market_daily", "x.day", []string{"x.day >= ?", "x.day <= " + r.least("?", sealedThrough)}, []any{f.From, f.To}),
			daily([]string{"x.day >= ?", "x.day <= ?", "x.day > " + sealedThrough}, []any{f.From, f.To}),
		}
	}
	first, last, ok := wholeMonths(f.From, f.To)
	if !ok || !(f.Whole || f.Period == app.PeriodMonth) {
		return []flowPart{daily([]string{"x.day >= ?", "x.day <= ?"}, []any{f.From, f.To})}
	}
	return []flowPart{
		part(f, group, "stall_monthly", "x.month || '-01'", []string{"x.month >= ?", "x.month <= ?"}, []any{first[:7], last[:7]}),
		daily([]string{"x.day >= ?", "x.day < ?"}, []any{f.From, first}),
		daily([]string{"x.day >= ?", "x.day <= ?", "x.day > " + r.least("?", sealedThrough)}, []any{first, f.To, last}),
	}
}

// ReportFlows implements app.ReportStore.
func (r *repo) ReportFlows(ctx context.Context, f app.ReportFilter) ([]app.FlowRow, error) {
	group, err := groupColumn(f.GroupBy)
	if err != nil {
		return nil, err
	}
	bucket, join, err := bucketExpr(f)
	if err != nil {
		return nil, err
	}
	with, from := "", "d"
	if join {
		if with, _, err = dayTable(f); err != nil {
			return nil, err
		}
		from += " JOIN k ON k.day = d.day"
	}
	var parts []string
	var args []any
	for _, p := range r.flowParts(f, group) {
		parts = append(parts, p.sql)
		args = append(args, p.args...)
	}
	q := with + `SELECT d.group_id, ` + bucket + ` AS bucket, d.provider,
	       SUM(d.payments), SUM(d.amount), SUM(d.refunds), SUM(d.refunded)
	FROM (
	    ` + strings.Join(parts, "\n\t    UNION ALL\n\t    ") + `
	) ` + from + `
	GROUP BY 1, 2, 3
	ORDER BY 1, 2, 3`
	var out []app.FlowRow
	err = r.each(ctx, q, args, func(rows *sql.Rows) error {
		var fr app.FlowRow
		if err := rows.Scan(&fr.GroupID, &fr.Bucket, &fr.Provider, &fr.Payments, &fr.Amount, &fr.Refunds, &fr.Refunded); err != nil {
			return err
		}
		if f.Period == app.PeriodWeek && !f.Whole {
			var err error
			if fr.Bucket, err = weekBucket(f, fr.Bucket); err != nil {
				return err
			}
		}
		out = append(out, fr)
		return nil
	})
	return out, err
}

// monthDays yields the days set in a stall_monthly.days mask, as offsets
// from the first of the month (bit 0 is day 1).
func monthDays(mask uint64) iter.Seq[int] {
	return func(yield func(int) bool) {
		for b := mask; b != 0; b &= b - 1 {
			if !yield(bits.TrailingZeros64(b)) {
				return
			}
		}
	}
}

// ReportActivity implements app.ReportStore, in one statement: the days
// with payments of sealed days come from stall_monthly.days (a row per
// stall, month and provider), those after the watermark from stall_daily
// (a row per stall and day); they are folded into the range's words here.
// Refund-only rollup rows do not make a stall active.
func (r *repo) ReportActivity(ctx context.Context, f app.ReportFilter) ([]app.StallActivity, error) {
	from, to, err := reportRange(f)
	if err != nil {
		return nil, err
	}
	days := int(to.Sub(from).Hours()/24) + 1
	words := (days-1)/app.ActivityWordDays + 1

	mw, margs := scopeOf(f, "m")
	dw, dargs := scopeOf(f, "d")
	mw = append(mw, "m.month >= ?", "m.month <= ?", "m.days <> 0")
	margs = append(margs, f.From[:7], f.To[:7])
	dw = append(dw, "d.day >= ?", "d.day <= ?", "d.day > "+sealedThrough, "d.payments > 0")
	dargs = append(dargs, f.From, f.To)
	q := `SELECT m.stall_id, m.month, m.days FROM stall_monthly m
	WHERE ` + strings.Join(mw, " AND ") + `
	UNION ALL
	SELECT DISTINCT d.stall_id, d.day, 0 FROM stall_daily d
	WHERE ` + strings.Join(dw, " AND ")

	byStall := map[string][]uint64{}
	set := func(stall string, day time.Time) {
		n := int(day.Sub(from).Hours() / 24)
		if n < 0 || n >= days {
			return
		}
		w := byStall[stall]
		if w == nil {
			w = make([]uint64, words)
			byStall[stall] = w
		}
		w[n/app.ActivityWordDays] |= 1 << (n % app.ActivityWordDays)
	}
	err = r.each(ctx, q, append(margs, dargs...), func(rows *sql.Rows) error {
		var stall, key string
		var mask int64
		if err := rows.Scan(&stall, &key, &mask); err != nil {
			return err
		}
		if len(key) == len("2006-01") { // a month's days
			m, err := time.Parse("2006-01", key)
			if err != nil {
				return err
			}
			for d := range monthDays(uint64(mask)) {
				set(stall, m.AddDate(0, 0, d))
			}
			return nil
		}
		d, err := time.Parse(time.DateOnly, key)
		if err != nil {
			return err
		}
		set(stall, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]app.StallActivity, 0, len(byStall))
	for id, w := range byStall {
		out = append(out, app.StallActivity{StallID: id, Days: w})
	}
	return out, nil
}

// ReportStalls implements app.ReportStore.
func (r *repo) ReportStalls(ctx context.Context, f app.ReportFilter) ([]app.StallInfo, error) {
	var where []string
	var args []any
	if f.DistrictID != "" {
		where = append(where, "s.district_id = ?")
		args = append(args, f.DistrictID)
	}
	if f.MarketID != "" {
		where = append(where, "s.market_id = ?")
		args = append(args, f.MarketID)
	}
	if f.StallID != "" {
		where = append(where, "s.id = ?")
		args = append(args, f.StallID)
	}
	q := `SELECT s.id, s.market_id, s.district_id, m.name, dd.name, s.stall_number, s.name, s.category, s.status, s.created_at
	FROM stalls s
	JOIN markets m ON m.id = s.market_id
	JOIN districts dd ON dd.id = s.district_id`
	if len(where) > 0 {
		q += "\n\tWHERE " + strings.Join(where, " AND ")
	}
	q += "\n\tORDER BY s.id"
	var out []app.StallInfo
	err := r.each(ctx, q, args, func(rows *sql.Rows) error {
		var s app.StallInfo
		if err := rows.Scan(&s.ID, &s.MarketID, &s.DistrictID, &s.MarketName, &s.DistrictName, &s.StallNumber, &s.Name,
			&s.Category, &s.Status, &s.CreatedAt); err != nil {
			return err
		}
		s.CreatedAt = s.CreatedAt.UTC()
		out = append(out, s)
		return nil
	})
	return out, err
}

// CountUnreviewed implements app.ReportStore; transfers_unreviewed_idx
// keeps it as cheap as the queue is short.
func (r *repo) CountUnreviewed(ctx context.Context, districtID string) (int64, error) {
	q := `SELECT COUNT(*) FROM transfers WHERE outcome = 'unmatched' AND reviewed_at IS NULL`
	var args []any
	if districtID != "" {
		q += ` AND district_id = ?`
		args = append(args, districtID)
	}
	var n int64
	err := r.each(ctx, q, args, func(rows *sql.Rows) error { return rows.Scan(&n) })
	return n, err
}

// MarketDaily implements app.ReportStore, in one statement like the
// reports: sealed days' sums come from market_daily and their active
// stalls from stall_monthly's day bits (a row per stall, month and
// provider, counted here); days after the watermark from stall_daily.
func (r *repo) MarketDaily(ctx context.Context, districtID, from, to string) ([]app.MarketDay, error) {
	scope := func(t string) (string, []any) {
		if districtID == "" {
			return "", nil
		}
		return t + ".district_id = ? AND ", []any{districtID}
	}
	ms, margs := scope("m")
	ds, dargs := scope("d")
	ss, sargs := scope("s")
	q := `SELECT u.kind, u.market_id, mk.district_id, dd.name, mk.name, u.stall_id, u.k, u.n, u.payments, u.amount, u.refunds, u.refunded
	FROM (
	    SELECT 'sealed' AS kind, m.market_id, '' AS stall_id, m.day AS k, 0 AS n,
	           SUM(m.payments) AS payments, SUM(m.amount) AS amount, SUM(m.refunds) AS refunds, SUM(m.refunded) AS refunded
	    FROM market_daily m
	    WHERE ` + ms + `m.day >= ? AND m.day <= ` + r.least("?", sealedThrough) + `
	    GROUP BY m.market_id, m.day
	    UNION ALL
	    SELECT 'open', d.market_id, '', d.day, COUNT(DISTINCT CASE WHEN d.payments > 0 THEN d.stall_id END),
	           SUM(d.payments), SUM(d.amount), SUM(d.refunds), SUM(d.refunded)
	    FROM stall_daily d
	    WHERE ` + ds + `d.day >= ? AND d.day <= ? AND d.day > ` + sealedThrough + `
	    GROUP BY d.market_id, d.day
	    UNION ALL
	    SELECT 'days', s.market_id, s.stall_id, s.month, s.days, 0, 0, 0, 0
	    FROM stall_monthly s
	    WHERE ` + ss + `s.month >= ? AND s.month <= ? AND s.days <> 0
	) u
	JOIN markets mk ON mk.id = u.market_id
	JOIN districts dd ON dd.id = mk.district_id`
	var args []any
	args = append(append(args, margs...), from, to)
	args = append(append(args, dargs...), from, to)
	args = append(append(args, sargs...), from[:7], to[:7])

	type key struct{ market, day string }
	var out []app.MarketDay
	sealed := map[key]int{}        // index in out of a sealed day's row
	days := map[[3]string]uint64{} // (market, stall, month) → days with payments
	err := r.each(ctx, q, args, func(rows *sql.Rows) error {
		var m app.MarketDay
		var kind, stall string
		var n int64
		if err := rows.Scan(&kind, &m.MarketID, &m.DistrictID, &m.DistrictName, &m.MarketName, &stall, &m.Day, &n,
			&m.Payments, &m.Amount, &m.Refunds, &m.Refunded); err != nil {
			return err
		}
		switch kind {
		case "days":
			days[[3]string{m.MarketID, stall, m.Day}] |= uint64(n)
			return nil
		case "sealed":
			sealed[key{m.MarketID, m.Day}] = len(out)
		default:
			m.ActiveStalls = n
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k, b := range days {
		for d := range monthDays(b) {
			day := k[2] + "-" + fmt.Sprintf("%02d", d+1)
			if i, ok := sealed[key{k[0], day}]; ok {
				out[i].ActiveStalls++
			}
		}
	}
	slices.SortFunc(out, func(a, b app.MarketDay) int {
		return cmp.Or(strings.Compare(a.Day, b.Day), strings.Compare(a.DistrictName, b.DistrictName),
			strings.Compare(a.MarketName, b.MarketName), strings.Compare(a.MarketID, b.MarketID))
	})
	return out, nil
}

// businessDay is the SQL for the Asia/Ho_Chi_Minh date of a timestamp
// column, matching payment.BusinessDay. SQLite has no time zone database;
// Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed
// offset is exact for every date this product records.
func (r *repo) businessDay(col string) string {
	if r.dialect == Postgres {
		return "to_char(" + col + " AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD')"
	}
	return "date(" + col + ", '+7 hours')"
}

// movementsByDay is the SQL for the rollup figures recomputed from the
// journal, one row per money movement: payment credits (the stall line of
// a Received entry, dated by the transfer's business day, as
// ConfirmTransfer does) and refunds (the stall line of a RefundSent entry,
// dated by the day it was journaled, as settleRefund does).
func (r *repo) movementsByDay() string {
	return `SELECT j.stall_id, j.payment_id, ` + r.businessDay("t.occurred_at") + ` AS day, j.provider,
	       1 AS payments, -j.amount AS amount, 0 AS refunds, 0 AS refunded
	    FROM journal j
	    JOIN transfers t ON t.provider = j.provider AND t.event_id = j.event_id
	    WHERE j.account LIKE 'stall:%' AND j.refund_id IS NULL AND j.amount < 0
	    UNION ALL
	    SELECT j.stall_id, j.payment_id, ` + r.businessDay("j.created_at") + `, j.provider,
	       0, 0, 1, j.amount
	    FROM journal j
	    WHERE j.account LIKE 'stall:%' AND j.refund_id IS NOT NULL`
}

// RebuildRollups implements app.ReportStore. On PostgreSQL it first locks
// stall_daily against writes (reads go on), so a payment confirmed during
// the rebuild either committed before it (and is in the journal it reads)
// or waits and adds its increment to the rebuilt rows. SQLite's IMMEDIATE
// transactions already exclude every other writer.
func (r *repo) RebuildRollups(ctx context.Context) (int64, error) {
	if !r.inTx {
		return 0, errs.E(errs.Internal, "RebuildRollups must run in a transaction")
	}
	if r.dialect == Postgres {
		if err := r.q(ctx).Exec(`LOCK TABLE stall_daily IN EXCLUSIVE MODE`).Error; err != nil {
			return 0, translate(err)
		}
	}
	if err := r.q(ctx).Exec(`DELETE FROM stall_daily`).Error; err != nil {
		return 0, translate(err)
	}
	q := `INSERT INTO stall_daily (stall_id, day, provider, shard, market_id, district_id, payments, amount, refunds, refunded)
	SELECT m.stall_id, m.day, m.provider, 0, p.market_id, p.district_id,
	       SUM(m.payments), SUM(m.amount), SUM(m.refunds), SUM(m.refunded)
	FROM (` + r.movementsByDay() + `) m
	JOIN payments p ON p.id = m.payment_id
	GROUP BY m.stall_id, m.day, m.provider, p.market_id, p.district_id`
	res := r.q(ctx).Exec(q)
	if res.Error != nil {
		return 0, translate(res.Error)
	}
	return res.RowsAffected, r.rebuildSummaries(ctx)
}

// CompactRollups implements app.ReportStore. Shards exist so concurrent
// payments to one stall do not queue on one row; once a day is over they
// only cost report time, so they are folded into shard 0. On PostgreSQL the
// DELETE … RETURNING hands over each row as of its deletion (waiting for a
// concurrent increment to commit first), so nothing is lost; an increment
// arriving later for that day simply starts a new shard row.
func (r *repo) CompactRollups(ctx context.Context, before string) (int64, error) {
	if r.dialect == Postgres {
		res := r.q(ctx).Exec(`WITH moved AS (
		    DELETE FROM stall_daily WHERE day < ? AND shard <> 0
		    RETURNING stall_id, day, provider, market_id, district_id, payments, amount, refunds, refunded
		)
		INSERT INTO stall_daily (stall_id, day, provider, shard, market_id, district_id, payments, amount, refunds, refunded)
		SELECT stall_id, day, provider, 0, MIN(market_id), MIN(district_id), SUM(payments), SUM(amount), SUM(refunds), SUM(refunded)
		FROM moved
		GROUP BY stall_id, day, provider
		ON CONFLICT (stall_id, day, provider, shard) DO UPDATE SET `+addSums("stall_daily"), before)
		return res.RowsAffected, translate(res.Error)
	}
	if !r.inTx {
		return 0, errs.E(errs.Internal, "CompactRollups must run in a transaction on SQLite")
	}
	res := r.q(ctx).Exec(`INSERT INTO stall_daily (stall_id, day, provider, shard, market_id, district_id, payments, amount, refunds, refunded)
	SELECT stall_id, day, provider, 0, MIN(market_id), MIN(district_id), SUM(payments), SUM(amount), SUM(refunds), SUM(refunded)
	FROM stall_daily
	WHERE day < ? AND shard <> 0
	GROUP BY stall_id, day, provider
	ON CONFLICT (stall_id, day, provider, shard) DO UPDATE SET `+addSums("stall_daily"), before)
	if res.Error != nil {
		return 0, translate(res.Error)
	}
	n := res.RowsAffected
	if err := r.q(ctx).Exec(`DELETE FROM stall_daily WHERE day < ? AND shard <> 0`, before).Error; err != nil {
		return 0, translate(err)
	}
	return n, nil
}

// AuditRollups implements app.ReportStore: every (stall, business day,
// provider) of the rollups must hold exactly the payments, amounts, refunds
// and refunded amounts the journal records, and every rollup row must name
// its stall's market and district.
func (r *repo) AuditRollups(ctx context.Context) ([]string, error) {
	var out []string
	q := `SELECT x.stall_id, x.day, x.provider, SUM(x.jp), SUM(x.ja), SUM(x.jr), SUM(x.jf), SUM(x.dp), SUM(x.da), SUM(x.dr), SUM(x.df)
	FROM (
	    SELECT m.stall_id, m.day, m.provider, m.payments AS jp, m.amount AS ja, m.refunds AS jr, m.refunded AS jf,
	           0 AS dp, 0 AS da, 0 AS dr, 0 AS df
	    FROM (` + r.movementsByDay() + `) m
	    UNION ALL
	    SELECT stall_id, day, provider, 0, 0, 0, 0, payments, amount, refunds, refunded FROM stall_daily
	) x
	GROUP BY x.stall_id, x.day, x.provider
	HAVING SUM(x.jp) <> SUM(x.dp) OR SUM(x.ja) <> SUM(x.da) OR SUM(x.jr) <> SUM(x.dr) OR SUM(x.jf) <> SUM(x.df)
	ORDER BY x.stall_id, x.day, x.provider`
	err := r.each(ctx, q, nil, func(rows *sql.Rows) error {
		var stall, day, prov string
		var jp, ja, jr, jf, dp, da, dr, df int64
		if err := rows.Scan(&stall, &day, &prov, &jp, &ja, &jr, &jf, &dp, &da, &dr, &df); err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("rollup differs from journal: stall %s day %s provider %s: journal %d payments / %d đồng, %d refunds / %d đồng; rollup %d / %d, %d / %d",
			stall, day, prov, jp, ja, jr, jf, dp, da, dr, df))
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = r.each(ctx, `SELECT DISTINCT d.stall_id FROM stall_daily d JOIN stalls s ON s.id = d.stall_id
	WHERE d.market_id <> s.market_id OR d.district_id <> s.district_id ORDER BY d.stall_id`, nil, func(rows *sql.Rows) error {
		var stall string
		if err := rows.Scan(&stall); err != nil {
			return err
		}
		out = append(out, "rollup names another market or district than its stall: stall "+stall)
		return nil
	})
	if err != nil {
		return nil, err
	}
	more, err := r.auditSummaries(ctx)
	return append(out, more...), err
}

// each runs a raw query and calls fn for every row.
func (r *repo) each(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := r.q(ctx).Raw(q, args...).Rows()
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return translate(err)
		}
	}
	return translate(rows.Err())
}
