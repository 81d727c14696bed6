package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/store"
)

// Demo logins, printed at start. The password is public on purpose: the
// demo runs on a throwaway database.
const demoPassword = "market4demo"

var demoUsers = []struct {
	role              market.Role
	phone, name, desc string
}{
	{market.RoleAdmin, "0901000001", "Quản trị viên", "admin"},
	{market.RoleStaff, "0901000002", "Cán bộ UBND huyện Vị Thủy", "district staff"},
	{market.RoleVendor, "0901000003", "Cô Ba bán rau", "vendor"},
}

// demoStalls are imported as active stalls of the demo market, across real
// NAPAS BINs so the QR codes exercise several banks.
const demoStalls = `stall_number,name,category,bank_bin,account_number,account_name
B01,Sạp cá Út Hiền,seafood,970436,1012345678,NGUYEN THI HIEN
B02,Thịt heo Năm Lộc,meat,970418,2201234567,TRAN VAN LOC
B03,Trái cây Bảy Tươi,fruit,970407,19031234567012,LE THI TUOI
B04,Tạp hóa Tư Phát,dry_goods,970422,0381234567,PHAM VAN PHAT
B05,Bánh xèo Má Sáu,cooked_food,970405,7100205123456,VO THI SAU
B06,Nước mía Hai Lúa,drinks,970415,105871234567,HUYNH VAN LUA
B07,Khô cá lóc Vị Thủy,ocop,970403,060123456789,DANG THI MAI
B08,Vải sợi Chín Hoa,clothing,970423,00099999999,BUI THI HOA
B09,Hoa tươi Mười Lan,flowers,970432,123456789,NGO THI LAN
B10,Gia dụng Tám Đức,household,970448,0123456789,DO VAN DUC
`

func cmdDemo(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageError{"usage: market4 demo"}
	}
	if os.Getenv("MARKET4_DATABASE_URL") == "" {
		dir, err := os.MkdirTemp("", "market4-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DatabaseURL = filepath.Join(dir, "demo.db")
	}
	st, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := wire(ctx, cfg, st, log, wireOptions{InProcessBank: true})
	if err != nil {
		return err
	}
	defer p.Close()
	logins, err := seedDemo(ctx, demoRegistrar(cfg, st, log, time.Now()))
	if err != nil {
		return fmt.Errorf("seed demo data: %w", describe(err))
	}
	ocopDemo, err := seedDemoOCOP(ctx, p.svc)
	if err != nil {
		return fmt.Errorf("seed OCOP demo data: %w", describe(err))
	}
	if err := seedDemoHistory(ctx, cfg, log, st, time.Now()); err != nil {
		return fmt.Errorf("seed demo history: %w", describe(err))
	}
	return listenAndServe(ctx, cfg.Addr, p.handler, log, func(addr string) {
		printDemo(stdout, cfg, st.Dialect(), logins)
		if ocopDemo != nil {
			printOCOPDemo(stdout, cfg.PublicURL, ocopDemo)
		}
	})
}

type demoLogin struct{ desc, phone string }

// seedDemo creates the demo district, market, users and stalls through the
// same use cases the API calls, so the demo data obeys every rule.
func seedDemo(ctx context.Context, svc *app.Service) ([]demoLogin, error) {
	admin := market.Actor{Role: market.RoleAdmin}
	var logins []demoLogin
	for _, u := range demoUsers {
		logins = append(logins, demoLogin{u.desc, u.phone})
	}
	// A demo pointed at a database it already seeded reuses the data.
	ds, err := svc.ListDistricts(ctx, app.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.Name == "Vị Thủy" && d.Province == "Hậu Giang" {
			return logins, nil
		}
	}
	d, err := svc.CreateDistrict(ctx, admin, market.District{Name: "Vị Thủy", Province: "Hậu Giang"})
	if err != nil {
		return nil, err
	}
	m, err := svc.CreateMarket(ctx, admin, market.Market{DistrictID: d.ID, Name: "Chợ Vị Thủy", Address: "Thị trấn Nàng Mau, huyện Vị Thủy, Hậu Giang"})
	if err != nil {
		return nil, err
	}
	var vendor *market.User
	for _, u := range demoUsers {
		in := app.CreateUserInput{Phone: u.phone, Password: demoPassword, Name: u.name, Role: u.role}
		if u.role == market.RoleStaff {
			in.DistrictID = d.ID
		}
		created, err := svc.CreateUser(ctx, in)
		if err != nil {
			return nil, err
		}
		if u.role == market.RoleVendor {
			vendor = created
		}
	}
	va := app.ActorOf(vendor)
	for _, s := range []app.StallInput{
		{MarketID: m.ID, StallNumber: "A01", Name: "Rau sạch Cô Ba", Category: "vegetables", BankBIN: "970436", AccountNumber: "0071000123456", AccountName: "Nguyễn Thị Ba"},
		{MarketID: m.ID, StallNumber: "A02", Name: "Trái cây Cô Ba", Category: "fruit", BankBIN: "970415", AccountNumber: "108001234567", AccountName: "Nguyễn Thị Ba"},
	} {
		st, err := svc.CreateStall(ctx, va, s)
		if err != nil {
			return nil, err
		}
		if _, err := svc.SetStallStatus(ctx, admin, st.ID, market.StallActive); err != nil {
			return nil, err
		}
	}
	if _, err := svc.ImportStalls(ctx, admin, m.ID, strings.NewReader(demoStalls), nil); err != nil {
		return nil, err
	}
	return logins, nil
}

