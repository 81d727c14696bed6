package mockbank

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/market4/market4/pkg/vietqr"
)

// The banking app's screens, step by step, through the real router.

// appClient drives the app like a browser without JavaScript: it follows
// nothing by itself, so every redirect is checked.
type appClient struct {
	t    testing.TB
	base string
	c    *http.Client
}

func newAppClient(t testing.TB, e *env) *appClient {
	return &appClient{t: t, base: e.api.URL, c: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

// page is one answer: status, Location, body and headers.
type pageResp struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (c *appClient) do(req *http.Request) pageResp {
	c.t.Helper()
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return pageResp{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b), header: res.Header}
}

func (c *appClient) get(path string) pageResp {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	return c.do(req)
}

func (c *appClient) postForm(path string, v url.Values) pageResp {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// scan posts the scan form as a browser does (multipart, the file input
// always present, empty when no file was chosen).
func (c *appClient) scan(from, payload string, image []byte) pageResp {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("from_account", from)
	fw, _ := mw.CreateFormFile("qr_image", map[bool]string{true: "qr.png", false: ""}[image != nil])
	_, _ = fw.Write(image)
	_ = mw.WriteField("qr_payload", payload)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/mockbank/app/scan", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var noncePattern = regexp.MustCompile(`name="nonce" value="([0-9a-f]+)"`)

// confirmAndPay follows a scan's redirect to the confirmation, checks it,
// then pays with the confirmation's nonce and returns the receipt's path.
func (c *appClient) confirmAndPay(scanned pageResp, amount string) (confirm pageResp, pay pageResp) {
	c.t.Helper()
	if scanned.status != http.StatusSeeOther || !strings.HasPrefix(scanned.location, "/mockbank/app/confirm?") {
		c.t.Fatalf("scan: %d %q\n%s", scanned.status, scanned.location, scanned.body)
	}
	confirm = c.get(scanned.location)
	if confirm.status != 200 {
		c.t.Fatalf("confirm: %d\n%s", confirm.status, confirm.body)
	}
	u, _ := url.Parse(scanned.location)
	m := noncePattern.FindStringSubmatch(confirm.body)
	if m == nil {
		c.t.Fatalf("confirm has no nonce:\n%s", confirm.body)
	}
	form := url.Values{"from_account": {u.Query().Get("from")}, "qr_payload": {u.Query().Get("qr")}, "nonce": {m[1]}}
	if amount != "" {
		form.Set("amount", amount)
	}
	return confirm, c.postForm("/mockbank/app/pay", form)
}

// mustContain fails unless body has every piece.
func mustContain(t testing.TB, where, body string, pieces ...string) {
	t.Helper()
	for _, p := range pieces {
		if !strings.Contains(body, p) {
			t.Errorf("%s: missing %q", where, p)
		}
	}
	if t.Failed() {
		t.Fatalf("%s:\n%s", where, body)
	}
}

// friendly checks an error page: the status, the Vietnamese message, the
// banner, and no Go error text.
func friendly(t testing.TB, where string, p pageResp, status int, msg ...string) {
	t.Helper()
	if p.status != status {
		t.Errorf("%s: status %d, want %d", where, p.status, status)
	}
	mustContain(t, where, p.body, append([]string{"SIMULATOR — không có tiền thật", `role="alert"`}, msg...)...)
	for _, leak := range []string{"mockbank:", "vietqr:", "gozxing", "runtime error", "goroutine", "multipart:", "<nil>"} {
		if strings.Contains(p.body, leak) {
			t.Errorf("%s: page leaks %q", where, leak)
		}
	}
}

// appEnv is a bank with a fixed clock: 07:03:05 UTC is 14:03:05 in Vietnam.
func appEnv(t testing.TB) (*env, *appClient) {
	t.Helper()
	at := time.Date(2026, 11, 22, 7, 3, 5, 0, time.UTC)
	e := newEnv(t, func(c *Config) { c.Now = func() time.Time { return at } })
	return e, newAppClient(t, e)
}

func qrPNG(t testing.TB, payload string, size int) []byte {
	t.Helper()
	b, err := vietqr.PNG(payload, size)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppPasteConfirmPayHistory(t *testing.T) {
	e, c := appEnv(t)
	home := c.get("/mockbank/")
	if home.status != 200 {
		t.Fatalf("home: %d", home.status)
	}
	mustContain(t, "home", home.body, "SIMULATOR — không có tiền thật", "Nguyễn Văn An", "5.000.000 ₫",
		`action="/mockbank/app/scan" enctype="multipart/form-data"`, `id="qr"`, `id="qrfile"`, `type="file"`, `lang="vi"`)

	payload := qr(t, stallBIN, stallAcct, "25000", "M4K3Q8ZP2A Rau cai")
	// A payload copied from a page arrives wrapped and padded.
	wrapped := "  " + payload[:40] + "\r\n" + payload[40:] + "\n"
	confirm, paid := c.confirmAndPay(c.scan(binh, wrapped, nil), "")
	mustContain(t, "confirm", confirm.body, "Xác nhận chuyển tiền", "MBBank", "Ngân hàng TMCP Quân đội", stallAcct,
		"25.000 ₫", "M4K3Q8ZP2A Rau cai", "Sap Hoa Qua Lan", "Trần Thị Bình", `id="pay"`, "Thanh toán 25.000 ₫")
	if strings.Contains(confirm.body, `name="amount" inputmode="numeric" autocomplete="off" required`) {
		t.Error("a QR with an amount must not require typing one")
	}
	if paid.status != http.StatusSeeOther || !strings.HasPrefix(paid.location, "/mockbank/app/receipt/") {
		t.Fatalf("pay: %d %q\n%s", paid.status, paid.location, paid.body)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(paid.location, "/mockbank/app/receipt/"), 10, 64)
	tx, ok := e.bank.Transaction(id)
	if !ok || tx.Amount != 25000 || tx.FromAccount != binh || tx.ToAccount != stallAcct || tx.OriginalContent != "M4K3Q8ZP2A Rau cai" {
		t.Fatalf("transaction: %+v", tx)
	}

	receipt := c.get(paid.location)
	mustContain(t, "receipt", receipt.body, "SIMULATOR", `class="ok"`, "Chuyển tiền thành công", "25.000 ₫",
		fmt.Sprint(id), tx.ReferenceCode, "14:03:05 22/11/2026", `datetime="2026-11-22T14:03:05&#43;07:00"`,
		"4.975.000 ₫", "Lịch sử giao dịch của Trần Thị Bình", "M4K3Q8ZP2A Rau cai", "−25.000 ₫", "Tới MBBank")

	hist := c.get("/mockbank/app/history/" + binh)
	mustContain(t, "history", hist.body, "Tài khoản người mua", "Trần Thị Bình", "4.975.000 ₫", "−25.000 ₫", "14:03:05 22/11/2026")
	payee := c.get("/mockbank/app/history/" + stallAcct + "?bin=" + stallBIN)
	mustContain(t, "payee history", payee.body, "Tài khoản nhận tiền (sạp)", "+25.000 ₫", "Từ Techcombank")

	// The home page lists the movement and where its notification is
	// (once delivered: read earlier, the state could change before the
	// page is fetched).
	tx = e.settle(t, id, 1)
	mustContain(t, "home after", c.get("/mockbank/").body, "Chuyển tiền 25.000 ₫", "Trần Thị Bình → Sap Hoa Qua Lan", deliveryText(tx.Delivery))
	// The address the page had before the receipt screen still works.
	if old := c.get(fmt.Sprintf("/mockbank/?tx=%d", id)); old.status != http.StatusSeeOther || old.location != paid.location {
		t.Errorf("old receipt URL: %d %q", old.status, old.location)
	}
}

// With the real clock the platform accepts the signed notification, and
// the receipt says so.
func TestAppReceiptShowsDelivery(t *testing.T) {
	e := newEnv(t, nil)
	c := newAppClient(t, e)
	_, paid := c.confirmAndPay(c.scan(an, qr(t, stallBIN, stallAcct, "15000", "M4DELIV"), nil), "")
	id, _ := strconv.ParseInt(strings.TrimPrefix(paid.location, "/mockbank/app/receipt/"), 10, 64)
	if tx := e.settle(t, id, 1); tx.Delivery != DeliveryDelivered {
		t.Fatalf("delivery %q", tx.Delivery)
	}
	mustContain(t, "receipt", c.get(paid.location).body, "Market4 đã nhận thông báo", `data-state="delivered"`)
	mustContain(t, "home", c.get("/mockbank/").body, "Market4 đã nhận thông báo")
}

func TestAppPayIsOncePerConfirmation(t *testing.T) {
	e, c := appEnv(t)
	scanned := c.scan(an, qr(t, stallBIN, stallAcct, "10000", "M4AAAA"), nil)
	u, _ := url.Parse(scanned.location)
	m := noncePattern.FindStringSubmatch(c.get(scanned.location).body)
	if m == nil {
		t.Fatal("no nonce")
	}
	form := url.Values{"from_account": {an}, "qr_payload": {u.Query().Get("qr")}, "nonce": {m[1]}}
	// A double click without JavaScript: two submissions at once, then
	// Back and Pay again.
	locs := make(chan string, 3)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			locs <- c.postForm("/mockbank/app/pay", form).location
		}()
	}
	wg.Wait()
	locs <- c.postForm("/mockbank/app/pay", form).location
	close(locs)
	var seen []string
	for l := range locs {
		seen = append(seen, l)
	}
	if seen[0] == "" || seen[0] != seen[1] || seen[1] != seen[2] {
		t.Fatalf("receipts %q", seen)
	}
	if got := len(e.bank.Transactions(10)); got != 1 {
		t.Fatalf("%d transactions, want 1", got)
	}
	// A new confirmation (a new nonce) is a new payment.
	c.confirmAndPay(scanned, "")
	if got := len(e.bank.Transactions(10)); got != 2 {
		t.Fatalf("%d transactions, want 2", got)
	}
}

func TestAppUploadPNG(t *testing.T) {
	e, c := appEnv(t)
	payload := qr(t, stallBIN, stallAcct, "35000", "M4QR35 Ca loc")
	for _, size := range []int{128, 512, 1024} {
		scanned := c.scan(an, "", qrPNG(t, payload, size))
		if scanned.status != http.StatusSeeOther {
			t.Fatalf("%d px: %d\n%s", size, scanned.status, scanned.body)
		}
		u, _ := url.Parse(scanned.location)
		if got := u.Query().Get("qr"); got != payload {
			t.Fatalf("%d px: decoded %q, want %q", size, got, payload)
		}
	}
	confirm, paid := c.confirmAndPay(c.scan(an, "", qrPNG(t, payload, 400)), "")
	mustContain(t, "confirm", confirm.body, stallAcct, "35.000 ₫", "MBBank", "M4QR35 Ca loc")
	if paid.status != http.StatusSeeOther {
		t.Fatalf("pay: %d\n%s", paid.status, paid.body)
	}
	if tx := e.bank.Transactions(1)[0]; tx.Amount != 35000 || tx.ToAccount != stallAcct {
		t.Fatalf("paid %+v", tx)
	}
	// The image wins over a stale pasted payload.
	other := qr(t, stallBIN, "1234567", "1000", "")
	scanned := c.scan(an, other, qrPNG(t, payload, 300))
	if u, _ := url.Parse(scanned.location); u == nil || u.Query().Get("qr") != payload {
		t.Errorf("image and paste: %q", scanned.location)
	}
}

// screenshot draws a QR into a phone-sized picture full of other things:
// a status bar, a header, lines of "text", a photo-like gradient, a
// second (non-VietQR) code, as a screenshot of a chat or a web page is.
func screenshot(t testing.TB, payload string, qrSize int, extra string) *image.RGBA {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1080, 2340))
	fill := func(r image.Rectangle, c color.Color) {
		draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
	}
	fill(img.Bounds(), color.RGBA{0xf4, 0xf1, 0xea, 0xff})
	fill(image.Rect(0, 0, 1080, 90), color.RGBA{0x20, 0x20, 0x20, 0xff})
	fill(image.Rect(0, 90, 1080, 260), color.RGBA{0x0a, 0x6b, 0x2e, 0xff})
	for y := 300; y < 2300; y += 70 { // lines of text
		w := 300 + (y*37)%600
		fill(image.Rect(60, y, 60+w, y+26), color.RGBA{0x33, 0x33, 0x33, 0xff})
	}
	for y := 1500; y < 2000; y++ { // a photo
		for x := 60; x < 1020; x++ {
			img.Set(x, y, color.RGBA{uint8(x / 5), uint8(y / 9), uint8((x + y) / 11), 0xff})
		}
	}
	card := image.Rect(200, 500, 880, 1260)
	fill(card, color.White)
	// The code is scaled from 512 px by a non-integer ratio with
	// smoothing, as a phone scales an image it shows: module edges blur.
	src, err := png.Decode(bytes.NewReader(qrPNG(t, payload, 512)))
	if err != nil {
		t.Fatal(err)
	}
	g := src.(*image.Gray)
	at := image.Pt(540-qrSize/2, 560)
	for y := range qrSize {
		for x := range qrSize {
			var sum, n int
			for yy := y * 512 / qrSize; yy < (y+1)*512/qrSize; yy++ {
				for xx := x * 512 / qrSize; xx < (x+1)*512/qrSize; xx++ {
					sum += int(g.GrayAt(xx, yy).Y)
					n++
				}
			}
			v := uint8(sum / n)
			img.SetRGBA(at.X+x, at.Y+y, color.RGBA{v, v, v, 0xff})
		}
	}
	if extra != "" {
		src, err := png.Decode(bytes.NewReader(qrPNG(t, extra, 200)))
		if err != nil {
			t.Fatal(err)
		}
		at := image.Pt(800, 2060)
		draw.Draw(img, image.Rectangle{at, at.Add(image.Pt(200, 200))}, src, image.Point{}, draw.Src)
	}
	return img
}

