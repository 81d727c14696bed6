package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/ocop"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/internal/web/ocopweb"
)

func init() {
	// The verification and catalogue pages are opaque HTML to the validator.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
}

// Shapes of the OCOP responses the tests read.
type ocopProduct struct {
	ID          string  `json:"id"`
	NameVI      string  `json:"name_vi"`
	Stars       *int    `json:"stars"`
	GTIN        *string `json:"gtin"`
	Certificate *struct {
		ValidUntil string `json:"valid_until"`
		State      string `json:"state"`
	} `json:"certificate"`
	Offers []struct {
		StallID string `json:"stall_id"`
		Price   string `json:"price"`
	} `json:"offers"`
}

type ocopStamp struct {
	Serial string `json:"serial"`
	Status string `json:"status"`
	URL    string `json:"url"`
	Path   string `json:"path"`
}

type ocopVerification struct {
	Verdict string `json:"verdict"`
	Title   string `json:"title"`
	Flags   []struct {
		Code   string `json:"code"`
		Effect string `json:"effect"`
	} `json:"flags"`
	ScanCount       int     `json:"scan_count"`
	DistinctDevices int     `json:"distinct_devices"`
	LinkError       *string `json:"link_error"`
	Product         *struct {
		NameVI string `json:"name_vi"`
		Stars  *int   `json:"stars"`
	} `json:"product"`
	Producer    json.RawMessage `json:"producer"`
	Certificate *struct {
		Stars int    `json:"stars"`
		State string `json:"state"`
	} `json:"certificate"`
}

func (v ocopVerification) has(flag string) bool {
	for _, f := range v.Flags {
		if f.Code == flag {
			return true
		}
	}
	return false
}

// ocopWorld adds to the shared world a producer of district 1 with a
// certified GS1 product, a lot and activated stamps, all made through the
// API by district 1's staff.
type ocopWorld struct {
	*world
	a        *api
	product  ocopProduct
	lotID    string
	stamps   []ocopStamp
	stallA   *market.Stall
	producer string
}

func newOCOPWorld(t testing.TB, a *api, stamps int) *ocopWorld {
	t.Helper()
	w := &ocopWorld{world: newWorld(t, a), a: a}
	staff := w.tokens["staff1"]
	var pr idJSON
	a.do(req{method: "POST", path: "/v1/producers", token: staff, json: map[string]any{"name": "HTX Sen Hồng", "kind": "cooperative",
		"tax_code": "6300456789", "commune": "Thị trấn Nàng Mau"}}).want(t, 201).decode(t, &pr)
	w.producer = pr.ID
	a.do(req{method: "POST", path: "/v1/products", token: staff, json: map[string]any{"producer_id": pr.ID, "name_vi": "Trà sen Tây Hồ",
		"name_en": "West Lake lotus tea", "group": "beverage", "gtin": "8934567890120", "story": "Ướp hương sen Tây Hồ.",
		"standards": []string{"TCVN 7975:2008"}, "shelf_life_days": 365}}).want(t, 201).decode(t, &w.product)
	a.do(req{method: "POST", path: "/v1/products/" + w.product.ID + "/certificates", token: staff, json: map[string]any{"stars": 4, "score": 80,
		"decision_number": "1234/QĐ-UBND", "issuing_body": "UBND tỉnh Hậu Giang", "level": "province", "decision_date": "2025-06-01"}}).want(t, 201)
	var lot idJSON
	a.do(req{method: "POST", path: "/v1/products/" + w.product.ID + "/lots", token: staff, json: map[string]any{"code": "TS2601",
		"production_date": "2026-01-05", "quantity": max(stamps, 1000)}}).want(t, 201).decode(t, &lot)
	w.lotID = lot.ID
	a.do(req{method: "POST", path: "/v1/lots/" + lot.ID + "/stamps", token: staff, json: map[string]any{"count": stamps}}).want(t, 201)
	for _, step := range [][2]string{{"generated", "printed"}, {"printed", "activated"}} {
		a.do(req{method: "POST", path: "/v1/lots/" + lot.ID + "/stamps/status", token: staff, json: map[string]any{"from": step[0], "to": step[1]}}).want(t, 200)
	}
	for after := ""; ; {
		var list listJSON[ocopStamp]
		path := "/v1/lots/" + lot.ID + "/stamps?limit=1000"
		if after != "" {
			path += "&after=" + after
		}
		a.do(req{method: "GET", path: path, token: staff}).want(t, 200).decode(t, &list)
		w.stamps = append(w.stamps, list.Items...)
		if list.NextAfter == nil {
			break
		}
		after = *list.NextAfter
	}
	if len(w.stamps) != stamps {
		t.Fatalf("%d stamps listed, want %d", len(w.stamps), stamps)
	}
	w.stallA = w.stall(t, a, "vendorA", w.m1, "OC1", market.StallActive)
	return w
}

