package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var ctx = context.Background()

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// t0 is a fixed instant with microsecond precision (what timestamptz keeps)
// in a non-UTC zone, so round trips prove the store normalises to UTC.
var hcm = time.FixedZone("ICT", 7*3600)
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793000, hcm)

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code errs.Code) *errs.Error {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("err = %v (code %q), want code %q", err, errs.CodeOf(err), code)
	}
	var e *errs.Error
	errors.As(err, &e)
	return e
}

// wantConflictOn fails unless err is a Conflict naming exactly field.
func wantConflictOn(t *testing.T, err error, field string) {
	t.Helper()
	e := wantCode(t, err, errs.Conflict)
	if len(e.Fields) != 1 || e.Fields[0].Field != field {
		t.Fatalf("conflict fields = %+v, want one naming %q", e.Fields, field)
	}
	if strings.Contains(e.Message, "UNIQUE") || strings.Contains(e.Message, "duplicate key") || strings.Contains(e.Message, "_key") {
		t.Fatalf("conflict message leaks database text: %q", e.Message)
	}
}

type fixture struct {
	district *market.District
	market   *market.Market
	vendor   *market.User
}

func mkDistrict(t *testing.T, tx app.Tx, name string) *market.District {
	t.Helper()
	d := &market.District{ID: newID(), Name: name, Province: "Hậu Giang", CreatedAt: t0}
	if err := tx.CreateDistrict(ctx, d); err != nil {
		t.Fatalf("CreateDistrict: %v", err)
	}
	return d
}

func mkMarket(t *testing.T, tx app.Tx, districtID, name string) *market.Market {
	t.Helper()
	m := &market.Market{ID: newID(), DistrictID: districtID, Name: name, Address: "1 Đường Chợ", CreatedAt: t0}
	if err := tx.CreateMarket(ctx, m); err != nil {
		t.Fatalf("CreateMarket: %v", err)
	}
	return m
}