func TestAppUploadScreenshot(t *testing.T) {
	_, c := appEnv(t)
	payload := qr(t, stallBIN, stallAcct, "120000", "M4SHOT01 Thit heo")
	encode := func(img image.Image, quality int) []byte {
		var b bytes.Buffer
		var err error
		if quality == 0 {
			err = png.Encode(&b, img)
		} else {
			err = jpeg.Encode(&b, img, &jpeg.Options{Quality: quality})
		}
		if err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	big := screenshot(t, payload, 420, "https://market4.vn/s/abc")
	small := screenshot(t, payload, 180, "")
	for name, data := range map[string][]byte{
		"png 420 px and a second QR": encode(big, 0),
		"jpeg q80 420 px":            encode(big, 80),
		"jpeg q60 180 px":            encode(small, 60),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			scanned := c.scan(an, "", data)
			if scanned.status != http.StatusSeeOther {
				t.Fatalf("%d bytes: %d\n%s", len(data), scanned.status, scanned.body)
			}
			u, _ := url.Parse(scanned.location)
			if got := u.Query().Get("qr"); got != payload {
				t.Fatalf("decoded %q", got)
			}
			confirm := c.get(scanned.location)
			mustContain(t, "confirm", confirm.body, stallAcct, "120.000 ₫", "M4SHOT01 Thit heo")
			t.Logf("%s screenshot, %d KB, read in %v", name, len(data)>>10, time.Since(start).Round(time.Millisecond))
		})
	}
}

