package ocopweb_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/browsertest"
	"github.com/market4/market4/internal/ocop"
	"github.com/market4/market4/internal/photo/phototest"
	"github.com/market4/market4/internal/web/ocopweb"
)

var at = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)

// genuine is a verification of a known stamp with an active 4-star
// certificate; flags are added per test.
func genuine(verdict ocop.VerdictCode, flags ...ocop.Flag) *app.Verification {
	cert := app.Certificate{Certificate: ocop.Certificate{ID: "c1", Stars: 4, DecisionNumber: "1234/QĐ-UBND", IssuingBody: "UBND tỉnh Hậu Giang",
		Level: ocop.LevelProvince, DecisionDate: ocop.Date(2025, 6, 1), Status: ocop.CertActive}}
	return &app.Verification{At: at, URL: "https://m4.vn/t/REF/SERIAL0001",
		Result: ocop.Result{Verdict: verdict, Flags: flags, ScanCount: 3, DistinctDevices: 6, FirstScanAt: at.Add(-time.Hour)},
		Trace: &app.StampTrace{
			Stamp:    app.Stamp{Stamp: ocop.Stamp{Serial: "SERIAL0001", Status: ocop.StampActivated}},
			Lot:      app.Lot{Lot: ocop.Lot{Code: "KCL260301", ProductionDate: ocop.Date(2026, 3, 1), ExpiryDate: ocop.Date(2026, 9, 1), Status: ocop.LotActive}},
			Product:  app.Product{Product: ocop.Product{NameVI: "Khô cá lóc <Vị Thủy>", NameEN: "Dried snakehead", Group: ocop.GroupFood, Standards: []string{"VietGAP"}}},
			Producer: app.Producer{Producer: ocop.Producer{Name: "HTX Vị Thủy", Kind: ocop.KindCooperative, Commune: "Nàng Mau", ProvinceCode: "93"}},
		},
		Stars: 4, Certificate: &cert, CertState: ocop.CertStateActive}
}

func render(t *testing.T, v *app.Verification) string {
	t.Helper()
	var b bytes.Buffer
	if err := ocopweb.Verification(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestVerificationPage(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    *app.Verification
		want []string
	}{
		{"first scan", genuine(ocop.VerdictGenuineFirstScan), []string{"✓ Hàng chính hãng", "lần quét đầu tiên", "★★★★☆", "1234/QĐ-UBND",
			"01/06/2025 – 31/05/2028", "Khô cá lóc &lt;Vị Thủy&gt;", "Hợp tác xã", "Nàng Mau, Hậu Giang", "KCL260301", "01/09/2026", "v-genuine_first_scan"}},
		{"repeat", genuine(ocop.VerdictGenuineRepeat), []string{"đã được quét 3 lần, lần đầu lúc 08:00 10/03/2026"}},
		{"suspicious", genuine(ocop.VerdictSuspicious, ocop.FlagManyDevices, ocop.FlagProductExpired), []string{"⚠ Cần cẩn thận",
			"6 thiết bị khác nhau", "quá hạn sử dụng", "v-suspicious"}},
		{"recalled", genuine(ocop.VerdictRecalled, ocop.FlagRecalled), []string{"⛔ Lô hàng đã bị thu hồi", "Không sử dụng"}},
		{"invalid", &app.Verification{At: at, LinkError: "signature: does not match the stamp",
			Result: ocop.Result{Verdict: ocop.VerdictInvalid, Flags: []ocop.Flag{ocop.FlagBadSignature, ocop.FlagUnknownSerial}, ScanCount: 1}},
			[]string{"✗ Tem không hợp lệ", "Chữ ký số", "Bạn nên làm gì?", "does not match"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := render(t, tc.v)
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(page, "<script") {
				t.Error("page has a script")
			}
		})
	}
}

// The inline stylesheet is allowed by hash: the CSP must hash exactly the
// text between <style> and </style> as rendered.
func TestCSPHashesTheRenderedStyle(t *testing.T) {
	page := render(t, genuine(ocop.VerdictGenuineFirstScan))
	i, j := strings.Index(page, "<style>"), strings.Index(page, "</style>")
	sum := sha256.Sum256([]byte(page[i+len("<style>") : j]))
	if !strings.Contains(ocopweb.CSP, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Fatalf("CSP %q does not allow the rendered style", ocopweb.CSP)
	}
}

func TestCataloguePage(t *testing.T) {
	p := app.ProductView{Product: app.Product{Product: ocop.Product{ID: "p1", NameVI: "Trà sen", Group: ocop.GroupBeverage}, ProducerName: "HTX Sen"}, Stars: 5}
	var b bytes.Buffer
	err := ocopweb.CataloguePage(&b, ocopweb.Catalogue{Query: app.CatalogueQuery{Text: "tra sen", Stars: 5, Group: "beverage"},
		Items: []app.ProductView{p}, Next: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, w := range []string{"Trà sen", "★★★★★", "HTX Sen", `value="tra sen"`, `<option value="beverage" selected>`, `<option value="5" selected>`,
		`href="/ocop?after=p1&amp;group=beverage&amp;q=tra&#43;sen&amp;stars=5"`} {
		if !strings.Contains(page, w) {
			t.Errorf("catalogue lacks %q", w)
		}
	}
}

// TestVerificationPageInChromium loads the page in headless Chromium under
// its real Content-Security-Policy: the stylesheet must apply (the verdict
// box is green) and nothing may be blocked or fail.
func TestVerificationPageInChromium(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", ocopweb.CSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = ocopweb.Verification(w, genuine(ocop.VerdictGenuineFirstScan))
	}))
	defer srv.Close()
	ctx, cancelT := context.WithTimeout(browsertest.Start(t, 360, 740), 30*time.Second)
	defer cancelT()
	console := browsertest.WatchConsole(ctx, browsertest.ConsoleOptions{AnyCall: true})
	var bg, title string
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL),
		chromedp.Evaluate(`getComputedStyle(document.querySelector(".verdict")).backgroundColor`, &bg),
		chromedp.Text(".verdict .big", &title)); err != nil {
		t.Fatal(err) // Chromium itself started
	}
	if bg != "rgb(27, 127, 59)" {
		t.Fatalf("verdict background %q: the stylesheet did not apply under the CSP", bg)
	}
	if !strings.Contains(title, "Hàng chính hãng") {
		t.Fatalf("title %q", title)
	}
	if problems := console.Problems(); len(problems) > 0 {
		t.Fatalf("console: %v", problems)
	}
}

