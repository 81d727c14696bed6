package web_test

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/market4/market4/internal/browsertest"
	"github.com/market4/market4/pkg/vietqr"
)

// Browser tests: the real pages in headless Chromium against the whole
// product in-process. They skip without Chromium unless
// MARKET4_REQUIRE_BROWSER=1.

var q = chromedp.ByQuery

func login(phone string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.WaitVisible("#v-login", q),
		chromedp.SendKeys("#login-phone", phone, q),
		chromedp.SendKeys("#login-pw", testPassword, q),
		chromedp.Click("#login-form button[type=submit]", q),
	}
}

// (a) A trader signs up and registers a stall (bank picked by searching
// without accents), staff approve it on their screen, and the stall's QR
// then shows in the vendor app and pays the account entered.
func TestBrowserRegistrationApproval(t *testing.T) {
	b := newBrowser(t)
	p := startProduct(t)
	v := b.tab(2 * time.Minute)

	dir := browsertest.Artifacts(t)
	v.run(chromedp.Navigate(p.base+"/app/register"), chromedp.WaitVisible("#r-account", q))
	v.audit("register: account")
	v.run(chromedp.SendKeys("#ra-name", "Lê Văn Bảy", q),
		chromedp.SendKeys("#ra-phone", "0987 654 321", q),
		chromedp.SendKeys("#ra-pw", "short", q),
		chromedp.Click("#account-form button[type=submit]", q),
		// The server's refusal is shown next to the field, in Vietnamese.
		waitText("#ra-password-err", "Mật khẩu cần từ 8 đến 128 ký tự"),
		chromedp.SetValue("#ra-pw", "", q),
		chromedp.SendKeys("#ra-pw", testPassword, q),
		chromedp.Click("#account-form button[type=submit]", q),
		chromedp.WaitVisible("#r-stall", q),
		waitJS(`document.querySelectorAll('#rs-market option').length > 1 && document.querySelector('#rs-market').value !== ''`),
	)
	v.audit("register: stall")
	v.run(chromedp.SendKeys("#rs-number", "c07", q),
		chromedp.SendKeys("#rs-name", "Rau Bảy Vị Thủy", q),
		chromedp.SetValue("#rs-cat", "vegetables", q),
		// Vietnamese-insensitive search: "ngoai thuong" finds Ngoại thương (Vietcombank).
		// By BIN and by short name, any case:
		chromedp.SendKeys("#bank-q", "970407", q),
		waitJS(`[...document.querySelectorAll('#bank-list input')].map(i => i.value).join() === '970407'`),
		chromedp.SetValue("#bank-q", "", q),
		chromedp.SendKeys("#bank-q", "AGRI", q),
		waitJS(`document.querySelector('#bank-list input') && document.querySelector('#bank-list input').value === '970405'`),
		chromedp.SetValue("#bank-q", "", q),
		chromedp.SendKeys("#bank-q", "ngoai thuong", q),
		waitJS(`document.querySelector('#bank-list input') && document.querySelector('#bank-list input').value === '970436'`),
		chromedp.Click(`#bank-list input[value="970436"]`, q),
		waitText("#bank-chosen", "Vietcombank"),
		chromedp.SendKeys("#rs-acct", "0071000555777", q),
		chromedp.SendKeys("#rs-acname", "le van bay", q),
		chromedp.Click("#stall-form button[type=submit]", q),
		chromedp.WaitVisible("#r-wait", q),
		waitText("#rw-status", "Chờ duyệt"),
		waitText("#rw-stall", "C07"),
	)
	v.audit("register: waiting")
	shot(t, v, filepath.Join(dir, "register-waiting-360x740.png"))

	s := b.tab(time.Minute)
	s.run(chromedp.Navigate(p.base+"/staff"),
		chromedp.WaitVisible("#s-login", q),
		chromedp.SendKeys("#sl-phone", staffPhone, q),
		chromedp.SendKeys("#sl-pw", testPassword, q),
		chromedp.Click("#staff-login button[type=submit]", q),
		waitText("#s-stalls", "C07 · Rau Bảy Vị Thủy"),
		// Staff check where the money goes before approving.
		waitText("#s-stalls", "0071000555777"),
		waitText("#s-stalls", "LE VAN BAY"),
		waitText("#s-stalls", "Chợ Vị Thủy"),
	)
	s.audit("staff: pending list")
	shot(t, s, filepath.Join(dir, "staff-pending-360x740.png"))
	s.run(chromedp.Click(`#s-stalls button[data-act="approve"]`, q),
		waitText("#s-msg", "Đã duyệt sạp C07"),
		waitJS(`document.querySelectorAll('#s-stalls li').length === 0`),
	)
	s.noErrors()

	var stallPayload string
	v.run(chromedp.Click("#rw-check", q),
		chromedp.WaitVisible("#rw-open", q),
		waitText("#rw-msg", "Sạp đã được duyệt"),
		chromedp.Click("#rw-open", q),
		chromedp.WaitVisible("#v-sell", q),
		waitText("#stall-name", "C07 · Rau Bảy Vị Thủy"),
		waitText("#conn", "Trực tuyến"),
		chromedp.Click("#show-static", q),
		chromedp.WaitVisible("#ov-static", q),
		waitText("#st-name", "C07 · Rau Bảy Vị Thủy"),
		waitText("#st-bank", "Vietcombank"),
	)
	stallPayload = v.scanQR("#st-qr")
	qr, err := vietqr.Decode(stallPayload)
	must(t, err)
	if qr.BIN != "970436" || qr.AccountNumber != "0071000555777" || qr.Dynamic {
		t.Errorf("the stall QR on screen pays %+v", qr)
	}
	v.noErrors()
}

