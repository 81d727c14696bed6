// Package dashboard is the district staff's transparency dashboard and the
// public open data pages, rendered on the server with net/http and
// html/template (no gin, no scripts, no CDN: it works on a slow connection
// and prints):
//
//	/dashboard               KPI tiles, daily value and QR adoption charts
//	                         (SVG), stalls sortable by value, the review
//	                         queue of unmatched transfers, a date-range
//	                         picker, CSV exports; Vietnamese or English
//	/dashboard/login         staff login (or ?token=<bearer> once)
//	/dashboard/export.csv    the report as CSV (UTF-8 with BOM)
//	/open-data               public per-market daily aggregates (HTML)
//	/open-data/markets-daily.json, .csv
//
// Every figure comes from app.Service (Report, ListTransfers, OpenData),
// so the dashboard obeys the same access rules as the API: staff see their
// district only, admins choose one or all.
package dashboard

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Options configure the dashboard.
type Options struct {
	Service *app.Service
	Logger  *slog.Logger
	// SecureCookies marks the session cookie Secure; set it when the site
	// is served over HTTPS (production).
	SecureCookies bool
	// OpenDataRate bounds requests per minute per client IP to /open-data
	// (default 60).
	OpenDataRate int
	// Now is the clock for date defaults; nil means time.Now.
	Now func() time.Time
}

// Prefixes are the paths New serves, for mounting on a mux:
// for _, p := range dashboard.Prefixes { mux.Handle(p, h) }.
var Prefixes = []string{"/dashboard", "/dashboard/", "/open-data", "/open-data/"}

const (
	sessionCookie = "m4dash"
	langCookie    = "m4lang"
)

type server struct {
	opt   Options
	svc   *app.Service
	log   *slog.Logger
	pages map[string]*template.Template
	css   []byte
	lim   *limiter
}

// New returns the handler of /dashboard… and /open-data….
func New(opt Options) http.Handler {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.OpenDataRate <= 0 {
		opt.OpenDataRate = 60
	}
	s := &server{opt: opt, svc: opt.Service, log: opt.Logger, pages: map[string]*template.Template{}, lim: newLimiter(opt.OpenDataRate)}
	funcs := template.FuncMap{
		"t":     func(lang, key string) string { return tr(lang, key) },
		"money": formatMoney,
		"int":   formatInt,
		"pct":   formatPercent,
		"f1":    func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	}
	for _, p := range []string{"dashboard", "login", "opendata", "error"} {
		s.pages[p] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+p+".html"))
	}
	css, err := fs.ReadFile(assets, "static/dashboard.css")
	if err != nil {
		panic(err)
	}
	s.css = css
	m := http.NewServeMux()
	m.HandleFunc("GET /dashboard", s.dashboard)
	m.HandleFunc("GET /dashboard/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard", http.StatusMovedPermanently)
	})
	m.HandleFunc("GET /dashboard/login", s.loginForm)
	m.HandleFunc("POST /dashboard/login", s.login)
	m.HandleFunc("POST /dashboard/logout", s.logout)
	m.HandleFunc("GET /dashboard/export.csv", s.export)
	m.HandleFunc("GET /dashboard/static/dashboard.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(s.css)
	})
	m.HandleFunc("GET /open-data", s.openDataPage)
	m.HandleFunc("GET /open-data/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/open-data", http.StatusMovedPermanently)
	})
	m.HandleFunc("GET /open-data/markets-daily.json", s.openDataJSON)
	m.HandleFunc("GET /open-data/markets-daily.csv", s.openDataCSV)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, langOf(r), errs.E(errs.NotFound, "no such page"))
	})
	return headers(m)
}

// headers sets a strict policy: no scripts at all, styles from here only.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// langOf picks the page language: ?lang=, then the cookie, then Vietnamese.
func langOf(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "vi" || l == "en" {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "vi" || c.Value == "en") {
		return c.Value
	}
	return "vi"
}

func (s *server) rememberLang(w http.ResponseWriter, r *http.Request) {
	if l := r.URL.Query().Get("lang"); l == "vi" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	}
}