// encodePNG encodes img for a test.
func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAppUploadErrors(t *testing.T) {
	_, c := appEnv(t)
	noise := image.NewGray(image.Rect(0, 0, 300, 300))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(r.IntN(256))
	}
	blank := image.NewGray(image.Rect(0, 0, 400, 400))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	good := qrPNG(t, qr(t, stallBIN, stallAcct, "1000", ""), 256)
	// A PNG header claiming 100000×100000 pixels: refused before decoding.
	bomb := append([]byte(nil), good[:33]...)
	copy(bomb[16:], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	bomb = append(bomb, good[33:]...)

	for _, tc := range []struct {
		name   string
		data   []byte
		status int
		msg    []string
	}{
		{"noise", encodePNG(t, noise), 422, []string{"Không tìm thấy mã QR trong ảnh"}},
		{"blank", encodePNG(t, blank), 422, []string{"Không tìm thấy mã QR trong ảnh"}},
		{"text file", []byte("đây không phải ảnh"), 415, []string{"Không phải ảnh PNG hoặc JPEG"}},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 415, []string{"Không phải ảnh PNG hoặc JPEG"}},
		{"truncated png", good[:len(good)/2], 422, []string{"Không đọc được ảnh"}},
		{"truncated jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), 422, []string{"Không đọc được ảnh"}},
		{"huge dimensions", bomb, 422, []string{"quá nhiều điểm ảnh"}},
		{"not a VietQR", qrPNG(t, "https://market4.vn/s/abc", 256), 422,
			[]string{"Ảnh có mã QR nhưng không phải VietQR hợp lệ", "https://market4.vn/s/abc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := c.scan(an, "", tc.data)
			friendly(t, tc.name, p, tc.status, tc.msg...)
			mustContain(t, tc.name, p.body, `id="qrfile"`, `aria-invalid="true"`)
		})
	}
}

