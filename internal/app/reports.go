package app

import (
	"cmp"
	"context"
	"encoding/csv"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
)

// PeriodRange makes one bucket of the whole requested range: a stall
// table "for these dates" rather than per day, week or month.
const PeriodRange = "range"

// Report limits: a request may not make the database or the response
// unbounded, whatever the caller asks.
const (
	maxReportDays     = 366     // day and range periods
	maxReportLongDays = 3 * 366 // week and month periods
	maxReportRows     = 100_000 // groups × buckets
	maxOpenDataDays   = 92
	openDataMinStalls = 3 // open data suppresses market-days with fewer stalls
)

// ReportQuery is what a staff member asks a report for. Dates are business
// dates (YYYY-MM-DD, Asia/Ho_Chi_Minh), both ends included; empty means the
// current month to date.
type ReportQuery struct {
	DistrictID, MarketID, StallID string // the scope: narrowest one set wins
	GroupBy                       string // district, market or stall; default: the scope's level
	Period                        string // day (default), week (ISO, Monday first), month or range
	From, To                      string
}

// Report is a district report: figures per group (district, market or
// stall) and period bucket, computed from the rollups only.
type Report struct {
	DistrictID, MarketID, StallID string
	GroupBy, Period               string
	From, To                      string   // after widening weeks and months to whole ones
	Providers                     []string // every provider present, sorted
	Rows                          []ReportRow
	Total                         ReportRow
	// UnmatchedAwaitingReview counts transfers to the scope's district that
	// matched no payment and wait for staff review, as of now.
	UnmatchedAwaitingReview int64
	GeneratedAt             time.Time
}

// ReportRow holds the figures of one group in one bucket (or, as
// Report.Total, of the whole scope and range). Amounts are whole đồng.
type ReportRow struct {
	PeriodStart, PeriodEnd string
	GroupType              string // district, market, stall or total
	GroupID, GroupName     string
	Payments               int64 // cashless payments received (each credited transfer counts once)
	Amount                 int64 // their value, before refunds
	ByProvider             map[string]ProviderFigures
	Refunds                int64 // refunds that succeeded in the bucket
	Refunded               int64
	AverageTicket          int64   // Amount ÷ Payments, rounded half up; 0 without payments
	ActiveStalls           int64   // stalls with at least one payment in the bucket
	RegisteredStalls       int64   // approved stalls registered by the end of the bucket
	QRAdoption             float64 // ActiveStalls ÷ RegisteredStalls (0 when none registered)
	NewStalls              int64   // approved stalls registered during the bucket
	// OCOPSales is the value taken by stalls registered in the OCOP goods
	// category: the OCOP sales the platform knows of.
	// TODO(ocop): count product-level OCOP sales (stamps sold at any stall)
	// once sales record products; the OCOP tables (00003) do not link
	// payments to products yet.
	OCOPSales int64
}

// ProviderFigures are one provider's share of a row.
type ProviderFigures struct {
	Payments, Amount int64
}

// Net is the value kept after refunds.
func (r ReportRow) Net() int64 { return r.Amount - r.Refunded }

