package app_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

func TestDistrictsAndMarketsAreAdminOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		districts, markets := rows(t, st, "districts"), rows(t, st, "markets")
		for name, a := range map[string]market.Actor{"anonymous": {}, "vendor": e.vendorA, "staff": e.staff1} {
			_, err := e.svc.CreateDistrict(bg, a, market.District{Name: "Phụng Hiệp", Province: "Hậu Giang"})
			expectErr(t, err, errs.Forbidden)
			_, err = e.svc.CreateMarket(bg, a, market.Market{DistrictID: e.d1.ID, Name: "Chợ mới " + name})
			expectErr(t, err, errs.Forbidden)
		}
		_, err := e.svc.CreateDistrict(bg, e.admin, market.District{})
		expectErr(t, err, errs.Invalid, "name", "province")
		_, err = e.svc.CreateDistrict(bg, e.admin, market.District{Name: " Vị Thủy ", Province: "Hậu Giang"})
		expectErr(t, err, errs.Conflict, "name")
		_, err = e.svc.CreateMarket(bg, e.admin, market.Market{DistrictID: "nowhere", Name: "Chợ"})
		expectErr(t, err, errs.Invalid, "district_id")
		_, err = e.svc.CreateMarket(bg, e.admin, market.Market{DistrictID: e.d1.ID, Name: "Chợ Vị Thủy"})
		expectErr(t, err, errs.Conflict, "name")
		if rows(t, st, "districts") != districts || rows(t, st, "markets") != markets {
			t.Fatal("refused commands wrote rows")
		}

		d := mustOK(e.svc.District(bg, e.d1.ID))(t)
		if d.ID != e.d1.ID || d.Name != "Vị Thủy" || !d.CreatedAt.Equal(e.clock.Now()) {
			t.Fatalf("District = %+v", d)
		}
		_, err = e.svc.District(bg, "missing")
		expectErr(t, err, errs.NotFound)
		_, err = e.svc.Market(bg, "missing")
		expectErr(t, err, errs.NotFound)
		if m := mustOK(e.svc.Market(bg, e.m2.ID))(t); m.DistrictID != e.d2.ID {
			t.Fatalf("Market = %+v", m)
		}
		ms := mustOK(e.svc.ListMarkets(bg, app.MarketFilter{DistrictID: e.d2.ID}))(t)
		if len(ms) != 1 || ms[0].ID != e.m2.ID {
			t.Fatalf("markets of d2 = %+v", ms)
		}
	})
}

// TestListLimits: a missing or out-of-range limit becomes the default of
// 50, and pages follow the keyset.
func TestListLimits(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	e := newRegEnv(t, st, nil)
	for i := range 60 {
		mustOK(e.svc.CreateDistrict(bg, e.admin, market.District{Name: fmt.Sprintf("Quận %02d", i), Province: "Cần Thơ"}))(t)
	}
	for limit, want := range map[int]int{0: 50, -1: 50, 201: 50, 1: 1, 200: 62} {
		ds := mustOK(e.svc.ListDistricts(bg, app.Page{Limit: limit}))(t)
		if len(ds) != want {
			t.Errorf("limit %d gave %d districts, want %d", limit, len(ds), want)
		}
	}
	first := mustOK(e.svc.ListDistricts(bg, app.Page{Limit: 50}))(t)
	rest := mustOK(e.svc.ListDistricts(bg, app.Page{After: first[49].ID, Limit: 50}))(t)
	if len(rest) != 12 || rest[0].ID <= first[49].ID {
		t.Fatalf("second page = %d districts starting %s", len(rest), rest[0].ID)
	}
}