func TestAppOversizeUpload(t *testing.T) {
	_, c := appEnv(t)
	big := make([]byte, maxUploadBytes+1)
	copy(big, "\x89PNG\r\n\x1a\n")
	// With a Content-Length over the limit, and streamed (chunked, no
	// length): both refused with the page, not a reset connection.
	p := c.scan(an, "", big)
	friendly(t, "oversize", p, http.StatusRequestEntityTooLarge, "Ảnh quá lớn", "tối đa 2 MB")

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("from_account", an)
	fw, _ := mw.CreateFormFile("qr_image", "big.png")
	_, _ = fw.Write(big)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/mockbank/app/scan", io.MultiReader(&buf)) // unknown length
	req.Header.Set("Content-Type", mw.FormDataContentType())
	p = c.do(req)
	friendly(t, "oversize chunked", p, http.StatusRequestEntityTooLarge, "Ảnh quá lớn")

	// Just under the limit is read (and found not to be an image).
	p = c.scan(an, "", big[:maxUploadBytes-1024])
	friendly(t, "just under", p, http.StatusUnprocessableEntity, "Không đọc được ảnh")
}

func TestAppStaticQRAsksForAmount(t *testing.T) {
	e, c := appEnv(t)
	static := qr(t, stallBIN, stallAcct, "", "")
	scanned := c.scan(an, static, nil)
	confirm := c.get(scanned.location)
	mustContain(t, "confirm", confirm.body, "Số tiền cần chuyển (đồng)", `id="amount" name="amount"`, "required",
		"Mã tĩnh: bạn tự nhập số tiền", "NGUYEN VAN AN chuyen tien")
	u, _ := url.Parse(scanned.location)
	form := func(amount string) url.Values {
		return url.Values{"from_account": {an}, "qr_payload": {u.Query().Get("qr")}, "amount": {amount}}
	}
	friendly(t, "no amount", c.postForm("/mockbank/app/pay", form("")), 422, "Chưa nhập số tiền", "Mã QR tĩnh", `id="amount"`, `aria-invalid="true"`)
	for _, bad := range []string{"50,5", "50.5", "abc", "-5", "0", "1.0000", "500.000.000"} {
		p := c.postForm("/mockbank/app/pay", form(bad))
		friendly(t, "amount "+bad, p, 422, "Số tiền", `id="amount"`)
		if !strings.Contains(p.body, "value=\""+bad+"\"") {
			t.Errorf("amount %q not kept for correction", bad)
		}
	}
	p := c.postForm("/mockbank/app/pay", form("50.000"))
	if p.status != http.StatusSeeOther {
		t.Fatalf("pay 50.000: %d\n%s", p.status, p.body)
	}
	if tx := e.bank.Transactions(1)[0]; tx.Amount != 50000 || tx.QRAmount != 0 {
		t.Fatalf("paid %+v", tx)
	}
}