// Report computes a district report. Staff see their own district only
// (their district is the default scope); admins see any scope, or every
// district when none is named; vendors and anonymous callers are refused.
// It reads only stall_daily and the registry, so its cost grows with
// stalls × days, never with the number of payments.
// Errors: Forbidden, NotFound (market or stall), Invalid (dates, group_by,
// period, range too long).
func (s *Service) Report(ctx context.Context, a market.Actor, q ReportQuery) (*Report, error) {
	f, err := s.reportScope(ctx, a, q)
	if err != nil {
		return nil, err
	}
	rd := s.store.Read()
	stalls, err := rd.ReportStalls(ctx, f)
	if err != nil {
		return nil, err
	}
	buckets := reportBuckets(f.Period, f.From, f.To)
	groups := reportGroups(f, stalls)
	if len(groups)*len(buckets) > maxReportRows {
		return nil, errs.Field("to", "the report would have more than "+strconv.Itoa(maxReportRows)+" rows: narrow the range, the scope or the grouping")
	}
	f.Whole = f.Period == PeriodRange
	// The rollup queries are independent: run them side by side, each on
	// its own pooled connection, so a report costs the slowest of them.
	var (
		flows, ocop []FlowRow
		activity    []StallActivity
		unmatched   int64
		wg          sync.WaitGroup
		mu          sync.Mutex
		firstErr    error
	)
	run := func(fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
			}
		}()
	}
	run(func() (err error) { flows, err = rd.ReportFlows(ctx, f); return })
	run(func() (err error) { activity, err = rd.ReportActivity(ctx, f); return })
	run(func() (err error) { unmatched, err = rd.CountUnreviewed(ctx, f.DistrictID); return })
	if ids := ocopStalls(stalls); len(ids) > 0 {
		of := f
		of.StallIDs = ids
		run(func() (err error) { ocop, err = rd.ReportFlows(ctx, of); return })
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	rep := &Report{DistrictID: f.DistrictID, MarketID: f.MarketID, StallID: f.StallID, GroupBy: f.GroupBy, Period: f.Period,
		From: f.From, To: f.To, UnmatchedAwaitingReview: unmatched, GeneratedAt: s.now()}
	rep.build(groups, buckets, stalls, flows, activity, ocop)
	return rep, nil
}

// reportScope authorises q and resolves it to a rollup filter.
func (s *Service) reportScope(ctx context.Context, a market.Actor, q ReportQuery) (ReportFilter, error) {
	var f ReportFilter
	switch a.Role {
	case market.RoleAdmin:
	case market.RoleStaff:
		if q.DistrictID == "" && q.MarketID == "" && q.StallID == "" {
			q.DistrictID = a.DistrictID
		}
	case "":
		return f, errs.E(errs.Unauthenticated, "log in as district staff to read reports")
	default:
		return f, errs.E(errs.Forbidden, "only district staff and administrators read reports")
	}
	rd := s.store.Read()
	if q.StallID != "" {
		st, err := rd.StallByID(ctx, q.StallID, false)
		if errs.Is(err, errs.NotFound) || (err == nil && !a.CanManageDistrict(st.DistrictID)) {
			return f, errs.E(errs.NotFound, "no such stall")
		} else if err != nil {
			return f, err
		}
		if (q.MarketID != "" && q.MarketID != st.MarketID) || (q.DistrictID != "" && q.DistrictID != st.DistrictID) {
			return f, errs.Field("stall_id", "is not in the given market or district")
		}
		q.MarketID, q.DistrictID = st.MarketID, st.DistrictID
	}
	if q.MarketID != "" {
		m, err := rd.MarketByID(ctx, q.MarketID)
		if errs.Is(err, errs.NotFound) {
			return f, errs.E(errs.NotFound, "no such market")
		} else if err != nil {
			return f, err
		}
		if q.DistrictID != "" && q.DistrictID != m.DistrictID {
			return f, errs.Field("market_id", "is not in the given district")
		}
		q.DistrictID = m.DistrictID
	}
	if q.DistrictID != "" {
		if !a.CanManageDistrict(q.DistrictID) {
			return f, errs.E(errs.Forbidden, "staff read reports of their own district only")
		}
		if _, err := rd.DistrictByID(ctx, q.DistrictID); errs.Is(err, errs.NotFound) {
			return f, errs.E(errs.NotFound, "no such district")
		} else if err != nil {
			return f, err
		}
	}
	level := GroupDistrict
	switch {
	case q.StallID != "":
		level = GroupStall
	case q.MarketID != "":
		level = GroupMarket
	}
	if q.GroupBy == "" {
		q.GroupBy = level
	}
	rank := map[string]int{GroupDistrict: 0, GroupMarket: 1, GroupStall: 2}
	r, ok := rank[q.GroupBy]
	if !ok {
		return f, errs.Field("group_by", "must be district, market or stall")
	}
	if r < rank[level] {
		return f, errs.Field("group_by", "must not be coarser than the scope ("+level+")")
	}
	if q.Period == "" {
		q.Period = PeriodDay
	}
	switch q.Period {
	case PeriodDay, PeriodWeek, PeriodMonth, PeriodRange:
	default:
		return f, errs.Field("period", "must be day, week, month or range")
	}
	from, to, err := s.reportDates(q.Period, q.From, q.To)
	if err != nil {
		return f, err
	}
	return ReportFilter{DistrictID: q.DistrictID, MarketID: q.MarketID, StallID: q.StallID, GroupBy: q.GroupBy,
		Period: q.Period, From: from, To: to}, nil
}

