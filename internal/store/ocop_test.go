package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/ocop"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// ocopRows creates a producer, product, lot and two stamps in district d.
type ocopRows struct {
	producer *app.Producer
	product  *app.Product
	lot      *app.Lot
	stamps   []app.Stamp
}

func mkOCOP(t *testing.T, st *store.Store, districtID, tax, gtin, lotCode string) ocopRows {
	t.Helper()
	tx := st.Read()
	var r ocopRows
	r.producer = &app.Producer{Producer: ocop.Producer{ID: newID(), Name: "HTX Sen", Kind: ocop.KindCooperative, TaxCode: tax,
		Commune: "Xã A", ProvinceCode: "93"}, DistrictID: districtID, CreatedAt: t0, UpdatedAt: t0}
	if err := tx.CreateProducer(ctx, r.producer); err != nil {
		t.Fatal(err)
	}
	r.product = &app.Product{Product: ocop.Product{ID: newID(), ProducerID: r.producer.ID, NameVI: "Trà sen", NameEN: "Lotus tea",
		Group: ocop.GroupBeverage, GTIN: gtin, Story: "Ướp sen", Standards: []string{"TCVN 1"}, ShelfLifeDays: 365},
		DistrictID: districtID, Search: "tra sen lotus tea htx sen", CreatedAt: t0, UpdatedAt: t0}
	if err := tx.CreateProduct(ctx, r.product); err != nil {
		t.Fatal(err)
	}
	r.lot = &app.Lot{Lot: ocop.Lot{ID: newID(), ProductID: r.product.ID, Code: lotCode, ProductionDate: ocop.Date(2026, 3, 1),
		ExpiryDate: ocop.Date(2027, 3, 1), Quantity: 100, Status: ocop.LotActive}, Ref: lotCode + "REF", DistrictID: districtID,
		CreatedAt: t0, UpdatedAt: t0}
	if err := tx.CreateLot(ctx, r.lot); err != nil {
		t.Fatal(err)
	}
	for _, serial := range []string{lotCode + "SERIAL01", lotCode + "SERIAL02"} {
		r.stamps = append(r.stamps, app.Stamp{Stamp: ocop.Stamp{Serial: serial, LotID: r.lot.ID, Status: ocop.StampActivated},
			KeyID: "KEYID001", Sig: []byte{1, 2, 3}, CreatedAt: t0})
	}
	skipped, err := tx.InsertStamps(ctx, r.stamps)
	if err != nil || len(skipped) != 0 {
		t.Fatalf("InsertStamps: %v %v", skipped, err)
	}
	return r
}

func TestOCOPConflictsNameTheField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := mkDistrict(t, st.Read(), "Vị Thủy")
		r := mkOCOP(t, st, d.ID, "6300456789", "08934567890120", "L1")
		tx := st.Read()

		p2 := *r.producer
		p2.ID = newID()
		wantConflictOn(t, tx.CreateProducer(ctx, &p2), "tax_code")
		p2.TaxCode = "" // NULL: any number of producers without tax code
		if err := tx.CreateProducer(ctx, &p2); err != nil {
			t.Fatal(err)
		}
		p3 := p2
		p3.ID = newID()
		if err := tx.CreateProducer(ctx, &p3); err != nil {
			t.Fatalf("second producer without tax code: %v", err)
		}

		prod2 := *r.product
		prod2.ID = newID()
		wantConflictOn(t, tx.CreateProduct(ctx, &prod2), "gtin")

		c := app.Certificate{Certificate: ocop.Certificate{ID: newID(), ProductID: r.product.ID, Stars: 4, DecisionNumber: "1/QĐ",
			IssuingBody: "UBND", Level: ocop.LevelProvince, DecisionDate: ocop.Date(2025, 6, 1), Status: ocop.CertActive}, CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateCertificate(ctx, &c); err != nil {
			t.Fatal(err)
		}
		c.ID = newID()
		wantConflictOn(t, tx.CreateCertificate(ctx, &c), "decision_number")

		l2 := *r.lot
		l2.ID, l2.Ref = newID(), "OTHERREF"
		wantConflictOn(t, tx.CreateLot(ctx, &l2), "code")
		l2.Code, l2.Ref = "L2", r.lot.Ref
		wantConflictOn(t, tx.CreateLot(ctx, &l2), "ref")

		// A serial clash is skipped and reported, never an error.
		dup := []app.Stamp{r.stamps[0], {Stamp: ocop.Stamp{Serial: "FRESHSERIAL1", LotID: r.lot.ID, Status: ocop.StampGenerated}, KeyID: "KEYID001", Sig: []byte{9}, CreatedAt: t0}}
		skipped, err := tx.InsertStamps(ctx, dup)
		if err != nil || !slices.Equal(skipped, []string{r.stamps[0].Serial}) {
			t.Fatalf("skipped %v, err %v", skipped, err)
		}
	})
}

func TestOCOPTraceStampReadsOneRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := mkDistrict(t, st.Read(), "Vị Thủy")
		r := mkOCOP(t, st, d.ID, "6300456789", "", "L1")
		tx := st.Read()
		score := 75
		for i, c := range []app.Certificate{
			{Certificate: ocop.Certificate{ID: newID(), ProductID: r.product.ID, Stars: 3, DecisionNumber: "9/QĐ", IssuingBody: "UBND",
				Level: ocop.LevelProvince, DecisionDate: ocop.Date(2022, 2, 28), Status: ocop.CertSuperseded}},
			{Certificate: ocop.Certificate{ID: newID(), ProductID: r.product.ID, Stars: 4, Score: &score, DecisionNumber: "12/QĐ-UBND \"x\"",
				IssuingBody: "UBND tỉnh Hậu Giang", Level: ocop.LevelProvince, DecisionDate: ocop.Date(2025, 6, 1), Status: ocop.CertActive}},
		} {
			c.CreatedAt, c.UpdatedAt = t0, t0
			if err := tx.CreateCertificate(ctx, &c); err != nil {
				t.Fatalf("cert %d: %v", i, err)
			}
		}
		serial := r.stamps[0].Serial
		scans := []app.ScanRecord{
			{Serial: serial, Scan: ocop.Scan{At: t0, DeviceHash: "devA", ProvinceCode: "93"}, Verdict: ocop.VerdictGenuineFirstScan},
			{Serial: serial, Scan: ocop.Scan{At: t0.Add(90 * time.Minute), DeviceHash: "devB"}, Verdict: ocop.VerdictGenuineRepeat},
			{Serial: r.stamps[1].Serial, Scan: ocop.Scan{At: t0}, Verdict: ocop.VerdictGenuineFirstScan},
		}
		if err := tx.InsertScans(ctx, scans); err != nil {
			t.Fatal(err)
		}
		got, err := tx.TraceStamp(ctx, serial, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if got.Stamp.Serial != serial || got.Stamp.Status != ocop.StampActivated || got.Lot.Code != "L1" || got.Lot.Ref != "L1REF" ||
			!got.Lot.ProductionDate.Equal(ocop.Date(2026, 3, 1)) || !got.Lot.ExpiryDate.Equal(ocop.Date(2027, 3, 1)) ||
			got.Product.NameVI != "Trà sen" || got.Product.GTIN != "" || !slices.Equal(got.Product.Standards, []string{"TCVN 1"}) ||
			got.Producer.Name != "HTX Sen" || got.Producer.TaxCode != "" || got.Producer.ProvinceCode != "93" {
			t.Fatalf("trace %+v", got)
		}
		if len(got.Certificates) != 2 {
			t.Fatalf("%d certificates", len(got.Certificates))
		}
		stars, c, ok := ocop.StarsAt([]ocop.Certificate{got.Certificates[0].Certificate, got.Certificates[1].Certificate}, t0)
		if !ok || stars != 4 || c.DecisionNumber != "12/QĐ-UBND \"x\"" || *c.Score != 75 || !c.DecisionDate.Equal(ocop.Date(2025, 6, 1)) {
			t.Fatalf("stars %d %+v", stars, c)
		}
		want := []ocop.Scan{{At: t0.Add(90 * time.Minute).UTC(), DeviceHash: "devB"}, {At: t0.UTC(), DeviceHash: "devA", ProvinceCode: "93"}}
		if !slices.EqualFunc(got.Scans, want, func(a, b ocop.Scan) bool {
			return a.At.Equal(b.At) && a.DeviceHash == b.DeviceHash && a.ProvinceCode == b.ProvinceCode
		}) {
			t.Fatalf("scans %+v, want %+v", got.Scans, want)
		}
		if got, _ := tx.TraceStamp(ctx, serial, 1); len(got.Scans) != 1 || got.Scans[0].DeviceHash != "devB" {
			t.Fatalf("capped scans %+v", got.Scans)
		}
		if got, err := tx.TraceStamp(ctx, r.stamps[1].Serial, 1000); err != nil || len(got.Scans) != 1 {
			t.Fatalf("second stamp: %+v %v", got, err)
		}
		if _, err := tx.TraceStamp(ctx, "NOSUCHSERIAL", 1000); err == nil {
			t.Fatal("unknown serial traced")
		}
		// A stamp without scans or certificates.
		r2 := mkOCOP(t, st, d.ID, "6300123451", "", "L2")
		got, err = tx.TraceStamp(ctx, r2.stamps[0].Serial, 1000)
		if err != nil || len(got.Scans) != 0 || len(got.Certificates) != 0 {
			t.Fatalf("bare stamp: %+v %v", got, err)
		}
	})
}