// (b) The vendor logs in on a 360 px phone: login and selling screens
// render, fit the width, work from the keyboard, and screenshots are kept.
func TestBrowserVendorScreens(t *testing.T) {
	b := newBrowser(t)
	p := startProduct(t)
	st := p.activeStall(vendorPhone, "A01", "Rau sạch Cô Ba", "0071000123456")
	v := b.tab(time.Minute)
	dir := browsertest.Artifacts(t)

	v.run(chromedp.Navigate(p.base+"/"), waitText("h1", "Chợ 4.0"))
	v.audit("landing")
	v.run(chromedp.Navigate(p.base+"/app"), chromedp.WaitVisible("#v-login", q))
	v.audit("vendor: login")
	shot(t, v, filepath.Join(dir, "vendor-login-360x740.png"))
	v.run(login(vendorPhone)...)
	v.run(chromedp.WaitVisible("#v-sell", q),
		waitText("#stall-name", "A01 · Rau sạch Cô Ba"),
		waitText("#conn", "Trực tuyến"),
		waitText("#total", "0 ₫"),
		// Keyboard: digits and Backspace drive the keypad.
		chromedp.Focus("#mute", q),
		chromedp.KeyEvent("3"), chromedp.KeyEvent("5"), chromedp.KeyEvent("0"), chromedp.KeyEvent("0"), chromedp.KeyEvent("0"),
		waitText("#amount", "35.000 ₫"),
		chromedp.KeyEvent("\b"),
		waitText("#amount", "3.500 ₫"),
		chromedp.Click("#clear", q),
		waitText("#amount", "0 ₫"),
		chromedp.Click(`#keypad [data-k="5"]`, q),
		chromedp.Click(`#keypad [data-k="000"]`, q),
		waitText("#amount", "5.000 ₫"),
	)
	var overflow bool
	v.run(chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow))
	if overflow {
		t.Error("the selling screen is wider than a 360 px phone")
	}
	v.audit("vendor: selling")
	shot(t, v, filepath.Join(dir, "vendor-sell-360x740.png"))

	// Mute persists across reloads.
	var pressed string
	v.run(chromedp.Click("#mute", q), chromedp.Reload(), chromedp.WaitVisible("#v-sell", q),
		chromedp.AttributeValue("#mute", "aria-pressed", &pressed, nil, q))
	if pressed != "true" {
		t.Errorf("mute after reload: aria-pressed=%q", pressed)
	}

	v.run(chromedp.Click("#show-static", q), chromedp.WaitVisible("#ov-static", q), waitText("#st-name", "A01"))
	payload := v.scanQR("#st-qr")
	if qr, err := vietqr.Decode(payload); err != nil || qr.AccountNumber != st.AccountNumber {
		t.Errorf("static QR: %+v %v", qr, err)
	}
	v.audit("vendor: static QR")
	shot(t, v, filepath.Join(dir, "vendor-static-qr-360x740.png"))
	v.run(chromedp.KeyEvent("\x1b"), chromedp.WaitNotVisible("#ov-static", q))

	// English works end to end.
	v.run(chromedp.Click("a.lang", q), chromedp.WaitVisible("#v-sell", q), waitText("#sale-h", "New sale"), waitText("#conn", "Online"))
	v.audit("vendor: selling, English")
	v.noErrors()
}