// page is what every template gets.
type page struct {
	Lang, Other string
	Title       string
	Path        string // current path with query, for the language switch
	SwitchURL   string
	User        *market.User
	Data        any
}

func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name, lang, title string, user *market.User, data any) {
	q := r.URL.Query()
	other := "en"
	if lang == "en" {
		other = "vi"
	}
	q.Set("lang", other)
	q.Del("token")
	var buf bytes.Buffer
	err := s.pages[name].Execute(&buf, page{Lang: lang, Other: other, Title: title, Path: r.URL.Path, SwitchURL: r.URL.Path + "?" + q.Encode(),
		User: user, Data: data})
	if err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// statusOf maps application errors to HTTP for pages, which answer in
// HTML; the API keeps its own single table in internal/httpapi.
var statusOf = map[errs.Code]int{
	errs.Invalid: http.StatusBadRequest, errs.NotFound: http.StatusNotFound, errs.Forbidden: http.StatusForbidden,
	errs.Unauthenticated: http.StatusUnauthorized, errs.RateLimited: http.StatusTooManyRequests,
	errs.Unavailable: http.StatusServiceUnavailable,
}

type errorPage struct {
	Message string
	Fields  []errs.FieldError
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, lang string, err error) {
	var e *errs.Error
	if !errors.As(err, &e) {
		e = &errs.Error{Code: errs.Internal, Err: err}
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	msg := map[int]string{400: tr(lang, "err.invalid"), 403: tr(lang, "err.forbidden"), 404: tr(lang, "err.notfound"),
		429: tr(lang, "err.rate")}[status]
	if msg == "" {
		msg = tr(lang, "err.internal")
	}
	if status >= 500 {
		s.log.Error("dashboard", "path", r.URL.Path, "err", err)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	s.render(w, r, status, "error", lang, tr(lang, "title.error"), nil, errorPage{Message: msg, Fields: e.Fields})
}

// actor resolves the staff member from the session cookie. A ?token= in
// the URL (a link from the staff app) is moved into the cookie and the
// URL cleaned, so the token is not left in history or logs.
func (s *server) actor(w http.ResponseWriter, r *http.Request) (*market.User, bool) {
	ctx := r.Context()
	if tok := r.URL.Query().Get("token"); tok != "" {
		if _, err := s.svc.Authenticate(ctx, tok); err == nil {
			s.setSession(w, r, tok)
		}
		q := r.URL.Query()
		q.Del("token")
		http.Redirect(w, r, r.URL.Path+"?"+q.Encode(), http.StatusSeeOther)
		return nil, false
	}
	c, err := r.Cookie(sessionCookie)
	var u *market.User
	if err == nil {
		u, err = s.svc.Authenticate(ctx, c.Value)
	}
	if err != nil || u == nil {
		http.Redirect(w, r, "/dashboard/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil, false
	}
	if u.Role != market.RoleStaff && u.Role != market.RoleAdmin {
		s.fail(w, r, langOf(r), errs.E(errs.Forbidden, "staff only"))
		return nil, false
	}
	return u, true
}

func (s *server) setSession(w http.ResponseWriter, r *http.Request, tok string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.opt.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: 12 * 3600})
}

type loginPage struct {
	Next, Phone, Error string
}

func safeNext(next string) string {
	if !strings.HasPrefix(next, "/dashboard") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/dashboard"
	}
	return next
}

func (s *server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.rememberLang(w, r)
	lang := langOf(r)
	s.render(w, r, http.StatusOK, "login", lang, tr(lang, "title.login"), nil, loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, lang, errs.E(errs.Invalid, "bad form"))
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	sess, err := s.svc.Login(r.Context(), app.LoginInput{Phone: r.PostForm.Get("phone"), Password: r.PostForm.Get("password"), ClientIP: ip})
	if err != nil {
		msg := tr(lang, "login.failed")
		status := http.StatusUnauthorized
		if errs.Is(err, errs.RateLimited) {
			msg, status = tr(lang, "login.throttled"), http.StatusTooManyRequests
		} else if !errs.Is(err, errs.Unauthenticated) && !errs.Is(err, errs.Invalid) {
			s.fail(w, r, lang, err)
			return
		}
		s.render(w, r, status, "login", lang, tr(lang, "title.login"), nil, loginPage{Next: next, Phone: r.PostForm.Get("phone"), Error: msg})
		return
	}
	if sess.User.Role != market.RoleStaff && sess.User.Role != market.RoleAdmin {
		_ = s.svc.Logout(r.Context(), sess.Token)
		s.fail(w, r, lang, errs.E(errs.Forbidden, "staff only"))
		return
	}
	s.setSession(w, r, sess.Token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = s.svc.Logout(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.opt.SecureCookies, MaxAge: -1})
	http.Redirect(w, r, "/dashboard/login", http.StatusSeeOther)
}

// filters are the dashboard's query parameters.
type filters struct {
	DistrictID, MarketID string
	From, To             string
	Sort, Dir            string
}

func (s *server) filtersOf(r *http.Request, u *market.User) filters {
	q := r.URL.Query()
	f := filters{DistrictID: q.Get("district_id"), MarketID: q.Get("market_id"), From: q.Get("from"), To: q.Get("to"),
		Sort: q.Get("sort"), Dir: q.Get("dir")}
	if u.Role == market.RoleStaff {
		f.DistrictID = u.DistrictID
	}
	if f.From == "" && f.To == "" {
		today := s.opt.Now().In(payment.BusinessLocation)
		f.From = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		f.To = today.Format(time.DateOnly)
	}
	switch f.Sort {
	case "amount", "payments", "name", "avg", "refunded":
	default:
		f.Sort = "amount"
	}
	if f.Dir != "asc" {
		f.Dir = "desc"
	}
	return f
}

func (f filters) query(extra ...string) string {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("district_id", f.DistrictID)
	set("market_id", f.MarketID)
	set("from", f.From)
	set("to", f.To)
	set("sort", f.Sort)
	set("dir", f.Dir)
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			q.Del(extra[i])
		} else {
			q.Set(extra[i], extra[i+1])
		}
	}
	return q.Encode()
}