// reportDates validates a date range and widens it to whole weeks or
// months for those periods, so no bucket is cut short.
func (s *Service) reportDates(period, fromS, toS string) (string, string, error) {
	today := s.now().In(payment.BusinessLocation)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	from := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	to := today
	var fs errs.Fields
	if fromS != "" {
		t, err := time.Parse(time.DateOnly, fromS)
		fs.Check(err == nil, "from", "must be a date YYYY-MM-DD")
		from = t
	}
	if toS != "" {
		t, err := time.Parse(time.DateOnly, toS)
		fs.Check(err == nil, "to", "must be a date YYYY-MM-DD")
		to = t
	} else if fromS != "" && from.After(to) {
		to = from
	}
	if err := fs.Err(); err != nil {
		return "", "", err
	}
	if to.Before(from) {
		return "", "", errs.Field("to", "must not be before from")
	}
	switch period {
	case PeriodWeek:
		from = weekStart(from)
		to = weekStart(to).AddDate(0, 0, 6)
	case PeriodMonth:
		from = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
		to = time.Date(to.Year(), to.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	}
	limit := maxReportDays
	if period == PeriodWeek || period == PeriodMonth {
		limit = maxReportLongDays
	}
	if days := int(to.Sub(from).Hours()/24) + 1; days > limit {
		return "", "", errs.Field("to", "the range may cover at most "+strconv.Itoa(limit)+" days for this period")
	}
	return from.Format(time.DateOnly), to.Format(time.DateOnly), nil
}

// weekStart is the Monday of t's ISO week (t at midnight UTC).
func weekStart(t time.Time) time.Time {
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

type bucket struct{ start, end string }

// reportBuckets lists the buckets of [from, to] in order.
func reportBuckets(period, from, to string) []bucket {
	f, _ := time.Parse(time.DateOnly, from)
	t, _ := time.Parse(time.DateOnly, to)
	if period == PeriodRange {
		return []bucket{{from, to}}
	}
	var out []bucket
	for d := f; !d.After(t); {
		var next time.Time
		switch period {
		case PeriodWeek:
			next = d.AddDate(0, 0, 7)
		case PeriodMonth:
			next = d.AddDate(0, 1, 0)
		default:
			next = d.AddDate(0, 0, 1)
		}
		out = append(out, bucket{d.Format(time.DateOnly), next.AddDate(0, 0, -1).Format(time.DateOnly)})
		d = next
	}
	return out
}

type group struct{ id, name string }

// reportGroups lists the groups of the scope from the registry, so groups
// without payments still show (with their registered stalls).
func reportGroups(f ReportFilter, stalls []StallInfo) []group {
	seen := map[string]bool{}
	var out []group
	for _, st := range stalls {
		g := groupOf(f.GroupBy, st)
		if !seen[g.id] {
			seen[g.id] = true
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].name != out[j].name {
			return out[i].name < out[j].name
		}
		return out[i].id < out[j].id
	})
	return out
}

func groupOf(groupBy string, st StallInfo) group {
	switch groupBy {
	case GroupStall:
		return group{st.ID, st.StallNumber + " · " + st.Name}
	case GroupMarket:
		return group{st.MarketID, st.MarketName}
	}
	return group{st.DistrictID, st.DistrictName}
}

func ocopStalls(stalls []StallInfo) []string {
	var ids []string
	for _, st := range stalls {
		if st.Category == "ocop" {
			ids = append(ids, st.ID)
		}
	}
	return ids
}

// registered reports whether a stall counts as registered by the end of a
// business day, and its business day of registration. Pending stalls never
// were approved (no stall returns to pending), so they do not count.
// The registry keeps no status history, so a stall approved after the day
// it was created counts from its creation day.
func registeredDay(st StallInfo) (string, bool) {
	if st.Status == string(market.StallPending) {
		return "", false
	}
	return payment.BusinessDay(st.CreatedAt), true
}

// activeOn reports whether a stall had a payment on day number n of the
// report (0 = From).
func activeOn(a StallActivity, n int) bool {
	w := n / ActivityWordDays
	return w < len(a.Days) && a.Days[w]&(1<<(n%ActivityWordDays)) != 0
}

func dayNumber(from, day string) int {
	f, _ := time.Parse(time.DateOnly, from)
	d, _ := time.Parse(time.DateOnly, day)
	return int(d.Sub(f).Hours() / 24)
}

// build assembles the report's rows from the registry, the flows and the
// activity. Rows live in a grid indexed by group and bucket position (no
// string-keyed map per lookup: a month by day of 2,000 stalls made ~120k
// of them) and come out in bucket order, then group order.
func (rep *Report) build(groups []group, buckets []bucket, stalls []StallInfo, flows []FlowRow, activity []StallActivity, ocop []FlowRow) {
	nb := len(buckets)
	bucketAt := make(map[string]int, nb+1)
	for i, b := range buckets {
		bucketAt[b.start] = i
	}
	if rep.Period == PeriodRange {
		bucketAt[""] = 0
	}
	groupAt := make(map[string]int, len(groups))
	for i, g := range groups {
		groupAt[g.id] = i
	}
	known := len(groups)
	var grid [][]*ReportRow // [group][bucket], rows made when first needed
	gi := func(g group) int {
		i, ok := groupAt[g.id]
		if !ok { // a rollup of a stall no longer in the registry
			i = len(groups)
			groups = append(groups, g)
			groupAt[g.id] = i
		}
		for len(grid) <= i {
			grid = append(grid, make([]*ReportRow, nb))
		}
		return i
	}
	row := func(g, bi int) *ReportRow {
		r := grid[g][bi]
		if r == nil {
			b := buckets[bi]
			r = &ReportRow{PeriodStart: b.start, PeriodEnd: b.end, GroupType: rep.GroupBy, GroupID: groups[g].id, GroupName: groups[g].name,
				ByProvider: map[string]ProviderFigures{}}
			grid[g][bi] = r
		}
		return r
	}
	lookup := func(id string) int {
		if i, ok := groupAt[id]; ok {
			return gi(groups[i])
		}
		return gi(group{id, id})
	}
	tot := &rep.Total
	*tot = ReportRow{PeriodStart: rep.From, PeriodEnd: rep.To, GroupType: "total", ByProvider: map[string]ProviderFigures{}}
	providers := map[string]bool{}
	for _, fr := range flows {
		bi, ok := bucketAt[fr.Bucket]
		if !ok {
			continue
		}
		r := row(lookup(fr.GroupID), bi)
		for _, x := range []*ReportRow{r, tot} {
			x.Payments += fr.Payments
			x.Amount += fr.Amount
			x.Refunds += fr.Refunds
			x.Refunded += fr.Refunded
			pf := x.ByProvider[fr.Provider]
			pf.Payments += fr.Payments
			pf.Amount += fr.Amount
			x.ByProvider[fr.Provider] = pf
		}
		providers[fr.Provider] = true
	}
	for _, fr := range ocop {
		if bi, ok := bucketAt[fr.Bucket]; ok {
			row(lookup(fr.GroupID), bi).OCOPSales += fr.Amount
			tot.OCOPSales += fr.Amount
		}
	}
	stallAt := make(map[string]int, len(stalls))
	stallGroup := make([]int, len(stalls))
	for i := range stalls {
		stallAt[stalls[i].ID] = i
		stallGroup[i] = gi(groupOf(rep.GroupBy, stalls[i]))
	}
	// Each bucket as the words of StallActivity.Days it spans, with the
	// bits of its days in each.
	type span struct {
		word int
		mask uint64
	}
	spans := make([][]span, nb)
	for i, b := range buckets {
		for n, last := dayNumber(rep.From, b.start), dayNumber(rep.From, b.end); n <= last; n++ {
			w, bit := n/ActivityWordDays, uint64(1)<<(n%ActivityWordDays)
			if k := len(spans[i]) - 1; k >= 0 && spans[i][k].word == w {
				spans[i][k].mask |= bit
			} else {
				spans[i] = append(spans[i], span{w, bit})
			}
		}
	}
	for _, a := range activity {
		si, ok := stallAt[a.StallID]
		if !ok {
			continue
		}
		any := false
		for bi, sp := range spans {
			for _, x := range sp {
				if x.word < len(a.Days) && a.Days[x.word]&x.mask != 0 {
					row(stallGroup[si], bi).ActiveStalls++
					any = true
					break
				}
			}
		}
		if any {
			tot.ActiveStalls++
		}
	}
	for i, st := range stalls {
		day, ok := registeredDay(st)
		if !ok {
			continue
		}
		for bi, b := range buckets {
			if day > b.end {
				continue
			}
			r := row(stallGroup[i], bi)
			r.RegisteredStalls++
			if day >= b.start {
				r.NewStalls++
			}
		}
		if day <= rep.To {
			tot.RegisteredStalls++
			if day >= rep.From {
				tot.NewStalls++
			}
		}
	}
	for p := range providers {
		rep.Providers = append(rep.Providers, p)
	}
	sort.Strings(rep.Providers)
	// Bucket order, then the registry's group order, then groups no
	// longer in the registry by id.
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order[known:], func(i, j int) bool { return groups[order[known+i]].id < groups[order[known+j]].id })
	rep.Rows = make([]ReportRow, 0, len(groups)*nb)
	for bi := range buckets {
		for _, g := range order {
			if g < len(grid) && grid[g][bi] != nil {
				r := grid[g][bi]
				r.finish()
				rep.Rows = append(rep.Rows, *r)
			}
		}
	}
	tot.finish()
}