func mkUser(t *testing.T, tx app.Tx, phone string, role market.Role, districtID string) *market.User {
	t.Helper()
	u := &market.User{ID: newID(), Phone: phone, Name: "Người " + phone, Role: role, DistrictID: districtID,
		PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", CreatedAt: t0}
	if err := tx.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func newStall(m *market.Market, owner, number string) *market.Stall {
	return &market.Stall{ID: newID(), MarketID: m.ID, DistrictID: m.DistrictID, OwnerID: owner, StallNumber: number,
		Name: "Sạp " + number, Category: "vegetables", BankBIN: "970436", AccountNumber: "0071000123456",
		AccountName: "NGUYEN THI BA", Status: market.StallPending, CreatedAt: t0, UpdatedAt: t0}
}

func mkStall(t *testing.T, tx app.Tx, m *market.Market, owner, number string) *market.Stall {
	t.Helper()
	s := newStall(m, owner, number)
	if err := tx.CreateStall(ctx, s); err != nil {
		t.Fatalf("CreateStall %s: %v", number, err)
	}
	return s
}

func setup(t *testing.T, st *store.Store) fixture {
	t.Helper()
	tx := st.Read()
	d := mkDistrict(t, tx, "Vị Thủy")
	return fixture{district: d, market: mkMarket(t, tx, d.ID, "Chợ Vị Thủy"), vendor: mkUser(t, tx, "+84912345678", market.RoleVendor, "")}
}

func TestDialectOf(t *testing.T) {
	for dsn, want := range map[string]store.Dialect{
		"postgres://u:p@h:5432/db":             store.Postgres,
		"postgresql://h/db?sslmode=disable":    store.Postgres,
		"host=/tmp dbname=market4 user=x":      store.Postgres,
		"market4.db":                           store.SQLite,
		"/var/lib/market4/market4.db":          store.SQLite,
		"file:market4.db?_pragma=foreign_keys": store.SQLite,
	} {
		if got := store.DialectOf(dsn); got != want {
			t.Errorf("DialectOf(%q) = %s, want %s", dsn, got, want)
		}
	}
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tx := st.Read()
		d := mkDistrict(t, tx, "Vị Thủy")
		v := mkUser(t, tx, "+84912345678", market.RoleVendor, "")
		s := mkUser(t, tx, "+84912345679", market.RoleStaff, d.ID)

		got, err := tx.UserByPhone(ctx, "+84912345678")
		if err != nil {
			t.Fatal(err)
		}
		want := *v
		want.CreatedAt = t0.UTC()
		if *got != want {
			t.Fatalf("UserByPhone = %+v\nwant %+v", *got, want)
		}
		if got.CreatedAt.Location() != time.UTC {
			t.Fatalf("created_at comes back in %v, want UTC", got.CreatedAt.Location())
		}
		got, err = tx.UserByID(ctx, s.ID)
		if err != nil || got.DistrictID != d.ID || got.Role != market.RoleStaff {
			t.Fatalf("UserByID(staff) = %+v, %v", got, err)
		}
		if got, _ := tx.UserByID(ctx, v.ID); got.DistrictID != "" {
			t.Fatalf("vendor district = %q, want empty (NULL)", got.DistrictID)
		}

		_, err = tx.UserByPhone(ctx, "+84999999999")
		wantCode(t, err, errs.NotFound)
		_, err = tx.UserByID(ctx, newID())
		wantCode(t, err, errs.NotFound)

		dup := &market.User{ID: newID(), Phone: v.Phone, Name: "x", Role: market.RoleVendor, PasswordHash: "h", CreatedAt: t0}
		wantConflictOn(t, tx.CreateUser(ctx, dup), "phone")

		// The schema refuses a staff member without a district even if a
		// service forgot to check: defence in depth.
		bad := &market.User{ID: newID(), Phone: "+84912000000", Name: "x", Role: market.RoleStaff, PasswordHash: "h", CreatedAt: t0}
		if err := tx.CreateUser(ctx, bad); err == nil {
			t.Fatal("staff without a district was stored")
		}
		if _, err := tx.UserByPhone(ctx, bad.Phone); !errs.Is(err, errs.NotFound) {
			t.Fatalf("rejected user is readable: %v", err)
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tx := st.Read()
		u := mkUser(t, tx, "+84912345678", market.RoleVendor, "")
		exp := t0.Add(time.Hour)
		if err := tx.CreateSession(ctx, "hash-1", u.ID, exp); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name  string
			now   time.Time
			valid bool
		}{
			{"long before", t0, true},
			{"one microsecond before expiry", exp.Add(-time.Microsecond), true},
			{"one microsecond before expiry, in UTC", exp.Add(-time.Microsecond).UTC(), true},
			{"at expiry", exp, false},
			{"at expiry, in another zone", exp.In(time.FixedZone("X", -5*3600)), false},
			{"after expiry", exp.Add(time.Second), false},
		} {
			got, err := tx.UserBySession(ctx, "hash-1", tt.now)
			if tt.valid && (err != nil || got.ID != u.ID) {
				t.Errorf("%s: UserBySession = %v, %v; want the user", tt.name, got, err)
			}
			if !tt.valid && !errs.Is(err, errs.NotFound) {
				t.Errorf("%s: UserBySession err = %v, want NotFound", tt.name, err)
			}
		}
		_, err := tx.UserBySession(ctx, "no-such-hash", t0)
		wantCode(t, err, errs.NotFound)

		// A second session of the same user is independent of the first.
		if err := tx.CreateSession(ctx, "hash-2", u.ID, exp); err != nil {
			t.Fatal(err)
		}
		if err := tx.DeleteSession(ctx, "hash-1"); err != nil {
			t.Fatal(err)
		}
		_, err = tx.UserBySession(ctx, "hash-1", t0)
		wantCode(t, err, errs.NotFound)
		if _, err := tx.UserBySession(ctx, "hash-2", t0); err != nil {
			t.Fatalf("other session died with the first: %v", err)
		}
		if err := tx.DeleteSession(ctx, "hash-1"); err != nil {
			t.Fatalf("deleting a missing session: %v", err)
		}
		if err := tx.CreateSession(ctx, "hash-3", newID(), exp); err == nil {
			t.Fatal("session of a missing user was stored")
		}
	})
}

