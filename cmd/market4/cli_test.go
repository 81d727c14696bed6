package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/pkg/vietqr"
)

// cli runs the binary's run() with a fresh environment pointing at a SQLite
// file in a temporary directory.
type cli struct {
	t  *testing.T
	db string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	clearEnv(t)
	c := &cli{t: t, db: filepath.Join(t.TempDir(), "market4.db")}
	t.Setenv("MARKET4_DATABASE_URL", c.db)
	t.Setenv("MARKET4_LOG_LEVEL", "error")
	return c
}

// run executes one command; stdin may be empty.
func (c *cli) run(stdin string, args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func (c *cli) mustRun(stdin string, args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(stdin, args...)
	if err != nil {
		c.t.Fatalf("market4 %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// service opens the CLI's database directly, as the server would.
func (c *cli) service() (*app.Service, *store.Store) {
	c.t.Helper()
	st, err := store.Open(context.Background(), c.db, store.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	cfg := app.DefaultConfig()
	cfg.Argon = app.ArgonParams{Memory: 64, Time: 1, Threads: 1}
	return app.New(st, nil, cfg, nil), st
}

func TestUsageErrors(t *testing.T) {
	c := newCLI(t)
	var u usageError
	for _, args := range [][]string{{}, {"frobnicate"}, {"migrate"}, {"migrate", "sideways"}, {"users"}, {"users", "delete"},
		{"users", "create", "--colour", "red"}, {"import"}, {"import", "stalls"}, {"import", "stalls", "--market", "m"}, {"demo", "extra"}} {
		_, _, err := c.run("", args...)
		if !errors.As(err, &u) {
			t.Errorf("market4 %v: err = %v, want a usage error (exit 2)", args, err)
		}
	}
	out := c.mustRun("", "help")
	if !strings.Contains(out, "market4 users create") || !strings.Contains(out, "MARKET4_DATABASE_URL") {
		t.Fatalf("help = %s", out)
	}
	t.Setenv("MARKET4_PAYMENT_TTL", "1s")
	if _, _, err := c.run("", "migrate", "status"); err == nil || !strings.Contains(err.Error(), "MARKET4_PAYMENT_TTL") {
		t.Fatalf("bad config: err = %v", err)
	}
}

func TestMigrateCommands(t *testing.T) {
	c := newCLI(t)
	status := func() []string {
		return strings.Split(strings.TrimSpace(c.mustRun("", "migrate", "status")), "\n")
	}
	line := regexp.MustCompile(`^(\d{5})  (applied|pending) +(\S+\.sql)$`)
	before := status()
	if len(before) == 0 {
		t.Fatal("no migrations listed")
	}
	for _, l := range before {
		if m := line.FindStringSubmatch(l); m == nil || m[2] != "pending" {
			t.Fatalf("status line %q: want pending", l)
		}
	}
	if out := c.mustRun("", "migrate", "up"); out != fmt.Sprintf("applied %d migrations\n", len(before)) {
		t.Fatalf("migrate up = %q", out)
	}
	after := status()
	for i, l := range after {
		m := line.FindStringSubmatch(l)
		if m == nil || m[2] != "applied" || !strings.HasPrefix(m[3], m[1]) || !strings.HasPrefix(before[i], m[1]) {
			t.Fatalf("status line %q after up", l)
		}
	}
	if out := c.mustRun("", "migrate", "up"); out != "applied 0 migrations\n" {
		t.Fatalf("second migrate up = %q", out)
	}
	if out := c.mustRun("", "migrate", "down"); out != "rolled back one migration\n" {
		t.Fatalf("migrate down = %q", out)
	}
	last := status()[len(after)-1]
	if !strings.Contains(last, "pending") {
		t.Fatalf("last migration after down: %q", last)
	}
}

func TestUsersCreate(t *testing.T) {
	c := newCLI(t)
	// Before the schema exists the command refuses rather than half-working.
	t.Setenv("MARKET4_PASSWORD", "admin password 1")
	if _, _, err := c.run("", "users", "create", "--role", "admin", "--phone", "0901000001", "--name", "Quản trị"); err == nil || !strings.Contains(err.Error(), "pending migrations") {
		t.Fatalf("users create on an empty database: %v", err)
	}
	c.mustRun("", "migrate", "up")

	out := c.mustRun("", "users", "create", "--role", "admin", "--phone", "0901 000 001", "--name", "Quản trị")
	if !regexp.MustCompile(`^created admin Quản trị \(\+84901000001\) id=[0-9a-f-]{36}\n$`).MatchString(out) {
		t.Fatalf("output = %q", out)
	}
	svc, st := c.service()
	if s, err := svc.Login(context.Background(), app.LoginInput{Phone: "0901000001", Password: "admin password 1"}); err != nil || s.User.Role != market.RoleAdmin {
		t.Fatalf("the created admin cannot log in: %v", err)
	}
	stored, _ := st.Read().UserByPhone(context.Background(), "+84901000001")
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("CLI users get hash %q, want production argon2id cost", stored.PasswordHash)
	}

	// Staff need a district; the password may come from stdin.
	d, err := svc.CreateDistrict(context.Background(), market.Actor{Role: market.RoleAdmin}, market.District{Name: "Vị Thủy", Province: "Hậu Giang"})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MARKET4_PASSWORD", "")
	out = c.mustRun("staff password 2\r\n", "users", "create", "--role", "staff", "--phone", "0901000002", "--name", "Cán bộ", "--district", d.ID)
	if !strings.HasPrefix(out, "created staff Cán bộ (+84901000002)") {
		t.Fatalf("output = %q", out)
	}
	if s, err := svc.Login(context.Background(), app.LoginInput{Phone: "0901000002", Password: "staff password 2"}); err != nil || s.User.DistrictID != d.ID {
		t.Fatalf("staff from stdin password: %v", err)
	}

	for _, tt := range []struct {
		name, stdin string
		args        []string
		wantErr     []string
	}{
		{"phone taken", "a long password", []string{"--role", "vendor", "--phone", "+84901000001", "--name", "X"}, []string{"phone", "already registered"}},
		{"invalid everything", "short", []string{"--role", "king", "--phone", "123", "--name", ""}, []string{"phone", "password", "name", "role"}},
		{"staff without district", "a long password", []string{"--role", "staff", "--phone", "0901000003", "--name", "X"}, []string{"district_id"}},
		{"unknown district", "a long password", []string{"--role", "staff", "--phone", "0901000003", "--name", "X", "--district", "nope"}, []string{"no such district"}},
		{"no password at all", "", []string{"--role", "vendor", "--phone", "0901000003", "--name", "X"}, []string{"password"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.run(tt.stdin, append([]string{"users", "create"}, tt.args...)...)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if n, _ := countUsers(st); n != 2 {
		t.Fatalf("%d users after refused creations, want 2", n)
	}
}

func countUsers(st *store.Store) (int, error) {
	var n int
	err := st.SQL().QueryRow("SELECT count(*) FROM users").Scan(&n)
	return n, err
}

func TestImportStallsCommand(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "migrate", "up")
	svc, st := c.service()
	admin := market.Actor{Role: market.RoleAdmin}
	d, err := svc.CreateDistrict(context.Background(), admin, market.District{Name: "Vị Thủy", Province: "Hậu Giang"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := svc.CreateMarket(context.Background(), admin, market.Market{DistrictID: d.ID, Name: "Chợ Vị Thủy"})
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "stall_number,name,category,bank_bin,account_number,account_name\n"

	bad := write("bad.csv", header+"B01,Cá,seafood,970436,1012345678,NGUYEN THI HIEN\nB02,Thịt,meat,123456,2201234567,TRAN VAN LOC\nB03,,fruit,970407,1,LE THI TUOI\n")
	_, errOut, err := c.run("", "import", "stalls", "--market", m.ID, bad)
	if err == nil || !strings.Contains(err.Error(), "2 row errors; nothing was imported") {
		t.Fatalf("bad file: err = %v", err)
	}
	for _, want := range []string{"line 3: bank_bin: is not a NAPAS bank BIN", "line 4: name: must be 1–100 characters"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(err.Error(), "line[") {
		t.Errorf("row errors repeated in the error: %v", err)
	}

	good := write("good.csv", header+"B01,Cá,seafood,970436,1012345678,NGUYEN THI HIEN\nB02,Thịt,meat,970418,2201234567,TRAN VAN LOC\nB03,Trái cây,fruit,970407,19031234567012,LE THI TUOI\n")
	out, errOut, err := c.run("", "import", "stalls", "--market", m.ID, good)
	if err != nil {
		t.Fatalf("good file: %v\n%s", err, errOut)
	}
	if out != "imported 3 stalls\n" || !strings.Contains(errOut, "3 rows…") {
		t.Fatalf("stdout %q, stderr %q", out, errOut)
	}
	list, err := svc.ListStalls(context.Background(), admin, app.StallFilter{MarketID: m.ID})
	if err != nil || len(list) != 3 || list[0].Status != market.StallActive {
		t.Fatalf("stalls after import = %+v, %v", list, err)
	}

	// Importing the same file again clashes with every stall and adds nothing.
	_, errOut, err = c.run("", "import", "stalls", "--market", m.ID, good)
	if err == nil || strings.Count(errOut, "already exists in this market") != 3 {
		t.Fatalf("re-import: %v\n%s", err, errOut)
	}
	if _, _, err := c.run("", "import", "stalls", "--market", "no-such-market", good); err == nil || !strings.Contains(err.Error(), "no such market") {
		t.Fatalf("unknown market: %v", err)
	}
	if _, _, err := c.run("", "import", "stalls", "--market", m.ID, filepath.Join(t.TempDir(), "nope.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if n := len(mustList(t, st, m.ID)); n != 3 {
		t.Fatalf("%d stalls, want 3", n)
	}
}

func mustList(t *testing.T, st *store.Store, marketID string) []market.Stall {
	t.Helper()
	l, err := st.Read().ListStalls(context.Background(), app.StallFilter{MarketID: marketID, Page: app.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestDescribe(t *testing.T) {
	err := describe(&errs.Error{Code: errs.Invalid, Message: "2 fields are invalid", Fields: []errs.FieldError{
		{Field: "phone", Message: "must be a Vietnamese mobile number"}, {Field: "line[3].bank_bin", Message: "unknown"}}})
	if err.Error() != "2 fields are invalid\n  phone: must be a Vietnamese mobile number" {
		t.Fatalf("describe = %q", err)
	}
	internal := errs.Wrap(errs.Internal, errors.New("driver: connection reset"), "database error")
	if describe(internal) != error(internal) {
		t.Fatal("internal errors must pass through with their cause for the operator")
	}
	plain := errors.New("plain")
	if describe(plain) != plain {
		t.Fatal("plain errors must pass through")
	}
}

// TestServe: serve refuses a database with pending migrations, and with
// --migrate it migrates, listens, answers and shuts down on cancel.
func TestServe(t *testing.T) {
	c := newCLI(t)
	t.Setenv("MARKET4_ADDR", "127.0.0.1:0")
	_, _, err := c.run("", "serve")
	if err == nil || !strings.Contains(err.Error(), "pending migrations") || !strings.Contains(err.Error(), "market4 migrate up") {
		t.Fatalf("serve on an unmigrated database: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- run(ctx, []string{"serve", "--migrate"}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("serve printed nothing; err = %v", <-done)
	}
	m := regexp.MustCompile(`^market4 listening on (127\.0\.0\.1:\d+) \(sqlite\)$`).FindStringSubmatch(lines.Text())
	if m == nil {
		t.Fatalf("first line = %q", lines.Text())
	}
	t.Logf("serve on SQLite was ready in %v", time.Since(start))
	go io.Copy(io.Discard, pr)
	resp, err := http.Get("http://" + m[1] + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/readyz = %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}
	// The database is now migrated, so plain serve would start.
	st, err := store.Open(context.Background(), c.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := st.Pending(context.Background()); err != nil || n != 0 {
		t.Fatalf("pending after serve --migrate = %d, %v", n, err)
	}
}

// TestSeedDemo: the demo data is one market of 12 active stalls (2 the
// demo vendor's, 10 imported) and 3 logins that work with the printed
// password, on every database.
func TestSeedDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		cfg := app.DefaultConfig()
		cfg.Argon = app.ArgonParams{Memory: 64, Time: 1, Threads: 1}
		svc := app.New(st, nil, cfg, nil)
		logins, err := seedDemo(ctx, svc)
		if err != nil {
			t.Fatal(err)
		}
		if len(logins) != 3 {
			t.Fatalf("%d logins, want 3", len(logins))
		}
		roles := map[market.Role]bool{}
		var vendor *market.User
		for _, l := range logins {
			s, err := svc.Login(ctx, app.LoginInput{Phone: l.phone, Password: demoPassword})
			if err != nil {
				t.Fatalf("demo login %s (%s): %v", l.desc, l.phone, err)
			}
			roles[s.User.Role] = true
			if s.User.Role == market.RoleVendor {
				vendor = s.User
			}
		}
		if len(roles) != 3 {
			t.Fatalf("demo logins cover roles %v, want admin, staff and vendor", roles)
		}
		ms, err := svc.ListMarkets(ctx, app.MarketFilter{})
		if err != nil || len(ms) != 1 {
			t.Fatalf("markets = %v, %v", ms, err)
		}
		stalls, err := svc.ListStalls(ctx, market.Actor{Role: market.RoleAdmin}, app.StallFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(stalls) != 12 {
			t.Fatalf("%d stalls, want 12", len(stalls))
		}
		// Seeding a database the demo already seeded reuses it.
		if again, err := seedDemo(ctx, svc); err != nil || len(again) != 3 {
			t.Fatalf("second seeding: %v %v", again, err)
		}
		if n, _ := svc.ListStalls(ctx, market.Actor{Role: market.RoleAdmin}, app.StallFilter{}); len(n) != 12 {
			t.Fatalf("%d stalls after seeding twice, want 12", len(n))
		}
		owned := 0
		for _, s := range stalls {
			if s.Status != market.StallActive || s.MarketID != ms[0].ID {
				t.Errorf("stall %s: %s in %s", s.StallNumber, s.Status, s.MarketID)
			}
			if s.OwnerID == vendor.ID {
				owned++
			}
			if _, err := vietqr.Encode(s.StaticQR()); err != nil {
				t.Errorf("stall %s has no valid QR: %v", s.StallNumber, err)
			}
		}
		if owned != 2 {
			t.Fatalf("demo vendor owns %d stalls, want 2", owned)
		}
	})
}

// TestSeedDemoHistory: the demo starts with 30 days of payments to its 12
// stalls, ending yesterday, that the district staff's report counts, the
// audit accepts and the summaries already hold; a second start adds none.
func TestSeedDemoHistory(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dsn, st := testDSN(t, d)
			cfg := config{DatabaseURL: dsn}
			log := slog.New(slog.DiscardHandler)
			now := time.Now()
			if _, err := seedDemo(ctx, demoRegistrar(cfg, st, log, now)); err != nil {
				t.Fatal(err)
			}
			svc := newService(cfg, st, log)
			trMust(t, seedDemoHistory(ctx, cfg, log, st, now))
			count := func() (n int) {
				trMust(t, st.SQL().QueryRow(`SELECT COUNT(*) FROM payments`).Scan(&n))
				return n
			}
			if n := count(); n != demoHistoryPayments {
				t.Fatalf("%d payments after seeding the history, want %d", n, demoHistoryPayments)
			}
			staff, err := svc.Login(ctx, app.LoginInput{Phone: "0901000002", Password: demoPassword})
			trMust(t, err)
			yesterday := now.In(payment.BusinessLocation).AddDate(0, 0, -1)
			rep, err := svc.Report(ctx, app.ActorOf(staff.User), app.ReportQuery{GroupBy: app.GroupStall, Period: app.PeriodRange,
				From: yesterday.AddDate(0, 0, -(demoHistoryDays - 1)).Format(time.DateOnly), To: yesterday.Format(time.DateOnly)})
			trMust(t, err)
			if rep.Total.Payments != demoHistoryPayments || rep.Total.ActiveStalls != 12 || len(rep.Rows) != 12 {
				t.Fatalf("staff report over the history: %d payments, %d active stalls, %d rows", rep.Total.Payments, rep.Total.ActiveStalls, len(rep.Rows))
			}
			var summarised int64
			trMust(t, st.SQL().QueryRow(`SELECT COALESCE(SUM(payments), 0) FROM market_daily`).Scan(&summarised))
			if summarised != demoHistoryPayments {
				t.Fatalf("summaries hold %d payments, want all %d (every day of the history is over)", summarised, demoHistoryPayments)
			}
			bad, err := svc.Audit(ctx)
			trMust(t, err)
			if len(bad) > 0 {
				t.Fatalf("audit of the demo history: %s", strings.Join(bad, "\n"))
			}
			trMust(t, seedDemoHistory(ctx, cfg, log, st, now))
			if n := count(); n != demoHistoryPayments {
				t.Fatalf("%d payments after a second start, want %d", n, demoHistoryPayments)
			}
		})
	}
}
