package dashboard_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestDashboardInBrowser renders the dashboard and the open data page in
// headless Chromium, checks they draw with no console error or CSP
// violation, and saves screenshots to artifacts/. It skips without
// Chromium unless MARKET4_REQUIRE_BROWSER=1.
func TestDashboardInBrowser(t *testing.T) {
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("MARKET4_REQUIRE_BROWSER") == "1" {
			t.Fatal("Chromium not found and MARKET4_REQUIRE_BROWSER=1 (install: apt-get install -y chromium)")
		}
		t.Skip("Chromium not found; set MARKET4_REQUIRE_BROWSER=1 to fail instead")
	}
	s := newSite(t)
	profile, err := os.MkdirTemp("", "market4-dashboard-chromium-")
	must(t, err)
	t.Cleanup(func() {
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	actx, cancel := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {})) // cdproto lags Chromium: unknown enum values are noise
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var mu sync.Mutex
	var problems []string
	chromedp.ListenTarget(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError {
				problems = append(problems, "console.error")
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.LevelError || strings.Contains(e.Entry.Text, "Content Security Policy") {
				problems = append(problems, "log: "+e.Entry.Text)
			}
		}
	})
	dir := artifactsDir(t)
	var bars, rows int
	var shot, shotEN, shotOD []byte
	q := chromedp.ByQuery
	err = chromedp.Run(ctx,
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
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("browser reported:\n%s", strings.Join(problems, "\n"))
	}
	t.Logf("screenshots in %s", dir)
}

// artifactsDir is <repo>/artifacts.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	must(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
	out := filepath.Join(dir, "artifacts")
	must(t, os.MkdirAll(out, 0o755))
	return out
}