func TestCountAttempt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tx := st.Read()
		w1 := t0.Truncate(15 * time.Minute)
		w2 := w1.Add(15 * time.Minute)
		for i := 1; i <= 3; i++ {
			n, err := tx.CountAttempt(ctx, "login:phone:+84912345678", w1)
			if err != nil || n != i {
				t.Fatalf("attempt %d: n = %d, %v", i, n, err)
			}
		}
		// The same window given in another zone is the same window.
		if n, err := tx.CountAttempt(ctx, "login:phone:+84912345678", w1.UTC()); err != nil || n != 4 {
			t.Fatalf("same window in UTC: n = %d, %v; want 4", n, err)
		}
		if n, _ := tx.CountAttempt(ctx, "login:phone:+84912345678", w2); n != 1 {
			t.Fatalf("next window starts at %d, want 1", n)
		}
		if n, _ := tx.CountAttempt(ctx, "login:ip:127.0.0.1", w1); n != 1 {
			t.Fatalf("other key starts at %d, want 1", n)
		}

		// Concurrent attempts: none is lost and each caller sees its own count.
		const N = 20
		counts := make([]int, N)
		var wg sync.WaitGroup
		errc := make(chan error, N)
		for i := range N {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := st.Read().CountAttempt(ctx, "login:ip:10.0.0.1", w1)
				if err != nil {
					errc <- err
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatalf("concurrent CountAttempt: %v", err)
		}
		slices.Sort(counts)
		for i, n := range counts {
			if n != i+1 {
				t.Fatalf("concurrent counts = %v, want 1…%d each once", counts, N)
			}
		}
		if n, _ := tx.CountAttempt(ctx, "login:ip:10.0.0.1", w1); n != N+1 {
			t.Fatalf("after %d concurrent attempts the next is %d", N, n)
		}
	})
}

// pageAll walks a keyset-paginated list with limit 2 and returns the ids in
// the order seen, checking every page is ordered and no page is over limit.
func pageAll(t *testing.T, list func(p app.Page) ([]string, error)) []string {
	t.Helper()
	var all []string
	after := ""
	for range 100 {
		ids, err := list(app.Page{After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) > 2 {
			t.Fatalf("page of %d items with limit 2", len(ids))
		}
		if len(ids) == 0 {
			return all
		}
		all = append(all, ids...)
		after = ids[len(ids)-1]
	}
	t.Fatal("pagination does not end")
	return nil
}

func TestDistrictsAndMarkets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tx := st.Read()
		var want []string
		for i := range 5 {
			want = append(want, mkDistrict(t, tx, fmt.Sprintf("Quận %d", i)).ID)
		}
		got, err := tx.DistrictByID(ctx, want[2])
		if err != nil || got.Name != "Quận 2" || got.Province != "Hậu Giang" || !got.CreatedAt.Equal(t0) || got.CreatedAt.Location() != time.UTC {
			t.Fatalf("DistrictByID = %+v, %v", got, err)
		}
		_, err = tx.DistrictByID(ctx, newID())
		wantCode(t, err, errs.NotFound)
		wantConflictOn(t, tx.CreateDistrict(ctx, &market.District{ID: newID(), Name: "Quận 1", Province: "Hậu Giang", CreatedAt: t0}), "name")
		// The same name in another province is a different district.
		if err := tx.CreateDistrict(ctx, &market.District{ID: newID(), Name: "Quận 1", Province: "Cần Thơ", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		all := pageAll(t, func(p app.Page) ([]string, error) {
			ds, err := tx.ListDistricts(ctx, p)
			ids := make([]string, len(ds))
			for i, d := range ds {
				ids[i] = d.ID
			}
			return ids, err
		})
		if len(all) != 6 || !slices.IsSorted(all) || !slices.Equal(all[:5], want) {
			t.Fatalf("paged districts = %v\nwant %v then one more, in id order", all, want)
		}
		if ds, _ := tx.ListDistricts(ctx, app.Page{After: all[5], Limit: 10}); len(ds) != 0 {
			t.Fatalf("page after the last = %d items", len(ds))
		}

		// Markets: filter by district, paginate, conflicts per district.
		d1, d2 := want[0], want[1]
		var in1 []string
		for i := range 3 {
			in1 = append(in1, mkMarket(t, tx, d1, fmt.Sprintf("Chợ %d", i)).ID)
		}
		in2 := mkMarket(t, tx, d2, "Chợ 0") // same name, other district: fine
		wantConflictOn(t, tx.CreateMarket(ctx, &market.Market{ID: newID(), DistrictID: d1, Name: "Chợ 1", CreatedAt: t0}), "name")
		if err := tx.CreateMarket(ctx, &market.Market{ID: newID(), DistrictID: newID(), Name: "Chợ ma", CreatedAt: t0}); err == nil {
			t.Fatal("market in a missing district was stored")
		}
		m, err := tx.MarketByID(ctx, in2.ID)
		if err != nil || *m != (market.Market{ID: in2.ID, DistrictID: d2, Name: "Chợ 0", Address: "1 Đường Chợ", CreatedAt: t0.UTC()}) {
			t.Fatalf("MarketByID = %+v, %v", m, err)
		}
		_, err = tx.MarketByID(ctx, newID())
		wantCode(t, err, errs.NotFound)
		paged := pageAll(t, func(p app.Page) ([]string, error) {
			ms, err := tx.ListMarkets(ctx, app.MarketFilter{Page: p, DistrictID: d1})
			ids := make([]string, len(ms))
			for i, m := range ms {
				ids[i] = m.ID
			}
			return ids, err
		})
		if !slices.Equal(paged, in1) {
			t.Fatalf("markets of d1 = %v, want %v", paged, in1)
		}
		if ms, _ := tx.ListMarkets(ctx, app.MarketFilter{Page: app.Page{Limit: 50}}); len(ms) != 4 {
			t.Fatalf("all markets = %d, want 4", len(ms))
		}
	})
}

func TestStalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		tx := st.Read()
		other := mkMarket(t, tx, f.district.ID, "Chợ Nổi")
		d2 := mkDistrict(t, tx, "Long Mỹ")
		far := mkMarket(t, tx, d2.ID, "Chợ Long Mỹ")
		vendorB := mkUser(t, tx, "+84987654321", market.RoleVendor, "")

		a1 := mkStall(t, tx, f.market, f.vendor.ID, "A01")
		a2 := mkStall(t, tx, f.market, "", "A02") // imported, no owner yet
		a3 := mkStall(t, tx, f.market, vendorB.ID, "A03")
		o1 := mkStall(t, tx, other, f.vendor.ID, "A01") // same number, other market
		z1 := mkStall(t, tx, far, vendorB.ID, "Z01")

		got, err := tx.StallByID(ctx, a1.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		want := *a1
		want.CreatedAt, want.UpdatedAt = t0.UTC(), t0.UTC()
		if *got != want {
			t.Fatalf("StallByID = %+v\nwant %+v", *got, want)
		}
		if got, _ := tx.StallByID(ctx, a2.ID, false); got.OwnerID != "" {
			t.Fatalf("unowned stall owner = %q", got.OwnerID)
		}
		_, err = tx.StallByID(ctx, newID(), false)
		wantCode(t, err, errs.NotFound)
		wantConflictOn(t, tx.CreateStall(ctx, newStall(f.market, f.vendor.ID, "A01")), "stall_number")

		// Update every mutable field; a clash on stall_number is a conflict
		// and leaves the row untouched.
		upd := *a1
		upd.StallNumber, upd.Name, upd.Category = "A99", "Đổi tên", "fruit"
		upd.BankBIN, upd.AccountNumber, upd.AccountName = "970415", "108001234567", "TRAN VAN B"
		upd.Status, upd.OwnerID, upd.UpdatedAt = market.StallActive, vendorB.ID, t0.Add(time.Hour)
		if err := tx.UpdateStall(ctx, &upd); err != nil {
			t.Fatal(err)
		}
		got, _ = tx.StallByID(ctx, a1.ID, false)
		want = upd
		want.CreatedAt, want.UpdatedAt = t0.UTC(), t0.Add(time.Hour).UTC()
		if *got != want {
			t.Fatalf("after UpdateStall = %+v\nwant %+v", *got, want)
		}
		clash := *got
		clash.StallNumber, clash.Name = "A02", "must not stick"
		wantConflictOn(t, tx.UpdateStall(ctx, &clash), "stall_number")
		if got, _ := tx.StallByID(ctx, a1.ID, false); got.Name != "Đổi tên" {
			t.Fatalf("failed update changed the row: %+v", got)
		}
		missing := newStall(f.market, "", "X1")
		wantCode(t, tx.UpdateStall(ctx, missing), errs.NotFound)

		ids := func(ss []market.Stall) []string {
			out := make([]string, len(ss))
			for i, s := range ss {
				out[i] = s.ID
			}
			return out
		}
		for _, tt := range []struct {
			name string
			f    app.StallFilter
			want []string
		}{
			{"all", app.StallFilter{}, []string{a1.ID, a2.ID, a3.ID, o1.ID, z1.ID}},
			{"market", app.StallFilter{MarketID: f.market.ID}, []string{a1.ID, a2.ID, a3.ID}},
			{"district", app.StallFilter{DistrictID: f.district.ID}, []string{a1.ID, a2.ID, a3.ID, o1.ID}},
			{"owner", app.StallFilter{OwnerID: vendorB.ID}, []string{a1.ID, a3.ID, z1.ID}},
			{"status", app.StallFilter{Status: market.StallActive}, []string{a1.ID}},
			{"owner and district", app.StallFilter{OwnerID: vendorB.ID, DistrictID: d2.ID}, []string{z1.ID}},
			{"pending in market", app.StallFilter{MarketID: f.market.ID, Status: market.StallPending}, []string{a2.ID, a3.ID}},
			{"nothing", app.StallFilter{MarketID: newID()}, []string{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				paged := pageAll(t, func(p app.Page) ([]string, error) {
					f := tt.f
					f.Page = p
					ss, err := tx.ListStalls(ctx, f)
					return ids(ss), err
				})
				if !slices.Equal(paged, tt.want) && !(len(paged) == 0 && len(tt.want) == 0) {
					t.Fatalf("ListStalls = %v, want %v", paged, tt.want)
				}
			})
		}
	})
}