// shot saves the 360×740 viewport and fails if the PNG is blank.
func shot(t *testing.T, v *tab, path string) {
	t.Helper()
	var buf []byte
	v.run(chromedp.Sleep(150*time.Millisecond), chromedp.CaptureScreenshot(&buf))
	img, err := png.Decode(bytes.NewReader(buf))
	must(t, err)
	if b := img.Bounds(); b.Dx() != 360 || b.Dy() != 740 {
		t.Errorf("%s: screenshot is %v, want 360×740", filepath.Base(path), b)
	}
	if vr := browsertest.Variance(img); vr < 200 {
		t.Errorf("%s: screenshot looks blank (pixel variance %.0f)", filepath.Base(path), vr)
	}
	must(t, os.WriteFile(path, buf, 0o644))
}

// (c) The public stall page needs no login and shows a scannable QR.
func TestBrowserPublicStall(t *testing.T) {
	b := newBrowser(t)
	p := startProduct(t)
	st := p.activeStall(vendorPhone, "B05", "Bánh xèo Má Sáu", "7100205123456")
	v := b.tab(time.Minute)
	v.run(chromedp.Navigate(p.base+"/s/"+st.ID),
		waitText("h1", "Bánh xèo Má Sáu"),
		waitText(".market", "Chợ Vị Thủy"),
		waitText("figcaption", "Vietcombank"),
	)
	var w float64
	v.run(chromedp.Evaluate(`document.querySelector('.qr svg').getBoundingClientRect().width`, &w))
	if w < 250 {
		t.Errorf("QR is %.0f px wide on a 360 px phone", w)
	}
	payload := v.scanQR(".qr")
	if qr, err := vietqr.Decode(payload); err != nil || qr.AccountNumber != "7100205123456" {
		t.Errorf("public QR: %+v %v", qr, err)
	}
	var body string
	v.run(chromedp.Text("body", &body, q))
	for _, secret := range []string{vendorPhone, "Cô Ba", "NGUYEN THI BA", "7100205123456"} {
		if strings.Contains(body, secret) {
			t.Errorf("public page shows %q", secret)
		}
	}
	v.audit("public stall page")
	shot(t, v, filepath.Join(browsertest.Artifacts(t), "public-stall-360x740.png"))
	v.noErrors()
}

