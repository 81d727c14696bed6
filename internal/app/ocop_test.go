package app_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/ocop"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// ocopFix is the cast of the OCOP use-case tests: two districts in two
// provinces, staff in each, two vendors with an active stall each in
// district A's market, and a clock the tests move.
type ocopFix struct {
	svc              *app.Service
	st               *store.Store
	clk              *clock
	admin            market.Actor
	dA, dB           *market.District
	mA, mB           *market.Market
	staffA, staffB   market.Actor
	vendorA, vendorB market.Actor
	stallA, stallB   *market.Stall
}

var octx = context.Background()

func newOCOPFix(t testing.TB, st *store.Store) *ocopFix {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Argon = app.ArgonParams{Memory: 64, Time: 1, Threads: 1}
	cfg.PublicURL = "https://m4.test"
	f := &ocopFix{st: st, clk: &clock{t: time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)}, admin: market.Actor{Role: market.RoleAdmin}}
	f.svc = app.New(st, f.clk.now, cfg, nil)
	var err error
	f.dA, err = f.svc.CreateDistrict(octx, f.admin, market.District{Name: "Vị Thủy", Province: "Hậu Giang"})
	must(t, err)
	f.dB, err = f.svc.CreateDistrict(octx, f.admin, market.District{Name: "Ninh Kiều", Province: "Cần Thơ"})
	must(t, err)
	f.mA, err = f.svc.CreateMarket(octx, f.admin, market.Market{DistrictID: f.dA.ID, Name: "Chợ Vị Thủy"})
	must(t, err)
	f.mB, err = f.svc.CreateMarket(octx, f.admin, market.Market{DistrictID: f.dB.ID, Name: "Chợ Cần Thơ"})
	must(t, err)
	user := func(phone string, role market.Role, district string) market.Actor {
		u, err := f.svc.CreateUser(octx, app.CreateUserInput{Phone: phone, Password: "password1", Name: "U " + phone, Role: role, DistrictID: district})
		must(t, err)
		return app.ActorOf(u)
	}
	f.staffA = user("0912000101", market.RoleStaff, f.dA.ID)
	f.staffB = user("0912000102", market.RoleStaff, f.dB.ID)
	f.vendorA = user("0912000103", market.RoleVendor, "")
	f.vendorB = user("0912000104", market.RoleVendor, "")
	stall := func(v market.Actor, m *market.Market, n string) *market.Stall {
		s, err := f.svc.CreateStall(octx, v, app.StallInput{MarketID: m.ID, StallNumber: n, Name: "Sạp " + n, Category: "ocop",
			BankBIN: "970436", AccountNumber: "0071000123456", AccountName: "Nguyen Thi Ba"})
		must(t, err)
		s, err = f.svc.SetStallStatus(octx, f.admin, s.ID, market.StallActive)
		must(t, err)
		return s
	}
	f.stallA = stall(f.vendorA, f.mA, "A01")
	f.stallB = stall(f.vendorB, f.mA, "A02")
	return f
}

func sp(s string) *string { return &s }

func (f *ocopFix) producer(t testing.TB, a market.Actor, district, name, tax string) *app.Producer {
	t.Helper()
	p, err := f.svc.CreateProducer(octx, a, app.ProducerInput{DistrictID: district, Name: name, Kind: "cooperative", TaxCode: tax, Commune: "Xã Vị Thắng"})
	must(t, err)
	return p
}

func (f *ocopFix) product(t testing.TB, a market.Actor, producerID, nameVI, gtin string) *app.ProductView {
	t.Helper()
	in := app.ProductInput{ProducerID: producerID, NameVI: sp(nameVI), Group: sp("food")}
	if gtin != "" {
		in.GTIN = sp(gtin)
	}
	p, err := f.svc.CreateProduct(octx, a, in)
	must(t, err)
	return p
}

func (f *ocopFix) lot(t testing.TB, productID, code string, qty int) *app.Lot {
	t.Helper()
	l, err := f.svc.CreateLot(octx, f.admin, productID, app.LotInput{Code: code, ProductionDate: "2026-03-01", Quantity: qty})
	must(t, err)
	return l
}

func wantErrCode(t testing.TB, err error, code errs.Code) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("err = %v (code %q), want %q", err, errs.CodeOf(err), code)
	}
}

// Valid tax codes (MST check digit) for the fixtures.
const (
	taxA = "6300456789"
	taxB = "6300123451"
	taxC = "6300987652"
)