// verify opens a stamp's link as a phone with the given device cookie would,
// asking for JSON.
func (w *ocopWorld) verify(t *testing.T, path, device string) ocopVerification {
	t.Helper()
	h := map[string]string{"Accept": "application/json"}
	if device != "" {
		h["Cookie"] = "m4_device=" + device
	}
	var v ocopVerification
	r := w.a.do(req{method: "GET", path: path, header: h}).want(t, 200)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	r.decode(t, &v)
	return v
}

func TestOCOPVerificationOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		w := newOCOPWorld(t, a, 3)
		s0, s1 := w.stamps[0], w.stamps[1]
		if !strings.HasPrefix(s0.URL, "https://localhost:8080/01/08934567890120/10/TS2601/21/"+s0.Serial+"?k=") || s0.Status != "activated" {
			t.Fatalf("stamp %+v", s0)
		}

		// Genuine first scan, then genuine repeat by the same phone.
		v := w.verify(t, s0.Path, "phone-0001")
		if v.Verdict != "genuine_first_scan" || v.Product == nil || v.Product.NameVI != "Trà sen Tây Hồ" || *v.Product.Stars != 4 ||
			v.Certificate == nil || v.Certificate.State != "active" || len(v.Flags) != 0 {
			t.Fatalf("first scan: %+v", v)
		}
		if strings.Contains(string(v.Producer), "tax") || strings.Contains(string(v.Producer), "6300456789") {
			t.Fatalf("verification leaks the tax code: %s", v.Producer)
		}
		if v = w.verify(t, s0.Path, "phone-0001"); v.Verdict != "genuine_repeat" || v.ScanCount != 2 || v.DistinctDevices != 1 {
			t.Fatalf("rescan: %+v", v)
		}
		// Five different phones: suspicious (copied label).
		for i := 2; i <= ocop.ManyDevicesThreshold; i++ {
			v = w.verify(t, s0.Path, fmt.Sprintf("phone-%04d", i))
		}
		if v.Verdict != "suspicious" || !v.has("many_devices") || v.DistinctDevices != 5 {
			t.Fatalf("many devices: %+v", v)
		}
		// Tampered serial, signature, key id: invalid, with no product shown.
		tampered := []string{
			strings.Replace(s1.Path, "/21/"+s1.Serial, "/21/"+s1.Serial[:11]+string(nextSerialChar(s1.Serial[11])), 1),
			s1.Path[:len(s1.Path)-3] + flipB64(s1.Path[len(s1.Path)-3:]),
			strings.Replace(s1.Path, "?k=", "?k=AAAAAAAA&x=", 1),
			strings.Split(s1.Path, "?")[0], // unsigned
		}
		for _, p := range tampered {
			v := w.verify(t, p, "phone-0001")
			if v.Verdict != "invalid" || v.Product != nil || v.LinkError == nil {
				t.Fatalf("tampered %s: %+v", p, v)
			}
		}
		// A serial of another lot pasted under this lot is unknown.
		var inv ocopVerification
		r := a.do(req{method: "GET", path: "/01/08934567890120/10/OTHER/21/" + s1.Serial + "?" + strings.Split(s1.Path, "?")[1],
			header: map[string]string{"Accept": "application/json"}}).want(t, 200)
		r.decode(t, &inv)
		if inv.Verdict != "invalid" {
			t.Fatalf("moved serial: %+v", inv)
		}

		// Recall the lot: every stamp of it says recalled.
		a.do(req{method: "POST", path: "/v1/lots/" + w.lotID + "/status", token: w.tokens["staff2"], json: map[string]any{"status": "recalled"}}).
			wantProblem(t, 403, "forbidden")
		a.do(req{method: "POST", path: "/v1/lots/" + w.lotID + "/status", token: w.tokens["staff1"], json: map[string]any{"status": "recalled"}}).want(t, 200)
		if v := w.verify(t, s1.Path, "phone-0009"); v.Verdict != "recalled" || !v.has("recalled") {
			t.Fatalf("after recall: %+v", v)
		}

		// s0's genuine scans were recorded (first, repeat, four more phones);
		// forged links never reach the database.
		var stamp struct {
			Scans int `json:"scans"`
		}
		a.do(req{method: "GET", path: "/v1/stamps/" + s0.Serial, token: w.tokens["staff1"]}).want(t, 200).decode(t, &stamp)
		if stamp.Scans != 6 {
			t.Fatalf("stamp %s has %d scans, want 6", s0.Serial, stamp.Scans)
		}
		a.do(req{method: "GET", path: "/v1/stamps/" + s0.Serial, token: w.tokens["staff2"]}).wantProblem(t, 403, "forbidden")
	})
}

