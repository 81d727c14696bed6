package mockbank

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/market4/market4/internal/browsertest"
)

// The banking app in headless Chromium at a 360×740 phone viewport: a QR
// image uploaded through the file input, paid, the receipt seen; a static
// QR dropped and another pasted as images, exercising bank.js. Skipped
// without Chromium unless MARKET4_REQUIRE_BROWSER=1, which makes it fail.

var byQuery = chromedp.ByQuery

// phone is one headless Chromium with a fresh profile and one tab,
// recording script errors and CSP violations.
type phone struct {
	t       *testing.T
	ctx     context.Context
	console *browsertest.Console
}

func newPhone(t *testing.T) *phone {
	t.Helper()
	ctx := browsertest.Start(t, 360, 740)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelT)
	p := &phone{t: t, ctx: ctx}
	p.console = browsertest.WatchConsole(ctx, browsertest.ConsoleOptions{})
	if err := chromedp.Run(ctx, runtime.Enable(), cdplog.Enable(), chromedp.EmulateViewport(360, 740)); err != nil {
		t.Fatalf("prepare the tab: %v", err) // Chromium itself started
	}
	return p
}

func (p *phone) run(actions ...chromedp.Action) {
	p.t.Helper()
	if err := chromedp.Run(p.ctx, actions...); err != nil {
		var html string
		_ = chromedp.Run(p.ctx, chromedp.OuterHTML("main", &html, byQuery))
		p.t.Fatalf("browser: %v\nerrors: %v\nmain: %.3000s", err, p.errors(), html)
	}
}

func (p *phone) errors() []string { return p.console.Problems() }

// audit checks what can be checked mechanically (the same checks as the
// vendor app's browser tests): labels on controls, names on buttons and
// links, contrast of at least 4.5:1, and nothing wider than the screen.
func (p *phone) audit(where string) {
	p.t.Helper()
	var problems []string
	p.run(chromedp.Evaluate(auditScript, &problems))
	for _, s := range problems {
		p.t.Errorf("accessibility (%s): %s", where, s)
	}
}

const auditScript = `(() => {
  const out = [];
  const visible = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length) && getComputedStyle(e).visibility !== 'hidden';
  for (const e of document.querySelectorAll('input, select, textarea')) {
    if (e.type === 'hidden' || !visible(e)) continue;
    if (!(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')) out.push('unlabelled control #' + (e.id || e.name));
  }
  for (const e of document.querySelectorAll('button, a[href]')) {
    if (!visible(e)) continue;
    if (!(e.getAttribute('aria-label') || e.textContent || '').trim()) out.push('nameless ' + e.outerHTML.slice(0, 80));
  }
  const parse = (s) => { const m = /rgba?\(([^)]+)\)/.exec(s); if (!m) return null; const p = m[1].split(',').map(parseFloat); return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 }; };
  const lum = (c) => { const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = (e) => { for (let n = e; n; n = n.parentElement) { const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0.5) return c.rgb; } return [255, 255, 255]; };
  const seen = new Set();
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) {
    const t = w.currentNode, e = t.parentElement;
    if (!t.textContent.trim() || seen.has(e) || !visible(e) || e.closest('.sr')) continue;
    seen.add(e);
    const fg = parse(getComputedStyle(e).color);
    if (!fg) continue;
    const a = lum(fg.rgb), b = lum(bg(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) out.push('contrast ' + ratio.toFixed(2) + ':1 for "' + t.textContent.trim().slice(0, 40) + '"');
  }
  if (document.documentElement.scrollWidth > window.innerWidth) out.push('page is ' + document.documentElement.scrollWidth + ' px wide on a ' + window.innerWidth + ' px screen');
  if (!document.querySelector('.sim') || !document.querySelector('.sim').textContent.includes('SIMULATOR')) out.push('no simulator banner');
  return out;
})()`

