package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/browsertest"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/provider/mockbank"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/internal/web"
)

const (
	testPassword = "market4test"
	bankSecret   = "web-test-secret-0123456789abcdef"
	staffPhone   = "0902000002"
	vendorPhone  = "0903000003"
)

// product is the whole product wired in-process the way cmd/market4 wires
// `demo`: real SQLite store, the use cases, the JSON API (gin) with the
// pages and the mock bank behind its Fallback, the bank delivering signed
// webhooks over loopback, and the background loop that dispatches live
// events. Seeded with a district, a market, a staff member and a vendor.
type product struct {
	t        *testing.T
	base     string
	srv      *httptest.Server
	svc      *app.Service
	bank     *mockbank.Bank
	market   *market.Market
	district *market.District
	wire     *wireCount
}

// wireCount counts what the server sends (status line, headers, body as
// sent, i.e. gzipped), per path: unlike the page's own network log it also
// sees the service worker's requests.
type wireCount struct {
	mu    sync.Mutex
	paths map[string]int64
}

func (wc *wireCount) add(path string, n int64) {
	wc.mu.Lock()
	if wc.paths == nil {
		wc.paths = map[string]int64{}
	}
	wc.paths[path] += n
	wc.mu.Unlock()
}

// take returns the counts since the last take and starts afresh.
func (wc *wireCount) take() (total int64, lines []string) {
	wc.mu.Lock()
	defer wc.mu.Unlock()
	for p, n := range wc.paths {
		total += n
		lines = append(lines, fmt.Sprintf("%s %d B", p, n))
	}
	sort.Strings(lines)
	wc.paths = nil
	return total, lines
}

func (wc *wireCount) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if strings.HasPrefix(path, "/v1/stalls/") || strings.HasPrefix(path, "/v1/payments/") {
			path = regexp.MustCompile(`/v1/(stalls|payments)/[^/]+`).ReplaceAllString(path, "/v1/$1/{id}")
		}
		h.ServeHTTP(&countingWriter{ResponseWriter: w, wc: wc, path: path}, r)
	})
}

type countingWriter struct {
	http.ResponseWriter
	wc          *wireCount
	path        string
	wroteHeader bool
}