func TestOCOPSearchFoldsVietnamese(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		pr := f.producer(t, f.staffA, "", "HTX Sen Hồng Tháp Mười", taxA)
		f.product(t, f.staffA, pr.ID, "Trà sen Tây Hồ", "")
		f.product(t, f.staffA, pr.ID, "Khô cá lóc Vị Thủy", "")
		f.product(t, f.staffA, pr.ID, "Mứt 100% dừa_non", "")
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"tra sen", []string{"Trà sen Tây Hồ"}},
			{"TRÀ SEN", []string{"Trà sen Tây Hồ"}},
			{"Trà  sen", []string{"Trà sen Tây Hồ"}},
			{"trà", []string{"Trà sen Tây Hồ"}},
			{"sen tây", []string{"Trà sen Tây Hồ"}}, // every word, any order
			{"KHO CA LOC", []string{"Khô cá lóc Vị Thủy"}},
			{"thap muoi", []string{"Trà sen Tây Hồ", "Khô cá lóc Vị Thủy", "Mứt 100% dừa_non"}}, // producer name
			{"100%", []string{"Mứt 100% dừa_non"}},
			{"d_a", nil}, // LIKE wildcards are literal ("_" would match "dua")
			{"du%n", nil},
			{"dua_non", []string{"Mứt 100% dừa_non"}},
			{"tra ca", nil},
		} {
			t.Run(tc.q, func(t *testing.T) {
				ps, err := f.svc.ListProducts(octx, app.CatalogueQuery{Text: tc.q})
				must(t, err)
				var got []string
				for _, p := range ps {
					got = append(got, p.NameVI)
				}
				if strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Fatalf("q=%q found %q, want %q", tc.q, got, tc.want)
				}
			})
		}
		_, err := f.svc.ListProducts(octx, app.CatalogueQuery{Text: "a b c d e f g h i"})
		wantErrCode(t, err, errs.Invalid)
		_, err = f.svc.ListProducts(octx, app.CatalogueQuery{Stars: 2})
		wantErrCode(t, err, errs.Invalid)

		// Renaming the producer refreshes the products' search keys.
		_, err = f.svc.UpdateProducer(octx, f.staffA, pr.ID, app.ProducerInput{Name: "HTX Đồng Tháp"})
		must(t, err)
		ps, err := f.svc.ListProducts(octx, app.CatalogueQuery{Text: "dong thap"})
		must(t, err)
		if len(ps) != 3 {
			t.Fatalf("after rename, %d products match the new producer name, want 3", len(ps))
		}
		if ps, _ := f.svc.ListProducts(octx, app.CatalogueQuery{Text: "thap muoi"}); len(ps) != 0 {
			t.Fatalf("old producer name still matches %d products", len(ps))
		}
	})
}

func TestOCOPStarsExpireWithCertificate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		pr := f.producer(t, f.staffA, "", "HTX Trà", taxA)
		p := f.product(t, f.staffA, pr.ID, "Trà mãng cầu", "")
		if p.Stars != 0 || p.Active != nil {
			t.Fatalf("new product shows %d stars", p.Stars)
		}
		score := 75
		c, err := f.svc.AddCertificate(octx, f.staffA, p.ID, app.CertificateInput{Stars: 4, Score: &score, DecisionNumber: "88/QĐ-UBND",
			IssuingBody: "UBND tỉnh Hậu Giang", Level: "province", DecisionDate: "2024-09-01"})
		must(t, err)
		if got := c.ValidUntil(); !got.Equal(ocop.Date(2027, 9, 1)) {
			t.Fatalf("valid until %v, want 2027-09-01 ICT", got)
		}
		_, err = f.svc.AddCertificate(octx, f.staffA, p.ID, app.CertificateInput{Stars: 4, DecisionNumber: "88/QĐ-UBND",
			IssuingBody: "UBND tỉnh Hậu Giang", Level: "province", DecisionDate: "2024-09-01"})
		wantErrCode(t, err, errs.Conflict)
		_, err = f.svc.AddCertificate(octx, f.staffA, p.ID, app.CertificateInput{Stars: 5, DecisionNumber: "89/QĐ-UBND",
			IssuingBody: "UBND tỉnh", Level: "province", DecisionDate: "2024-09-01"})
		wantErrCode(t, err, errs.Invalid) // a province certifies 3 or 4 stars
		_, err = f.svc.AddCertificate(octx, f.staffA, p.ID, app.CertificateInput{Stars: 3, DecisionNumber: "90/QĐ-UBND",
			IssuingBody: "UBND tỉnh", Level: "province", DecisionDate: "2026-03-11"})
		wantErrCode(t, err, errs.Invalid) // tomorrow

		stars := func(at time.Time) (int, int) {
			t.Helper()
			f.clk.mu.Lock()
			f.clk.t = at
			f.clk.mu.Unlock()
			v, err := f.svc.Product(octx, p.ID)
			must(t, err)
			list, err := f.svc.ListProducts(octx, app.CatalogueQuery{Stars: 4})
			must(t, err)
			return v.Stars, len(list)
		}
		end := ocop.Date(2027, 9, 1) // decision day + 36 months, midnight ICT
		for _, tc := range []struct {
			at        time.Time
			stars, n4 int
		}{
			{time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC), 4, 1},
			{end.Add(-time.Second), 4, 1},
			{end, 0, 0},
			{end.AddDate(1, 0, 0), 0, 0},
		} {
			if s, n := stars(tc.at); s != tc.stars || n != tc.n4 {
				t.Fatalf("at %v: %d stars, %d products with 4 stars; want %d, %d", tc.at, s, n, tc.stars, tc.n4)
			}
		}
		v, err := f.svc.Product(octx, p.ID)
		must(t, err)
		if v.CertState != ocop.CertStateExpired || v.Certificates[0].State != ocop.CertStateExpired {
			t.Fatalf("cert state %q/%q, want expired", v.CertState, v.Certificates[0].State)
		}

		// A re-evaluation gives stars again; revoking it removes them.
		c2, err := f.svc.AddCertificate(octx, f.staffA, p.ID, app.CertificateInput{Stars: 3, DecisionNumber: "12/QĐ-UBND",
			IssuingBody: "UBND tỉnh Hậu Giang", Level: "province", DecisionDate: "2028-08-01"})
		must(t, err)
		if s, n := stars(end.AddDate(1, 0, 0)); s != 3 || n != 0 {
			t.Fatalf("after re-evaluation: %d stars, %d with 4; want 3, 0", s, n)
		}
		_, err = f.svc.SetCertificateStatus(octx, f.staffB, c2.ID, "revoked")
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.SetCertificateStatus(octx, f.staffA, c2.ID, "revoked")
		must(t, err)
		_, err = f.svc.SetCertificateStatus(octx, f.staffA, c2.ID, "superseded")
		wantErrCode(t, err, errs.Conflict)
		if s, _ := stars(end.AddDate(1, 0, 0)); s != 0 {
			t.Fatalf("revoked certificate still shows %d stars", s)
		}
	})
}