func (r *ReportRow) finish() {
	if r.Payments > 0 {
		r.AverageTicket = (r.Amount + r.Payments/2) / r.Payments
	}
	if r.RegisteredStalls > 0 {
		r.QRAdoption = math.Round(float64(r.ActiveStalls)/float64(r.RegisteredStalls)*10000) / 10000
	}
}

// OpenDataQuery selects public open data: business dates, both included;
// empty means the last 30 days to today.
type OpenDataQuery struct {
	DistrictID string
	From, To   string
}

// OpenDataRow is one market's figures for one business day. When fewer
// than three stalls took payments there that day, Suppressed is true and
// every figure is zero: with one or two stalls, a market total would
// reveal a single trader's takings.
type OpenDataRow struct {
	Day                      string
	DistrictID, DistrictName string
	MarketID, MarketName     string
	Suppressed               bool
	ActiveStalls             int64
	Payments, Amount         int64
	Refunds, Refunded        int64
}

// OpenData is the public, anonymous view of the rollups: per-market daily
// aggregates only, small groups suppressed, no stall and no person named.
// Errors: Invalid (dates, range over 92 days).
func (s *Service) OpenData(ctx context.Context, q OpenDataQuery) ([]OpenDataRow, string, string, error) {
	today := s.now().In(payment.BusinessLocation)
	to := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	from := to.AddDate(0, 0, -29)
	var fs errs.Fields
	if q.From != "" {
		t, err := time.Parse(time.DateOnly, q.From)
		fs.Check(err == nil, "from", "must be a date YYYY-MM-DD")
		from = t
	}
	if q.To != "" {
		t, err := time.Parse(time.DateOnly, q.To)
		fs.Check(err == nil, "to", "must be a date YYYY-MM-DD")
		to = t
	}
	if err := fs.Err(); err != nil {
		return nil, "", "", err
	}
	if to.Before(from) || to.Sub(from) > (maxOpenDataDays-1)*24*time.Hour {
		return nil, "", "", errs.Field("to", "must be on or after from, at most "+strconv.Itoa(maxOpenDataDays)+" days later")
	}
	fromS, toS := from.Format(time.DateOnly), to.Format(time.DateOnly)
	days, err := s.store.Read().MarketDaily(ctx, q.DistrictID, fromS, toS)
	if err != nil {
		return nil, "", "", err
	}
	out := make([]OpenDataRow, len(days))
	for i, d := range days {
		r := OpenDataRow{Day: d.Day, DistrictID: d.DistrictID, DistrictName: d.DistrictName, MarketID: d.MarketID, MarketName: d.MarketName}
		if d.ActiveStalls < openDataMinStalls {
			r.Suppressed = true
		} else {
			r.ActiveStalls, r.Payments, r.Amount, r.Refunds, r.Refunded = d.ActiveStalls, d.Payments, d.Amount, d.Refunds, d.Refunded
		}
		out[i] = r
	}
	return out, fromS, toS, nil
}