func TestAppErrors(t *testing.T) {
	e, c := appEnv(t)
	good := qr(t, stallBIN, stallAcct, "25000", "M4ERR")
	corrupt := good[:len(good)-1] + map[bool]string{true: "0", false: "1"}[good[len(good)-1] != '0']
	friendly(t, "crc", c.scan(an, corrupt, nil), 422, "Mã QR không hợp lệ", "mã kiểm tra CRC không khớp", "crc_mismatch", "trường <code>63</code>")
	friendly(t, "not vietqr", c.scan(an, "hello", nil), 422, "Mã QR không hợp lệ", `id="qr"`)
	friendly(t, "nothing", c.scan(an, "", nil), 422, "Chưa có mã QR")
	friendly(t, "no shopper", c.scan("", good, nil), 422, "Chưa chọn người mua")
	friendly(t, "unknown shopper", c.scan("999", good, nil), 422, "Không có tài khoản người mua này")
	if p := c.scan(an, "<script>alert(1)</script>", nil); strings.Contains(p.body, "<script>alert") {
		t.Error("payload not escaped")
	}

	// Insufficient funds: a shopper with 20.000 ₫.
	if _, err := e.bank.AddShopper(Shopper{Number: "0202", Name: "Ít Tiền", BIN: "970436", Balance: 20000}); err != nil {
		t.Fatal(err)
	}
	confirm, paid := c.confirmAndPay(c.scan("0202", good, nil), "")
	mustContain(t, "confirm short", confirm.body, "Số dư không đủ để trả 25.000 ₫")
	friendly(t, "insufficient", paid, 422, "Số dư không đủ", "Tài khoản còn 20.000 ₫, cần 25.000 ₫", `id="pay"`)
	// Paying less than the QR asks (the simulator's option) works.
	_, paid = c.confirmAndPay(c.scan("0202", good, nil), "20.000")
	if paid.status != http.StatusSeeOther {
		t.Fatalf("partial: %d\n%s", paid.status, paid.body)
	}
	receipt := c.get(paid.location)
	mustContain(t, "partial receipt", receipt.body, "20.000 ₫", "Số tiền trên mã QR", "25.000 ₫")

	// A hand-edited confirmation URL goes back to the scan step.
	friendly(t, "bad confirm", c.get("/mockbank/app/confirm?from="+an+"&qr=nope"), 422, "Mã QR không hợp lệ")
	nf := c.get("/mockbank/app/receipt/42")
	if nf.status != 404 || !strings.Contains(nf.body, "Không tìm thấy giao dịch này") || !strings.Contains(nf.body, "SIMULATOR") {
		t.Errorf("unknown receipt: %d", nf.status)
	}
	if nf := c.get("/mockbank/app/history/nobody"); nf.status != 404 || !strings.Contains(nf.body, "Không tìm thấy tài khoản") {
		t.Errorf("unknown history: %d", nf.status)
	}
	if nf := c.get("/mockbank/app/nope"); nf.status != 404 || !strings.Contains(nf.body, "SIMULATOR") {
		t.Errorf("unknown page: %d", nf.status)
	}
	for _, path := range []string{"/mockbank/app/scan", "/mockbank/app/pay"} {
		if p := c.get(path); p.status != http.StatusSeeOther || p.location != "/mockbank/" {
			t.Errorf("GET %s: %d %q", path, p.status, p.location)
		}
	}
	// A closed bank.
	e.bank.Close()
	_, paid = c.confirmAndPay(c.scan(an, good, nil), "")
	friendly(t, "closed", paid, 503, "Ngân hàng mô phỏng đã dừng hoạt động")
}