func (f filters) reportQuery(groupBy, period string) app.ReportQuery {
	return app.ReportQuery{DistrictID: f.DistrictID, MarketID: f.MarketID, GroupBy: groupBy, Period: period, From: f.From, To: f.To}
}

type kpi struct{ Label, Value, Hint string }

type link struct{ Label, URL string }

type stallRow struct {
	Number, Name string
	app.ReportRow
}

type sortLink struct {
	Label, URL, Arrow string
	Num               bool
}

type queueRow struct {
	At, Amount, Account, Content, Provider string
}

type logInfo struct {
	Enabled    bool
	Size       string
	Checkpoint string
	Key        string
}

type dashboardData struct {
	F          filters
	IsAdmin    bool
	Districts  []market.District
	Markets    []market.Market
	Quick      []link
	KPIs       []kpi
	Daily      dailyChart
	Adoption   adoptionChart
	Stalls     []stallRow
	StallsMore bool
	SortLinks  []sortLink
	Queue      []queueRow
	QueueCount int64
	Exports    []link
	Log        logInfo
	Generated  string
	OpenData   string
}

func (s *server) dashboard(w http.ResponseWriter, r *http.Request) {
	s.rememberLang(w, r)
	lang := langOf(r)
	u, ok := s.actor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	a := app.ActorOf(u)
	f := s.filtersOf(r, u)
	d := dashboardData{F: f, IsAdmin: u.Role == market.RoleAdmin}
	if d.IsAdmin {
		ds, err := s.svc.ListDistricts(ctx, app.Page{Limit: 200})
		if err != nil {
			s.fail(w, r, lang, err)
			return
		}
		d.Districts = ds
	}
	if f.DistrictID != "" {
		ms, err := s.svc.ListMarkets(ctx, app.MarketFilter{Page: app.Page{Limit: 200}, DistrictID: f.DistrictID})
		if err != nil {
			s.fail(w, r, lang, err)
			return
		}
		d.Markets = ms
	}
	level := app.GroupDistrict
	if f.MarketID != "" {
		level = app.GroupMarket
	}
	// Three reports over the same rollups, fetched side by side.
	var daily, markets, stalls *app.Report
	var errD, errM, errS error
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); daily, errD = s.svc.Report(ctx, a, f.reportQuery(level, app.PeriodDay)) }()
	go func() {
		defer wg.Done()
		markets, errM = s.svc.Report(ctx, a, f.reportQuery(app.GroupMarket, app.PeriodRange))
	}()
	go func() {
		defer wg.Done()
		stalls, errS = s.svc.Report(ctx, a, f.reportQuery(app.GroupStall, app.PeriodRange))
	}()
	wg.Wait()
	if err := cmp.Or(errD, errM, errS); err != nil {
		s.fail(w, r, lang, err)
		return
	}
	f.From, f.To = daily.From, daily.To
	d.F = f
	t := daily.Total
	d.KPIs = []kpi{
		{tr(lang, "kpi.payments"), formatInt(lang, t.Payments), ""},
		{tr(lang, "kpi.amount"), formatMoney(lang, t.Amount), ""},
		{tr(lang, "kpi.avg"), formatMoney(lang, t.AverageTicket), ""},
		{tr(lang, "kpi.active"), formatInt(lang, t.ActiveStalls), tr(lang, "kpi.of") + " " + formatInt(lang, t.RegisteredStalls) + " " + tr(lang, "kpi.registered")},
		{tr(lang, "kpi.adoption"), formatPercent(lang, t.QRAdoption), ""},
		{tr(lang, "kpi.refunds"), formatInt(lang, t.Refunds), formatMoney(lang, t.Refunded)},
		{tr(lang, "kpi.new"), formatInt(lang, t.NewStalls), ""},
		{tr(lang, "kpi.ocop"), formatMoney(lang, t.OCOPSales), ""},
		{tr(lang, "kpi.unmatched"), formatInt(lang, daily.UnmatchedAwaitingReview), ""},
	}
	d.QueueCount = daily.UnmatchedAwaitingReview
	d.Daily = buildDaily(lang, daily)
	d.Adoption = buildAdoption(lang, markets)
	d.Stalls, d.SortLinks = s.stallTable(lang, f, stalls)
	if len(d.Stalls) > 200 {
		d.Stalls, d.StallsMore = d.Stalls[:200], true
	}
	if ts, err := s.svc.ListTransfers(ctx, a, app.TransferFilter{Page: app.Page{Limit: 50}, DistrictID: f.DistrictID,
		Outcomes: []payment.Outcome{payment.OutcomeUnmatched}, Unreviewed: true}); err == nil {
		for _, t := range ts {
			d.Queue = append(d.Queue, queueRow{At: t.OccurredAt.In(payment.BusinessLocation).Format("02/01/2006 15:04"),
				Amount: formatMoney(lang, t.Amount.Dong()), Account: market.MaskAccount(t.Account), Content: clip(t.Content, 60), Provider: t.Provider})
		}
	} else {
		s.log.Warn("dashboard review queue", "err", err)
	}
	d.Quick = quickRanges(lang, f, s.opt.Now())
	for _, e := range []struct{ key, group, period string }{
		{"export.daily", level, app.PeriodDay}, {"export.weekly", level, app.PeriodWeek}, {"export.monthly", level, app.PeriodMonth},
		{"export.markets", app.GroupMarket, app.PeriodRange}, {"export.marketdaily", app.GroupMarket, app.PeriodDay},
		{"export.stalls", app.GroupStall, app.PeriodRange},
	} {
		d.Exports = append(d.Exports, link{tr(lang, e.key), "/dashboard/export.csv?" + f.query("group_by", e.group, "period", e.period, "sort", "", "dir", "")})
	}
	d.Log = s.logInfo(ctx, lang)
	d.Generated = daily.GeneratedAt.In(payment.BusinessLocation).Format("02/01/2006 15:04:05")
	d.OpenData = "/open-data?" + url.Values{"district_id": {f.DistrictID}}.Encode()
	s.render(w, r, http.StatusOK, "dashboard", lang, tr(lang, "title"), u, d)
}