func nextSerialChar(c byte) byte {
	i := strings.IndexByte(ocop.SerialAlphabet, c)
	return ocop.SerialAlphabet[(i+1)%len(ocop.SerialAlphabet)]
}

// flipB64 changes the first base64url character of s, keeping the alphabet
// (the last character of a signature holds padding bits, so change an
// earlier one).
func flipB64(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func TestOCOPVerificationHTMLAndJSONByAccept(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	a := newAPI(t, st, httpapi.Options{}, nil)
	w := newOCOPWorld(t, a, 1)
	path := w.stamps[0].Path

	for _, accept := range []string{"", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "*/*"} {
		r := a.do(req{method: "GET", path: path, header: map[string]string{"Accept": accept}}).want(t, 200)
		body := string(r.body)
		if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Fatalf("Accept %q: Content-Type %q", accept, ct)
		}
		for _, want := range []string{"Hàng chính hãng", "Trà sen Tây Hồ", "★★★★☆", "1234/QĐ-UBND", "HTX Sen Hồng", "TS2601", "Hậu Giang"} {
			if !strings.Contains(body, want) {
				t.Fatalf("Accept %q: page lacks %q:\n%s", accept, want, body)
			}
		}
		if strings.Contains(body, "6300456789") {
			t.Fatal("page shows the producer's tax code")
		}
		if r.header.Get("Content-Security-Policy") != ocopweb.CSP || !strings.Contains(r.header.Get("Vary"), "Accept") {
			t.Fatalf("headers %v", r.header)
		}
		if c := r.header.Get("Set-Cookie"); !strings.Contains(c, "m4_device=") || !strings.Contains(c, "HttpOnly") {
			t.Fatalf("device cookie %q", c)
		}
	}
	r := a.do(req{method: "GET", path: path, header: map[string]string{"Accept": "application/json"}}).want(t, 200)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("JSON Content-Type %q", r.header.Get("Content-Type"))
	}
	// An invalid stamp is a friendly page too.
	bad := a.do(req{method: "GET", path: "/t/NOPE/0000000000"}).want(t, 200)
	if !strings.Contains(string(bad.body), "Tem không hợp lệ") {
		t.Fatalf("invalid page:\n%s", bad.body)
	}
}

func TestOCOPVerificationRateLimit(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	a := newAPI(t, st, httpapi.Options{PublicRate: 4}, nil)
	for i := 0; i < 4; i++ {
		a.do(req{method: "GET", path: "/t/LOTREF0001/0000000000" + fmt.Sprint(i), header: map[string]string{"Accept": "application/json"}}).want(t, 200)
	}
	p := a.do(req{method: "GET", path: "/t/LOTREF0001/00000000009", header: map[string]string{"Accept": "application/json"}}).
		wantProblem(t, 429, "rate_limited")
	_ = p
	r := a.do(req{method: "GET", path: "/t/LOTREF0001/00000000010"}).want(t, 429)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "quá nhanh") {
		t.Fatalf("HTML 429: %v %s", r.header, r.body)
	}
}