func TestAppHeadersAndAssets(t *testing.T) {
	e, c := appEnv(t)
	payload := qr(t, stallBIN, stallAcct, "1000", "")
	_, paid := c.confirmAndPay(c.scan(an, payload, nil), "")
	u, _ := url.Parse(c.scan(an, payload, nil).location)
	pages := []string{"/mockbank/", u.RequestURI(), paid.location, "/mockbank/app/history/" + an, "/mockbank/app/nope"}
	inline := regexp.MustCompile(`(?i)\son[a-z]+=|\sstyle=|<style|javascript:`)
	scripts := regexp.MustCompile(`(?i)<script[^>]*>[^<]*</script>`)
	asset := regexp.MustCompile(`(?:href|src)="(/mockbank/static/[^"]+)"`)
	for _, path := range pages {
		p := c.get(path)
		if got := p.header.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'self'") || strings.Contains(got, "unsafe") {
			t.Errorf("%s: CSP %q", path, got)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", path, p.header)
		}
		if !strings.Contains(p.body, `<header class="sim">`) || !strings.Contains(p.body, "SIMULATOR — không có tiền thật") {
			t.Errorf("%s: no simulator banner", path)
		}
		if m := inline.FindString(p.body); m != "" {
			t.Errorf("%s: inline script or style %q", path, m)
		}
		tags := scripts.FindAllString(p.body, -1)
		if len(tags) != strings.Count(strings.ToLower(p.body), "<script") {
			t.Errorf("%s: a script tag is not an empty external one", path)
		}
		for _, tag := range tags {
			if !strings.Contains(tag, ` src="/mockbank/static/`) || !strings.HasSuffix(tag, "></script>") {
				t.Errorf("%s: inline script %q", path, tag)
			}
		}
		if strings.Contains(p.body, "http://") || strings.Contains(p.body, "https://") {
			t.Errorf("%s: refers to another origin", path)
		}
		for _, m := range asset.FindAllStringSubmatch(p.body, -1) {
			a := c.get(m[1])
			if a.status != 200 || !strings.Contains(a.header.Get("Cache-Control"), "immutable") ||
				a.header.Get("Content-Security-Policy") == "" || len(a.body) < 100 {
				t.Errorf("%s: %d %v", m[1], a.status, a.header)
			}
		}
	}
	css := c.get("/mockbank/static/bank.css")
	if css.status != 200 || css.header.Get("Content-Type") != "text/css; charset=utf-8" || css.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("bank.css: %d %v", css.status, css.header)
	}
	js := c.get("/mockbank/static/bank.js")
	if js.status != 200 || js.header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("bank.js: %d %v", js.status, js.header)
	}
	req, _ := http.NewRequest(http.MethodGet, c.base+"/mockbank/static/bank.js", nil)
	req.Header.Set("If-None-Match", js.header.Get("ETag"))
	if p := c.do(req); p.status != http.StatusNotModified {
		t.Errorf("revalidation: %d", p.status)
	}
	if p := c.get("/mockbank/static/nope.js"); p.status != 404 {
		t.Errorf("unknown asset: %d", p.status)
	}
	// The JSON API is untouched by the app: no page headers there.
	status, _ := e.do(t, http.MethodGet, "/mockbank/v1/accounts", nil, "")
	if status != 200 {
		t.Errorf("accounts: %d", status)
	}
}