func TestCreateStall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		s := mustOK(e.svc.CreateStall(bg, e.vendorA, app.StallInput{MarketID: e.m1.ID, StallNumber: " a01 ", Name: "Rau",
			Category: "vegetables", BankBIN: "970436", AccountNumber: "0071000123456", AccountName: "Nguyễn Thị Ba"}))(t)
		want := market.Stall{ID: s.ID, MarketID: e.m1.ID, DistrictID: e.d1.ID, OwnerID: e.vendorA.UserID, StallNumber: "A01",
			Name: "Rau", Category: "vegetables", BankBIN: "970436", AccountNumber: "0071000123456", AccountName: "NGUYEN THI BA",
			Status: market.StallPending, CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
		if *s != want {
			t.Fatalf("stall = %+v\nwant   %+v", *s, want)
		}
		if got := mustOK(st.Read().StallByID(bg, s.ID, false))(t); *got != want {
			t.Fatalf("stored = %+v", *got)
		}
		before := rows(t, st, "stalls")
		for name, a := range map[string]market.Actor{"anonymous": {}, "staff": e.staff1, "admin": e.admin} {
			_, err := e.svc.CreateStall(bg, a, stallIn(e.m1, "X-"+name[:1]))
			expectErr(t, err, errs.Forbidden)
		}
		_, err := e.svc.CreateStall(bg, e.vendorB, stallIn(e.m1, "a01"))
		expectErr(t, err, errs.Conflict, "stall_number")
		_, err = e.svc.CreateStall(bg, e.vendorB, stallIn(&market.Market{ID: "nowhere"}, "A01"))
		expectErr(t, err, errs.Invalid, "market_id")
		bad := stallIn(e.m1, "A02")
		bad.BankBIN, bad.AccountNumber = "999999", "12345678901234567890"
		_, err = e.svc.CreateStall(bg, e.vendorB, bad)
		expectErr(t, err, errs.Invalid, "bank_bin", "account_number")
		if rows(t, st, "stalls") != before {
			t.Fatal("refused stalls were written")
		}
		// The same number in another market is another stall.
		if o := mustOK(e.svc.CreateStall(bg, e.vendorB, stallIn(e.m2, "A01")))(t); o.DistrictID != e.d2.ID {
			t.Fatalf("district not taken from the market: %+v", o)
		}
	})
}

func TestStallLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		s := e.stall(t, e.vendorA, e.m1, "A01", market.StallPending)
		set := func(a market.Actor, to market.StallStatus) error {
			_, err := e.svc.SetStallStatus(bg, a, s.ID, to)
			return err
		}
		status := func() market.StallStatus { return mustOK(st.Read().StallByID(bg, s.ID, false))(t).Status }

		expectErr(t, set(e.vendorA, market.StallActive), errs.Forbidden) // owners do not approve themselves
		expectErr(t, set(e.vendorB, market.StallActive), errs.NotFound)
		expectErr(t, set(e.staff2, market.StallActive), errs.NotFound) // other district: not visible
		expectErr(t, set(market.Actor{}, market.StallActive), errs.NotFound)
		expectErr(t, set(e.staff1, market.StallPending), errs.Invalid, "status")
		expectErr(t, set(e.staff1, "deleted"), errs.Invalid, "status")
		if status() != market.StallPending {
			t.Fatal("refused transitions changed the status")
		}

		e.clock.Advance(time.Minute)
		got := mustOK(e.svc.SetStallStatus(bg, e.staff1, s.ID, market.StallActive))(t)
		if got.Status != market.StallActive || !got.UpdatedAt.Equal(e.clock.Now()) || !got.CreatedAt.Equal(s.CreatedAt) {
			t.Fatalf("approved = %+v", got)
		}
		expectErr(t, set(e.staff1, market.StallActive), errs.Conflict)
		if err := set(e.staff1, market.StallSuspended); err != nil {
			t.Fatal(err)
		}
		expectErr(t, set(e.admin, market.StallSuspended), errs.Conflict)
		if err := set(e.admin, market.StallActive); err != nil {
			t.Fatal(err)
		}
		if status() != market.StallActive {
			t.Fatal("suspended → active did not stick")
		}
		// A pending stall may be suspended straight away (e.g. fraud).
		p := e.stall(t, e.vendorB, e.m2, "B01", market.StallPending)
		if s := mustOK(e.svc.SetStallStatus(bg, e.staff2, p.ID, market.StallSuspended))(t); s.Status != market.StallSuspended {
			t.Fatalf("pending → suspended gave %s", s.Status)
		}
		_, err := e.svc.SetStallStatus(bg, e.admin, "missing", market.StallActive)
		expectErr(t, err, errs.NotFound)
	})
}