func (s *server) logInfo(ctx context.Context, lang string) logInfo {
	key, err := s.svc.LogVerifierKey()
	if err != nil {
		return logInfo{}
	}
	li := logInfo{Enabled: true, Key: key}
	if cp, err := s.svc.LatestLogCheckpoint(ctx); err == nil {
		li.Size, li.Checkpoint = formatInt(lang, int64(cp.Size)), string(cp.Note)
	}
	return li
}

// stallTable sorts the per-stall rows as asked and builds the header
// links that sort by each column (clicking the current one flips it).
func (s *server) stallTable(lang string, f filters, rep *app.Report) ([]stallRow, []sortLink) {
	rows := make([]stallRow, 0, len(rep.Rows))
	for _, r := range rep.Rows {
		num, name, _ := strings.Cut(r.GroupName, " · ")
		rows = append(rows, stallRow{Number: num, Name: name, ReportRow: r})
	}
	less := map[string]func(a, b stallRow) bool{
		"amount":   func(a, b stallRow) bool { return a.Amount < b.Amount },
		"payments": func(a, b stallRow) bool { return a.Payments < b.Payments },
		"avg":      func(a, b stallRow) bool { return a.AverageTicket < b.AverageTicket },
		"refunded": func(a, b stallRow) bool { return a.Refunded < b.Refunded },
		"name":     func(a, b stallRow) bool { return a.Number+a.Name < b.Number+b.Name },
	}[f.Sort]
	if less == nil {
		less = func(a, b stallRow) bool { return a.Amount < b.Amount }
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if f.Dir == "asc" {
			return less(rows[i], rows[j])
		}
		return less(rows[j], rows[i])
	})
	var links []sortLink
	for _, c := range []struct {
		key, label string
		num        bool
	}{{"name", "stalls.name", false}, {"payments", "stalls.payments", true}, {"amount", "stalls.amount", true},
		{"avg", "stalls.avg", true}, {"refunded", "stalls.refunded", true}} {
		dir, arrow := "desc", ""
		if c.key == f.Sort {
			if f.Dir == "desc" {
				dir, arrow = "asc", "▼"
			} else {
				arrow = "▲"
			}
		} else if c.key == "name" {
			dir = "asc"
		}
		links = append(links, sortLink{Label: tr(lang, c.label), URL: "/dashboard?" + f.query("sort", c.key, "dir", dir) + "#stalls", Arrow: arrow, Num: c.num})
	}
	return rows, links
}

