package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/photo/phototest"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// The OCOP routes have their own authorization matrix (TestOCOPAuthorizationMatrix).
func init() {
	for _, c := range ocopMatrix() {
		authzElsewhere[c.op] = "TestOCOPAuthorizationMatrix"
	}
}

// ocopTargets are fresh OCOP records of district 1 (whose staff is staff1),
// made through the service for one caller of one matrix row.
type ocopTargets struct {
	producer *app.Producer
	product  *app.ProductView
	cert     *app.CertificateView
	lot      *app.Lot
	serial   string // an activated stamp of lot
	stall    *market.Stall
	image    *app.ProductImage // a photo of product
}

func mkTargets(t *testing.T, a *api, w *world) ocopTargets {
	t.Helper()
	staff := w.actor("staff1")
	var o ocopTargets
	var err error
	n := next()
	if o.producer, err = a.svc.CreateProducer(bg, staff, app.ProducerInput{Name: fmt.Sprintf("Hộ %d", n), Kind: "household_business", Commune: "Xã A"}); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("Bánh pía %d", n)
	if o.product, err = a.svc.CreateProduct(bg, staff, app.ProductInput{ProducerID: o.producer.ID, NameVI: &name, Group: ptrTo("food")}); err != nil {
		t.Fatal(err)
	}
	if o.cert, err = a.svc.AddCertificate(bg, staff, o.product.ID, app.CertificateInput{Stars: 3, DecisionNumber: fmt.Sprintf("%d/QĐ", n),
		IssuingBody: "UBND tỉnh", Level: "province", DecisionDate: "2025-01-02"}); err != nil {
		t.Fatal(err)
	}
	if o.lot, err = a.svc.CreateLot(bg, staff, o.product.ID, app.LotInput{Code: fmt.Sprintf("L%d", n), ProductionDate: "2026-01-01", Quantity: 10}); err != nil {
		t.Fatal(err)
	}
	res, err := a.svc.IssueStamps(bg, staff, o.lot.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	o.serial = res.First
	for _, step := range [][2]string{{"generated", "printed"}, {"printed", "activated"}} {
		if _, err := a.svc.TransitionLotStamps(bg, staff, o.lot.ID, step[0], step[1]); err != nil {
			t.Fatal(err)
		}
	}
	if o.image, _, err = a.svc.AddProductImage(bg, staff, o.product.ID, phototest.JPEG(t, 40, 30)); err != nil {
		t.Fatal(err)
	}
	o.stall = w.stall(t, a, "vendorA", w.m1, fmt.Sprintf("O%d", n), market.StallActive)
	if _, err := a.svc.SetStallProducts(bg, w.actor("vendorA"), o.stall.ID, []app.StallPriceInput{{ProductID: o.product.ID, Price: "50000"}}); err != nil {
		t.Fatal(err)
	}
	return o
}

func ptrTo[T any](v T) *T { return &v }

// tinyPNG is a photo upload for the matrix.
var tinyPNG = func() string {
	var b bytes.Buffer
	if err := png.Encode(&b, phototest.Picture(48, 32)); err != nil {
		panic(err)
	}
	return b.String()
}()

type ocopCase struct {
	op   string
	want [7]int // anonymous, vendorA, vendorB, staff1, staff2, admin, badToken
	prep func(o ocopTargets) req
}

// Status patterns of the matrix.
var (
	public      = [7]int{200, 200, 200, 200, 200, 200, 401}
	staffRead   = [7]int{401, 403, 403, 200, 403, 200, 401}
	staffCreate = [7]int{401, 403, 403, 201, 403, 201, 401}
	vendorOnly  = [7]int{401, 200, 404, 403, 404, 403, 401}
)

func ocopMatrix() []ocopCase {
	get := func(f func(o ocopTargets) string) func(ocopTargets) req {
		return func(o ocopTargets) req { return req{method: "GET", path: f(o)} }
	}
	return []ocopCase{
		{op: "GET /v1/producers", want: public, prep: get(func(ocopTargets) string { return "/v1/producers" })},
		{op: "POST /v1/producers", want: [7]int{401, 403, 403, 201, 201, 201, 401}, prep: func(ocopTargets) req {
			// No district: staff register in their own (so staff2's lands in district 2); the matrix names one for the admin.
			return req{method: "POST", path: "/v1/producers", json: map[string]any{"name": fmt.Sprintf("Hộ %d", next()), "kind": "other", "commune": "Xã B"}}
		}},
		{op: "GET /v1/producers/{id}", want: public, prep: get(func(o ocopTargets) string { return "/v1/producers/" + o.producer.ID })},
		{op: "PATCH /v1/producers/{id}", want: staffRead, prep: func(o ocopTargets) req {
			return req{method: "PATCH", path: "/v1/producers/" + o.producer.ID, json: map[string]any{"commune": "Xã Mới"}}
		}},
		{op: "GET /v1/products", want: public, prep: get(func(ocopTargets) string { return "/v1/products?q=banh+pia" })},
		{op: "POST /v1/products", want: staffCreate, prep: func(o ocopTargets) req {
			return req{method: "POST", path: "/v1/products", json: map[string]any{"producer_id": o.producer.ID, "name_vi": "Mứt gừng", "group": "food"}}
		}},
		{op: "GET /v1/products/{id}", want: public, prep: get(func(o ocopTargets) string { return "/v1/products/" + o.product.ID })},
		{op: "PATCH /v1/products/{id}", want: staffRead, prep: func(o ocopTargets) req {
			return req{method: "PATCH", path: "/v1/products/" + o.product.ID, json: map[string]any{"story": "Mới"}}
		}},
		{op: "GET /v1/products/{id}/certificates", want: public, prep: get(func(o ocopTargets) string { return "/v1/products/" + o.product.ID + "/certificates" })},
		{op: "POST /v1/products/{id}/certificates", want: staffCreate, prep: func(o ocopTargets) req {
			return req{method: "POST", path: "/v1/products/" + o.product.ID + "/certificates", json: map[string]any{"stars": 4,
				"decision_number": "77/QĐ", "issuing_body": "UBND tỉnh", "level": "province", "decision_date": "2025-03-04"}}
		}},
		{op: "POST /v1/certificates/{id}/status", want: staffRead, prep: func(o ocopTargets) req {
			return req{method: "POST", path: "/v1/certificates/" + o.cert.ID + "/status", json: map[string]any{"status": "revoked"}}
		}},
		{op: "GET /v1/products/{id}/lots", want: staffRead, prep: get(func(o ocopTargets) string { return "/v1/products/" + o.product.ID + "/lots" })},
		{op: "POST /v1/products/{id}/lots", want: staffCreate, prep: func(o ocopTargets) req {
			return req{method: "POST", path: "/v1/products/" + o.product.ID + "/lots", json: map[string]any{"code": "NEW1", "production_date": "2026-01-02", "quantity": 5}}
		}},
		{op: "GET /v1/products/{id}/images", want: public, prep: get(func(o ocopTargets) string { return "/v1/products/" + o.product.ID + "/images" })},
		{op: "POST /v1/products/{id}/images", want: staffCreate, prep: func(o ocopTargets) req {
			return req{method: "POST", path: "/v1/products/" + o.product.ID + "/images", raw: raw(tinyPNG), ctype: "image/png"}
		}},
		{op: "PUT /v1/products/{id}/images", want: staffRead, prep: func(o ocopTargets) req {
			return req{method: "PUT", path: "/v1/products/" + o.product.ID + "/images", json: map[string]any{"image_ids": []string{o.image.ID}}}
		}},
		{op: "GET /v1/products/{id}/images/{image_id}", want: public, prep: get(func(o ocopTargets) string {
			return "/v1/products/" + o.product.ID + "/images/" + o.image.ID + "?size=thumb"
		})},
		{op: "DELETE /v1/products/{id}/images/{image_id}", want: [7]int{401, 403, 403, 204, 403, 204, 401}, prep: func(o ocopTargets) req {
			return req{method: "DELETE", path: "/v1/products/" + o.product.ID + "/images/" + o.image.ID}
		}},
		{op: "GET /v1/lots/{id}", want: staffRead, prep: get(func(o ocopTargets) string { return "/v1/lots/" + o.lot.ID })},
		{op: "POST /v1/lots/{id}/status", want: staffRead, prep: func(o ocopTargets) req {
			return req{method: "POST", path: "/v1/lots/" + o.lot.ID + "/status", json: map[string]any{"status": "recalled"}}
		}},
		{op: "GET /v1/lots/{id}/stamps", want: staffRead, prep: get(func(o ocopTargets) string { return "/v1/lots/" + o.lot.ID + "/stamps" })},
		{op: "POST /v1/lots/{id}/stamps", want: staffCreate, prep: func(o ocopTargets) req {
			return req{method: "POST", path: "/v1/lots/" + o.lot.ID + "/stamps", json: map[string]any{"count": 3}}
		}},
		{op: "POST /v1/lots/{id}/stamps/status", want: staffRead, prep: func(o ocopTargets) req {
			return req{method: "POST", path: "/v1/lots/" + o.lot.ID + "/stamps/status", json: map[string]any{"from": "activated", "to": "voided"}}
		}},
		{op: "GET /v1/lots/{id}/stamps.pdf", want: staffRead, prep: get(func(o ocopTargets) string { return "/v1/lots/" + o.lot.ID + "/stamps.pdf" })},
		{op: "GET /v1/stamps/{serial}", want: staffRead, prep: get(func(o ocopTargets) string { return "/v1/stamps/" + o.serial })},
		{op: "POST /v1/stamps/{serial}/status", want: staffRead, prep: func(o ocopTargets) req {
			return req{method: "POST", path: "/v1/stamps/" + o.serial + "/status", json: map[string]any{"status": "voided"}}
		}},
		{op: "POST /v1/stamps/{serial}/sell", want: vendorOnly, prep: func(o ocopTargets) req {
			return req{method: "POST", path: "/v1/stamps/" + o.serial + "/sell", json: map[string]any{"stall_id": o.stall.ID}}
		}},
		{op: "GET /v1/stalls/{id}/products", want: public, prep: get(func(o ocopTargets) string { return "/v1/stalls/" + o.stall.ID + "/products" })},
		{op: "PUT /v1/stalls/{id}/products", want: vendorOnly, prep: func(o ocopTargets) req {
			return req{method: "PUT", path: "/v1/stalls/" + o.stall.ID + "/products", json: map[string]any{"items": []map[string]any{{"product_id": o.product.ID, "price": "99000"}}}}
		}},
	}
}

// ocopTables are every table the OCOP use cases write.
var ocopTables = []string{"producers", "products", "certificates", "lots", "stamps", "scans", "stall_products", "stamp_keys",
	"product_images", "product_image_blobs"}

// fingerprint renders the OCOP tables, so a refused call can be shown to
// have changed nothing.
func fingerprint(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range ocopTables {
		rows, err := db.QueryContext(context.Background(), "SELECT * FROM "+table+" ORDER BY 1, 2")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s%v\n", table, vals)
		}
		rows.Close()
	}
	return b.String()
}

