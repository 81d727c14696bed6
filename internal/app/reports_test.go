package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// bruteRow is what a report row must say, recomputed from payments,
// transfers, refunds and stalls without the rollups.
type bruteRow struct {
	payments, amount, refunds, refunded, ocop int64
	byProv                                    map[string][2]int64
	active                                    map[string]bool
	registered, newStalls                     int64
}

type bruteStall struct {
	id, market, district, status, category string
	created                                time.Time
}

type bruteWorld struct {
	stalls map[string]bruteStall
	// credits: one per credited transfer; refunds: one per succeeded refund
	credits []bruteMove
	refunds []bruteMove
}

type bruteMove struct {
	stall, provider string
	amount          int64
	at              time.Time
}

func loadBrute(t *testing.T, st *store.Store) bruteWorld {
	t.Helper()
	db := st.SQL()
	bw := bruteWorld{stalls: map[string]bruteStall{}}
	rows, err := db.Query(`SELECT id, market_id, district_id, status, category, created_at FROM stalls`)
	trMust(t, err)
	for rows.Next() {
		var s bruteStall
		trMust(t, rows.Scan(&s.id, &s.market, &s.district, &s.status, &s.category, &s.created))
		bw.stalls[s.id] = s
	}
	trMust(t, rows.Err())
	rows.Close()
	rows, err = db.Query(`SELECT stall_id, provider, amount, occurred_at FROM transfers
		WHERE outcome IN ('matched', 'partial', 'overpaid', 'late', 'direct')`)
	trMust(t, err)
	for rows.Next() {
		var m bruteMove
		trMust(t, rows.Scan(&m.stall, &m.provider, &m.amount, &m.at))
		bw.credits = append(bw.credits, m)
	}
	trMust(t, rows.Err())
	rows.Close()
	rows, err = db.Query(`SELECT f.stall_id, p.provider, f.amount, f.updated_at FROM refunds f JOIN payments p ON p.id = f.payment_id
		WHERE f.status = 'succeeded'`)
	trMust(t, err)
	for rows.Next() {
		var m bruteMove
		trMust(t, rows.Scan(&m.stall, &m.provider, &m.amount, &m.at))
		bw.refunds = append(bw.refunds, m)
	}
	trMust(t, rows.Err())
	rows.Close()
	return bw
}

