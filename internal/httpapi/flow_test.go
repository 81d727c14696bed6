package httpapi_test

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// TestFullFlow walks the foundation the way people use it, over HTTP, on
// every database: an admin sets up a district and market, a vendor signs up
// and registers a stall, staff approve it, shoppers get its QR, the vendor
// changes the bank account (back to pending), staff import a market, and
// sessions end.
func TestFullFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		login := func(phone, password string) sessionJSON {
			t.Helper()
			var s sessionJSON
			a.do(req{method: "POST", path: "/v1/auth/login", json: map[string]string{"phone": phone, "password": password}}).want(t, 200).decode(t, &s)
			return s
		}

		// The operator creates the first admin from the command line.
		if _, err := a.svc.CreateUser(bg, app.CreateUserInput{Phone: "0901000001", Password: "admin password", Name: "Quản trị", Role: market.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		admin := login("+84 901 000 001", "admin password")
		if admin.User.Role != "admin" || admin.User.DistrictID != nil || admin.User.Phone != "+84901000001" {
			t.Fatalf("admin session user = %+v", admin.User)
		}

		var d struct{ ID, Name, Province string }
		a.do(req{method: "POST", path: "/v1/districts", token: admin.Token, json: map[string]string{"name": "Vị Thủy", "province": "Hậu Giang"}}).want(t, 201).decode(t, &d)
		var m struct {
			ID         string `json:"id"`
			DistrictID string `json:"district_id"`
		}
		a.do(req{method: "POST", path: "/v1/markets", token: admin.Token, json: map[string]string{"district_id": d.ID, "name": "Chợ Vị Thủy", "address": "Nàng Mau"}}).want(t, 201).decode(t, &m)
		if m.DistrictID != d.ID {
			t.Fatalf("market = %+v", m)
		}
		var ms listJSON[idJSON]
		a.do(req{method: "GET", path: "/v1/markets?district_id=" + d.ID}).want(t, 200).decode(t, &ms)
		if len(ms.Items) != 1 || ms.Items[0].ID != m.ID || ms.NextAfter != nil {
			t.Fatalf("markets of the district = %+v", ms)
		}
		a.do(req{method: "GET", path: "/v1/districts/" + d.ID}).want(t, 200)
		a.do(req{method: "GET", path: "/v1/markets/" + m.ID}).want(t, 200)

		if _, err := a.svc.CreateUser(bg, app.CreateUserInput{Phone: "0901000002", Password: "staff password", Name: "Cán bộ", Role: market.RoleStaff, DistrictID: d.ID}); err != nil {
			t.Fatal(err)
		}
		staff := login("0901000002", "staff password")
		if staff.User.DistrictID == nil || *staff.User.DistrictID != d.ID {
			t.Fatalf("staff district = %v", staff.User.DistrictID)
		}

		// A vendor signs up.
		var vendor sessionJSON
		a.do(req{method: "POST", path: "/v1/auth/register", json: map[string]string{"phone": "0912 345 678", "password": "rau sạch mỗi ngày", "name": "Cô Ba"}}).want(t, 201).decode(t, &vendor)
		var me userJSON
		a.do(req{method: "GET", path: "/v1/me", token: vendor.Token}).want(t, 200).decode(t, &me)
		if me != vendor.User || me.Role != "vendor" || me.Phone != "+84912345678" || me.DistrictID != nil {
			t.Fatalf("me = %+v, registered %+v", me, vendor.User)
		}
		if ts, err := time.Parse(time.RFC3339, me.CreatedAt); err != nil || ts.Location() != time.UTC || time.Since(ts) > time.Minute {
			t.Fatalf("created_at %q: want a recent RFC 3339 UTC time (%v)", me.CreatedAt, err)
		}

		// It registers a stall: pending, invisible to shoppers.
		var s stallJSON
		a.do(req{method: "POST", path: "/v1/stalls", token: vendor.Token, json: map[string]string{
			"market_id": m.ID, "stall_number": "a01", "name": "Rau sạch Cô Ba", "category": "vegetables",
			"bank_bin": "970436", "account_number": "0071000123456", "account_name": "Nguyễn Thị Ba"}}).want(t, 201).decode(t, &s)
		if s.Status != "pending" || s.StallNumber != "A01" || s.AccountName != "NGUYEN THI BA" || s.BankName != "Vietcombank" ||
			s.OwnerID == nil || *s.OwnerID != vendor.User.ID || s.DistrictID != d.ID || s.CreatedAt != s.UpdatedAt {
			t.Fatalf("stall = %+v", s)
		}
		a.do(req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr"}).wantProblem(t, 404, "not_found")
		a.do(req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr.png"}).wantProblem(t, 404, "not_found")

		// Staff approve it; approving twice is a conflict.
		var approved stallJSON
		a.do(req{method: "POST", path: "/v1/stalls/" + s.ID + "/approve", token: staff.Token}).want(t, 200).decode(t, &approved)
		if approved.Status != "active" || approved.ID != s.ID {
			t.Fatalf("approved = %+v", approved)
		}
		a.do(req{method: "POST", path: "/v1/stalls/" + s.ID + "/approve", token: staff.Token}).wantProblem(t, 409, "conflict")

		// Shoppers get its static VietQR.
		var qr struct {
			Payload string `json:"payload"`
			PNG     string `json:"png_url"`
			SVG     string `json:"svg_url"`
		}
		a.do(req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr"}).want(t, 200).decode(t, &qr)
		var dec struct {
			InitMethod    string `json:"init_method"`
			BIN           string `json:"bin"`
			AccountNumber string `json:"account_number"`
			ServiceCode   string `json:"service_code"`
			Amount        string `json:"amount"`
		}
		a.do(req{method: "POST", path: "/v1/vietqr/decode", json: map[string]string{"payload": qr.Payload}}).want(t, 200).decode(t, &dec)
		if dec.InitMethod != "static" || dec.BIN != "970436" || dec.AccountNumber != "0071000123456" || dec.ServiceCode != "QRIBFTTA" || dec.Amount != "" {
			t.Fatalf("decoded stall QR = %+v", dec)
		}
		if qr.PNG != "/v1/stalls/"+s.ID+"/qr.png" || qr.SVG != "/v1/stalls/"+s.ID+"/qr.svg" {
			t.Fatalf("image URLs = %s %s", qr.PNG, qr.SVG)
		}

		// The PNG scans back to the same payload, and revalidates with its ETag.
		img := a.do(req{method: "GET", path: qr.PNG}).want(t, 200)
		if ct := img.header.Get("Content-Type"); ct != "image/png" {
			t.Fatalf("Content-Type = %q", ct)
		}
		if got := scanPNG(t, img.body, 512); got != qr.Payload {
			t.Fatalf("PNG scans as %q, want %q", got, qr.Payload)
		}
		etag := img.header.Get("ETag")
		again := a.do(req{method: "GET", path: qr.PNG, header: map[string]string{"If-None-Match": etag}}).want(t, 304)
		if len(again.body) != 0 || again.header.Get("ETag") != etag {
			t.Fatalf("304 with body %d bytes, ETag %q", len(again.body), again.header.Get("ETag"))
		}
		a.do(req{method: "GET", path: qr.PNG, header: map[string]string{"If-None-Match": `"stale"`}}).want(t, 200)
		small := a.do(req{method: "GET", path: qr.PNG + "?size=256"}).want(t, 200)
		if small.header.Get("ETag") == etag || scanPNG(t, small.body, 256) != qr.Payload {
			t.Fatal("the 256 px image has the 512 px ETag or does not scan")
		}
		svg := a.do(req{method: "GET", path: qr.SVG}).want(t, 200)
		if ct := svg.header.Get("Content-Type"); ct != "image/svg+xml" || !bytes.Contains(svg.body, []byte("<svg")) || svg.header.Get("ETag") == "" {
			t.Fatalf("SVG: %q, %d bytes, ETag %q", ct, len(svg.body), svg.header.Get("ETag"))
		}

		// The vendor changes the receiving account: back to pending until
		// staff look again; the public QR disappears meanwhile.
		var changed stallJSON
		a.do(req{method: "PATCH", path: "/v1/stalls/" + s.ID, token: vendor.Token, json: map[string]string{"bank_bin": "970415", "account_number": "108001234567"}}).want(t, 200).decode(t, &changed)
		if changed.Status != "pending" || changed.BankName != "VietinBank" || changed.AccountNumber != "108001234567" || changed.Name != s.Name {
			t.Fatalf("after changing the account = %+v", changed)
		}
		a.do(req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr"}).wantProblem(t, 404, "not_found")
		a.do(req{method: "POST", path: "/v1/stalls/" + s.ID + "/approve", token: staff.Token}).want(t, 200)
		var qr2 struct{ Payload string }
		a.do(req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr"}).want(t, 200).decode(t, &qr2)
		if qr2.Payload == qr.Payload || !strings.Contains(qr2.Payload, "108001234567") {
			t.Fatalf("QR after the account change = %q", qr2.Payload)
		}
		if a.do(req{method: "GET", path: qr.PNG}).want(t, 200).header.Get("ETag") == etag {
			t.Fatal("the PNG of the new account has the old ETag")
		}
		var got stallJSON
		a.do(req{method: "GET", path: "/v1/stalls/" + s.ID, token: vendor.Token}).want(t, 200).decode(t, &got)
		if got.Status != "active" || got.AccountNumber != "108001234567" {
			t.Fatalf("stall = %+v", got)
		}

		// Suspension takes the QR down again.
		a.do(req{method: "POST", path: "/v1/stalls/" + s.ID + "/suspend", token: staff.Token}).want(t, 200)
		a.do(req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr.svg"}).wantProblem(t, 404, "not_found")

		// More stalls, listed page by page.
		want := []string{s.ID}
		for i := 2; i <= 4; i++ {
			var n stallJSON
			a.do(req{method: "POST", path: "/v1/stalls", token: vendor.Token, json: stallRequest(m.ID, fmt.Sprintf("A%02d", i))}).want(t, 201).decode(t, &n)
			want = append(want, n.ID)
		}
		var seen []string
		path := "/v1/stalls?limit=2"
		for pages := 0; ; pages++ {
			var l listJSON[stallJSON]
			a.do(req{method: "GET", path: path, token: vendor.Token}).want(t, 200).decode(t, &l)
			for _, it := range l.Items {
				seen = append(seen, it.ID)
			}
			if l.NextAfter == nil {
				if pages != 2 || len(l.Items) != 0 {
					t.Fatalf("last page %d had %d items", pages, len(l.Items))
				}
				break
			}
			if len(l.Items) != 2 || *l.NextAfter != l.Items[1].ID {
				t.Fatalf("page %d: %d items, next_after %s", pages, len(l.Items), *l.NextAfter)
			}
			path = "/v1/stalls?limit=2&after=" + *l.NextAfter
		}
		if strings.Join(seen, ",") != strings.Join(want, ",") {
			t.Fatalf("paged stalls = %v, want %v", seen, want)
		}

		// Staff import the rest of the market; the vendor owns one of them.
		csv := "stall_number,name,category,bank_bin,account_number,account_name,owner_phone\n"
		for i := 1; i <= 10; i++ {
			owner := ""
			if i == 7 {
				owner = "0912345678"
			}
			csv += fmt.Sprintf("B%02d,Sạp %d,seafood,970418,22012345%02d,TRAN VAN LOC,%s\n", i, i, i, owner)
		}
		var res struct {
			Rows, Created int
			Errors        []any
		}
		r := a.do(req{method: "POST", path: "/v1/markets/" + m.ID + "/stalls/import", token: staff.Token, raw: &csv, ctype: "text/csv; charset=utf-8"}).want(t, 201)
		r.decode(t, &res)
		if res.Rows != 10 || res.Created != 10 || res.Errors == nil || len(res.Errors) != 0 {
			t.Fatalf("import result = %s", r.body)
		}
		var active listJSON[stallJSON]
		a.do(req{method: "GET", path: "/v1/stalls?status=active&market_id=" + m.ID, token: staff.Token}).want(t, 200).decode(t, &active)
		if len(active.Items) != 10 {
			t.Fatalf("%d active stalls after the import, want 10", len(active.Items))
		}
		var mine listJSON[stallJSON]
		a.do(req{method: "GET", path: "/v1/stalls", token: vendor.Token}).want(t, 200).decode(t, &mine)
		if len(mine.Items) != 5 || mine.Items[4].StallNumber != "B07" || mine.Items[4].Status != "active" {
			t.Fatalf("vendor's stalls after the import: %d, last %+v", len(mine.Items), mine.Items[len(mine.Items)-1])
		}

		// A dynamic QR for a known amount.
		var enc struct{ Payload string }
		a.do(req{method: "POST", path: "/v1/vietqr/encode", json: map[string]string{"bin": "970436", "account_number": "0071000123456",
			"amount": "50000", "purpose": "Thanh toán rau", "merchant_name": "Cô Ba", "merchant_city": "Hậu Giang"}}).want(t, 200).decode(t, &enc)
		var dyn struct {
			InitMethod   string `json:"init_method"`
			Amount       string `json:"amount"`
			Purpose      string `json:"purpose"`
			MerchantName string `json:"merchant_name"`
		}
		a.do(req{method: "POST", path: "/v1/vietqr/decode", json: map[string]string{"payload": enc.Payload}}).want(t, 200).decode(t, &dyn)
		if dyn.InitMethod != "dynamic" || dyn.Amount != "50000" || dyn.Purpose != "Thanh toan rau" || dyn.MerchantName != "Co Ba" {
			t.Fatalf("decoded dynamic QR = %+v", dyn)
		}

		// Logout ends the session; the token is refused even on public endpoints.
		a.do(req{method: "POST", path: "/v1/auth/logout", token: vendor.Token}).want(t, 204)
		gone := a.do(req{method: "GET", path: "/v1/me", token: vendor.Token}).wantProblem(t, 401, "unauthenticated")
		if gone.Detail != "invalid or expired token" {
			t.Fatalf("detail = %q", gone.Detail)
		}
		a.do(req{method: "GET", path: "/v1/banks", token: vendor.Token}).wantProblem(t, 401, "unauthenticated")
		if again := login("0912345678", "rau sạch mỗi ngày"); again.Token == vendor.Token {
			t.Fatal("a new login reuses the old token")
		}
	})
}

// scanPNG decodes a PNG of edge px and reads its QR code.
func scanPNG(t *testing.T, b []byte, px int) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != px || h != px {
		t.Fatalf("PNG is %d×%d, want %d×%d", w, h, px, px)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("PNG does not scan: %v", err)
	}
	return res.GetText()
}
