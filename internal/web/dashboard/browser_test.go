package dashboard_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/market4/market4/internal/browsertest"
)

// TestDashboardInBrowser renders the dashboard and the open data page in
// headless Chromium, checks they draw with no console error or CSP
// violation, and saves screenshots to artifacts/. It skips without
// Chromium unless MARKET4_REQUIRE_BROWSER=1.
func TestDashboardInBrowser(t *testing.T) {
	s := newSite(t)
	ctx, cancel := context.WithTimeout(browsertest.Start(t, 1280, 900), 90*time.Second)
	defer cancel()
	console := browsertest.WatchConsole(ctx, browsertest.ConsoleOptions{ErrorLogs: true})
	dir := browsertest.Artifacts(t)
	var bars, rows int
	var shot, shotEN, shotOD []byte
	q := chromedp.ByQuery
	err := chromedp.Run(ctx,
		cdplog.Enable(),
		chromedp.Navigate(s.srv.URL+"/dashboard?from=2026-11-01&to=2026-11-20"),
		chromedp.WaitVisible(`input[name=phone]`, q),
		chromedp.SendKeys(`input[name=phone]`, "0912 000 001", q),
		chromedp.SendKeys(`input[name=password]`, password, q),
		chromedp.Click(`form.login button[type=submit]`, q),
		chromedp.WaitVisible(`svg.chart rect.bar`, q),
		chromedp.Evaluate(`document.querySelectorAll('svg.chart rect.bar').length`, &bars),
		chromedp.Evaluate(`document.querySelectorAll('#stalls tbody tr').length`, &rows),
		chromedp.FullScreenshot(&shot, 100),
		chromedp.Click(`a[hreflang=en]`, q),
		chromedp.WaitVisible(`svg.chart`, q),
		chromedp.FullScreenshot(&shotEN, 100),
		chromedp.Navigate(s.srv.URL+"/open-data?from=2026-11-01&to=2026-11-20&lang=vi"),
		chromedp.WaitVisible(`table`, q),
		chromedp.FullScreenshot(&shotOD, 100),
	)
	must(t, err)
	if bars != 20 || rows < 5 {
		t.Fatalf("dashboard drew %d daily bars (want 20) and %d stall rows", bars, rows)
	}
	for name, b := range map[string][]byte{"dashboard.png": shot, "dashboard-en.png": shotEN, "open-data.png": shotOD} {
		if len(b) < 10_000 {
			t.Fatalf("%s is suspiciously small (%d bytes)", name, len(b))
		}
		must(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	if problems := console.Problems(); len(problems) > 0 {
		t.Fatalf("browser reported:\n%s", strings.Join(problems, "\n"))
	}
	t.Logf("screenshots in %s", dir)
}