// checkMarketDaily compares the open data's per-market-day figures over
// [from, to] with the brute force: sums, refunds and distinct stalls with
// payments, for every market-day with any movement and no other.
func checkMarketDaily(t *testing.T, bw bruteWorld, st *store.Store, from, to string) {
	t.Helper()
	type fig struct{ active, payments, amount, refunds, refunded int64 }
	want := map[[2]string]*fig{}
	seen := map[[3]string]bool{}
	get := func(m bruteMove) (*fig, string, bool) {
		day := m.at.In(hcm).Format(time.DateOnly)
		if day < from || day > to {
			return nil, "", false
		}
		k := [2]string{bw.stalls[m.stall].market, day}
		if want[k] == nil {
			want[k] = &fig{}
		}
		return want[k], day, true
	}
	for _, m := range bw.credits {
		if f, day, ok := get(m); ok {
			f.payments++
			f.amount += m.amount
			if k := [3]string{m.stall, day}; !seen[k] {
				seen[k] = true
				f.active++
			}
		}
	}
	for _, m := range bw.refunds {
		if f, _, ok := get(m); ok {
			f.refunds++
			f.refunded += m.amount
		}
	}
	got, err := st.Read().MarketDaily(context.Background(), "", from, to)
	trMust(t, err)
	for i, g := range got {
		w := want[[2]string{g.MarketID, g.Day}]
		if i > 0 && got[i-1].Day > g.Day {
			t.Fatalf("market days out of order: %s after %s", g.Day, got[i-1].Day)
		}
		if w == nil || (fig{g.ActiveStalls, g.Payments, g.Amount, g.Refunds, g.Refunded}) != *w {
			t.Fatalf("market %s day %s: got %+v, want %+v", g.MarketID, g.Day, g, w)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d market-days, want %d", len(got), len(want))
	}
}

// bucketStart is an independent statement of the bucketing rules.
func bucketStart(period, day, from string) string {
	d, _ := time.Parse(time.DateOnly, day)
	switch period {
	case app.PeriodWeek:
		for d.Weekday() != time.Monday {
			d = d.AddDate(0, 0, -1)
		}
	case app.PeriodMonth:
		d = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	case app.PeriodRange:
		return from
	}
	return d.Format(time.DateOnly)
}

func (bw bruteWorld) expect(rep *app.Report) (map[[2]string]*bruteRow, *bruteRow) {
	out := map[[2]string]*bruteRow{}
	total := &bruteRow{byProv: map[string][2]int64{}, active: map[string]bool{}}
	inScope := func(s bruteStall) bool {
		return (rep.DistrictID == "" || s.district == rep.DistrictID) && (rep.MarketID == "" || s.market == rep.MarketID) &&
			(rep.StallID == "" || s.id == rep.StallID)
	}
	groupOf := func(s bruteStall) string {
		switch rep.GroupBy {
		case app.GroupStall:
			return s.id
		case app.GroupMarket:
			return s.market
		}
		return s.district
	}
	get := func(s bruteStall, day string) *bruteRow {
		k := [2]string{groupOf(s), bucketStart(rep.Period, day, rep.From)}
		r := out[k]
		if r == nil {
			r = &bruteRow{byProv: map[string][2]int64{}, active: map[string]bool{}}
			out[k] = r
		}
		return r
	}
	for _, m := range bw.credits {
		s := bw.stalls[m.stall]
		day := m.at.In(hcm).Format(time.DateOnly)
		if !inScope(s) || day < rep.From || day > rep.To {
			continue
		}
		for _, r := range []*bruteRow{get(s, day), total} {
			r.payments++
			r.amount += m.amount
			r.active[s.id] = true
			pv := r.byProv[m.provider]
			r.byProv[m.provider] = [2]int64{pv[0] + 1, pv[1] + m.amount}
			if s.category == "ocop" {
				r.ocop += m.amount
			}
		}
	}
	for _, m := range bw.refunds {
		s := bw.stalls[m.stall]
		day := m.at.In(hcm).Format(time.DateOnly)
		if !inScope(s) || day < rep.From || day > rep.To {
			continue
		}
		for _, r := range []*bruteRow{get(s, day), total} {
			r.refunds++
			r.refunded += m.amount
		}
	}
	for _, s := range bw.stalls {
		if !inScope(s) || s.status == "pending" {
			continue
		}
		reg := s.created.In(hcm).Format(time.DateOnly)
		visited := map[string]bool{}
		for d := rep.From; d <= rep.To; d = nextDay(d) {
			b := bucketStart(rep.Period, d, rep.From)
			if visited[b] {
				continue
			}
			visited[b] = true
			end := bucketEnd(rep.Period, b, rep.To)
			if reg > end {
				continue
			}
			r := get(s, b)
			r.registered++
			if reg >= b {
				r.newStalls++
			}
		}
		if reg <= rep.To {
			total.registered++
			if reg >= rep.From {
				total.newStalls++
			}
		}
	}
	return out, total
}

func nextDay(d string) string {
	t, _ := time.Parse(time.DateOnly, d)
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

func bucketEnd(period, start, to string) string {
	t, _ := time.Parse(time.DateOnly, start)
	switch period {
	case app.PeriodDay:
		return start
	case app.PeriodWeek:
		return t.AddDate(0, 0, 6).Format(time.DateOnly)
	case app.PeriodMonth:
		return t.AddDate(0, 1, -1).Format(time.DateOnly)
	}
	return to
}

func compareRow(t *testing.T, where string, got app.ReportRow, want *bruteRow) {
	t.Helper()
	if want == nil {
		want = &bruteRow{byProv: map[string][2]int64{}, active: map[string]bool{}}
	}
	check := func(name string, g, w int64) {
		t.Helper()
		if g != w {
			t.Errorf("%s: %s = %d, brute force says %d", where, name, g, w)
		}
	}
	check("payments", got.Payments, want.payments)
	check("amount", got.Amount, want.amount)
	check("refunds", got.Refunds, want.refunds)
	check("refunded", got.Refunded, want.refunded)
	check("active_stalls", got.ActiveStalls, int64(len(want.active)))
	check("registered_stalls", got.RegisteredStalls, want.registered)
	check("new_stalls", got.NewStalls, want.newStalls)
	check("ocop_sales", got.OCOPSales, want.ocop)
	var avg int64
	if want.payments > 0 {
		avg = int64(math.Round(float64(want.amount) / float64(want.payments)))
	}
	check("average_ticket", got.AverageTicket, avg)
	if want.registered > 0 {
		if a := float64(len(want.active)) / float64(want.registered); math.Abs(got.QRAdoption-a) > 0.0001 {
			t.Errorf("%s: qr_adoption = %v, brute force says %v", where, got.QRAdoption, a)
		}
	}
	for p, v := range want.byProv {
		if g := got.ByProvider[p]; g.Payments != v[0] || g.Amount != v[1] {
			t.Errorf("%s: provider %s = %+v, brute force says %v", where, p, g, v)
		}
	}
	for p, g := range got.ByProvider {
		if _, ok := want.byProv[p]; !ok && (g.Payments != 0 || g.Amount != 0) {
			t.Errorf("%s: provider %s = %+v, brute force has none", where, p, g)
		}
	}
}

func checkReport(t *testing.T, bw bruteWorld, rep *app.Report) {
	t.Helper()
	want, total := bw.expect(rep)
	seen := map[[2]string]bool{}
	for _, r := range rep.Rows {
		k := [2]string{r.GroupID, r.PeriodStart}
		if seen[k] {
			t.Errorf("row %v appears twice", k)
		}
		seen[k] = true
		compareRow(t, fmt.Sprintf("%s/%s %s..%s %s", rep.GroupBy, rep.Period, r.PeriodStart, r.PeriodEnd, r.GroupName), r, want[k])
	}
	for k, w := range want {
		if !seen[k] && (w.payments != 0 || w.refunds != 0 || w.registered != 0) {
			t.Errorf("%s/%s: no row for %v, brute force has %+v", rep.GroupBy, rep.Period, k, *w)
		}
	}
	compareRow(t, fmt.Sprintf("%s/%s total", rep.GroupBy, rep.Period), rep.Total, total)
}

// TestReportsMatchBruteForce fills both databases with randomised activity
// and checks every figure of many reports against a recomputation from the
// payments, transfers, refunds and stalls tables; then rebuilds and
// compacts the rollups and checks again.
func TestReportsMatchBruteForce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		start := time.Date(2026, 10, 20, 0, 0, 0, 0, hcm)
		w := trNew(t, st, start.AddDate(0, 0, -10))
		w.stall(0, "vegetables", market.StallActive)
		w.stall(0, "ocop", market.StallActive)
		w.stall(1, "meat", market.StallActive)
		w.stall(2, "fruit", market.StallActive)
		w.stall(0, "seafood", market.StallPending)
		w.clock.set(start.AddDate(0, 0, 9).Add(23*time.Hour + 59*time.Minute)) // registered at 23:59 local
		w.stall(1, "drinks", market.StallActive)
		w.clock.set(start.AddDate(0, 0, 20))
		w.stall(2, "ocop", market.StallSuspended)
		w.stall(0, "seafood", market.StallActive)
		r := rand.New(rand.NewPCG(7, uint64(len(st.Dialect()))))
		w.randomActivity(r, start, 40, 160)
		bw := loadBrute(t, st)
		if len(bw.credits) < 100 || len(bw.refunds) < 10 {
			t.Fatalf("random activity too thin: %d credits, %d refunds", len(bw.credits), len(bw.refunds))
		}

		queries := []app.ReportQuery{
			{GroupBy: app.GroupDistrict, Period: app.PeriodDay},
			{GroupBy: app.GroupMarket, Period: app.PeriodWeek},
			{GroupBy: app.GroupStall, Period: app.PeriodMonth},
			{GroupBy: app.GroupStall, Period: app.PeriodRange},
			{DistrictID: w.districts[0].ID, GroupBy: app.GroupMarket, Period: app.PeriodDay},
			{DistrictID: w.districts[1].ID, GroupBy: app.GroupStall, Period: app.PeriodWeek},
			{MarketID: w.markets[0].ID, Period: app.PeriodDay},
			{MarketID: w.markets[1].ID, GroupBy: app.GroupStall, Period: app.PeriodMonth},
			{StallID: w.stalls[1].ID, Period: app.PeriodDay},
		}
		// Over 63 days: active days fold into two words.
		long := app.ReportQuery{GroupBy: app.GroupMarket, Period: app.PeriodWeek,
			From: start.AddDate(0, 0, -40).Format(time.DateOnly), To: start.AddDate(0, 0, 60).Format(time.DateOnly)}
		queries = append(queries, long, app.ReportQuery{GroupBy: app.GroupStall, Period: app.PeriodRange, From: long.From, To: long.To})
		for i := 0; i < 12; i++ {
			q := queries[i%len(queries)]
			f := start.AddDate(0, 0, r.IntN(45)-3)
			q.From, q.To = f.Format(time.DateOnly), f.AddDate(0, 0, r.IntN(40)).Format(time.DateOnly)
			queries = append(queries, q)
		}
		defaults := func(q app.ReportQuery) app.ReportQuery {
			if q.From == "" {
				q.From, q.To = start.AddDate(0, 0, -5).Format(time.DateOnly), start.AddDate(0, 0, 45).Format(time.DateOnly)
			}
			return q
		}
		run := func(label string) {
			for _, q := range queries {
				q = defaults(q)
				rep, err := w.svc.Report(ctx, w.admin, q)
				trMust(t, err)
				checkReport(t, bw, rep)
				if t.Failed() {
					t.Fatalf("%s: report %+v differs from brute force", label, q)
				}
			}
			checkMarketDaily(t, bw, st, start.AddDate(0, 0, -5).Format(time.DateOnly), start.AddDate(0, 0, 45).Format(time.DateOnly))
			checkMarketDaily(t, bw, st, start.AddDate(0, 0, 12).Format(time.DateOnly), start.AddDate(0, 0, 20).Format(time.DateOnly))
		}
		run("live rollups")
		bad, err := w.svc.AuditRollups(ctx)
		trMust(t, err)
		if len(bad) > 0 {
			t.Fatalf("rollup audit: %s", strings.Join(bad, "\n"))
		}
		bad, err = w.svc.Audit(ctx)
		trMust(t, err)
		if len(bad) > 0 {
			t.Fatalf("audit: %s", strings.Join(bad, "\n"))
		}

		audit := func(label string) {
			t.Helper()
			bad, err := w.svc.AuditRollups(ctx)
			trMust(t, err)
			if len(bad) > 0 {
				t.Fatalf("%s: rollup audit: %s", label, strings.Join(bad, "\n"))
			}
		}
		sealedPayments := func() (n int64) {
			t.Helper()
			trMust(t, st.SQL().QueryRow(`SELECT COALESCE(SUM(payments), 0) FROM market_daily`).Scan(&n))
			return n
		}

		// Seal the days up to mid-November: reports read them from the
		// summaries, and the ranges above straddle the watermark, start or
		// end mid-month, and hold whole months.
		sealDay := start.AddDate(0, 0, 16)
		w.clock.set(sealDay.Add(24*time.Hour + app.SealDelay + time.Minute))
		prev, through, err := w.svc.SealRollups(ctx)
		trMust(t, err)
		if prev != "" || through != sealDay.Format(time.DateOnly) {
			t.Fatalf("first seal: after %q through %q, want after \"\" through %s", prev, through, sealDay.Format(time.DateOnly))
		}
		before := sealedPayments()
		if before == 0 {
			t.Fatal("sealing folded no payments into the summaries")
		}
		run("sealed rollups")
		audit("sealed rollups")
		// Sealing again the same day changes nothing.
		if prev, _, err := w.svc.SealRollups(ctx); err != nil || prev != through || sealedPayments() != before {
			t.Fatalf("second seal of the same day: prev %q err %v, %d sealed payments (was %d)", prev, err, sealedPayments(), before)
		}

		// Late webhooks and refunds for sealed days, and payments to open
		// ones: the summaries take the late ones in the same transaction.
		w.randomActivity(r, start, 40, 80)
		bw = loadBrute(t, st)
		if sealedPayments() == before {
			t.Fatal("no late payment reached a sealed day's summary: the test lost its point")
		}
		run("late payments to sealed days")
		audit("late payments to sealed days")

		// Seal the rest (a later month too) and read everything from summaries.
		w.clock.set(start.AddDate(0, 2, 0))
		if _, _, err := w.svc.SealRollups(ctx); err != nil {
			t.Fatal(err)
		}
		run("all days sealed")
		audit("all days sealed")

		n, err := w.svc.RebuildRollups(ctx, w.admin)
		trMust(t, err)
		if n == 0 {
			t.Fatal("rebuild wrote no rows")
		}
		run("rebuilt rollups")
		audit("rebuilt rollups")

		// Re-shard randomly, as live traffic would, then compact.
		_, err = st.SQL().Exec(`UPDATE stall_daily SET shard = 3 WHERE payments % 2 = 1`)
		trMust(t, err)
		w.clock.set(start.AddDate(0, 2, 0))
		folded, err := w.svc.CompactRollups(ctx)
		trMust(t, err)
		var shards int
		trMust(t, st.SQL().QueryRow(`SELECT COUNT(*) FROM stall_daily WHERE shard <> 0`).Scan(&shards))
		if folded == 0 || shards != 0 {
			t.Fatalf("compaction folded %d groups, %d shard rows left", folded, shards)
		}
		run("compacted rollups")
		if _, err := w.svc.RebuildRollups(ctx, w.staff[0]); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("staff rebuilding rollups: err = %v, want forbidden", err)
		}

		// The audit notices a rollup changed behind the journal's back.
		_, err = st.SQL().Exec(`UPDATE stall_daily SET amount = amount + 1 WHERE stall_id = '` + w.stalls[0].ID + `'`)
		trMust(t, err)
		bad, err = w.svc.AuditRollups(ctx)
		trMust(t, err)
		if len(bad) == 0 || !strings.Contains(bad[0], w.stalls[0].ID) {
			t.Fatalf("rollup audit after tampering = %q, want the stall named", bad)
		}
		_, err = w.svc.RebuildRollups(ctx, w.admin)
		trMust(t, err)
		audit("rebuilt after tampering")

		// …and summaries changed behind the rollups' back.
		for _, tamper := range []struct{ sql, want string }{
			{`UPDATE market_daily SET amount = amount + 1 WHERE market_id = '` + w.markets[1].ID + `'`, "market " + w.markets[1].ID},
			{`UPDATE stall_monthly SET days = days # 1 WHERE stall_id = '` + w.stalls[2].ID + `'`, "stall " + w.stalls[2].ID},
		} {
			q := tamper.sql
			if st.Dialect() == store.SQLite {
				q = strings.Replace(q, "days # 1", "(days | 1) - (days & 1)", 1)
			}
			_, err = st.SQL().Exec(q)
			trMust(t, err)
			bad, err = w.svc.AuditRollups(ctx)
			trMust(t, err)
			if len(bad) == 0 || !strings.Contains(bad[0], tamper.want) {
				t.Fatalf("audit after %s = %q, want %s named", tamper.sql, bad, tamper.want)
			}
			_, err = w.svc.RebuildRollups(ctx, w.admin)
			trMust(t, err)
			audit("rebuilt after tampering")
		}
	})
}