// (d) The loop the product exists for: the vendor shows a 35.000 đ QR, a
// shopper (another browser context) scans it from the screen and pays in
// the mock bank's app, and the vendor's page — without reloading — shows
// the green confirmation, the announcement in its live region, the payment
// and the new total. Then a static-QR payment arrives and is refunded.
func TestBrowserPaymentLoop(t *testing.T) {
	b := newBrowser(t)
	p := startProduct(t)
	st := p.activeStall(vendorPhone, "A01", "Rau sạch Cô Ba", "0071000123456")
	v := b.tab(2 * time.Minute)
	v.run(chromedp.Navigate(p.base + "/app"))
	v.run(login(vendorPhone)...)
	v.run(chromedp.WaitVisible("#v-sell", q),
		waitText("#conn", "Trực tuyến"),
		chromedp.Evaluate(`window.__sameDocument = 'yes'`, nil),
		chromedp.Click(`#keypad [data-k="3"]`, q),
		chromedp.Click(`#keypad [data-k="5"]`, q),
		chromedp.Click(`#keypad [data-k="000"]`, q),
		waitText("#amount", "35.000 ₫"),
		chromedp.Click("#make-qr", q),
		chromedp.WaitVisible("#ov-dyn", q),
		waitText("#dyn-amount", "35.000 ₫"),
	)
	var timer, code string
	v.run(chromedp.Text("#dyn-timer", &timer, q), chromedp.Text("#dyn-code", &code, q))
	if !regexp.MustCompile(`^Hết hạn sau 1[45]:\d\d$`).MatchString(timer) {
		t.Errorf("countdown %q", timer)
	}
	v.audit("vendor: dynamic QR")
	payload := v.scanQR("#dyn-qr")
	qr, err := vietqr.Decode(payload)
	must(t, err)
	if !qr.Dynamic || qr.Amount != "35000" || qr.AccountNumber != st.AccountNumber || !strings.Contains(qr.Purpose, code) {
		t.Fatalf("dynamic QR on screen: %+v (code %q)", qr, code)
	}

	shopper := b.tab(time.Minute)
	shopper.run(chromedp.Navigate(p.base+"/mockbank/"),
		chromedp.WaitVisible("#qr", q),
		chromedp.SetValue("#qr", payload, q),
		chromedp.Click("#scan", q),
		chromedp.WaitVisible("#pay", q), // the bank app's confirmation screen
		chromedp.Click("#pay", q),
		chromedp.WaitVisible(".ok", q),
	)
	paid := time.Now() // the bank has taken the money; its webhook is on its way

	var live, polite, same string
	v.run(chromedp.WaitVisible("#dyn-done", q))
	shown := time.Since(paid)
	t.Logf("bank transfer done → payment shown on the vendor's page in %v", shown.Round(time.Millisecond))
	must(t, os.WriteFile(filepath.Join(browsertest.Artifacts(t), "webhook-to-page.txt"),
		[]byte(fmt.Sprintf("bank transfer done → payment shown on the vendor page: %v\n", shown.Round(time.Millisecond))), 0o644))
	v.run(chromedp.WaitVisible("#dyn-done", q),
		waitText("#dyn-done-text", "Đã nhận 35.000 ₫"),
		waitText("#announce", "Đã nhận 35.000 đồng"),
		chromedp.AttributeValue("#announce", "aria-live", &polite, nil, q),
		waitText("#total", "35.000 ₫"),
		waitText("#payments li", "Đã nhận"),
		waitText("#count", "1 lần nhận tiền"),
		chromedp.Evaluate(`String(window.__sameDocument)`, &same),
		chromedp.Text("#announce", &live, q),
	)
	if polite != "polite" || same != "yes" {
		t.Errorf("aria-live=%q, same document=%q", polite, same)
	}
	v.audit("vendor: paid")
	shot(t, v, filepath.Join(browsertest.Artifacts(t), "vendor-paid-360x740.png"))

	// A shopper pays the printed static QR, typing 20.000 đ.
	v.run(chromedp.Click("#dyn-next", q), chromedp.WaitNotVisible("#ov-dyn", q),
		chromedp.Click("#show-static", q), chromedp.WaitVisible("#ov-static", q))
	static := v.scanQR("#st-qr")
	v.run(chromedp.Click("#st-close", q), chromedp.WaitNotVisible("#ov-static", q))
	p.pay(static, 20000)
	v.run(waitText("#announce", "Đã nhận 20.000 đồng"),
		waitText("#total", "55.000 ₫"),
		waitText("#count", "2 lần nhận tiền"),
		waitJS(`document.querySelectorAll('#payments button[data-refund]').length === 2`),
	)

	// Refund it: confirm dialog, then the total drops.
	var amount string
	v.run(chromedp.Click(`#payments li:first-child button[data-refund]`, q),
		waitJS(`document.getElementById('refund-dlg').open`),
		chromedp.Value("#rf-amount", &amount, q),
	)
	if amount != "20000" {
		t.Errorf("refund dialog offers %q", amount)
	}
	v.audit("vendor: refund dialog")
	shot(t, v, filepath.Join(browsertest.Artifacts(t), "vendor-refund-360x740.png"))
	v.run(chromedp.Click("#rf-ok", q),
		waitJS(`!document.getElementById('refund-dlg').open`),
		waitText("#announce", "Đã hoàn 20.000 ₫"),
		waitText("#total", "35.000 ₫"),
		waitText("#payments", "Đã hoàn 20.000 ₫"),
		chromedp.Evaluate(`String(window.__sameDocument)`, &same),
		chromedp.ScrollIntoView("#today-h", q),
	)
	v.audit("vendor: today's payments")
	shot(t, v, filepath.Join(browsertest.Artifacts(t), "vendor-today-360x740.png"))
	if same != "yes" {
		t.Error("the vendor page reloaded")
	}
	v.noErrors()
}