// TestUnstorableKeys: ids and filters with NUL or invalid UTF-8 (which
// PostgreSQL cannot hold and rejects as a query error) find nothing on
// every dialect instead of failing.
func TestUnstorableKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		mkStall(t, st.Read(), f.market, f.vendor.ID, "K01")
		tx := st.Read()
		for _, bad := range []string{"\x00", "a\x00b", "\xff", "caf\xe9"} {
			_, err := tx.DistrictByID(ctx, bad)
			wantCode(t, err, errs.NotFound)
			_, err = tx.MarketByID(ctx, bad)
			wantCode(t, err, errs.NotFound)
			_, err = tx.StallByID(ctx, bad, false)
			wantCode(t, err, errs.NotFound)
			err = st.InTx(ctx, func(tx app.Tx) error { _, err := tx.StallByID(ctx, bad, true); return err })
			wantCode(t, err, errs.NotFound)
			_, err = tx.UserByID(ctx, bad)
			wantCode(t, err, errs.NotFound)
			_, err = tx.UserByPhone(ctx, bad)
			wantCode(t, err, errs.NotFound)
			if ds, err := tx.ListDistricts(ctx, app.Page{After: bad, Limit: 10}); err != nil || len(ds) != 0 {
				t.Errorf("ListDistricts(after %q) = %d, %v", bad, len(ds), err)
			}
			if ms, err := tx.ListMarkets(ctx, app.MarketFilter{DistrictID: bad, Page: app.Page{Limit: 10}}); err != nil || len(ms) != 0 {
				t.Errorf("ListMarkets(district %q) = %d, %v", bad, len(ms), err)
			}
			for _, f := range []app.StallFilter{{MarketID: bad}, {DistrictID: bad}, {OwnerID: bad}, {Status: market.StallStatus(bad)}, {Page: app.Page{After: bad}}} {
				f.Limit = 10
				if ss, err := tx.ListStalls(ctx, f); err != nil || len(ss) != 0 {
					t.Errorf("ListStalls(%+v) = %d, %v", f, len(ss), err)
				}
			}
		}
	})
}