func (c *countingWriter) WriteHeader(code int) {
	if !c.wroteHeader {
		c.wroteHeader = true
		n := int64(len("HTTP/1.1 200 OK\r\n\r\n") + len("Date: Mon, 02 Jan 2006 15:04:05 GMT\r\n"))
		for k, vs := range c.Header() {
			for _, v := range vs {
				n += int64(len(k) + len(v) + 4)
			}
		}
		c.wc.add(c.path, n)
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if !c.wroteHeader {
		c.WriteHeader(http.StatusOK)
	}
	n, err := c.ResponseWriter.Write(b)
	c.wc.add(c.path, int64(n))
	return n, err
}

// Flush keeps Server-Sent Events streaming through the wrapper.
func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func startProduct(t *testing.T) *product {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := app.DefaultConfig()
	cfg.Argon = app.ArgonParams{Memory: 64, Time: 1, Threads: 1}
	cfg.PublicURL = base
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := app.New(st, nil, cfg, log)
	bank := mockbank.New(mockbank.Config{Secret: bankSecret, PlatformURL: base, Logger: log, Backoff: 50 * time.Millisecond})
	svc.UseProvider(mockbank.NewProvider(mockbank.ProviderConfig{Secret: bankSecret, BaseURL: base}))

	pages := web.New(web.Options{Service: svc, PublicURL: base, Logger: log})
	mux := http.NewServeMux()
	mux.Handle("/mockbank/", bank.Handler())
	mux.Handle("/", pages) // web.Routes() all live under "/"; the pages answer 404 for the rest
	h := httpapi.New(svc, httpapi.Options{Logger: log, Fallback: mux, Heartbeat: 2 * time.Second})

	wire := &wireCount{}
	srv := httptest.NewUnstartedServer(wire.wrap(h))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	bg, cancel := context.WithCancel(context.Background())
	go svc.RunBackground(bg, time.Second)
	t.Cleanup(func() {
		cancel()
		srv.CloseClientConnections()
		srv.Close()
		bank.Close()
	})

	p := &product{t: t, base: base, srv: srv, svc: svc, bank: bank, wire: wire}
	admin := market.Actor{Role: market.RoleAdmin}
	p.district, err = svc.CreateDistrict(ctx, admin, market.District{Name: "Vị Thủy", Province: "Hậu Giang"})
	must(t, err)
	p.market, err = svc.CreateMarket(ctx, admin, market.Market{DistrictID: p.district.ID, Name: "Chợ Vị Thủy", Address: "Nàng Mau"})
	must(t, err)
	_, err = svc.CreateUser(ctx, app.CreateUserInput{Phone: staffPhone, Password: testPassword, Name: "Cán bộ Vị Thủy", Role: market.RoleStaff, DistrictID: p.district.ID})
	must(t, err)
	return p
}

// activeStall registers a vendor with one approved stall.
func (p *product) activeStall(phone, number, name, account string) *market.Stall {
	p.t.Helper()
	ctx := context.Background()
	u, err := p.svc.CreateUser(ctx, app.CreateUserInput{Phone: phone, Password: testPassword, Name: "Cô Ba", Role: market.RoleVendor})
	must(p.t, err)
	s, err := p.svc.CreateStall(ctx, app.ActorOf(u), app.StallInput{MarketID: p.market.ID, StallNumber: number, Name: name,
		Category: "vegetables", BankBIN: "970436", AccountNumber: account, AccountName: "NGUYEN THI BA"})
	must(p.t, err)
	s, err = p.svc.SetStallStatus(ctx, market.Actor{Role: market.RoleAdmin}, s.ID, market.StallActive)
	must(p.t, err)
	return s
}

// pay asks the mock bank, over its HTTP API, to transfer from a seeded
// shopper by a scanned QR payload (amount is for static QRs).
func (p *product) pay(payload string, amount int64) {
	p.t.Helper()
	req := map[string]any{"from_account": "0101000002", "qr_payload": payload}
	if amount > 0 {
		req["amount"] = amount
	}
	b, _ := json.Marshal(req)
	res, err := http.Post(p.base+"/mockbank/v1/transfers", "application/json", bytes.NewReader(b))
	must(p.t, err)
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(res.Body)
		p.t.Fatalf("mock bank transfer: %d %s", res.StatusCode, body)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ---- browser ---------------------------------------------------------

// browser is one headless Chromium process with a fresh profile. Without
// Chromium the test is skipped — unless MARKET4_REQUIRE_BROWSER=1 (CI),
// which turns the skip into a failure.
type browser struct {
	t    *testing.T
	root context.Context // first tab; keeps the browser alive
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	return &browser{t: t, root: browsertest.Start(t, 360, 740)}
}

// tab is one page in its own browser context (separate cookies and
// storage, like a second phone), at a 360×740 phone viewport, recording
// script errors and CSP violations.
type tab struct {
	t       *testing.T
	ctx     context.Context
	console *browsertest.Console
	mu      sync.Mutex // guards net
	net     map[network.RequestID]*netReq
}

type netReq struct {
	url     string
	encoded float64
	cached  bool
	sw      bool
}

func (b *browser) tab(timeout time.Duration) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	b.t.Cleanup(func() { cancelT(); cancel() })
	tb := &tab{t: b.t, ctx: ctx, net: map[network.RequestID]*netReq{}}
	tb.console = browsertest.WatchConsole(ctx, browsertest.ConsoleOptions{})
	chromedp.ListenTarget(ctx, func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			tb.net[e.RequestID] = &netReq{url: e.Request.URL}
		case *network.EventResponseReceived:
			if r := tb.net[e.RequestID]; r != nil {
				r.cached = e.Response.FromDiskCache || e.Response.FromPrefetchCache
				r.sw = e.Response.FromServiceWorker
			}
		case *network.EventLoadingFinished:
			if r := tb.net[e.RequestID]; r != nil {
				r.encoded = e.EncodedDataLength
			}
		}
	})
	tb.run(network.Enable(), runtime.Enable(), cdplog.Enable(), chromedp.EmulateViewport(360, 740))
	return tb
}

func (tb *tab) run(actions ...chromedp.Action) {
	tb.t.Helper()
	if err := chromedp.Run(tb.ctx, actions...); err != nil {
		var html string
		_ = chromedp.Run(tb.ctx, chromedp.OuterHTML("main", &html, chromedp.ByQuery))
		tb.t.Fatalf("browser: %v\nerrors: %v\nmain: %.3000s", err, tb.jsErrors(), html)
	}
}

func (tb *tab) jsErrors() []string { return tb.console.Problems() }