func TestOCOPStaffAreScopedToTheirDistrict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		prB := f.producer(t, f.staffB, "", "HTX Ninh Kiều", taxB)
		if prB.DistrictID != f.dB.ID || prB.ProvinceCode != "92" {
			t.Fatalf("staff B's producer: district %s province %s", prB.DistrictID, prB.ProvinceCode)
		}
		pB := f.product(t, f.staffB, prB.ID, "Bánh pía", "")
		lB := f.lot(t, pB.ID, "L1", 10)

		_, err := f.svc.CreateProducer(octx, f.staffA, app.ProducerInput{DistrictID: f.dB.ID, Name: "X", Kind: "other", Commune: "Y"})
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.UpdateProducer(octx, f.staffA, prB.ID, app.ProducerInput{Name: "Hijacked"})
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.CreateProduct(octx, f.staffA, app.ProductInput{ProducerID: prB.ID, NameVI: sp("X"), Group: sp("food")})
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.UpdateProduct(octx, f.staffA, pB.ID, app.ProductInput{NameVI: sp("Hijacked")})
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.AddCertificate(octx, f.staffA, pB.ID, app.CertificateInput{Stars: 3, DecisionNumber: "1/QĐ", IssuingBody: "UBND", Level: "province", DecisionDate: "2025-01-01"})
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.CreateLot(octx, f.staffA, pB.ID, app.LotInput{Code: "L2", ProductionDate: "2026-01-01", Quantity: 1})
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.SetLotStatus(octx, f.staffA, lB.ID, "recalled")
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.IssueStamps(octx, f.staffA, lB.ID, 1)
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.ListLots(octx, f.staffA, pB.ID, app.Page{})
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.IssueStamps(octx, f.vendorA, lB.ID, 1)
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.IssueStamps(octx, market.Actor{}, lB.ID, 1)
		wantErrCode(t, err, errs.Unauthenticated)

		// Staff A sees B's producer without its tax code; B's staff and admins see it.
		got, err := f.svc.Producer(octx, f.staffA, prB.ID)
		must(t, err)
		if got.TaxCode != "" {
			t.Fatalf("staff of another district sees tax code %q", got.TaxCode)
		}
		got, err = f.svc.Producer(octx, f.staffB, prB.ID)
		must(t, err)
		if got.TaxCode != taxB {
			t.Fatalf("managing staff sees tax code %q", got.TaxCode)
		}
		// Nothing changed, and an admin may act anywhere.
		if v, _ := f.svc.Product(octx, pB.ID); v.NameVI != "Bánh pía" {
			t.Fatalf("product renamed to %q", v.NameVI)
		}
		_, err = f.svc.UpdateProducer(octx, f.admin, prB.ID, app.ProducerInput{Name: "HTX Cái Răng"})
		must(t, err)
		// Duplicate tax code → conflict naming the field.
		_, err = f.svc.CreateProducer(octx, f.staffA, app.ProducerInput{Name: "Copy", Kind: "cooperative", TaxCode: taxB, Commune: "X"})
		wantErrCode(t, err, errs.Conflict)
		var e *errs.Error
		errors.As(err, &e)
		if len(e.Fields) != 1 || e.Fields[0].Field != "tax_code" {
			t.Fatalf("conflict fields %+v", e.Fields)
		}
	})
}

func TestOCOPVendorsPriceOnlyTheirStalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		pr := f.producer(t, f.staffA, "", "HTX", taxA)
		p1 := f.product(t, f.staffA, pr.ID, "Khô cá lóc", "")
		p2 := f.product(t, f.staffA, pr.ID, "Trà mãng cầu", "")
		offers, err := f.svc.SetStallProducts(octx, f.vendorA, f.stallA.ID, []app.StallPriceInput{{ProductID: p1.ID, Price: "120000"}, {ProductID: p2.ID, Price: "85000"}})
		must(t, err)
		if len(offers) != 2 || offers[0].ProductNameVI != "Khô cá lóc" || offers[0].Price.String() != "120000" || offers[0].MarketName != "Chợ Vị Thủy" {
			t.Fatalf("offers %+v", offers)
		}
		for _, a := range []market.Actor{f.vendorB, f.staffA, f.staffB, f.admin, {}} {
			_, err := f.svc.SetStallProducts(octx, a, f.stallA.ID, []app.StallPriceInput{{ProductID: p1.ID, Price: "1000"}})
			if err == nil {
				t.Fatalf("%s set vendor A's prices", a.Role)
			}
		}
		_, err = f.svc.SetStallProducts(octx, f.vendorB, f.stallA.ID, nil)
		wantErrCode(t, err, errs.NotFound)
		for _, bad := range []app.StallPriceInput{{ProductID: p1.ID, Price: "0"}, {ProductID: p1.ID, Price: "12.5"}, {ProductID: "nope", Price: "1000"}, {ProductID: p1.ID, Price: "500000000"}} {
			_, err := f.svc.SetStallProducts(octx, f.vendorA, f.stallA.ID, []app.StallPriceInput{bad})
			wantErrCode(t, err, errs.Invalid)
		}
		offers, err = f.svc.StallProducts(octx, market.Actor{}, f.stallA.ID)
		must(t, err)
		if len(offers) != 2 || offers[0].Price.String() != "120000" {
			t.Fatalf("after refused changes: %+v", offers)
		}
		v, err := f.svc.Product(octx, p1.ID)
		must(t, err)
		if len(v.Offers) != 1 || v.Offers[0].StallID != f.stallA.ID {
			t.Fatalf("product offers %+v", v.Offers)
		}
		// The market filter finds products on the market's active stalls.
		ps, err := f.svc.ListProducts(octx, app.CatalogueQuery{MarketID: f.mA.ID})
		must(t, err)
		if len(ps) != 2 {
			t.Fatalf("market filter found %d", len(ps))
		}
		ps, err = f.svc.ListProducts(octx, app.CatalogueQuery{MarketID: f.mB.ID})
		must(t, err)
		if len(ps) != 0 {
			t.Fatalf("other market found %d", len(ps))
		}
		// Replacing with an empty list clears it.
		_, err = f.svc.SetStallProducts(octx, f.vendorA, f.stallA.ID, []app.StallPriceInput{})
		must(t, err)
		if offers, _ := f.svc.StallProducts(octx, f.vendorA, f.stallA.ID); len(offers) != 0 {
			t.Fatalf("cleared list has %d", len(offers))
		}
	})
}