// (e) Installed app offline, and page weight. Cold and warm loads of the
// vendor page are measured in bytes on the wire, as the page sees them and
// as the server sent them (which includes the service worker's own
// fetches); then the network and the server go away and the app still
// opens from the service worker, says it is offline, and still shows the
// stall's QR (shoppers pay through their own bank, which does not need the
// vendor's phone online).
func TestBrowserOfflineAndWeight(t *testing.T) {
	b := newBrowser(t)
	p := startProduct(t)
	p.activeStall(vendorPhone, "A01", "Rau sạch Cô Ba", "0071000123456")
	v := b.tab(2 * time.Minute)
	settle := chromedp.Sleep(500 * time.Millisecond)

	p.wire.take()
	v.run(chromedp.Navigate(p.base+"/app"), chromedp.WaitVisible("#v-login", q),
		waitJS(`navigator.serviceWorker.controller !== null`), settle)
	cold, coldLines := v.transferred()
	coldSrv, coldSrvLines := p.wire.take()
	v.resetNet()
	v.run(chromedp.Reload(), chromedp.WaitVisible("#v-login", q), settle)
	warm, warmLines := v.transferred()
	warmSrv, warmSrvLines := p.wire.take()

	v.run(login(vendorPhone)...)
	v.run(chromedp.WaitVisible("#v-sell", q), waitText("#conn", "Trực tuyến"), settle)
	v.resetNet()
	p.wire.take()
	v.run(chromedp.Reload(), chromedp.WaitVisible("#v-sell", q), waitText("#conn", "Trực tuyến"), settle)
	session, _ := v.transferred()
	sessionSrv, sessionSrvLines := p.wire.take()

	j := func(l []string) string { return strings.Join(l, "\n      ") }
	report := fmt.Sprintf("Vendor app /app — bytes on the wire, headers included (gzip on)\n\n"+
		"cold, first visit, empty cache:\n  page's requests: %.0f B\n      %s\n  server sent (incl. service worker install): %d B\n      %s\n\n"+
		"warm reload (service worker + HTTP cache):\n  page's requests: %.0f B\n      %s\n  server sent: %d B\n      %s\n\n"+
		"warm reload while logged in (API calls and the live stream included):\n  page's requests: %.0f B\n  server sent: %d B\n      %s\n",
		cold, j(coldLines), coldSrv, j(coldSrvLines), warm, j(warmLines), warmSrv, j(warmSrvLines), session, sessionSrv, j(sessionSrvLines))
	t.Log(report)
	must(t, os.WriteFile(filepath.Join(browsertest.Artifacts(t), "page-weight.txt"), []byte(report), 0o644))
	if cold > 100_000 || coldSrv > 100_000 {
		t.Errorf("cold vendor page %.0f B (server sent %d B); budget 100 KB", cold, coldSrv)
	}
	if warmSrv > coldSrv/4 {
		t.Errorf("warm load %d B is not much cheaper than cold %d B", warmSrv, coldSrv)
	}

	// Offline: the browser loses the network and the server is gone. The
	// static QR was never opened: the app fetched it ahead for this case.
	p.srv.CloseClientConnections()
	p.srv.Close()
	v.run(network.EmulateNetworkConditions(true, 0, -1, -1),
		chromedp.Reload(),
		chromedp.WaitVisible("#v-sell", q),
		chromedp.WaitVisible("#net", q),
		waitText("#net", "Mất kết nối"),
		waitText("#conn", "Mất kết nối"),
		waitText("#stall-name", "A01 · Rau sạch Cô Ba"),
	)
	shot(t, v, filepath.Join(browsertest.Artifacts(t), "vendor-offline-360x740.png"))
	v.run(chromedp.Click("#show-static", q),
		chromedp.WaitVisible("#ov-static", q),
		waitJS(`document.getElementById('st-qr').complete && document.getElementById('st-qr').naturalWidth > 0`),
	)
	shot(t, v, filepath.Join(browsertest.Artifacts(t), "vendor-offline-qr-360x740.png"))
}