// TestInTxRollsBack proves a failing command leaves nothing behind.
// TestTimesStoredInUTC writes every time column from a non-UTC zone and
// checks what the database holds. PostgreSQL's timestamptz is zone-free;
// SQLite keeps the text the driver wrote, and string comparisons (session
// expiry, attempt windows) are only correct if every value is in UTC.
func TestTimesStoredInUTC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		tx := st.Read()
		s := newStall(f.market, f.vendor.ID, "T01")
		s.UpdatedAt = t0.Add(time.Minute)
		if err := tx.CreateStall(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := tx.CreateSession(ctx, "h", f.vendor.ID, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.CountAttempt(ctx, "k", t0); err != nil {
			t.Fatal(err)
		}
		for _, col := range []string{"users.created_at", "sessions.expires_at", "attempts.window_start",
			"districts.created_at", "markets.created_at", "stalls.created_at", "stalls.updated_at"} {
			table, column, _ := strings.Cut(col, ".")
			q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s <> $1", table, column)
			arg := any(t0)
			if st.Dialect() == store.SQLite {
				// Text written in UTC ends in +00:00.
				q = fmt.Sprintf("SELECT count(*) FROM %s WHERE substr(%s, -6) <> ?", table, column)
				arg = "+00:00"
			}
			if col == "stalls.updated_at" {
				arg = t0.Add(time.Minute)
				if st.Dialect() == store.SQLite {
					arg = "+00:00"
				}
			}
			var bad int
			if err := st.SQL().QueryRowContext(ctx, q, arg).Scan(&bad); err != nil {
				t.Fatal(err)
			}
			if bad != 0 {
				t.Errorf("%s: %d values not stored as the UTC instant", col, bad)
			}
		}
	})
}

func TestInTxRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		boom := errs.E(errs.Invalid, "boom")
		err := st.InTx(ctx, func(tx app.Tx) error {
			mkStall(t, tx, f.market, f.vendor.ID, "R01")
			mkDistrict(t, tx, "Rolled back")
			return boom
		})
		if err != boom {
			t.Fatalf("InTx returned %v, want the callback's error unchanged", err)
		}
		if ss, _ := st.Read().ListStalls(ctx, app.StallFilter{Page: app.Page{Limit: 10}}); len(ss) != 0 {
			t.Fatalf("%d stalls survived a rolled back transaction", len(ss))
		}
		if ds, _ := st.Read().ListDistricts(ctx, app.Page{Limit: 10}); len(ds) != 1 {
			t.Fatalf("%d districts after rollback, want 1", len(ds))
		}
		// A database error inside the callback comes back translated.
		err = st.InTx(ctx, func(tx app.Tx) error {
			return tx.CreateStall(ctx, newStall(f.market, "", "R02")) // ok
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.InTx(ctx, func(tx app.Tx) error {
			if err := tx.CreateStall(ctx, newStall(f.market, "", "R03")); err != nil {
				return err
			}
			return tx.CreateStall(ctx, newStall(f.market, "", "R02"))
		})
		wantConflictOn(t, err, "stall_number")
		if _, err := st.Read().ListStalls(ctx, app.StallFilter{Page: app.Page{Limit: 10}}); err != nil {
			t.Fatal(err)
		}
		if ss, _ := st.Read().ListStalls(ctx, app.StallFilter{Page: app.Page{Limit: 10}}); len(ss) != 1 {
			t.Fatalf("%d stalls, want only R02", len(ss))
		}
	})
}

// TestStallLockSerialisesWriters runs N read-modify-write transactions on
// one stall at once; without the row lock some increments would be lost.
func TestStallLockSerialisesWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		s := newStall(f.market, f.vendor.ID, "L01")
		s.Name = "0"
		if err := st.Read().CreateStall(ctx, s); err != nil {
			t.Fatal(err)
		}
		const N = 12
		var wg sync.WaitGroup
		errc := make(chan error, N)
		for range N {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errc <- st.InTx(ctx, func(tx app.Tx) error {
					cur, err := tx.StallByID(ctx, s.ID, true)
					if err != nil {
						return err
					}
					n, _ := strconv.Atoi(cur.Name)
					time.Sleep(time.Millisecond) // widen the race window
					cur.Name = strconv.Itoa(n + 1)
					return tx.UpdateStall(ctx, cur)
				})
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := st.Read().StallByID(ctx, s.ID, false)
		if got.Name != strconv.Itoa(N) {
			t.Fatalf("counter = %s after %d locked increments: updates were lost", got.Name, N)
		}
	})
}