// TestReportTimeZoneEdges: a payment at 23:59 and one at 00:01 Vietnam
// time fall on different business days, whatever the UTC date says.
func TestReportTimeZoneEdges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := trNew(t, st, time.Date(2026, 11, 1, 8, 0, 0, 0, hcm))
		s := w.stall(0, "vegetables", market.StallActive)
		late := time.Date(2026, 11, 21, 23, 59, 0, 0, hcm) // 16:59 UTC on the 21st
		early := time.Date(2026, 11, 22, 0, 1, 0, 0, hcm)  // 17:01 UTC on the 21st
		edge := time.Date(2026, 11, 22, 23, 59, 59, 999999000, hcm)
		w.clock.set(late)
		w.transfer(provider.MockBank, s, 10000, "", late)
		w.clock.set(early)
		w.transfer(provider.MockBank, s, 20000, "", early)
		w.transfer(provider.MockBank, s, 40000, "", edge)
		w.clock.set(time.Date(2026, 11, 23, 0, 0, 0, 0, hcm))
		w.transfer(provider.MockBank, s, 80000, "", time.Date(2026, 11, 23, 0, 0, 0, 0, hcm))
		for _, period := range []string{app.PeriodDay, app.PeriodRange} {
			rep, err := w.svc.Report(ctx, w.staff[0], app.ReportQuery{Period: period, From: "2026-11-21", To: "2026-11-23"})
			trMust(t, err)
			got := map[string]int64{}
			for _, r := range rep.Rows {
				got[r.PeriodStart] += r.Amount
			}
			want := map[string]int64{"2026-11-21": 10000, "2026-11-22": 60000, "2026-11-23": 80000}
			if period == app.PeriodRange {
				want = map[string]int64{"2026-11-21": 150000}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s amounts by business day = %v, want %v", period, got, want)
			}
		}
		// Weeks are ISO weeks: Saturday 21st and Sunday 22nd are in the week
		// of Monday 16th, Monday 23rd starts the next.
		rep, err := w.svc.Report(ctx, w.staff[0], app.ReportQuery{Period: app.PeriodWeek, From: "2026-11-21", To: "2026-11-23"})
		trMust(t, err)
		if rep.From != "2026-11-16" || rep.To != "2026-11-29" || len(rep.Rows) != 2 ||
			rep.Rows[0].PeriodStart != "2026-11-16" || rep.Rows[0].Amount != 70000 || rep.Rows[1].Amount != 80000 {
			t.Fatalf("weekly report %s..%s rows %+v", rep.From, rep.To, rep.Rows)
		}
	})
}