// noErrors fails on any uncaught script error, console.error call or
// security report (a CSP violation).
func (tb *tab) noErrors() {
	tb.t.Helper()
	for _, e := range tb.jsErrors() {
		tb.t.Errorf("page error: %s", e)
	}
}

// resetNet forgets the requests seen so far, to measure the next load.
func (tb *tab) resetNet() {
	tb.mu.Lock()
	tb.net = map[network.RequestID]*netReq{}
	tb.mu.Unlock()
}

func (tb *tab) transferred() (total float64, lines []string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, r := range tb.net {
		total += r.encoded
		u, err := url.Parse(r.url)
		path := r.url
		if err == nil {
			path = u.Path
		}
		how := ""
		if r.sw {
			how = " (service worker)"
		} else if r.cached {
			how = " (HTTP cache)"
		}
		lines = append(lines, fmt.Sprintf("%s %.0f B%s", path, r.encoded, how))
	}
	sort.Strings(lines)
	return total, lines
}

// waitText waits until the element's text contains want.
func waitText(sel, want string) chromedp.Action {
	return chromedp.Poll(`(() => { const e = document.querySelector(`+jsString(sel)+`); return !!e && e.textContent.includes(`+jsString(want)+`); })()`, nil, chromedp.WithPollingInterval(100*time.Millisecond))
}

// waitJS waits until the expression is truthy.
func waitJS(expr string) chromedp.Action {
	return chromedp.Poll(expr, nil, chromedp.WithPollingInterval(100*time.Millisecond))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// screenshotQR captures an element and decodes the QR in it, as a shopper's
// phone would read the vendor's screen.
func (tb *tab) scanQR(sel string) string {
	tb.t.Helper()
	var buf []byte
	tb.run(chromedp.WaitVisible(sel, chromedp.ByQuery),
		waitJS(`(e => e.tagName !== 'IMG' || (e.complete && e.naturalWidth > 0))(document.querySelector(`+jsString(sel)+`))`),
		chromedp.Screenshot(sel, &buf, chromedp.ByQuery))
	img, err := png.Decode(bytes.NewReader(buf))
	must(tb.t, err)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	must(tb.t, err)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		tb.t.Fatalf("scan the QR on screen: %v", err)
	}
	return res.GetText()
}

// auditJS checks what can be checked mechanically on the visible page:
// every form control has a label, every button and link a name, every
// image an alt, and all visible text (outside disabled controls) a
// contrast of at least 4.5:1 against the background it sits on.
const auditJS = `(() => {
  const out = [];
  const visible = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length) && getComputedStyle(e).visibility !== 'hidden';
  for (const e of document.querySelectorAll('input, select, textarea')) {
    if (e.type === 'hidden' || !visible(e)) continue;
    if (!(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')) out.push('unlabelled control #' + (e.id || e.name));
  }
  for (const e of document.querySelectorAll('button, a[href]')) {
    if (!visible(e)) continue;
    const img = e.querySelector('img[alt]');
    if (!((e.getAttribute('aria-label') || e.textContent || '').trim() || (img && img.alt))) out.push('nameless ' + e.outerHTML.slice(0, 80));
  }
  for (const e of document.querySelectorAll('img')) if (!e.hasAttribute('alt')) out.push('img without alt: ' + e.src);
  const parse = (s) => { const m = /rgba?\(([^)]+)\)/.exec(s); if (!m) return null; const p = m[1].split(',').map(parseFloat); return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 }; };
  const lum = (c) => { const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = (e) => { for (let n = e; n; n = n.parentElement) { const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0.5) return c.rgb; } return [255, 255, 255]; };
  const seen = new Set();
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) {
    const t = w.currentNode;
    const e = t.parentElement;
    if (!t.textContent.trim() || seen.has(e) || !visible(e) || e.closest(':disabled')) continue;
    seen.add(e);
    const fg = parse(getComputedStyle(e).color);
    if (!fg) continue;
    const a = lum(fg.rgb), b = lum(bg(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) out.push('contrast ' + ratio.toFixed(2) + ':1 for "' + t.textContent.trim().slice(0, 40) + '"');
  }
  return out;
})()`

// audit runs auditJS and reports each problem as a test error.
func (tb *tab) audit(where string) {
	tb.t.Helper()
	var problems []string
	tb.run(chromedp.Evaluate(auditJS, &problems))
	for _, p := range problems {
		tb.t.Errorf("accessibility (%s): %s", where, p)
	}
}