// testRing is a key ring the tests control: key "k1" from 2025.
func testKey(t testing.TB, name string, notBefore time.Time) ocop.Key {
	t.Helper()
	seed := sha256.Sum256([]byte(name))
	k, err := ocop.NewKeyFromSeed(seed[:], notBefore, time.Time{})
	must(t, err)
	return k
}

func TestOCOPIssueTenThousandStamps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		must(t, f.svc.ConfigureOCOP(octx, app.OCOPConfig{Keys: []ocop.Key{testKey(t, "k1", ocop.Date(2025, 1, 1))}}))
		pr := f.producer(t, f.staffA, "", "HTX", taxA)
		p := f.product(t, f.staffA, pr.ID, "Khô cá lóc", "8934567890120")
		lot := f.lot(t, p.ID, "L/2026", 10_000)

		_, err := f.svc.IssueStamps(octx, f.staffA, lot.ID, 10_001)
		wantErrCode(t, err, errs.Invalid)
		start := time.Now()
		res, err := f.svc.IssueStamps(octx, f.staffA, lot.ID, 10_000)
		must(t, err)
		d := time.Since(start)
		t.Logf("%s: issued 10,000 stamps in %v (%.0f stamps/s)", st.Dialect(), d.Round(time.Millisecond), 10_000/d.Seconds())
		if res.Count != 10_000 || res.Lot.StampsIssued != 10_000 {
			t.Fatalf("result %+v", res)
		}
		_, err = f.svc.IssueStamps(octx, f.staffA, lot.ID, 1)
		wantErrCode(t, err, errs.Conflict) // the lot is full

		set, err := f.svc.StampKeySet(octx)
		must(t, err)
		verifier, err := ocop.KeyRingFromPublished(set)
		must(t, err)
		seen := map[string]bool{}
		firstChar := map[byte]int{}
		var serials []string
		after := ""
		for {
			page, err := f.svc.ListStamps(octx, f.staffA, lot.ID, app.StampFilter{After: after, Limit: 1000})
			must(t, err)
			if len(page) == 0 {
				break
			}
			for _, s := range page {
				if seen[s.Serial] {
					t.Fatalf("serial %s twice", s.Serial)
				}
				seen[s.Serial] = true
				firstChar[s.Serial[0]]++
				serials = append(serials, s.Serial)
				if !strings.HasPrefix(s.URL, "https://m4.test/01/08934567890120/10/L%2F2026/21/"+s.Serial+"?k=") {
					t.Fatalf("url %s", s.URL)
				}
				l, err := ocop.ParseLink(s.URL)
				must(t, err)
				if err := verifier.Verify(l); err != nil {
					t.Fatalf("stamp %s does not verify offline: %v", s.Serial, err)
				}
			}
			after = page[len(page)-1].Serial
		}
		if len(seen) != 10_000 {
			t.Fatalf("%d distinct serials, want 10000", len(seen))
		}
		// Random, not sequential: every first character of the 32 occurs
		// (≈312 each), and no two serials in order differ only in the last
		// character by one step.
		if len(firstChar) != 32 {
			t.Fatalf("first characters: %d distinct, want 32", len(firstChar))
		}
		for _, n := range firstChar {
			if n < 200 || n > 450 {
				t.Fatalf("first-character counts are not uniform: %v", firstChar)
			}
		}
		adjacent := 0
		for i := 1; i < len(serials); i++ {
			a, b := serials[i-1], serials[i]
			if a[:11] == b[:11] && strings.IndexByte(ocop.SerialAlphabet, b[11]) == strings.IndexByte(ocop.SerialAlphabet, a[11])+1 {
				adjacent++
			}
		}
		if adjacent > 2 {
			t.Fatalf("%d consecutive serials: looks sequential", adjacent)
		}
	})
}

func TestOCOPStampLifecycleAndVerdicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		pr := f.producer(t, f.staffA, "", "HTX", taxA)
		p := f.product(t, f.staffA, pr.ID, "Trà mãng cầu", "")
		lot := f.lot(t, p.ID, "TMC01", 100)
		_, err := f.svc.IssueStamps(octx, f.staffA, lot.ID, 3)
		must(t, err)
		stamps, err := f.svc.ListStamps(octx, f.staffA, lot.ID, app.StampFilter{})
		must(t, err)
		if !strings.HasPrefix(stamps[0].URL, "https://m4.test/t/"+lot.Ref+"/") {
			t.Fatalf("non-GS1 url %s", stamps[0].URL)
		}
		verify := func(url, device, province string) *app.Verification {
			t.Helper()
			v, err := f.svc.VerifyStamp(octx, app.VerifyRequest{URL: url, DeviceID: device, ProvinceCode: province})
			must(t, err)
			return v
		}
		s0, s1, s2 := stamps[0], stamps[1], stamps[2]

		// Generated, never released: suspicious.
		if v := verify(s0.URL, "d1", ""); v.Result.Verdict != ocop.VerdictSuspicious || !v.Result.Has(ocop.FlagNotActivated) {
			t.Fatalf("unreleased stamp: %+v", v.Result)
		}
		_, err = f.svc.TransitionStamp(octx, f.staffA, s0.Serial, "activated")
		wantErrCode(t, err, errs.Conflict) // cannot skip printing
		n, err := f.svc.TransitionLotStamps(octx, f.staffA, lot.ID, "generated", "printed")
		must(t, err)
		if n != 3 {
			t.Fatalf("printed %d", n)
		}
		_, err = f.svc.TransitionLotStamps(octx, f.staffA, lot.ID, "printed", "generated")
		wantErrCode(t, err, errs.Invalid)
		_, err = f.svc.TransitionLotStamps(octx, f.staffA, lot.ID, "generated", "activated")
		wantErrCode(t, err, errs.Conflict)
		_, err = f.svc.TransitionLotStamps(octx, f.staffB, lot.ID, "printed", "activated")
		wantErrCode(t, err, errs.Forbidden)
		_, err = f.svc.TransitionLotStamps(octx, f.staffA, lot.ID, "printed", "activated")
		must(t, err)
		got, err := f.svc.TransitionStamp(octx, f.staffA, s1.Serial, "activated") // retry: no change
		must(t, err)
		if got.Status != ocop.StampActivated || got.ActivatedAt.IsZero() {
			t.Fatalf("stamp %+v", got)
		}

		// Genuine: first scan, then repeat by the same device.
		f.clk.add(time.Hour)
		if v := verify(s1.URL, "phone-1", ""); v.Result.Verdict != ocop.VerdictGenuineFirstScan || v.Stars != 0 || v.Trace.Product.NameVI != "Trà mãng cầu" {
			t.Fatalf("first scan: %+v", v.Result)
		}
		f.clk.add(time.Minute)
		if v := verify(s1.URL, "phone-1", ""); v.Result.Verdict != ocop.VerdictGenuineRepeat || v.Result.ScanCount != 2 {
			t.Fatalf("rescan: %+v", v.Result)
		}
		// Many devices: suspicious.
		var v *app.Verification
		for i := 2; i <= ocop.ManyDevicesThreshold; i++ {
			f.clk.add(time.Minute)
			v = verify(s1.URL, "phone-"+string(rune('0'+i)), "")
		}
		if v.Result.Verdict != ocop.VerdictSuspicious || !v.Result.Has(ocop.FlagManyDevices) || v.Result.DistinctDevices != 5 {
			t.Fatalf("many devices: %+v", v.Result)
		}
		// Tampered serial or signature: invalid, and nothing recorded.
		bad := strings.Replace(s2.URL, s2.Serial, s2.Serial[:11]+string(next(s2.Serial[11])), 1)
		if v := verify(bad, "x", ""); v.Result.Verdict != ocop.VerdictInvalid || !v.Result.Has(ocop.FlagBadSignature) || v.Trace != nil {
			t.Fatalf("tampered serial: %+v", v.Result)
		}
		if v := verify("https://m4.test/t/nope", "x", ""); v.Result.Verdict != ocop.VerdictInvalid || v.LinkError == "" {
			t.Fatalf("garbage: %+v", v)
		}

		// Sold at stall A (Hậu Giang, 93), first scan an hour later in Cần Thơ (92): suspicious.
		_, err = f.svc.SellStamp(octx, f.vendorA, s2.Serial, f.stallA.ID)
		wantErrCode(t, err, errs.Conflict) // product not on the stall's list
		_, err = f.svc.SetStallProducts(octx, f.vendorA, f.stallA.ID, []app.StallPriceInput{{ProductID: p.ID, Price: "85000"}})
		must(t, err)
		_, err = f.svc.SellStamp(octx, f.vendorB, s2.Serial, f.stallA.ID)
		wantErrCode(t, err, errs.NotFound)
		_, err = f.svc.SellStamp(octx, f.staffA, s2.Serial, f.stallA.ID)
		wantErrCode(t, err, errs.Forbidden)
		sold, err := f.svc.SellStamp(octx, f.vendorA, s2.Serial, f.stallA.ID)
		must(t, err)
		if sold.Status != ocop.StampSold || sold.SoldProvinceCode != "93" || sold.SoldStallID != f.stallA.ID {
			t.Fatalf("sold %+v", sold)
		}
		f.clk.add(time.Hour)
		if v := verify(s2.URL, "buyer", "92"); v.Result.Verdict != ocop.VerdictSuspicious || !v.Result.Has(ocop.FlagSoldFarAway) {
			t.Fatalf("sold far away: %+v", v.Result)
		}

		// Voided: invalid. Recalled lot: recalled.
		_, err = f.svc.TransitionStamp(octx, f.staffA, s0.Serial, "voided")
		must(t, err)
		if v := verify(s0.URL, "d1", ""); v.Result.Verdict != ocop.VerdictInvalid || !v.Result.Has(ocop.FlagVoided) {
			t.Fatalf("voided: %+v", v.Result)
		}
		_, err = f.svc.SetLotStatus(octx, f.staffA, lot.ID, "recalled")
		must(t, err)
		_, err = f.svc.SetLotStatus(octx, f.staffA, lot.ID, "active")
		wantErrCode(t, err, errs.Conflict)
		if v := verify(s1.URL, "phone-1", ""); v.Result.Verdict != ocop.VerdictRecalled {
			t.Fatalf("recalled: %+v", v.Result)
		}
		_, err = f.svc.IssueStamps(octx, f.staffA, lot.ID, 1)
		wantErrCode(t, err, errs.Conflict)
		d, err := f.svc.Stamp(octx, f.staffA, s1.Serial)
		must(t, err)
		if d.Scans != 7 {
			t.Fatalf("stamp 1 has %d scans recorded, want 7", d.Scans)
		}
	})
}