// TestOCOPAuthorizationMatrix calls every OCOP route of the API as every
// kind of caller, on fresh records of district 1, and asserts the exact
// status; a refused call must leave every OCOP table as it was.
func TestOCOPAuthorizationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		w := newWorld(t, a)
		oc := ocopMatrix()
		cases := make([]matrixCase, 0, len(oc))
		for _, c := range oc {
			cases = append(cases, matrixCase{op: c.op, want: c.want, prep: func(t *testing.T, a *api, w *world, role string) req {
				r := c.prep(mkTargets(t, a, w)) // fresh targets for every caller
				if role == "admin" && r.method == "POST" && r.path == "/v1/producers" {
					r.json.(map[string]any)["district_id"] = w.d1.ID
				}
				return r
			}})
		}
		runMatrix(t, a, w, st, cases, func(t *testing.T) string { return fingerprint(t, st.SQL()) })
		// Verification and the public pages need no login at all, and a
		// bad token there changes nothing either (they ignore Authorization).
		o := mkTargets(t, a, w)
		d, err := a.svc.Stamp(bg, w.actor("staff1"), o.serial)
		if err != nil {
			t.Fatal(err)
		}
		for _, role := range roles {
			r := a.do(req{method: "GET", path: linkPath(d.URL), token: w.tokens[role], header: map[string]string{"Accept": "application/json"}})
			if r.status != 200 {
				t.Fatalf("verification as %s: %d", role, r.status)
			}
		}
	})
}

func linkPath(u string) string {
	rest := strings.TrimPrefix(u, "https://")
	return rest[strings.IndexByte(rest, '/'):]
}