// waitText waits until the element's text contains want.
func waitText(sel, want string) chromedp.Action {
	return chromedp.Poll(fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.textContent.includes(%s); })()`,
		jsQuote(sel), jsQuote(want)), nil, chromedp.WithPollingInterval(100*time.Millisecond))
}

func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// screenshotTo captures the viewport, checks it is 360×740 and not blank,
// and writes it.
func (p *phone) screenshotTo(name string) {
	p.t.Helper()
	var buf []byte
	p.run(chromedp.Sleep(150*time.Millisecond), chromedp.CaptureScreenshot(&buf))
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		p.t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 360 || b.Dy() != 740 {
		p.t.Errorf("%s: screenshot is %v, want 360×740", name, b)
	}
	if v := browsertest.Variance(img); v < 200 {
		p.t.Errorf("%s: screenshot looks blank (grey variance %.0f)", name, v)
	}
	if err := os.WriteFile(filepath.Join(browsertest.Artifacts(p.t), name), buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func TestBrowserBankApp(t *testing.T) {
	ph := newPhone(t)
	e := newEnv(t, nil)
	base := e.api.URL

	// 1. Upload a dynamic QR through the file input, confirm, pay.
	payload := qr(t, stallBIN, stallAcct, "35000", "M4BROWSE1 Rau muong")
	file := filepath.Join(t.TempDir(), "ma-qr.png")
	if err := os.WriteFile(file, qrPNG(t, payload, 480), 0o644); err != nil {
		t.Fatal(err)
	}
	ph.run(chromedp.Navigate(base+"/mockbank/"), chromedp.WaitVisible("#qrfile", byQuery))
	ph.audit("scan")
	ph.screenshotTo("mockbank-scan-360x740.png")
	ph.run(
		chromedp.Click(`label[for="from-1"]`, byQuery), // Trần Thị Bình
		chromedp.SetUploadFiles("#qrfile", []string{file}, byQuery),
		waitText("#drop-status", "Đã nhận “ma-qr.png”"),
		chromedp.WaitVisible("#preview", byQuery),
		chromedp.Click("#scan", byQuery),
		chromedp.WaitVisible("#pay", byQuery),
		waitText("#payee-account", stallAcct),
		waitText("#payee-bank", "MBBank"),
		waitText("#qr-amount", "35.000 ₫"),
		waitText("#payee-content", "M4BROWSE1 Rau muong"),
		waitText("#pay", "Thanh toán 35.000 ₫"),
	)
	ph.audit("confirm")
	ph.screenshotTo("mockbank-confirm-360x740.png")
	ph.run(
		chromedp.Click("#pay", byQuery),
		chromedp.WaitVisible("#done", byQuery),
		waitText("#done", "Chuyển tiền thành công"),
		waitText("#receipt-amount", "35.000 ₫"),
		waitText("#to-account", stallAcct),
		// bank.js follows the notification until the platform has it.
		waitText("#delivery", "Market4 đã nhận thông báo"),
		waitText(".history", "−35.000 ₫"),
	)
	var txID string
	ph.run(chromedp.Text("#tx-id", &txID, byQuery))
	if tx := e.bank.Transactions(1)[0]; fmt.Sprint(tx.ID) != strings.TrimSpace(txID) || tx.FromAccount != binh || tx.Amount != 35000 {
		t.Fatalf("receipt shows %q, bank has %+v", txID, tx)
	}
	ph.audit("receipt")
	ph.screenshotTo("mockbank-receipt-360x740.png")

	// 2. A static QR dropped onto the page as an image: type the amount.
	static := qr(t, stallBIN, stallAcct, "", "")
	ph.run(chromedp.Click("#again", byQuery), chromedp.WaitVisible("#qrfile", byQuery),
		chromedp.Evaluate(dispatchImage("drop", qrPNG(t, static, 300)), nil),
		waitText("#drop-status", "Đã nhận"),
		chromedp.Poll(`document.querySelector('#qrfile').files.length === 1`, nil),
		chromedp.Click("#scan", byQuery),
		chromedp.WaitVisible("#amount", byQuery),
		chromedp.SendKeys("#amount", "20000", byQuery),
		waitText("#amount-preview", "= 20.000 ₫"),
		waitText("#pay", "Thanh toán 20.000 ₫"),
	)
	ph.audit("confirm static")
	ph.screenshotTo("mockbank-confirm-static-360x740.png")
	ph.run(chromedp.Click("#pay", byQuery), chromedp.WaitVisible("#done", byQuery), waitText("#receipt-amount", "20.000 ₫"))

	// 3. An image pasted from the clipboard, and a refusal shown in
	// Vietnamese with focus on it: the payer cannot afford 9.000.000 ₫.
	dear := qr(t, stallBIN, stallAcct, "9000000", "M4BIG")
	ph.run(chromedp.Click("#again", byQuery), chromedp.WaitVisible("#qrfile", byQuery),
		chromedp.Evaluate(dispatchImage("paste", qrPNG(t, dear, 300)), nil),
		waitText("#drop-status", "Đã nhận ảnh đã dán"),
		chromedp.Click("#scan", byQuery),
		chromedp.WaitVisible("#short", byQuery),
		chromedp.Click("#pay", byQuery),
		chromedp.WaitVisible("#error", byQuery),
		waitText("#error", "Số dư không đủ"),
		chromedp.Poll(`document.activeElement && document.activeElement.id === 'error'`, nil),
	)
	ph.audit("error")
	ph.screenshotTo("mockbank-error-360x740.png")

	// 4. A photo too big for the upload limit: bank.js re-encodes it
	// smaller before sending, and the code still reads.
	photo := screenshot(t, payload, 480, "")
	r := rand.New(rand.NewPCG(3, 4))
	for y := 1300; y < 2340; y++ {
		for x := range 1080 {
			photo.SetRGBA(x, y, color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 0xff})
		}
	}
	var big bytes.Buffer
	if err := png.Encode(&big, photo); err != nil {
		t.Fatal(err)
	}
	if big.Len() <= maxUploadBytes {
		t.Fatalf("the photo is only %d bytes", big.Len())
	}
	if err := os.WriteFile(file, big.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ph.run(chromedp.Navigate(base+"/mockbank/"), chromedp.WaitVisible("#qrfile", byQuery),
		chromedp.SetUploadFiles("#qrfile", []string{file}, byQuery),
		waitText("#drop-status", "Đã nhận"),
		chromedp.Poll(`(f => !!f && f.size <= 900 * 1024)(document.querySelector('#qrfile').files[0])`, nil),
		chromedp.Click("#scan", byQuery),
		chromedp.WaitVisible("#pay", byQuery),
		waitText("#payee-account", stallAcct),
		waitText("#qr-amount", "35.000 ₫"),
	)

	for _, e := range ph.errors() {
		t.Errorf("page error: %s", e)
	}
}

// dispatchImage makes a File from a PNG and fires a drop on the window or
// a paste on the document with it, as dragging a file from the desktop or
// pressing Ctrl+V after copying an image does.
func dispatchImage(kind string, pngData []byte) string {
	return fmt.Sprintf(`(() => {
  const bytes = Uint8Array.from(atob(%s), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], 'ma-qr.png', { type: 'image/png' }));
  if (%q === 'drop') {
    window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  } else {
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }
  return true;
})()`, jsQuote(base64.StdEncoding.EncodeToString(pngData)), kind)
}