func next(c byte) byte {
	i := strings.IndexByte(ocop.SerialAlphabet, c)
	return ocop.SerialAlphabet[(i+1)%len(ocop.SerialAlphabet)]
}

func TestOCOPKeyRotationAndRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		k1 := testKey(t, "k1", ocop.Date(2025, 1, 1))
		k2 := testKey(t, "k2", ocop.Date(2026, 6, 1))
		must(t, f.svc.ConfigureOCOP(octx, app.OCOPConfig{Keys: []ocop.Key{k1, k2}}))
		pr := f.producer(t, f.staffA, "", "HTX", taxA)
		p := f.product(t, f.staffA, pr.ID, "Trà", "")
		lot := f.lot(t, p.ID, "T1", 10)
		issue := func() app.StampView {
			t.Helper()
			res, err := f.svc.IssueStamps(octx, f.staffA, lot.ID, 1)
			must(t, err)
			_, err = f.svc.TransitionLotStamps(octx, f.staffA, lot.ID, "generated", "printed")
			must(t, err)
			_, err = f.svc.TransitionLotStamps(octx, f.staffA, lot.ID, "printed", "activated")
			must(t, err)
			d, err := f.svc.Stamp(octx, f.staffA, res.First)
			must(t, err)
			return d.StampView
		}
		old := issue()
		if old.KeyID != k1.ID {
			t.Fatalf("signed by %s before rotation, want k1 %s", old.KeyID, k1.ID)
		}
		f.clk.mu.Lock()
		f.clk.t = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
		f.clk.mu.Unlock()
		rotated := issue()
		if rotated.KeyID != k2.ID {
			t.Fatalf("signed by %s after rotation, want k2 %s", rotated.KeyID, k2.ID)
		}
		verdict := func(url string) ocop.VerdictCode {
			t.Helper()
			v, err := f.svc.VerifyStamp(octx, app.VerifyRequest{URL: url, DeviceID: "d"})
			must(t, err)
			return v.Result.Verdict
		}
		// k1 dropped from configuration: still known from the database.
		must(t, f.svc.ConfigureOCOP(octx, app.OCOPConfig{Keys: []ocop.Key{k2}}))
		if v := verdict(old.URL); v == ocop.VerdictInvalid {
			t.Fatalf("old stamp %s after k1 left the configuration", v)
		}
		set, err := f.svc.StampKeySet(octx)
		must(t, err)
		if len(set.Keys) != 2 {
			t.Fatalf("published %d keys, want 2", len(set.Keys))
		}
		// k1 revoked: its stamps become invalid, and stay so when the
		// configuration forgets the revocation.
		revoked := k1
		revoked.Private, revoked.Revoked = nil, true
		must(t, f.svc.ConfigureOCOP(octx, app.OCOPConfig{Keys: []ocop.Key{k2, revoked}}))
		if v := verdict(old.URL); v != ocop.VerdictInvalid {
			t.Fatalf("stamp of revoked key: %s", v)
		}
		must(t, f.svc.ConfigureOCOP(octx, app.OCOPConfig{Keys: []ocop.Key{k1, k2}}))
		if v := verdict(old.URL); v != ocop.VerdictInvalid {
			t.Fatalf("revocation undone by configuration: %s", v)
		}
		if v := verdict(rotated.URL); v == ocop.VerdictInvalid {
			t.Fatalf("k2 stamp: %s", v)
		}
	})
}

func TestParseStampKeys(t *testing.T) {
	e, id, err := app.NewStampKeyConfig(ocop.Date(2026, 1, 1))
	must(t, err)
	doc := `{"keys":[{"seed":"` + e.Seed + `","not_before":"2026-01-01T00:00:00Z"},{"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","revoked":true}]}`
	keys, err := app.ParseStampKeys([]byte(doc))
	must(t, err)
	if len(keys) != 2 || keys[0].ID != id || keys[0].Private == nil || !keys[1].Revoked || keys[1].Private != nil {
		t.Fatalf("keys %v", keys)
	}
	for _, bad := range []string{``, `{}`, `{"keys":[]}`, `{"keys":[{"seed":"short"}]}`, `{"keys":[{}]}`, `{"keys":[{"seed":"` + e.Seed + `","x":"a"}]}`, `{"keys":[{"seed":"` + e.Seed + `"}],"extra":1}`} {
		_, err := app.ParseStampKeys([]byte(bad))
		wantErrCode(t, err, errs.Invalid)
		if err != nil && strings.Contains(err.Error(), e.Seed) {
			t.Fatalf("error leaks the seed: %v", err)
		}
	}
}