func TestOCOPCatalogueAndStallPrices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		w := newOCOPWorld(t, a, 1)

		// Vendor A prices their stall; vendor B, staff and anonymous cannot.
		body := map[string]any{"items": []map[string]any{{"product_id": w.product.ID, "price": "150000"}}}
		a.do(req{method: "PUT", path: "/v1/stalls/" + w.stallA.ID + "/products", token: w.tokens["vendorB"], json: body}).wantProblem(t, 404, "not_found")
		a.do(req{method: "PUT", path: "/v1/stalls/" + w.stallA.ID + "/products", token: w.tokens["staff1"], json: body}).wantProblem(t, 403, "forbidden")
		a.do(req{method: "PUT", path: "/v1/stalls/" + w.stallA.ID + "/products", json: body}).wantProblem(t, 401, "unauthenticated")
		a.do(req{method: "PUT", path: "/v1/stalls/" + w.stallA.ID + "/products", token: w.tokens["vendorA"],
			json: map[string]any{"items": []map[string]any{{"product_id": w.product.ID, "price": "15.5"}}}}).wantProblem(t, 422, "invalid", "items[0].price")
		a.do(req{method: "PUT", path: "/v1/stalls/" + w.stallA.ID + "/products", token: w.tokens["vendorA"], json: body}).want(t, 200)
		var offers struct {
			Items []struct {
				Price, ProductID string
			} `json:"items"`
		}
		a.do(req{method: "GET", path: "/v1/stalls/" + w.stallA.ID + "/products"}).want(t, 200).decode(t, &offers)
		if len(offers.Items) != 1 || offers.Items[0].Price != "150000" {
			t.Fatalf("offers %+v", offers)
		}

		// Public catalogue: diacritics-insensitive search, stars, market.
		for _, q := range []string{"tra sen", "TRÀ SEN", "lotus", "sen hong"} {
			var list listJSON[ocopProduct]
			a.do(req{method: "GET", path: "/v1/products?q=" + url.QueryEscape(q) + "&stars=4&market_id=" + w.m1.ID}).want(t, 200).decode(t, &list)
			if len(list.Items) != 1 || list.Items[0].NameVI != "Trà sen Tây Hồ" || *list.Items[0].Stars != 4 {
				t.Fatalf("q=%q: %+v", q, list.Items)
			}
		}
		var none listJSON[ocopProduct]
		a.do(req{method: "GET", path: "/v1/products?q=tra+sen&stars=5"}).want(t, 200).decode(t, &none)
		if len(none.Items) != 0 {
			t.Fatalf("5-star search found %d", len(none.Items))
		}
		a.do(req{method: "GET", path: "/v1/products?stars=2", invalid: true}).wantProblem(t, 422, "invalid", "stars")
		var detail ocopProduct
		a.do(req{method: "GET", path: "/v1/products/" + w.product.ID}).want(t, 200).decode(t, &detail)
		if len(detail.Offers) != 1 || detail.Offers[0].StallID != w.stallA.ID || detail.Certificate == nil {
			t.Fatalf("detail %+v", detail)
		}
		a.do(req{method: "GET", path: "/v1/products/" + w.product.ID + "/certificates"}).want(t, 200)

		// Staff scoping over HTTP.
		a.do(req{method: "PATCH", path: "/v1/producers/" + w.producer, token: w.tokens["staff2"], json: map[string]any{"name": "X"}}).wantProblem(t, 403, "forbidden")
		a.do(req{method: "PATCH", path: "/v1/products/" + w.product.ID, token: w.tokens["staff2"], json: map[string]any{"name_vi": "X"}}).wantProblem(t, 403, "forbidden")
		a.do(req{method: "PATCH", path: "/v1/products/" + w.product.ID, token: w.tokens["staff1"], json: map[string]any{"gtin": ""}}).wantProblem(t, 409, "conflict", "gtin")
		var prod struct {
			TaxCode *string `json:"tax_code"`
		}
		a.do(req{method: "GET", path: "/v1/producers/" + w.producer}).want(t, 200).decode(t, &prod)
		if prod.TaxCode != nil {
			t.Fatalf("anonymous sees tax code %q", *prod.TaxCode)
		}
		a.do(req{method: "GET", path: "/v1/producers/" + w.producer, token: w.tokens["staff1"]}).want(t, 200).decode(t, &prod)
		if prod.TaxCode == nil || *prod.TaxCode != "6300456789" {
			t.Fatalf("managing staff sees tax code %v", prod.TaxCode)
		}
		a.do(req{method: "GET", path: "/v1/producers?district_id=" + w.d1.ID}).want(t, 200)
		a.do(req{method: "GET", path: "/v1/products/" + w.product.ID + "/lots", token: w.tokens["staff1"]}).want(t, 200)
		a.do(req{method: "GET", path: "/v1/lots/" + w.lotID, token: w.tokens["staff1"]}).want(t, 200)
		a.do(req{method: "POST", path: "/v1/lots/" + w.lotID + "/stamps", token: w.tokens["staff1"], json: map[string]any{"count": 10001}, invalid: true}).
			wantProblem(t, 422, "invalid", "count")

		// Selling a stamp at vendor A's stall, and the sold_far_away rule needs a province: none here.
		s := w.stamps[0]
		a.do(req{method: "POST", path: "/v1/stamps/" + s.Serial + "/sell", token: w.tokens["vendorB"], json: map[string]any{"stall_id": w.stallA.ID}}).wantProblem(t, 404, "not_found")
		var sold ocopStamp
		a.do(req{method: "POST", path: "/v1/stamps/" + s.Serial + "/sell", token: w.tokens["vendorA"], json: map[string]any{"stall_id": w.stallA.ID}}).want(t, 200).decode(t, &sold)
		if sold.Status != "sold" {
			t.Fatalf("sold %+v", sold)
		}
		a.do(req{method: "POST", path: "/v1/stamps/" + s.Serial + "/status", token: w.tokens["staff1"], json: map[string]any{"status": "voided"}}).want(t, 200)

		// The keys are published and verify the stamps offline.
		var set ocop.PublishedKeySet
		a.do(req{method: "GET", path: "/.well-known/market4-stamp-keys.json"}).want(t, 200).decode(t, &set)
		ring, err := ocop.KeyRingFromPublished(set)
		if err != nil {
			t.Fatal(err)
		}
		l, err := ocop.ParseLink(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		if err := ring.Verify(l); err != nil {
			t.Fatalf("offline verification: %v", err)
		}

		// The catalogue page.
		page := a.do(req{method: "GET", path: "/ocop?q=tra+sen&stars=4"}).want(t, 200)
		if !strings.Contains(string(page.body), "Trà sen Tây Hồ") || !strings.Contains(string(page.body), "★★★★☆") {
			t.Fatalf("catalogue page:\n%s", page.body)
		}
		empty := a.do(req{method: "GET", path: "/ocop?q=b%C3%A1nh+x%C3%A8o"}).want(t, 200)
		if !strings.Contains(string(empty.body), "Không tìm thấy") {
			t.Fatalf("empty catalogue page:\n%s", empty.body)
		}
		a.do(req{method: "GET", path: "/ocop?stars=9"}).want(t, 422)
	})
}

