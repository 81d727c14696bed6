package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
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

func TestOCOPStampScansReadsOneRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := mkDistrict(t, st.Read(), "Vị Thủy")
		r := mkOCOP(t, st, d.ID, "6300456789", "", "L1")
		r2 := mkOCOP(t, st, d.ID, "6300123451", "", "L2")
		serial := r.stamps[0].Serial
		scans := []app.ScanRecord{
			{Serial: serial, Scan: ocop.Scan{At: t0, DeviceHash: "devA", ProvinceCode: "93"}, Verdict: ocop.VerdictGenuineFirstScan},
			{Serial: serial, Scan: ocop.Scan{At: t0.Add(90 * time.Minute), DeviceHash: "devB"}, Verdict: ocop.VerdictGenuineRepeat},
			{Serial: r.stamps[1].Serial, Scan: ocop.Scan{At: t0}, Verdict: ocop.VerdictGenuineFirstScan},
		}
		if err := st.Read().InsertScans(ctx, scans); err != nil {
			t.Fatal(err)
		}
		want := []ocop.Scan{{At: t0.Add(90 * time.Minute).UTC(), DeviceHash: "devB"}, {At: t0.UTC(), DeviceHash: "devA", ProvinceCode: "93"}}
		sameScans := func(got, want []ocop.Scan) bool {
			return slices.EqualFunc(got, want, func(a, b ocop.Scan) bool {
				return a.At.Equal(b.At) && a.DeviceHash == b.DeviceHash && a.ProvinceCode == b.ProvinceCode
			})
		}
		// On the pool (pgx directly on PostgreSQL) and in a transaction
		// (database/sql): the same answers.
		check := func(t *testing.T, tx app.Tx) {
			stamp, got, err := tx.StampScans(ctx, serial, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if stamp.Serial != serial || stamp.LotID != r.stamps[0].LotID || stamp.Status != ocop.StampActivated || !stamp.SoldAt.IsZero() {
				t.Fatalf("stamp %+v", stamp)
			}
			if !sameScans(got, want) {
				t.Fatalf("scans %+v, want %+v", got, want)
			}
			if _, got, _ := tx.StampScans(ctx, serial, 1); !sameScans(got, want[:1]) {
				t.Fatalf("capped scans %+v", got)
			}
			if _, got, err := tx.StampScans(ctx, r.stamps[1].Serial, 1000); err != nil || len(got) != 1 {
				t.Fatalf("second stamp: %+v %v", got, err)
			}
			if _, _, err := tx.StampScans(ctx, "NOSUCHSERIAL", 1000); !errs.Is(err, errs.NotFound) {
				t.Fatalf("unknown serial: %v", err)
			}
			if _, got, err := tx.StampScans(ctx, r2.stamps[0].Serial, 1000); err != nil || len(got) != 0 {
				t.Fatalf("stamp without scans: %+v %v", got, err)
			}
		}
		t.Run("pool", func(t *testing.T) { check(t, st.Read()) })
		t.Run("tx", func(t *testing.T) {
			_ = st.InTx(ctx, func(tx app.Tx) error { check(t, tx); return nil })
		})
	})
}
