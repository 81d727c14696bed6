// Package ocopweb renders the public OCOP pages: the stamp verification
// page a shopper reaches by scanning a traceability stamp, and the OCOP
// catalogue (/ocop). It uses only html/template and embedded files; the
// HTTP layer (internal/httpapi) decides when to call it and writes the
// headers, so gin stays out of here.
//
// The pages are built for a cheap phone on 3G in a market: no script, no
// web font, the stylesheet inline (allowed by hash in the
// Content-Security-Policy, see CSP), and Vietnamese first. The only other
// requests are the product photos: 400 px thumbnails (~20 KB), loaded
// lazily, with their dimensions in the markup so nothing jumps, each
// linking to the full photo, and cached by the browser for good (see
// ImageURL). They show no
// personal data: no tax code, no phone number, no scan history beyond
// counts and the first scan's time.
package ocopweb

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/ocop"
)

//go:embed templates
var files embed.FS

var (
	css   = mustRead("templates/ocop.css")
	pages = template.Must(template.New("").Funcs(funcs).ParseFS(files, "templates/*.html"))
)

// CSP is the Content-Security-Policy of the pages: nothing but the inline
// stylesheet (by hash), forms to this origin, no framing.
var CSP = func() string {
	sum := sha256.Sum256([]byte(css))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}()