// csvBOM makes Excel read the file as UTF-8, so Vietnamese names survive.
const csvBOM = "\ufeff"

// csvCell neutralises spreadsheet formulas: a cell starting with = + - @
// (or a tab or carriage return) is prefixed with an apostrophe so a stall
// named "=HYPERLINK(…)" stays text when staff open the export.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteReportCSV writes rep as CSV (UTF-8 with BOM, one line per row, then
// a total line). Column names are stable snake_case for spreadsheets and
// scripts; per-provider columns follow the fixed ones.
func WriteReportCSV(w io.Writer, rep *Report) error {
	if _, err := io.WriteString(w, csvBOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := []string{"period_start", "period_end", "group_type", "group_id", "group_name", "payments", "amount", "refunds",
		"refunded", "net_amount", "average_ticket", "active_stalls", "registered_stalls", "qr_adoption", "new_stalls", "ocop_sales"}
	for _, p := range rep.Providers {
		head = append(head, "payments_"+p, "amount_"+p)
	}
	head = append(head, "unmatched_awaiting_review")
	if err := cw.Write(head); err != nil {
		return err
	}
	line := func(r ReportRow, unmatched string) error {
		i := func(n int64) string { return strconv.FormatInt(n, 10) }
		rec := []string{r.PeriodStart, r.PeriodEnd, r.GroupType, r.GroupID, csvCell(r.GroupName), i(r.Payments), i(r.Amount),
			i(r.Refunds), i(r.Refunded), i(r.Net()), i(r.AverageTicket), i(r.ActiveStalls), i(r.RegisteredStalls),
			strconv.FormatFloat(r.QRAdoption, 'f', 4, 64), i(r.NewStalls), i(r.OCOPSales)}
		for _, p := range rep.Providers {
			pf := r.ByProvider[p]
			rec = append(rec, i(pf.Payments), i(pf.Amount))
		}
		return cw.Write(append(rec, unmatched))
	}
	for _, r := range rep.Rows {
		if err := line(r, ""); err != nil {
			return err
		}
	}
	if err := line(rep.Total, strconv.FormatInt(rep.UnmatchedAwaitingReview, 10)); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// WriteOpenDataCSV writes open data rows as CSV (UTF-8 with BOM);
// suppressed figures are empty cells, not zeros.
func WriteOpenDataCSV(w io.Writer, rows []OpenDataRow) error {
	if _, err := io.WriteString(w, csvBOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"day", "district_id", "district_name", "market_id", "market_name", "suppressed",
		"active_stalls", "payments", "amount", "refunds", "refunded"}); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{r.Day, r.DistrictID, csvCell(r.DistrictName), r.MarketID, csvCell(r.MarketName), strconv.FormatBool(r.Suppressed)}
		if r.Suppressed {
			rec = append(rec, "", "", "", "", "")
		} else {
			for _, n := range []int64{r.ActiveStalls, r.Payments, r.Amount, r.Refunds, r.Refunded} {
				rec = append(rec, strconv.FormatInt(n, 10))
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// RebuildRollups recomputes every rollup from the journal in one
// transaction (rollup writers wait meanwhile) and returns the rows written.
// Only admins may run it; cmd/ calls it with an admin actor.
// Errors: Forbidden.
func (s *Service) RebuildRollups(ctx context.Context, a market.Actor) (int64, error) {
	if !a.IsAdmin() {
		return 0, errs.E(errs.Forbidden, "only administrators rebuild rollups")
	}
	var n int64
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.RebuildRollups(ctx)
		return err
	})
	return n, err
}

// RebuildSummaries recomputes the summaries of the sealed days from the
// per-stall-day rollups (RebuildRollups recomputes both from the journal),
// for tools that write rollups directly, such as `market4 gen`. Only
// admins may run it. Errors: Forbidden.
func (s *Service) RebuildSummaries(ctx context.Context, a market.Actor) error {
	if !a.IsAdmin() {
		return errs.E(errs.Forbidden, "only administrators rebuild rollups")
	}
	return s.store.InTx(ctx, func(tx Tx) error { return tx.RebuildSummaries(ctx) })
}

// CompactRollups folds the rollup shards of every business day before
// yesterday into one row per stall, day and provider: shards spread
// concurrent writes of the current day, and afterwards only cost report
// time. It returns the number of rows folded.
func (s *Service) CompactRollups(ctx context.Context) (int64, error) {
	before := payment.BusinessDay(s.now().Add(-24 * time.Hour))
	var n int64
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.CompactRollups(ctx, before)
		return err
	})
	return n, err
}