// TestReportAccess: staff of district A read A only, vendors and
// anonymous callers read none, admins read all.
func TestReportAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := trNew(t, st, time.Date(2026, 11, 1, 8, 0, 0, 0, hcm))
		a := w.stall(0, "vegetables", market.StallActive)
		b := w.stall(2, "fruit", market.StallActive)
		w.transfer(provider.MockBank, a, 10000, "", w.clock.now())
		w.transfer(provider.MockBank, b, 20000, "", w.clock.now())
		staffA := w.staff[0]
		cases := []struct {
			name  string
			actor market.Actor
			q     app.ReportQuery
			want  errs.Code
		}{
			{"own district by default", staffA, app.ReportQuery{}, ""},
			{"own market", staffA, app.ReportQuery{MarketID: w.markets[0].ID}, ""},
			{"own stall", staffA, app.ReportQuery{StallID: a.ID}, ""},
			{"other district", staffA, app.ReportQuery{DistrictID: w.districts[1].ID}, errs.Forbidden},
			{"other district's market", staffA, app.ReportQuery{MarketID: w.markets[2].ID}, errs.Forbidden},
			{"other district's stall", staffA, app.ReportQuery{StallID: b.ID}, errs.NotFound},
			{"other stall claimed in own district", staffA, app.ReportQuery{DistrictID: w.districts[0].ID, StallID: b.ID}, errs.NotFound},
			{"vendor", w.vendor, app.ReportQuery{DistrictID: w.districts[0].ID}, errs.Forbidden},
			{"anonymous", market.Actor{}, app.ReportQuery{DistrictID: w.districts[0].ID}, errs.Unauthenticated},
			{"admin, every district", w.admin, app.ReportQuery{}, ""},
			{"admin, district B", w.admin, app.ReportQuery{DistrictID: w.districts[1].ID}, ""},
			{"bad period", staffA, app.ReportQuery{Period: "year"}, errs.Invalid},
			{"coarser grouping", staffA, app.ReportQuery{MarketID: w.markets[0].ID, GroupBy: app.GroupDistrict}, errs.Invalid},
			{"too long", staffA, app.ReportQuery{From: "2024-01-01", To: "2026-01-01"}, errs.Invalid},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				rep, err := w.svc.Report(ctx, c.actor, c.q)
				if c.want == "" {
					trMust(t, err)
					for _, r := range rep.Rows {
						if c.actor.Role == market.RoleStaff && r.GroupID == w.districts[1].ID {
							t.Fatalf("staff of A got a row of B")
						}
					}
					return
				}
				if !errs.Is(err, c.want) {
					t.Fatalf("err = %v, want %s", err, c.want)
				}
			})
		}
		rep, err := w.svc.Report(ctx, staffA, app.ReportQuery{})
		trMust(t, err)
		if rep.Total.Amount != 10000 || rep.DistrictID != w.districts[0].ID {
			t.Fatalf("staff A total = %d in %s, want 10000 in A", rep.Total.Amount, rep.DistrictID)
		}
	})
}