func TestOCOPStampSheetPDF(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	a := newAPI(t, st, httpapi.Options{}, nil)
	w := newOCOPWorld(t, a, 1005) // three database pages of 500
	path := "/v1/lots/" + w.lotID + "/stamps.pdf"
	r := a.do(req{method: "GET", path: path, token: w.tokens["staff1"]}).want(t, 200)
	if ct := r.header.Get("Content-Type"); ct != "application/pdf" || !strings.HasPrefix(string(r.body), "%PDF-") {
		t.Fatalf("Content-Type %q, body %.20q", ct, r.body)
	}
	// 5×8 labels a page: 1005 stamps are 26 pages.
	if n := strings.Count(string(r.body), "/Type /Page /Parent"); n != 26 {
		t.Fatalf("%d pages, want 26", n)
	}
	if !strings.Contains(string(r.body), "/Count 26") {
		t.Fatal("page tree does not count 26 pages")
	}
	a.do(req{method: "GET", path: path, token: w.tokens["staff2"]}).wantProblem(t, 403, "forbidden")
	a.do(req{method: "GET", path: path, token: w.tokens["vendorA"]}).wantProblem(t, 403, "forbidden")
	a.do(req{method: "GET", path: path + "?status=voided", token: w.tokens["staff1"]}).wantProblem(t, 422, "invalid", "labels")
	a.do(req{method: "GET", path: path + "?columns=99", token: w.tokens["staff1"], invalid: true}).wantProblem(t, 422, "invalid", "columns")
}