func quickRanges(lang string, f filters, now time.Time) []link {
	today := now.In(payment.BusinessLocation)
	d := func(t time.Time) string { return t.Format(time.DateOnly) }
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	return []link{
		{tr(lang, "range.month"), "/dashboard?" + f.query("from", d(first), "to", d(day))},
		{tr(lang, "range.lastmonth"), "/dashboard?" + f.query("from", d(first.AddDate(0, -1, 0)), "to", d(first.AddDate(0, 0, -1)))},
		{tr(lang, "range.7"), "/dashboard?" + f.query("from", d(day.AddDate(0, 0, -6)), "to", d(day))},
		{tr(lang, "range.30"), "/dashboard?" + f.query("from", d(day.AddDate(0, 0, -29)), "to", d(day))},
	}
}

// export serves the dashboard's report as CSV, with the same access
// rules as GET /v1/reports (it is the same service call).
func (s *server) export(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	u, ok := s.actor(w, r)
	if !ok {
		return
	}
	f := s.filtersOf(r, u)
	q := r.URL.Query()
	rep, err := s.svc.Report(r.Context(), app.ActorOf(u), f.reportQuery(q.Get("group_by"), q.Get("period")))
	if err != nil {
		s.fail(w, r, lang, err)
		return
	}
	var buf bytes.Buffer
	if err := app.WriteReportCSV(&buf, rep); err != nil {
		s.fail(w, r, lang, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="market4-`+rep.GroupBy+`-`+rep.Period+`-`+rep.From+`-`+rep.To+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// Open data.

type openDataRowJSON struct {
	Day          string  `json:"day"`
	DistrictID   string  `json:"district_id"`
	DistrictName string  `json:"district_name"`
	MarketID     string  `json:"market_id"`
	MarketName   string  `json:"market_name"`
	Suppressed   bool    `json:"suppressed"`
	ActiveStalls *int64  `json:"active_stalls"`
	Payments     *int64  `json:"payments"`
	Amount       *string `json:"amount"`
	Refunds      *int64  `json:"refunds"`
	Refunded     *string `json:"refunded"`
}

type openDataJSON struct {
	From      string            `json:"from"`
	To        string            `json:"to"`
	TimeZone  string            `json:"time_zone"`
	MinStalls int               `json:"min_stalls"`
	Licence   string            `json:"licence"`
	Rows      []openDataRowJSON `json:"rows"`
}

const licence = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"

func (s *server) openData(w http.ResponseWriter, r *http.Request) ([]app.OpenDataRow, string, string, bool) {
	lang := langOf(r)
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	if !s.lim.allow(ip, time.Now()) {
		s.fail(w, r, lang, errs.E(errs.RateLimited, "slow down"))
		return nil, "", "", false
	}
	q := r.URL.Query()
	rows, from, to, err := s.svc.OpenData(r.Context(), app.OpenDataQuery{DistrictID: q.Get("district_id"), From: q.Get("from"), To: q.Get("to")})
	if err != nil {
		s.fail(w, r, lang, err)
		return nil, "", "", false
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	return rows, from, to, true
}

func (s *server) openDataJSON(w http.ResponseWriter, r *http.Request) {
	rows, from, to, ok := s.openData(w, r)
	if !ok {
		return
	}
	out := openDataJSON{From: from, To: to, TimeZone: "Asia/Ho_Chi_Minh", MinStalls: 3, Licence: licence, Rows: make([]openDataRowJSON, len(rows))}
	for i, r := range rows {
		j := openDataRowJSON{Day: r.Day, DistrictID: r.DistrictID, DistrictName: r.DistrictName, MarketID: r.MarketID,
			MarketName: r.MarketName, Suppressed: r.Suppressed}
		if !r.Suppressed {
			a, f := strconv.FormatInt(r.Amount, 10), strconv.FormatInt(r.Refunded, 10)
			j.ActiveStalls, j.Payments, j.Amount, j.Refunds, j.Refunded = &r.ActiveStalls, &r.Payments, &a, &r.Refunds, &f
		}
		out.Rows[i] = j
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *server) openDataCSV(w http.ResponseWriter, r *http.Request) {
	rows, from, to, ok := s.openData(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := app.WriteOpenDataCSV(&buf, rows); err != nil {
		s.fail(w, r, langOf(r), err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="market4-open-data-`+from+`-`+to+`.csv"`)
	_, _ = w.Write(buf.Bytes())
}

type openDataPage struct {
	From, To   string
	DistrictID string
	Rows       []app.OpenDataRow
	JSON, CSV  string
}

func (s *server) openDataPage(w http.ResponseWriter, r *http.Request) {
	s.rememberLang(w, r)
	lang := langOf(r)
	rows, from, to, ok := s.openData(w, r)
	if !ok {
		return
	}
	q := url.Values{}
	for _, k := range []string{"district_id", "from", "to"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	s.render(w, r, http.StatusOK, "opendata", lang, tr(lang, "title.opendata"), nil, openDataPage{From: from, To: to,
		DistrictID: r.URL.Query().Get("district_id"), Rows: rows,
		JSON: "/open-data/markets-daily.json?" + q.Encode(), CSV: "/open-data/markets-daily.csv?" + q.Encode()})
}

// limiter is a fixed-window per-IP request counter for the public pages
// of one instance (the API's shared limiter is in the database; open data
// is cheap and cacheable, so a local bound is enough).
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Time
	counts map[string]int
}

func newLimiter(perMinute int) *limiter { return &limiter{limit: perMinute, counts: map[string]int{}} }

func (l *limiter) allow(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := now.Truncate(time.Minute); !w.Equal(l.window) {
		l.window, l.counts = w, map[string]int{}
	}
	l.counts[ip]++
	return l.counts[ip] <= l.limit
}