// TestReportCSV: UTF-8 with a BOM, Vietnamese intact, formulas defused.
func TestReportCSV(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	w := trNew(t, st, time.Date(2026, 11, 1, 8, 0, 0, 0, hcm))
	s := w.stall(0, "vegetables", market.StallActive)
	_, err := w.svc.UpdateStall(ctx, w.vendor, s.ID, app.StallInput{MarketID: s.MarketID, StallNumber: s.StallNumber, Name: "=Rau Cô Ba",
		Category: s.Category, BankBIN: s.BankBIN, AccountNumber: s.AccountNumber, AccountName: s.AccountName})
	trMust(t, err)
	w.transfer(provider.MockBank, s, 15000, "", w.clock.now())
	w.transfer(provider.MockWallet, s, 5000, "", w.clock.now())
	rep, err := w.svc.Report(ctx, w.staff[0], app.ReportQuery{GroupBy: app.GroupStall, Period: app.PeriodRange})
	trMust(t, err)
	var buf bytes.Buffer
	trMust(t, app.WriteReportCSV(&buf, rep))
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xef\xbb\xbf")) {
		t.Fatal("no UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	trMust(t, err)
	if len(recs) != 3 {
		t.Fatalf("%d CSV lines, want header, one stall, total", len(recs))
	}
	head := strings.Join(recs[0], ",")
	if !strings.Contains(head, "payments_mockbank,amount_mockbank,payments_mockwallet,amount_mockwallet") {
		t.Fatalf("header %s", head)
	}
	if recs[1][4] != "'"+s.StallNumber+" · =Rau Cô Ba" && !strings.HasSuffix(recs[1][4], "· =Rau Cô Ba") {
		t.Fatalf("group_name %q", recs[1][4])
	}
	if recs[1][6] != "20000" || recs[2][2] != "total" {
		t.Fatalf("rows %q", recs[1:])
	}
}

// TestOpenDataSuppression: market-days with fewer than three active stalls
// publish no figures.
func TestOpenDataSuppression(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	w := trNew(t, st, time.Date(2026, 11, 1, 8, 0, 0, 0, hcm))
	var ss []*market.Stall
	for i := 0; i < 3; i++ {
		ss = append(ss, w.stall(0, "vegetables", market.StallActive))
	}
	day1 := time.Date(2026, 11, 10, 9, 0, 0, 0, hcm)
	for _, s := range ss {
		w.transfer(provider.MockBank, s, 10000, "", day1)
	}
	w.transfer(provider.MockBank, ss[0], 10000, "", day1.AddDate(0, 0, 1))
	w.transfer(provider.MockBank, ss[1], 10000, "", day1.AddDate(0, 0, 1))
	w.clock.set(day1.AddDate(0, 0, 2))
	rows, from, to, err := w.svc.OpenData(ctx, app.OpenDataQuery{})
	trMust(t, err)
	if from != "2026-10-14" || to != "2026-11-12" || len(rows) != 2 {
		t.Fatalf("open data %s..%s: %+v", from, to, rows)
	}
	if rows[0].Suppressed || rows[0].Amount != 30000 || rows[0].ActiveStalls != 3 {
		t.Fatalf("day with 3 stalls: %+v", rows[0])
	}
	if !rows[1].Suppressed || rows[1].Amount != 0 || rows[1].ActiveStalls != 0 {
		t.Fatalf("day with 2 stalls must be suppressed: %+v", rows[1])
	}
	var buf bytes.Buffer
	trMust(t, app.WriteOpenDataCSV(&buf, rows))
	if !strings.Contains(buf.String(), "2026-11-11,"+w.districts[0].ID+",Vị Thủy,"+w.markets[0].ID+",Chợ số 1,true,,,,,") {
		t.Fatalf("csv:\n%s", buf.String())
	}
	if _, _, _, err := w.svc.OpenData(ctx, app.OpenDataQuery{From: "2026-01-01", To: "2026-11-01"}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("long open data range: err = %v", err)
	}
}