// TestStallLockBlocks shows a second locking read waits for the first
// transaction to end and then sees its write.
func TestStallLockBlocks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		s := mkStall(t, st.Read(), f.market, f.vendor.ID, "L02")
		const hold = 300 * time.Millisecond
		locked := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- st.InTx(ctx, func(tx app.Tx) error {
				cur, err := tx.StallByID(ctx, s.ID, true)
				if err != nil {
					return err
				}
				close(locked)
				time.Sleep(hold)
				cur.Name = "written by the first"
				return tx.UpdateStall(ctx, cur)
			})
		}()
		<-locked
		start := time.Now()
		var seen string
		err := st.InTx(ctx, func(tx app.Tx) error {
			cur, err := tx.StallByID(ctx, s.ID, true)
			if err != nil {
				return err
			}
			seen = cur.Name
			return nil
		})
		waited := time.Since(start)
		if err != nil || <-done != nil {
			t.Fatal(err)
		}
		if waited < hold*2/3 || seen != "written by the first" {
			t.Fatalf("second locker waited %v and saw %q; want it to wait for the first (~%v) and see its write", waited, seen, hold)
		}
	})
}

// TestMigrations checks up → down(all) → up, and one step down and up, on
// every dialect, and that down leaves no table behind.
func TestMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ms, err := st.Migrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			t.Fatal("no migrations")
		}
		for i, m := range ms {
			if !m.Applied {
				t.Fatalf("migration %d (%s) not applied on a fresh store", m.Version, m.Source)
			}
			if i > 0 && m.Version <= ms[i-1].Version {
				t.Fatalf("migrations out of order: %v", ms)
			}
		}
		before := tables(t, st)
		for _, want := range []string{"users", "sessions", "attempts", "districts", "markets", "stalls"} {
			if !slices.Contains(before, want) {
				t.Fatalf("table %s missing after up; have %v", want, before)
			}
		}

		if err := st.MigrateReset(ctx); err != nil {
			t.Fatalf("down to 0: %v", err)
		}
		if n, err := st.Pending(ctx); err != nil || n != len(ms) {
			t.Fatalf("pending after reset = %d, %v; want %d", n, err, len(ms))
		}
		if left := tables(t, st); len(left) != 0 {
			t.Fatalf("tables left after migrating down: %v", left)
		}
		if _, err := st.Read().UserByPhone(ctx, "+84912345678"); err == nil || errs.Is(err, errs.NotFound) {
			t.Fatalf("query on a dropped table: %v", err)
		}

		n, err := st.MigrateUp(ctx)
		if err != nil || n != len(ms) {
			t.Fatalf("up again applied %d, %v; want %d", n, err, len(ms))
		}
		if after := tables(t, st); !slices.Equal(after, before) {
			t.Fatalf("tables after up/down/up = %v, want %v", after, before)
		}
		f := setup(t, st) // the schema works again
		mkStall(t, st.Read(), f.market, f.vendor.ID, "M01")

		if err := st.MigrateDown(ctx); err != nil {
			t.Fatalf("down one: %v", err)
		}
		if n, _ := st.Pending(ctx); n != 1 {
			t.Fatalf("pending after one down = %d", n)
		}
		if n, err := st.MigrateUp(ctx); err != nil || n != 1 {
			t.Fatalf("up after one down applied %d, %v", n, err)
		}
		if n, err := st.MigrateUp(ctx); err != nil || n != 0 {
			t.Fatalf("up on an up-to-date database applied %d, %v", n, err)
		}
	})
}

// tables lists the application's tables (not goose's bookkeeping), sorted.
func tables(t *testing.T, st *store.Store) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`
	if st.Dialect() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`
	}
	rows, err := st.SQL().QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestPingAndClosedStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		if err := st.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if err := st.Ping(ctx); err == nil {
			t.Fatal("ping on a closed store succeeded")
		}
		_, err := st.Read().UserByID(ctx, newID())
		if errs.Is(err, errs.NotFound) || err == nil {
			t.Fatalf("read on a closed store: %v; want a failure, not NotFound", err)
		}
		if e := wantCode(t, err, errs.Internal); strings.Contains(e.Message, "sql") {
			t.Fatalf("message leaks driver text: %q", e.Message)
		}
	})
}

func TestCanceledContext(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := st.InTx(cctx, func(tx app.Tx) error {
			_, err := tx.UserByID(cctx, newID())
			return err
		})
		wantCode(t, err, errs.Unavailable)
	})
}