// SealDelay is how long after its end a business day is sealed: a day's
// webhooks mostly arrive within seconds, and every one arriving after the
// seal costs an extra write to the summaries (still exact, see AddDaily).
const SealDelay = time.Hour

// SealRollups seals every business day that ended at least SealDelay ago:
// reports read those days from the per-market and per-stall-month
// summaries instead of the per-stall-day rollups. The days it sealed are
// those after prev ("" when nothing was sealed before) up to through; none
// when through is not after prev.
//
// It seals at most a calendar month per transaction: rollup writers wait
// while a transaction folds its days (~1.5 µs per stall-day row on
// PostgreSQL, ~170 ms for a month of 2,000 stalls), so the first seal of a
// database holding a year of rollups makes confirmations wait a month's
// worth at a time, never a year's.
func (s *Service) SealRollups(ctx context.Context) (prev, through string, err error) {
	through = payment.BusinessDay(s.now().Add(-SealDelay - 24*time.Hour))
	rd := s.store.Read()
	if prev, err = rd.RollupsSealedThrough(ctx); err != nil || through <= prev {
		return prev, through, err
	}
	cur := prev
	if cur == "" {
		first, err := rd.FirstRollupDay(ctx)
		if err != nil {
			return prev, through, err
		}
		if first != "" && first <= through {
			cur = dayBefore(first)
		}
	}
	for cur < through {
		end := through // cur "": no rollups up to through, nothing to fold
		if cur != "" {
			end = min(through, monthEnd(dayAfter(cur)))
		}
		err := s.store.InTx(ctx, func(tx Tx) error {
			_, err := tx.SealRollups(ctx, end)
			return err
		})
		if err != nil {
			return prev, through, err
		}
		cur = end
	}
	return prev, through, nil
}

// dayAfter, dayBefore and monthEnd move between YYYY-MM-DD business days.
func dayAfter(day string) string  { return shiftDay(day, 0, 1) }
func dayBefore(day string) string { return shiftDay(day, 0, -1) }
func monthEnd(day string) string {
	return shiftDay(day[:8]+"01", 1, -1)
}

func shiftDay(day string, months, days int) string {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return d.AddDate(0, months, days).Format(time.DateOnly)
}

// AuditRollups checks that every rollup holds exactly what the journal
// records; an empty result means they agree.
func (s *Service) AuditRollups(ctx context.Context) ([]string, error) {
	return s.store.Read().AuditRollups(ctx)
}