// A sale at a Hậu Giang market followed by a first scan from Cần Thơ,
// province told by the trusted edge proxy's header: suspicious. A client
// cannot choose its province when no header is configured.
func TestOCOPSoldFarAwayByProvinceHeader(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	a := newAPI(t, st, httpapi.Options{}, nil)
	w := newOCOPWorld(t, a, 2)
	if err := a.svc.ConfigureOCOP(bg, app.OCOPConfig{ProvinceHeader: "X-Edge-Province"}); err != nil {
		t.Fatal(err)
	}
	// Reconfiguring replaced the ephemeral key: stamps signed before must still verify.
	w.stamps = nil
	var list listJSON[ocopStamp]
	a.do(req{method: "GET", path: "/v1/lots/" + w.lotID + "/stamps", token: w.tokens["staff1"]}).want(t, 200).decode(t, &list)
	s0, s1 := list.Items[0], list.Items[1]
	a.do(req{method: "PUT", path: "/v1/stalls/" + w.stallA.ID + "/products", token: w.tokens["vendorA"],
		json: map[string]any{"items": []map[string]any{{"product_id": w.product.ID, "price": "150000"}}}}).want(t, 200)
	for _, s := range []ocopStamp{s0, s1} {
		a.do(req{method: "POST", path: "/v1/stamps/" + s.Serial + "/sell", token: w.tokens["vendorA"], json: map[string]any{"stall_id": w.stallA.ID}}).want(t, 200)
	}
	scan := func(path, province string) ocopVerification {
		var v ocopVerification
		a.do(req{method: "GET", path: path, header: map[string]string{"Accept": "application/json", "X-Edge-Province": province, "Cookie": "m4_device=buyer-phone-1"}}).
			want(t, 200).decode(t, &v)
		return v
	}
	if v := scan(s0.Path, "92"); v.Verdict != "suspicious" || !v.has("sold_far_away") {
		t.Fatalf("far away: %+v", v)
	}
	if v := scan(s1.Path, "93"); v.Verdict != "genuine_first_scan" {
		t.Fatalf("same province: %+v", v)
	}
	// Without a configured header, the same header is ignored: a second
	// phone "in Cần Thơ" an hour later would otherwise be multi_province.
	if err := a.svc.ConfigureOCOP(bg, app.OCOPConfig{}); err != nil {
		t.Fatal(err)
	}
	var v ocopVerification
	a.do(req{method: "GET", path: s1.Path, header: map[string]string{"Accept": "application/json", "X-Edge-Province": "92", "Cookie": "m4_device=buyer-phone-2"}}).
		want(t, 200).decode(t, &v)
	if v.Verdict != "genuine_repeat" || len(v.Flags) != 0 {
		t.Fatalf("unconfigured header was trusted: %+v", v)
	}
}

// TestOCOPIssueStampsIdempotencyKeyOverHTTP: with an Idempotency-Key a
// resent issue replays the first answer (Idempotency-Hit) and issues
// nothing more; the key with another body is 422; without a key each
// request issues.
func TestOCOPIssueStampsIdempotencyKeyOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		w := newOCOPWorld(t, a, 1)
		staff := w.tokens["staff1"]
		path := "/v1/lots/" + w.lotID + "/stamps"
		key := map[string]string{"Idempotency-Key": "print-run-7"}
		first := a.do(req{method: "POST", path: path, token: staff, header: key, json: map[string]any{"count": 3}}).want(t, 201)
		again := a.do(req{method: "POST", path: path, token: staff, header: key, json: map[string]any{"count": 3}}).want(t, 201)
		if again.header.Get("Idempotency-Hit") != "true" || string(again.body) != string(first.body) || first.header.Get("Idempotency-Hit") != "" {
			t.Fatalf("replay: hit %q, body %s, first %s", again.header.Get("Idempotency-Hit"), again.body, first.body)
		}
		a.do(req{method: "POST", path: path, token: staff, header: key, json: map[string]any{"count": 4}}).wantProblem(t, 422, "idempotency_key_reused")
		a.do(req{method: "POST", path: path, token: staff, json: map[string]any{"count": 2}}).want(t, 201)
		var list listJSON[ocopStamp]
		a.do(req{method: "GET", path: path + "?limit=1000", token: staff}).want(t, 200).decode(t, &list)
		if len(list.Items) != 1+3+2 {
			t.Fatalf("%d stamps, want 6 (1 + 3 once + 2)", len(list.Items))
		}
	})
}