// TestBrowser3G times the first visit of the vendor page on an emulated
// fast-3G link (150 ms RTT, 1.6 Mbit/s down), for the report.
func TestBrowser3G(t *testing.T) {
	b := newBrowser(t)
	p := startProduct(t)
	v := b.tab(time.Minute)
	v.run(network.EmulateNetworkConditions(false, 150, 1.6e6/8, 750e3/8))
	start := time.Now()
	v.run(chromedp.Navigate(p.base+"/app"), chromedp.WaitVisible("#v-login", q))
	d := time.Since(start)
	t.Logf("vendor login screen usable after %v on emulated fast 3G (cold)", d.Round(10*time.Millisecond))
	if d > 5*time.Second {
		t.Errorf("cold load on 3G took %v", d)
	}
}

// TestBrowserReconnect: the phone drops off the network, a shopper pays
// the printed QR meanwhile, the phone comes back: the app reconnects by
// itself, announces the money it missed (once) and shows the new total,
// without a reload.
func TestBrowserReconnect(t *testing.T) {
	b := newBrowser(t)
	p := startProduct(t)
	p.activeStall(vendorPhone, "A01", "Rau sạch Cô Ba", "0071000123456")
	v := b.tab(2 * time.Minute)
	v.run(chromedp.Navigate(p.base + "/app"))
	v.run(login(vendorPhone)...)
	v.run(chromedp.WaitVisible("#v-sell", q), waitText("#conn", "Trực tuyến"),
		chromedp.Evaluate(`window.__sameDocument = 'yes'`, nil),
		// Count announcements as they are made.
		chromedp.Evaluate(`window.__said = []; new MutationObserver(() => __said.push(document.getElementById('announce').textContent)).observe(document.getElementById('announce'), {childList: true, characterData: true, subtree: true})`, nil),
		chromedp.Click("#show-static", q), chromedp.WaitVisible("#ov-static", q))
	static := v.scanQR("#st-qr")
	v.run(chromedp.Click("#st-close", q),
		network.EmulateNetworkConditions(true, 0, -1, -1),
		waitText("#conn", "Mất kết nối"),
		chromedp.WaitVisible("#net", q))
	p.srv.CloseClientConnections() // the live stream is gone with the network
	p.pay(static, 42000)
	time.Sleep(1500 * time.Millisecond)
	var total string
	v.run(chromedp.Text("#total", &total, q))
	if total != "0 ₫" {
		t.Fatalf("total changed while offline: %q", total)
	}
	var listed int
	var said []string
	v.run(network.EmulateNetworkConditions(false, 0, -1, -1),
		waitText("#conn", "Trực tuyến"),
		chromedp.WaitNotVisible("#net", q),
		waitText("#announce", "Đã nhận 42.000 đồng"),
		waitText("#total", "42.000 ₫"),
		chromedp.Sleep(2500*time.Millisecond), // a duplicate announcement would arrive by now
		chromedp.Evaluate(`document.querySelectorAll('#payments li').length`, &listed),
		chromedp.Evaluate(`__said.filter((s) => s.includes('Đã nhận'))`, &said),
	)
	if listed != 1 || len(said) != 1 {
		t.Errorf("%d payments listed, announcements %q; want 1 and 1", listed, said)
	}
	var same string
	v.run(chromedp.Evaluate(`String(window.__sameDocument)`, &same))
	if same != "yes" {
		t.Error("the page reloaded")
	}
	v.noErrors()
}