// photo is a product photo's metadata as the pages receive it.
func photo(productID, id string) app.ProductImage {
	return app.ProductImage{ID: id, ProductID: productID, ContentType: "image/jpeg", Width: 1600, Height: 1200, ThumbWidth: 400, ThumbHeight: 300}
}

// TestPagesShowPhotos: the catalogue card shows the cover thumbnail, the
// verification page every thumbnail, each lazily, sized, named after the
// product (escaped) and linking to the full photo; no photo, no <img>.
func TestPagesShowPhotos(t *testing.T) {
	v := genuine(ocop.VerdictGenuineFirstScan)
	v.Trace.Product.ID = "p1"
	var b bytes.Buffer
	v.Trace.Images = []app.ProductImage{photo("p1", "i1"), photo("p1", "i2")}
	if err := ocopweb.Verification(&b, v); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, w := range []string{
		`<a href="/v1/products/p1/images/i1"><img src="/v1/products/p1/images/i1?size=thumb" width="400" height="300" loading="lazy" alt="Khô cá lóc &lt;Vị Thủy&gt;"></a>`,
		`<a href="/v1/products/p1/images/i2"><img src="/v1/products/p1/images/i2?size=thumb"`,
	} {
		if !strings.Contains(page, w) {
			t.Errorf("verification page lacks %s", w)
		}
	}
	v.Trace.Images = nil
	if strings.Contains(render(t, v), "<img") {
		t.Error("verification page without photos has an <img>")
	}

	with := app.ProductView{Product: app.Product{Product: ocop.Product{ID: "p1", NameVI: `Trà "sen"`, Group: ocop.GroupBeverage}},
		Images: []app.ProductImage{photo("p1", "i1"), photo("p1", "i2")}}
	without := app.ProductView{Product: app.Product{Product: ocop.Product{ID: "p2", NameVI: "Mứt gừng", Group: ocop.GroupFood}}}
	b.Reset()
	if err := ocopweb.CataloguePage(&b, ocopweb.Catalogue{Items: []app.ProductView{with, without}}); err != nil {
		t.Fatal(err)
	}
	page = b.String()
	if want := `<a href="/v1/products/p1/images/i1"><img class="photo" src="/v1/products/p1/images/i1?size=thumb" width="400" height="300" loading="lazy" alt="Trà &#34;sen&#34;"></a>`; !strings.Contains(page, want) {
		t.Errorf("catalogue lacks %s:\n%s", want, page)
	}
	if strings.Count(page, "<img") != 1 {
		t.Errorf("catalogue shows %d images, want the first product's cover only", strings.Count(page, "<img"))
	}
}

// TestCataloguePhotoInChromium: in headless Chromium, under the page's real
// Content-Security-Policy, a catalogue card's photo loads (same origin) and
// is laid out at its thumbnail's aspect ratio within the card.
func TestCataloguePhotoInChromium(t *testing.T) {
	thumb := phototest.JPEG(t, 400, 300)
	p := app.ProductView{Product: app.Product{Product: ocop.Product{ID: "p1", NameVI: "Khô cá lóc", Group: ocop.GroupFood}},
		Images: []app.ProductImage{photo("p1", "i1")}}
	mux := http.NewServeMux()
	mux.HandleFunc("/ocop", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", ocopweb.CSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = ocopweb.CataloguePage(w, ocopweb.Catalogue{Items: []app.ProductView{p}})
	})
	mux.HandleFunc("/v1/products/p1/images/i1", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("size") != "thumb" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(thumb)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancelT := context.WithTimeout(browsertest.Start(t, 360, 740), 30*time.Second)
	defer cancelT()
	console := browsertest.WatchConsole(ctx, browsertest.ConsoleOptions{AnyCall: true})
	var got struct {
		Natural int     `json:"natural"`
		Width   float64 `json:"width"`
		Height  float64 `json:"height"`
		Card    float64 `json:"card"`
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/ocop"),
		chromedp.Poll(`(() => { const i = document.querySelector(".card img.photo"); return i && i.complete && i.naturalWidth > 0 })()`, nil,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`(() => { const i = document.querySelector(".card img.photo"), r = i.getBoundingClientRect();
			return {natural: i.naturalWidth, width: r.width, height: r.height, card: i.closest(".card").getBoundingClientRect().width} })()`, &got)); err != nil {
		t.Fatalf("the card's photo did not load: %v", err)
	}
	if got.Natural != 400 || got.Width <= 0 || got.Width > got.Card || got.Height < got.Width*0.7 || got.Height > got.Width*0.8 {
		t.Fatalf("photo laid out as %+v; want the 4:3 thumbnail within the card", got)
	}
	if problems := console.Problems(); len(problems) > 0 {
		t.Fatalf("console: %v", problems)
	}
}
