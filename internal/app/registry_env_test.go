package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
)

// This file holds the fixtures of the foundation's use-case tests (auth,
// registry, import). They run on real stores of every dialect.

var bg = context.Background()

// fastArgon keeps password hashing cheap in tests; production cost is
// checked by the format of the stored hash, not by timing.
var fastArgon = app.ArgonParams{Memory: 64, Time: 1, Threads: 1}

// manualClock is an injectable clock that only moves when told to.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// regEnv is a registry with two districts, a market in each, two vendors,
// a staff member per district and an admin.
type regEnv struct {
	st    *store.Store
	svc   *app.Service
	clock *manualClock
	cfg   app.Config

	admin            market.Actor
	d1, d2           *market.District
	m1, m2           *market.Market // m1 in d1, m2 in d2
	vendorA, vendorB market.Actor
	staff1, staff2   market.Actor
	users            map[string]*market.User // by role label: vendorA, vendorB, staff1, staff2, admin
}

const testPassword = "correct horse battery"

func newRegEnv(t *testing.T, st *store.Store, tweak func(*app.Config)) *regEnv {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Argon = fastArgon
	if tweak != nil {
		tweak(&cfg)
	}
	clk := &manualClock{t: time.Date(2026, 11, 22, 8, 3, 0, 0, time.UTC)}
	e := &regEnv{st: st, svc: app.New(st, clk.Now, cfg, nil), clock: clk, cfg: cfg, admin: market.Actor{Role: market.RoleAdmin},
		users: map[string]*market.User{}}
	e.d1 = mustOK(e.svc.CreateDistrict(bg, e.admin, market.District{Name: "Vị Thủy", Province: "Hậu Giang"}))(t)
	e.d2 = mustOK(e.svc.CreateDistrict(bg, e.admin, market.District{Name: "Long Mỹ", Province: "Hậu Giang"}))(t)
	e.m1 = mustOK(e.svc.CreateMarket(bg, e.admin, market.Market{DistrictID: e.d1.ID, Name: "Chợ Vị Thủy"}))(t)
	e.m2 = mustOK(e.svc.CreateMarket(bg, e.admin, market.Market{DistrictID: e.d2.ID, Name: "Chợ Long Mỹ"}))(t)
	mk := func(label, phone string, role market.Role, district string) market.Actor {
		u := mustOK(e.svc.CreateUser(bg, app.CreateUserInput{Phone: phone, Password: testPassword, Name: label, Role: role, DistrictID: district}))(t)
		e.users[label] = u
		return app.ActorOf(u)
	}
	e.vendorA = mk("vendorA", "0912000001", market.RoleVendor, "")
	e.vendorB = mk("vendorB", "0912000002", market.RoleVendor, "")
	e.staff1 = mk("staff1", "0912000003", market.RoleStaff, e.d1.ID)
	e.staff2 = mk("staff2", "0912000004", market.RoleStaff, e.d2.ID)
	mk("admin", "0912000005", market.RoleAdmin, "")
	return e
}

// mustOK unwraps a (value, error) pair, failing the test on error:
// mustOK(f())(t).
func mustOK[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// stallIn is a valid stall registration in market m.
func stallIn(m *market.Market, number string) app.StallInput {
	return app.StallInput{MarketID: m.ID, StallNumber: number, Name: "Sạp " + number, Category: "vegetables",
		BankBIN: "970436", AccountNumber: "0071000123456", AccountName: "Nguyễn Thị Ba"}
}

// stall registers a stall for vendor in m and moves it to status.
func (e *regEnv) stall(t *testing.T, vendor market.Actor, m *market.Market, number string, status market.StallStatus) *market.Stall {
	t.Helper()
	s := mustOK(e.svc.CreateStall(bg, vendor, stallIn(m, number)))(t)
	switch status {
	case market.StallActive, market.StallSuspended:
		s = mustOK(e.svc.SetStallStatus(bg, e.admin, s.ID, status))(t)
	}
	return s
}

// rows counts the rows of a table straight from the database.
func rows(t *testing.T, st *store.Store, table string) int {
	t.Helper()
	var n int
	if err := st.SQL().QueryRowContext(bg, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// expectErr fails unless err has code and, when fields are given, names
// exactly those fields in order.
func expectErr(t *testing.T, err error, code errs.Code, fields ...string) *errs.Error {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("err = %v (code %q), want %q", err, errs.CodeOf(err), code)
	}
	var e *errs.Error
	errors.As(err, &e)
	if fields != nil {
		var got []string
		for _, f := range e.Fields {
			got = append(got, f.Field)
		}
		if len(got) != len(fields) {
			t.Fatalf("fields = %v, want %v (%v)", got, fields, err)
		}
		for i := range got {
			if got[i] != fields[i] {
				t.Fatalf("fields = %v, want %v (%v)", got, fields, err)
			}
		}
	}
	return e
}