// demoRegistrar is the service that seeds the demo's registry: its clock
// runs demoHistoryDays + 15 days behind now, so the district, market, users
// and stalls were registered before the payment history seedDemoHistory
// adds, as in a real district (a payment never predates its stall).
func demoRegistrar(cfg config, st *store.Store, log *slog.Logger, now time.Time) *app.Service {
	then := now.AddDate(0, 0, -(demoHistoryDays + 15))
	return newServiceAt(cfg, st, log, func() time.Time { return then })
}

// demoHistoryDays and demoHistoryPayments size the demo's past: enough
// for the dashboard's charts, loaded in well under a second on SQLite.
const (
	demoHistoryDays     = 30
	demoHistoryPayments = 2500
)

// seedDemoHistory gives the demo district's stalls demoHistoryDays days of
// payments ending yesterday, with a few refunds, so the dashboard, reports
// and open data have figures before anyone pays. It is `market4 gen` (bulk
// rows that obey every rule the audit checks: payments, transfers, journal,
// rollups; finished days sealed); the transparency log takes them in like
// any other movement. A database that has payments is left alone.
func seedDemoHistory(ctx context.Context, cfg config, log *slog.Logger, st *store.Store, now time.Time) error {
	var payments, stalls int
	if err := st.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM payments`).Scan(&payments); err != nil || payments > 0 {
		return err
	}
	err := st.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM stalls s JOIN districts d ON d.id = s.district_id
		WHERE d.name = 'Vị Thủy' AND d.province = 'Hậu Giang' AND s.status = 'active'`).Scan(&stalls)
	if err != nil || stalls == 0 {
		return err
	}
	end := now.In(payment.BusinessLocation).AddDate(0, 0, -1).Format(time.DateOnly)
	return cmdGen(ctx, cfg, log, []string{"--district", "Vị Thủy", "--province", "Hậu Giang", "--markets", "1",
		"--stalls", strconv.Itoa(stalls), "--payments", strconv.Itoa(demoHistoryPayments), "--days", strconv.Itoa(demoHistoryDays),
		"--end", end, "--unmatched", "0"}, io.Discard)
}

// seedDemoOCOP adds a cooperative, two OCOP products with certificates, a
// lot with activated stamps, and lists the products on the demo vendor's
// stalls. On a database that already has them it does nothing.
func seedDemoOCOP(ctx context.Context, svc *app.Service) (*app.OCOPDemo, error) {
	ds, err := svc.ListDistricts(ctx, app.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.Name != "Vị Thủy" {
			continue
		}
		ms, err := svc.ListMarkets(ctx, app.MarketFilter{DistrictID: d.ID})
		if err != nil || len(ms) == 0 {
			return nil, err
		}
		demo, err := svc.SeedOCOP(ctx, d.ID, ms[0].ID)
		if errs.Is(err, errs.Conflict) {
			return nil, nil // seeded by an earlier run
		}
		return demo, err
	}
	return nil, nil
}

func printDemo(w io.Writer, cfg config, dialect store.Dialect, logins []demoLogin) {
	u := cfg.PublicURL
	fmt.Fprintf(w, `
Market4 demo is running (%s database: %s)

  Start here     %s/
  Vendor app     %s/app        (log in as the vendor, show a QR, hear payments arrive)
  Staff          %s/staff      (approve stalls)
  Dashboard      %s/dashboard  (district figures, charts, CSV; log in as staff; 30 days of demo history)
  Open data      %s/open-data/markets-daily.json
  Mock bank      %s/mockbank/  (simulated banking app: pay a stall's QR)
  API            %s/v1/  (contract: %s/openapi.yaml)
  Health         %s/healthz   %s/readyz   %s/metrics

Demo logins (password %q):
`, dialect, cfg.DatabaseURL, u, u, u, u, u, u, u, u, u, u, u, demoPassword)
	for _, l := range logins {
		fmt.Fprintf(w, "  %-16s %s\n", l.desc, l.phone)
	}
	fmt.Fprintln(w, "\nPress Ctrl+C to stop; the demo database is thrown away.")
}