func TestProvinceCodeOf(t *testing.T) {
	for in, want := range map[string]string{"Hậu Giang": "93", "tỉnh Hậu Giang": "93", "CẦN THƠ": "92", "Thành phố Hồ Chí Minh": "79",
		"TP. Hồ Chí Minh": "79", "79": "79", "Atlantis": "", "": ""} {
		if got := app.ProvinceCodeOf(in); got != want {
			t.Errorf("ProvinceCodeOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSeedOCOP(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	f := newOCOPFix(t, st)
	demo, err := f.svc.SeedOCOP(octx, f.dA.ID, f.mA.ID, f.stallA.ID, f.stallB.ID)
	must(t, err)
	if len(demo.Stamps) != 20 || demo.Stamps[0].Status != ocop.StampActivated {
		t.Fatalf("demo stamps %d", len(demo.Stamps))
	}
	v, err := f.svc.VerifyStamp(octx, app.VerifyRequest{URL: demo.Stamps[0].URL, DeviceID: "d"})
	must(t, err)
	if v.Result.Verdict != ocop.VerdictGenuineFirstScan || v.Stars != 4 || v.Trace.Product.NameVI != "Khô cá lóc Vị Thủy" {
		t.Fatalf("demo verification %+v stars %d", v.Result, v.Stars)
	}
	ps, err := f.svc.ListProducts(octx, app.CatalogueQuery{Text: "tra mang cau", MarketID: f.mA.ID, Stars: 4})
	must(t, err)
	if len(ps) != 1 {
		t.Fatalf("catalogue finds %d demo teas", len(ps))
	}
	if len(ps[0].Images) != 1 || ps[0].Images[0].Width != 640 || ps[0].Images[0].ThumbHeight != 300 {
		t.Fatalf("demo tea photos %+v", ps[0].Images)
	}
	offers, err := f.svc.StallProducts(octx, market.Actor{}, f.stallB.ID)
	must(t, err)
	if len(offers) != 1 || offers[0].Price.String() != "125000" {
		t.Fatalf("stall B offers %+v", offers)
	}
}

// FuzzVerifyStamp feeds arbitrary scanned URLs (and device ids and
// provinces) to the public verification: it must never fail, never panic,
// and only a genuine link of an existing stamp may reach a non-invalid
// verdict or record a scan.
func FuzzVerifyStamp(f *testing.F) {
	st := storetest.Open(f, store.SQLite)
	fx := newOCOPFix(f, st)
	pr := fx.producer(f, fx.staffA, "", "HTX", taxA)
	p := fx.product(f, fx.staffA, pr.ID, "Trà", "8934567890120")
	lot := fx.lot(f, p.ID, "L1", 10)
	_, err := fx.svc.IssueStamps(octx, fx.staffA, lot.ID, 2)
	must(f, err)
	stamps, err := fx.svc.ListStamps(octx, fx.staffA, lot.ID, app.StampFilter{})
	must(f, err)
	for _, s := range stamps {
		f.Add(s.URL, "device-1", "93")
		f.Add(strings.Replace(s.URL, "https://m4.test", "HTTP://M4.TEST", 1), "", "")
		f.Add(s.URL+"&k=x", "d", "9")
	}
	f.Add("https://m4.test/t/"+lot.Ref+"/"+stamps[0].Serial, "d", "")
	f.Add("https://m4.test/01/8934567890120/10/L1/21/%41", "", "")
	f.Add("", "", "")
	genuine := map[string]bool{}
	for _, s := range stamps {
		genuine[s.Serial] = true
	}
	f.Fuzz(func(t *testing.T, url, device, province string) {
		v, err := fx.svc.VerifyStamp(octx, app.VerifyRequest{URL: url, DeviceID: device, ProvinceCode: province})
		if err != nil {
			t.Fatalf("VerifyStamp(%q): %v", url, err)
		}
		if v.Trace != nil && !genuine[v.Trace.Stamp.Serial] {
			t.Fatalf("%q traced an unknown stamp", url)
		}
		if v.Trace == nil && v.Result.Verdict != ocop.VerdictInvalid {
			t.Fatalf("%q: verdict %s without a known stamp", url, v.Result.Verdict)
		}
	})
}

// BenchmarkIssueStamps issues 10,000 stamps per operation (random serials,
// Ed25519-signed GS1 links, one transaction of multi-row inserts):
//
//	go test ./internal/app -run '^$' -bench IssueStamps -benchtime 5x
func BenchmarkIssueStamps(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			f := newOCOPFix(b, storetest.Open(b, d))
			pr := f.producer(b, f.staffA, "", "HTX", taxA)
			p := f.product(b, f.staffA, pr.ID, "Trà", "8934567890120")
			lots := make([]*app.Lot, b.N)
			for i := range lots {
				lots[i] = f.lot(b, p.ID, fmt.Sprintf("L%d", i), app.MaxIssue)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := f.svc.IssueStamps(octx, f.staffA, lots[i].ID, app.MaxIssue); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*app.MaxIssue)/b.Elapsed().Seconds(), "stamps/s")
		})
	}
}

