package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/internal/translog"
	"github.com/market4/market4/internal/web/dashboard"
	"github.com/market4/market4/pkg/money"
)

const password = "password1"

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// site is a dashboard over a small district with a month of payments.
type site struct {
	srv          *httptest.Server
	svc          *app.Service
	st           *store.Store
	d1, d2       *market.District
	staff, other *market.User
	vendor       *market.User
	stalls       []*market.Stall
}

var now = time.Date(2026, 11, 20, 15, 0, 0, 0, payment.BusinessLocation)

func newSite(t *testing.T) *site {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	cfg := app.DefaultConfig()
	cfg.Argon = app.ArgonParams{Memory: 64, Time: 1, Threads: 1}
	clock := now.AddDate(0, -1, 0)
	svc := app.New(st, func() time.Time { return clock }, cfg, nil)
	admin := market.Actor{Role: market.RoleAdmin}
	s := &site{svc: svc, st: st}
	var err error
	s.d1, err = svc.CreateDistrict(ctx, admin, market.District{Name: "Vị Thủy", Province: "Hậu Giang"})
	must(t, err)
	s.d2, err = svc.CreateDistrict(ctx, admin, market.District{Name: "Long Mỹ", Province: "Hậu Giang"})
	must(t, err)
	s.staff, err = svc.CreateUser(ctx, app.CreateUserInput{Phone: "0912000001", Password: password, Name: "Cán bộ Vị Thủy", Role: market.RoleStaff, DistrictID: s.d1.ID})
	must(t, err)
	s.other, err = svc.CreateUser(ctx, app.CreateUserInput{Phone: "0912000002", Password: password, Name: "Cán bộ Long Mỹ", Role: market.RoleStaff, DistrictID: s.d2.ID})
	must(t, err)
	s.vendor, err = svc.CreateUser(ctx, app.CreateUserInput{Phone: "0912000003", Password: password, Name: "Cô Ba", Role: market.RoleVendor})
	must(t, err)
	_, err = svc.CreateUser(ctx, app.CreateUserInput{Phone: "0912000004", Password: password, Name: "Quản trị", Role: market.RoleAdmin})
	must(t, err)
	names := []string{"Rau sạch Cô Ba", "Thịt heo Năm Lộc", "Cá đồng Út Hiền", "Khô cá lóc Vị Thủy", "Trái cây Bảy Tươi"}
	for mi, mname := range []string{"Chợ Vị Thủy", "Chợ Nàng Mau"} {
		m, err := svc.CreateMarket(ctx, admin, market.Market{DistrictID: s.d1.ID, Name: mname})
		must(t, err)
		for i, n := range names[:3+mi*2] {
			cat := "vegetables"
			if strings.HasPrefix(n, "Khô") {
				cat = "ocop"
			}
			st, err := svc.CreateStall(ctx, app.ActorOf(s.vendor), app.StallInput{MarketID: m.ID, StallNumber: fmt.Sprintf("%c%02d", 'A'+mi, i+1),
				Name: n, Category: cat, BankBIN: "970436", AccountNumber: fmt.Sprintf("77%d%08d", mi, i), AccountName: "Nguyen Thi Ba"})
			must(t, err)
			if i < 2+mi*2 {
				st, err = svc.SetStallStatus(ctx, admin, st.ID, market.StallActive)
				must(t, err)
			}
			s.stalls = append(s.stalls, st)
		}
	}
	m2, err := svc.CreateMarket(ctx, admin, market.Market{DistrictID: s.d2.ID, Name: "Chợ Long Mỹ"})
	must(t, err)
	_ = m2
	seq := 0
	transfer := func(st *market.Stall, amount int64, at time.Time) {
		seq++
		_, _, err := svc.ConfirmTransfer(ctx, provider.Notification{Provider: provider.MockBank, EventID: fmt.Sprintf("D%d", seq), BankBIN: st.BankBIN,
			Account: st.AccountNumber, Amount: money.FromDong(amount), Content: "chuyen tien", Incoming: true, Success: true, At: at}, payment.SourceWebhook)
		must(t, err)
	}
	for day := 1; day <= 20; day++ {
		for i, st := range s.stalls {
			if st.Status != market.StallActive || (day+i)%3 == 0 {
				continue
			}
			transfer(st, int64(5000*(1+(day*7+i*3)%20)), time.Date(2026, 11, day, 7+i, 30, 0, 0, payment.BusinessLocation))
		}
	}
	// Money to a pending stall's account waits for review.
	transfer(s.stalls[2], 42000, time.Date(2026, 11, 19, 9, 0, 0, 0, payment.BusinessLocation))
	clock = now
	skey, _, err := translog.GenerateKey("market4.test/journal")
	must(t, err)
	must(t, svc.UseTransparencyLog(app.LogOptions{SignerKey: skey}))
	_, err = svc.SequenceOnce(ctx)
	must(t, err)
	s.srv = httptest.NewServer(dashboard.New(dashboard.Options{Service: svc, Now: func() time.Time { return now }, OpenDataRate: 1000}))
	t.Cleanup(s.srv.Close)
	return s
}