func TestUpdateStall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		update := func(a market.Actor, id string, in app.StallInput) (*market.Stall, error) {
			return e.svc.UpdateStall(bg, a, id, in)
		}
		for _, tt := range []struct {
			name string
			from market.StallStatus
			in   app.StallInput
			who  string // vendorA or admin
			want market.StallStatus
		}{
			{"name only keeps active", market.StallActive, app.StallInput{Name: "Rau sạch"}, "vendorA", market.StallActive},
			{"category only keeps active", market.StallActive, app.StallInput{Category: "fruit"}, "vendorA", market.StallActive},
			{"stall number keeps active", market.StallActive, app.StallInput{StallNumber: "A99"}, "vendorA", market.StallActive},
			{"new BIN sends back to pending", market.StallActive, app.StallInput{BankBIN: "970415"}, "vendorA", market.StallPending},
			{"new account number sends back to pending", market.StallActive, app.StallInput{AccountNumber: "108001234567"}, "vendorA", market.StallPending},
			{"new holder name sends back to pending", market.StallActive, app.StallInput{AccountName: "Trần Văn Hai"}, "vendorA", market.StallPending},
			{"same holder name spelled differently keeps active", market.StallActive, app.StallInput{AccountName: " nguyen  THỊ ba "}, "vendorA", market.StallActive},
			{"same account resent keeps active", market.StallActive, app.StallInput{BankBIN: "970436", AccountNumber: "0071000123456"}, "vendorA", market.StallActive},
			{"admin changing the account also needs re-approval", market.StallActive, app.StallInput{AccountNumber: "999"}, "admin", market.StallPending},
			{"suspended stays suspended", market.StallSuspended, app.StallInput{AccountNumber: "999"}, "vendorA", market.StallSuspended},
			{"pending stays pending", market.StallPending, app.StallInput{AccountNumber: "999"}, "vendorA", market.StallPending},
			{"same market id is fine", market.StallActive, app.StallInput{MarketID: "<m1>", Name: "X"}, "vendorA", market.StallActive},
		} {
			t.Run(tt.name, func(t *testing.T) {
				s := e.stall(t, e.vendorA, e.m1, fmt.Sprintf("U%d", e.clock.Now().Unix()%100000), tt.from)
				e.clock.Advance(time.Second)
				if tt.in.MarketID == "<m1>" {
					tt.in.MarketID = e.m1.ID
				}
				a := e.vendorA
				if tt.who == "admin" {
					a = e.admin
				}
				got := mustOK(update(a, s.ID, tt.in))(t)
				if got.Status != tt.want {
					t.Fatalf("status = %s, want %s", got.Status, tt.want)
				}
				stored := mustOK(st.Read().StallByID(bg, s.ID, false))(t)
				if *stored != *got {
					t.Fatalf("returned %+v\nstored   %+v", *got, *stored)
				}
				if !stored.UpdatedAt.Equal(e.clock.Now()) || stored.OwnerID != e.vendorA.UserID {
					t.Fatalf("updated_at/owner = %v/%s", stored.UpdatedAt, stored.OwnerID)
				}
			})
		}

		s := e.stall(t, e.vendorA, e.m1, "V01", market.StallActive)
		e.stall(t, e.vendorA, e.m1, "V02", market.StallActive)
		refuse := []struct {
			name   string
			a      market.Actor
			in     app.StallInput
			code   errs.Code
			fields []string
		}{
			{"other vendor", e.vendorB, app.StallInput{Name: "mine now"}, errs.NotFound, nil},
			{"staff of another district", e.staff2, app.StallInput{Name: "x"}, errs.NotFound, nil},
			{"anonymous", market.Actor{}, app.StallInput{Name: "x"}, errs.NotFound, nil},
			{"staff of its district may read, not edit", e.staff1, app.StallInput{Name: "x"}, errs.Forbidden, nil},
			{"move to another market", e.vendorA, app.StallInput{MarketID: e.m2.ID}, errs.Invalid, []string{"market_id"}},
			{"taken stall number", e.vendorA, app.StallInput{StallNumber: "v02"}, errs.Conflict, []string{"stall_number"}},
			{"unknown BIN", e.vendorA, app.StallInput{BankBIN: "123456"}, errs.Invalid, []string{"bank_bin"}},
			{"bad category", e.vendorA, app.StallInput{Category: "guns", AccountNumber: "12345678901234567890"}, errs.Invalid, []string{"category", "account_number"}},
		}
		for _, tt := range refuse {
			t.Run(tt.name, func(t *testing.T) {
				_, err := update(tt.a, s.ID, tt.in)
				expectErr(t, err, tt.code, tt.fields...)
				if got := mustOK(st.Read().StallByID(bg, s.ID, false))(t); *got != *s {
					t.Fatalf("refused update changed the stall:\n%+v\n%+v", *got, *s)
				}
			})
		}
		_, err := update(e.admin, "missing", app.StallInput{Name: "x"})
		expectErr(t, err, errs.NotFound)
	})
}

func TestStallVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newRegEnv(t, st, nil)
		a1 := e.stall(t, e.vendorA, e.m1, "A01", market.StallActive)
		a2 := e.stall(t, e.vendorA, e.m1, "A02", market.StallPending)
		a3 := e.stall(t, e.vendorA, e.m2, "A03", market.StallSuspended) // vendor A also trades in d2
		b1 := e.stall(t, e.vendorB, e.m1, "B01", market.StallActive)
		b2 := e.stall(t, e.vendorB, e.m2, "B02", market.StallPending)
		all := []*market.Stall{a1, a2, a3, b1, b2}

		readers := map[string]struct {
			a    market.Actor
			sees []*market.Stall
		}{
			"anonymous": {market.Actor{}, nil},
			"vendor A":  {e.vendorA, []*market.Stall{a1, a2, a3}},
			"vendor B":  {e.vendorB, []*market.Stall{b1, b2}},
			"staff d1":  {e.staff1, []*market.Stall{a1, a2, b1}},
			"staff d2":  {e.staff2, []*market.Stall{a3, b2}},
			"admin":     {e.admin, all},
		}
		for name, r := range readers {
			t.Run(name, func(t *testing.T) {
				for _, s := range all {
					got, err := e.svc.Stall(bg, r.a, s.ID)
					if slices.Contains(r.sees, s) {
						if err != nil || got.ID != s.ID {
							t.Errorf("Stall(%s) = %v, %v; want it", s.StallNumber, got, err)
						}
					} else if !errs.Is(err, errs.NotFound) {
						t.Errorf("Stall(%s) err = %v; want NotFound", s.StallNumber, err)
					}
				}
				list, err := e.svc.ListStalls(bg, r.a, app.StallFilter{})
				if name == "anonymous" {
					expectErr(t, err, errs.Unauthenticated)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var got, want []string
				for _, s := range list {
					got = append(got, s.StallNumber)
				}
				for _, s := range r.sees {
					want = append(want, s.StallNumber)
				}
				if !slices.Equal(got, want) {
					t.Errorf("ListStalls = %v, want %v", got, want)
				}
			})
		}

		// Filters narrow within what the caller may see, never beyond it.
		list := mustOK(e.svc.ListStalls(bg, e.vendorA, app.StallFilter{MarketID: e.m1.ID, Status: market.StallActive}))(t)
		if len(list) != 1 || list[0].ID != a1.ID {
			t.Fatalf("vendor A active in m1 = %+v", list)
		}
		list = mustOK(e.svc.ListStalls(bg, e.vendorA, app.StallFilter{OwnerID: e.vendorB.UserID}))(t)
		if len(list) != 3 {
			t.Fatalf("a vendor's owner filter widened the list: %d stalls", len(list))
		}
		list = mustOK(e.svc.ListStalls(bg, e.staff1, app.StallFilter{MarketID: e.m2.ID}))(t)
		if len(list) != 0 {
			t.Fatalf("staff d1 listing d2's market saw %d stalls", len(list))
		}
		_, err := e.svc.ListStalls(bg, e.staff1, app.StallFilter{DistrictID: e.d2.ID})
		expectErr(t, err, errs.Forbidden)
		list = mustOK(e.svc.ListStalls(bg, e.admin, app.StallFilter{DistrictID: e.d2.ID, Status: market.StallPending}))(t)
		if len(list) != 1 || list[0].ID != b2.ID {
			t.Fatalf("admin d2 pending = %+v", list)
		}

		// The public view shows active stalls only.
		for _, s := range all {
			got, err := e.svc.PublicStall(bg, s.ID)
			if s.Status == market.StallActive && (err != nil || got.ID != s.ID) {
				t.Errorf("PublicStall(%s active) = %v", s.StallNumber, err)
			}
			if s.Status != market.StallActive && !errs.Is(err, errs.NotFound) {
				t.Errorf("PublicStall(%s %s) err = %v, want NotFound", s.StallNumber, s.Status, err)
			}
		}
		_, err = e.svc.PublicStall(bg, "missing")
		expectErr(t, err, errs.NotFound)
	})
}