func mustRead(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var funcs = template.FuncMap{
	"css":          func() template.CSS { return template.CSS(css) },
	"verdictTitle": VerdictTitle,
	"verdictText":  VerdictText,
	"stars":        Stars,
	"date":         func(t time.Time) string { return t.In(ocop.ICT).Format("02/01/2006") },
	"dateTime":     func(t time.Time) string { return t.In(ocop.ICT).Format("15:04 02/01/2006") },
	"lastDay":      func(t time.Time) time.Time { return t.AddDate(0, 0, -1) }, // ValidUntil is the first day without validity
	"groupLabel":   func(g ocop.Group) string { return g.LabelVI() },
	"levelLabel":   levelLabel,
	"kindLabel":    kindLabel,
	"lotLabel":     lotLabel,
	"certState":    certStateLabel,
	"provinceName": func(code string) string { return provinceNames[code] },
	"join":         strings.Join,
	"imageURL":     func(img app.ProductImage) string { return ImageURL(img.ProductID, img.ID, false) },
	"thumbURL":     func(img app.ProductImage) string { return ImageURL(img.ProductID, img.ID, true) },
}

// ImageURL is the address of a product photo, or of its 400 px thumbnail,
// as the JSON API serves it (GET /v1/products/{id}/images/{image_id}): the
// same path for the API, these pages and the public stall page. A photo
// never changes (a new picture is a new photo), so browsers keep it.
func ImageURL(productID, imageID string, thumb bool) string {
	u := "/v1/products/" + url.PathEscape(productID) + "/images/" + url.PathEscape(imageID)
	if thumb {
		u += "?size=thumb"
	}
	return u
}

// VerdictTitle is the big headline of a verdict, in Vietnamese.
func VerdictTitle(v ocop.VerdictCode) string {
	switch v {
	case ocop.VerdictGenuineFirstScan, ocop.VerdictGenuineRepeat:
		return "✓ Hàng chính hãng"
	case ocop.VerdictSuspicious:
		return "⚠ Cần cẩn thận"
	case ocop.VerdictRecalled:
		return "⛔ Lô hàng đã bị thu hồi"
	}
	return "✗ Tem không hợp lệ"
}

// VerdictText explains the verdict in one or two plain sentences.
func VerdictText(v *app.Verification) string {
	r := v.Result
	switch r.Verdict {
	case ocop.VerdictGenuineFirstScan:
		return "Tem thật, đây là lần quét đầu tiên. Sản phẩm đúng như thông tin dưới đây."
	case ocop.VerdictGenuineRepeat:
		return fmt.Sprintf("Tem thật, đã được quét %d lần, lần đầu lúc %s. Nếu bạn chưa từng quét tem này, hãy hỏi người bán.",
			r.ScanCount, r.FirstScanAt.In(ocop.ICT).Format("15:04 02/01/2006"))
	case ocop.VerdictSuspicious:
		return "Tem có trên hệ thống nhưng có dấu hiệu bất thường. Hãy kiểm tra kỹ sản phẩm trước khi mua:"
	case ocop.VerdictRecalled:
		return "Không sử dụng sản phẩm này. Hãy mang trả lại nơi bán hoặc liên hệ ban quản lý chợ."
	}
	return "Không xác nhận được tem: mã đã bị sửa, bị hủy hoặc không do hệ thống phát hành. Đừng tin sản phẩm này."
}

// FlagText explains one finding in Vietnamese.
func FlagText(f ocop.Flag, r ocop.Result) string {
	switch f {
	case ocop.FlagBadSignature:
		return "Chữ ký số trên tem không khớp: đường dẫn đã bị sửa hoặc tem bị làm giả."
	case ocop.FlagUnknownSerial:
		return "Số sê-ri không có trong lô hàng này."
	case ocop.FlagVoided:
		return "Tem đã bị hủy (in lỗi, thu hồi hoặc tiêu hủy)."
	case ocop.FlagRecalled:
		return "Lô hàng đã bị thu hồi khỏi thị trường."
	case ocop.FlagNotActivated:
		return "Tem chưa được kích hoạt: nhà sản xuất chưa phát hành hàng mang tem này."
	case ocop.FlagManyDevices:
		return fmt.Sprintf("Tem đã được quét từ %d thiết bị khác nhau: có thể nhãn đã bị sao chép.", r.DistinctDevices)
	case ocop.FlagMultiProvince:
		return "Tem được quét ở hai tỉnh khác nhau trong vòng 24 giờ: có thể có hai nhãn cùng một số sê-ri."
	case ocop.FlagSoldFarAway:
		return "Tem được quét lần đầu ở tỉnh khác ngay sau khi được bán: có thể là nhãn sao chép."
	case ocop.FlagLotOnHold:
		return "Lô hàng đang tạm dừng phân phối."
	case ocop.FlagProductExpired:
		return "Sản phẩm đã quá hạn sử dụng."
	case ocop.FlagCertificateExpired:
		return "Chứng nhận OCOP của sản phẩm đã hết hiệu lực, nên không còn hiển thị hạng sao."
	case ocop.FlagCertificateRevoked:
		return "Chứng nhận OCOP của sản phẩm đã bị thu hồi."
	}
	return string(f)
}

// Stars draws a rating out of five: ★★★★☆.
func Stars(n int) string {
	n = max(0, min(n, 5))
	return strings.Repeat("★", n) + strings.Repeat("☆", 5-n)
}

func levelLabel(l ocop.Level) string {
	switch l {
	case ocop.LevelCentral:
		return "cấp trung ương"
	case ocop.LevelProvince:
		return "cấp tỉnh"
	case ocop.LevelDistrict:
		return "cấp huyện"
	}
	return string(l)
}

func kindLabel(k ocop.ProducerKind) string {
	switch k {
	case ocop.KindCooperative:
		return "Hợp tác xã"
	case ocop.KindEnterprise:
		return "Doanh nghiệp"
	case ocop.KindHouseholdBusiness:
		return "Hộ kinh doanh"
	case ocop.KindCooperativeGroup:
		return "Tổ hợp tác"
	}
	return "Khác"
}

func lotLabel(s ocop.LotStatus) string {
	switch s {
	case ocop.LotActive:
		return "Đang lưu hành"
	case ocop.LotOnHold:
		return "Tạm dừng phân phối"
	case ocop.LotRecalled:
		return "Đã thu hồi"
	}
	return string(s)
}

func certStateLabel(s ocop.CertState) string {
	switch s {
	case ocop.CertStateActive:
		return "Còn hiệu lực"
	case ocop.CertStateExpired:
		return "Hết hiệu lực (quá 36 tháng)"
	case ocop.CertStateRevoked:
		return "Đã bị thu hồi"
	case ocop.CertStateSuperseded:
		return "Đã được thay thế bằng quyết định mới"
	case ocop.CertStateNotYet:
		return "Chưa đến ngày hiệu lực"
	}
	return "Chưa được chứng nhận"
}

// verifyData is the verification template's input.
type verifyData struct {
	V      *app.Verification
	Flags  []string // findings that set the verdict
	Info   []string // informational findings (expiry, lot on hold, certificate)
	Images []app.ProductImage
}

// Verification renders the verification page of v, with the product's
// photos when the stamp was traced to the product, so a shopper can
// compare the package in hand with the real one.
func Verification(w io.Writer, v *app.Verification) error {
	d := verifyData{V: v}
	if v.Trace != nil {
		d.Images = v.Trace.Images
	}
	for _, f := range v.Result.Flags {
		if f.Effect() != "" {
			d.Flags = append(d.Flags, FlagText(f, v.Result))
		} else {
			d.Info = append(d.Info, FlagText(f, v.Result))
		}
	}
	return render(w, "verify.html", d)
}

// Catalogue is the catalogue page's input: the query as understood, one
// page of products and the cursor of the next page ("" on the last).
type Catalogue struct {
	Query app.CatalogueQuery
	Items []app.ProductView
	Next  string
	Error string // a refused query, shown instead of results
}

type catalogueData struct {
	Catalogue
	Groups      []ocop.Group
	StarChoices []int
	NextURL     string
}

// CataloguePage renders the catalogue page.
func CataloguePage(w io.Writer, c Catalogue) error {
	d := catalogueData{Catalogue: c, Groups: ocop.Groups, StarChoices: []int{3, 4, 5}}
	if c.Next != "" {
		q := url.Values{}
		set := func(k, v string) {
			if v != "" {
				q.Set(k, v)
			}
		}
		set("q", c.Query.Text)
		set("group", c.Query.Group)
		if c.Query.Stars != 0 {
			q.Set("stars", strconv.Itoa(c.Query.Stars))
		}
		set("district_id", c.Query.DistrictID)
		set("market_id", c.Query.MarketID)
		q.Set("after", c.Next)
		d.NextURL = "/ocop?" + q.Encode()
	}
	return render(w, "catalogue.html", d)
}

// Message renders a one-message page (rate limited, unavailable). class
// picks the colour: invalid (red), suspicious (amber), genuine_repeat (green).
func Message(w io.Writer, class, title, text string) error {
	return render(w, "message.html", struct{ Class, Title, Text string }{class, title, text})
}

// render executes into a buffer, so a template error never leaves half a
// page on the wire.
func render(w io.Writer, name string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// provinceNames names provinces by code (Decision 124/2004/QĐ-TTg list,
// the same codes as app.ProvinceCodeOf) for the producer's address.
var provinceNames = map[string]string{
	"01": "Hà Nội", "02": "Hà Giang", "04": "Cao Bằng", "06": "Bắc Kạn", "08": "Tuyên Quang", "10": "Lào Cai",
	"11": "Điện Biên", "12": "Lai Châu", "14": "Sơn La", "15": "Yên Bái", "17": "Hòa Bình", "19": "Thái Nguyên",
	"20": "Lạng Sơn", "22": "Quảng Ninh", "24": "Bắc Giang", "25": "Phú Thọ", "26": "Vĩnh Phúc", "27": "Bắc Ninh",
	"30": "Hải Dương", "31": "Hải Phòng", "33": "Hưng Yên", "34": "Thái Bình", "35": "Hà Nam", "36": "Nam Định",
	"37": "Ninh Bình", "38": "Thanh Hóa", "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Bình", "45": "Quảng Trị",
	"46": "Huế", "48": "Đà Nẵng", "49": "Quảng Nam", "51": "Quảng Ngãi", "52": "Bình Định", "54": "Phú Yên",
	"56": "Khánh Hòa", "58": "Ninh Thuận", "60": "Bình Thuận", "62": "Kon Tum", "64": "Gia Lai", "66": "Đắk Lắk",
	"67": "Đắk Nông", "68": "Lâm Đồng", "70": "Bình Phước", "72": "Tây Ninh", "74": "Bình Dương", "75": "Đồng Nai",
	"77": "Bà Rịa – Vũng Tàu", "79": "TP. Hồ Chí Minh", "80": "Long An", "82": "Tiền Giang", "83": "Bến Tre",
	"84": "Trà Vinh", "86": "Vĩnh Long", "87": "Đồng Tháp", "89": "An Giang", "91": "Kiên Giang", "92": "Cần Thơ",
	"93": "Hậu Giang", "94": "Sóc Trăng", "95": "Bạc Liêu", "96": "Cà Mau",
}