// client is a browser-like client: cookies, no automatic redirects.
func (s *site) client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	must(t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp, string(b)
}

func (s *site) login(t *testing.T, phone string) *http.Client {
	t.Helper()
	c := s.client(t)
	resp, err := c.PostForm(s.srv.URL+"/dashboard/login", url.Values{"phone": {phone}, "password": {password}, "next": {"/dashboard"}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("login %s: %d → %q", phone, resp.StatusCode, resp.Header.Get("Location"))
	}
	return c
}

func TestDashboard(t *testing.T) {
	s := newSite(t)

	// Anonymous: to the login page.
	resp, _ := get(t, s.client(t), s.srv.URL+"/dashboard?from=2026-11-01")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/dashboard/login?next=%2Fdashboard%3Ffrom%3D2026-11-01") {
		t.Fatalf("anonymous: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := get(t, s.client(t), s.srv.URL+"/dashboard/login")
	if resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("login page: %d %s", resp.StatusCode, body)
	}
	// Wrong password: the form again, with a message.
	c := s.client(t)
	r, err := c.PostForm(s.srv.URL+"/dashboard/login", url.Values{"phone": {"0912000001"}, "password": {"wrong-password"}})
	must(t, err)
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "Sai số điện thoại hoặc mật khẩu") {
		t.Fatalf("bad login: %d", r.StatusCode)
	}
	// A vendor may not log in here.
	r, err = c.PostForm(s.srv.URL+"/dashboard/login", url.Values{"phone": {"0912000003"}, "password": {password}})
	must(t, err)
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("vendor login: %d", r.StatusCode)
	}

	staff := s.login(t, "0912000001")
	resp, body = get(t, staff, s.srv.URL+"/dashboard")
	if resp.StatusCode != 200 {
		t.Fatalf("dashboard: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"Bảng điều hành minh bạch", "Giao dịch không tiền mặt", "<svg class=\"chart\"", "<rect class=\"bar\"", "Chợ Nàng Mau",
		"Rau sạch Cô Ba", "Khô cá lóc Vị Thủy", "Chuyển khoản chưa khớp", "42.000 ₫", "/dashboard/export.csv?", `type="date"`,
		"market4.test/journal", // the latest signed checkpoint
		"value=\"2026-11-01\"", "value=\"2026-11-20\"",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if strings.Contains(body, "Long Mỹ") && strings.Contains(body, "Chợ Long Mỹ") {
		t.Error("staff of Vị Thủy see Long Mỹ's market")
	}
	if regexp.MustCompile(`<script`).MatchString(body) {
		t.Error("the dashboard must work without scripts")
	}
	// Staff cannot widen their scope with a query parameter.
	_, body = get(t, staff, s.srv.URL+"/dashboard?district_id="+s.d2.ID)
	if !strings.Contains(body, "Chợ Nàng Mau") {
		t.Fatal("district_id of another district must be ignored for staff")
	}
	// Sorting by value, ascending and descending.
	_, asc := get(t, staff, s.srv.URL+"/dashboard?sort=amount&dir=asc")
	_, desc := get(t, staff, s.srv.URL+"/dashboard?sort=amount&dir=desc")
	first := func(page string) string {
		i := strings.Index(page, `id="stalls"`)
		m := regexp.MustCompile(`<tr(?: class="idle")?><td>([A-Z][0-9]+)</td>`).FindStringSubmatch(page[i:])
		return m[1]
	}
	if first(asc) == first(desc) {
		t.Fatalf("sorting changes nothing: %s", first(asc))
	}
	// English.
	resp, body = get(t, staff, s.srv.URL+"/dashboard?lang=en")
	if !strings.Contains(body, "Transparency dashboard") || !strings.Contains(body, "QR adoption by market") {
		t.Fatal("no English page")
	}
	// CSV export: UTF-8 BOM, Vietnamese intact.
	resp, body = get(t, staff, s.srv.URL+"/dashboard/export.csv?group_by=stall&period=range&from=2026-11-01&to=2026-11-20")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(body, "\ufeffperiod_start,") ||
		!strings.Contains(body, "Rau sạch Cô Ba") {
		t.Fatalf("export: %d %q", resp.StatusCode, body)
	}
	// Invalid parameters: an error page, not a crash.
	resp, _ = get(t, staff, s.srv.URL+"/dashboard?from=2026-12-01&to=2026-11-01")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad range: %d", resp.StatusCode)
	}
	// Logout ends the session.
	r, err = staff.PostForm(s.srv.URL+"/dashboard/logout", nil)
	must(t, err)
	r.Body.Close()
	resp, _ = get(t, staff, s.srv.URL+"/dashboard")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %d", resp.StatusCode)
	}

	// A token handed over in the URL becomes the cookie and leaves the URL.
	sess, err := s.svc.Login(context.Background(), app.LoginInput{Phone: "0912000002", Password: password})
	must(t, err)
	c = s.client(t)
	resp, _ = get(t, c, s.srv.URL+"/dashboard?token="+sess.Token+"&lang=en")
	if resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "token") {
		t.Fatalf("token hand-over: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = get(t, c, s.srv.URL+"/dashboard")
	if resp.StatusCode != 200 || !strings.Contains(body, "Cán bộ Long Mỹ") || strings.Contains(body, "Chợ Nàng Mau") {
		t.Fatalf("other district's staff: %d", resp.StatusCode)
	}

	// Admin picks a district.
	admin := s.login(t, "0912000004")
	_, body = get(t, admin, s.srv.URL+"/dashboard?district_id="+s.d1.ID)
	if !strings.Contains(body, "Tất cả quận/huyện") || !strings.Contains(body, "Chợ Nàng Mau") {
		t.Fatal("admin district picker")
	}
	_, body = get(t, admin, s.srv.URL+"/dashboard")
	if !strings.Contains(body, "Vị Thủy") {
		t.Fatal("admin, all districts")
	}
}

func TestOpenData(t *testing.T) {
	s := newSite(t)
	c := s.client(t)
	resp, body := get(t, c, s.srv.URL+"/open-data/markets-daily.json?from=2026-11-01&to=2026-11-20")
	if resp.StatusCode != 200 {
		t.Fatalf("open data: %d %s", resp.StatusCode, body)
	}
	var od struct {
		From, To string
		Rows     []map[string]any
	}
	must(t, json.Unmarshal([]byte(body), &od))
	if len(od.Rows) == 0 {
		t.Fatal("no open data rows")
	}
	suppressed, shown := 0, 0
	for _, r := range od.Rows {
		for k := range r {
			if strings.Contains(k, "stall_id") || strings.Contains(k, "phone") || strings.Contains(k, "account") {
				t.Fatalf("open data exposes %s", k)
			}
		}
		if r["suppressed"] == true {
			suppressed++
			if r["amount"] != nil || r["active_stalls"] != nil {
				t.Fatalf("suppressed row has figures: %v", r)
			}
		} else {
			shown++
			if n := r["active_stalls"].(float64); n < 3 {
				t.Fatalf("row with %v stalls published", n)
			}
		}
	}
	if suppressed == 0 || shown == 0 {
		t.Fatalf("want both suppressed (Chợ Vị Thủy, 2 active stalls) and shown rows: %d/%d", suppressed, shown)
	}
	resp, body = get(t, c, s.srv.URL+"/open-data/markets-daily.csv?from=2026-11-01&to=2026-11-20")
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "\ufeffday,district_id,") || !strings.Contains(body, "Chợ Nàng Mau") {
		t.Fatalf("open data CSV: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, c, s.srv.URL+"/open-data?lang=en")
	if resp.StatusCode != 200 || !strings.Contains(body, "withheld") {
		t.Fatalf("open data page: %d", resp.StatusCode)
	}
	resp, _ = get(t, c, s.srv.URL+"/open-data/markets-daily.json?from=2025-01-01&to=2026-01-01")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("long range: %d", resp.StatusCode)
	}
}