// TestOCOPVerificationLotCache: a verification reads the stamp and its
// scans for every scan, but the lot, product, producer and certificates
// from a per-service cache: a change made through the same service shows
// at once, one made through another instance on the same database within
// app.LotTraceTTL.
func TestOCOPVerificationLotCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		pr := f.producer(t, f.staffA, "", "HTX", taxA)
		p := f.product(t, f.staffA, pr.ID, "Trà sen", "")
		c, err := f.svc.AddCertificate(octx, f.staffA, p.ID, app.CertificateInput{Stars: 4, DecisionNumber: "88/QĐ-UBND",
			IssuingBody: "UBND tỉnh Hậu Giang", Level: "province", DecisionDate: "2025-06-01"})
		must(t, err)
		lot := f.lot(t, p.ID, "TS01", 10)
		_, err = f.svc.IssueStamps(octx, f.staffA, lot.ID, 2)
		must(t, err)
		for _, step := range [][2]string{{"generated", "printed"}, {"printed", "activated"}} {
			_, err = f.svc.TransitionLotStamps(octx, f.staffA, lot.ID, step[0], step[1])
			must(t, err)
		}
		stamps, err := f.svc.ListStamps(octx, f.staffA, lot.ID, app.StampFilter{})
		must(t, err)
		verify := func(url string) *app.Verification {
			t.Helper()
			v, err := f.svc.VerifyStamp(octx, app.VerifyRequest{URL: url, DeviceID: "phone"})
			must(t, err)
			return v
		}
		if v := verify(stamps[0].URL); v.Result.Verdict != ocop.VerdictGenuineFirstScan || v.Stars != 4 {
			t.Fatalf("first scan: %s, %d stars", v.Result.Verdict, v.Stars)
		}
		// Per scan: the stamp's own history is never cached.
		if v := verify(stamps[0].URL); v.Result.Verdict != ocop.VerdictGenuineRepeat {
			t.Fatalf("second scan: %s", v.Result.Verdict)
		}
		// Through this service: at once.
		_, err = f.svc.SetCertificateStatus(octx, f.staffA, c.ID, "revoked")
		must(t, err)
		if v := verify(stamps[0].URL); v.Stars != 0 {
			t.Fatalf("revoked certificate still shows %d stars", v.Stars)
		}
		// Through another instance: within LotTraceTTL.
		other := app.New(st, f.clk.now, app.DefaultConfig(), nil)
		_, err = other.SetLotStatus(octx, f.staffA, lot.ID, "recalled")
		must(t, err)
		deadline := time.Now().Add(app.LotTraceTTL + time.Second)
		for verify(stamps[1].URL).Result.Verdict != ocop.VerdictRecalled {
			if time.Now().After(deadline) {
				t.Fatalf("recall through another instance not shown after %s", app.LotTraceTTL+time.Second)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// TestOCOPIssueStampsIdempotencyKey: a resent issue (same key, same
// request) replays the first answer — even when the first filled the lot —
// and issues nothing; the key with another request is refused; a refused
// issue frees its key for the next attempt.
func TestOCOPIssueStampsIdempotencyKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		pr := f.producer(t, f.staffA, "", "HTX", taxA)
		p := f.product(t, f.staffA, pr.ID, "Trà sen", "")
		lot := f.lot(t, p.ID, "TS01", 5)
		key := func(k, hash string) *app.Idempotency {
			return &app.Idempotency{Key: k, Hash: hash, Render: func(v any) (int, []byte) {
				return 201, []byte(v.(*app.IssueResult).First)
			}}
		}
		res, rep, err := f.svc.IssueStampsOnce(octx, f.staffA, lot.ID, 5, key("k1", "issue 5"))
		must(t, err)
		if rep != nil || res.Count != 5 || res.Lot.StampsIssued != 5 {
			t.Fatalf("first issue: %+v, replay %+v", res, rep)
		}
		// The lot is full now: the resent request is replayed, not refused.
		_, rep, err = f.svc.IssueStampsOnce(octx, f.staffA, lot.ID, 5, key("k1", "issue 5"))
		must(t, err)
		if rep == nil || rep.Status != 201 || string(rep.Body) != res.First {
			t.Fatalf("retry: replay %+v, want the first answer %q", rep, res.First)
		}
		l, err := f.svc.Lot(octx, f.staffA, lot.ID)
		must(t, err)
		if l.StampsIssued != 5 {
			t.Fatalf("%d stamps issued after a retry, want 5", l.StampsIssued)
		}
		_, _, err = f.svc.IssueStampsOnce(octx, f.staffA, lot.ID, 4, key("k1", "issue 4"))
		wantErrCode(t, err, errs.IdempotencyKeyReused)
		// Refused (the lot is full): the key is free again, and the same
		// request is refused again rather than stuck in flight.
		_, _, err = f.svc.IssueStampsOnce(octx, f.staffA, lot.ID, 1, key("k2", "issue 1"))
		wantErrCode(t, err, errs.Conflict)
		_, _, err = f.svc.IssueStampsOnce(octx, f.staffA, lot.ID, 1, key("k2", "issue 1"))
		wantErrCode(t, err, errs.Conflict)
		// Another user's key space: staff of another district is refused
		// before any key is claimed.
		_, _, err = f.svc.IssueStampsOnce(octx, f.staffB, lot.ID, 1, key("k1", "issue 5"))
		if err == nil || errs.Is(err, errs.IdempotencyKeyReused) {
			t.Fatalf("staff of another district: %v", err)
		}
	})
}