func TestParseAmountInput(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"50000", 50000, true}, {"50.000", 50000, true}, {"50 000", 50000, true}, {"50\u00a0000", 50000, true},
		{"1.234.567", 1234567, true}, {" 7 ", 7, true}, {"50.000 ₫", 50000, true}, {"50.000đ", 50000, true},
		{"50000 VND", 50000, true}, {"50.000vnđ", 50000, true}, {"20000 đồng", 20000, true}, {"007", 7, true},
		{"499.999.999", 499999999, true},
		{"", 0, false}, {"₫", 0, false}, {"0", 0, false}, {"000", 0, false}, {"-5", 0, false}, {"50,000", 0, false},
		{"50.5", 0, false}, {"5.0000", 0, false}, {"1234.567", 0, false}, {".500", 0, false}, {"500.", 0, false},
		{"50..000", 0, false}, {"1e6", 0, false}, {"500.000.000", 0, false}, {"99999999999999999999", 0, false},
		{"５０", 0, false}, {"50 000 000 000 000", 0, false},
	} {
		got, msg := parseAmountInput(tc.in)
		if tc.ok != (msg == "") || got != tc.want {
			t.Errorf("parseAmountInput(%q) = %d, %q; want %d, ok %v", tc.in, got, msg, tc.want, tc.ok)
		}
	}
}

func FuzzParseAmountInput(f *testing.F) {
	for _, s := range []string{"50000", "50.000", "1 234", "50.000 ₫", "đ", "Đ", "İ₫", "0.0", "\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, msg := parseAmountInput(s)
		if msg == "" && (n <= 0 || n >= maxAmount) {
			t.Fatalf("%q accepted as %d", s, n)
		}
		if msg != "" && n != 0 {
			t.Fatalf("%q refused with amount %d", s, n)
		}
	})
}

// FuzzReadQRImage: whatever the bytes, reading never panics and fails
// only with the documented errors.
func FuzzReadQRImage(f *testing.F) {
	good, _ := vietqr.PNG("00020101021138540010A00000072701240006970422011009998887770208QRIBFTTA53037045802VN6304ABCD", 128)
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		texts, err := readQRImage(data)
		switch err {
		case nil:
			if len(texts) == 0 {
				t.Fatal("no texts and no error")
			}
		case errImageFormat, errImageTooLarge, errImageCorrupt, errNoQR:
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}
