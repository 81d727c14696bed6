// Package browsertest starts headless Chromium for page tests. It is
// imported only from _test files: Chromium lookup, the skip-or-fail rule
// (MARKET4_REQUIRE_BROWSER=1 turns a missing browser into a failure, as CI
// wants), a throwaway profile, the flags this sandbox needs, and the
// repository's artifacts/ folder for screenshots.
package browsertest

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Required reports whether a missing or broken browser must fail the test.
func Required() bool { return os.Getenv("MARKET4_REQUIRE_BROWSER") == "1" }

// Path finds Chromium: $MARKET4_CHROME, /usr/bin/chromium, then the usual
// names on PATH; "" when there is none.
func Path() string {
	if p := os.Getenv("MARKET4_CHROME"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// Start launches a headless Chromium with a fresh profile and a window of
// width×height, and returns its first tab's context, already running.
// Without Chromium (or when it cannot start) the test is skipped, or
// failed when Required. Everything is torn down in t.Cleanup.
func Start(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := Path()
	if path == "" {
		if Required() {
			t.Fatal("Chromium not found and MARKET4_REQUIRE_BROWSER=1 (install: apt-get install -y chromium)")
		}
		t.Skip("Chromium not found; set MARKET4_REQUIRE_BROWSER=1 to fail instead")
	}
	// Not t.TempDir(): Chromium's helper processes may still write to the
	// profile for a moment after the browser is gone, failing the cleanup.
	profile, err := os.MkdirTemp("", "market4-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // containers run as root
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// This machine's network is closed: no background connections.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	)
	// The pinned cdproto predates some event values of today's Chromium;
	// those events are dropped, which the tests can live with, so keep the
	// log quiet about them.
	quiet := func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "could not unmarshal event") && !strings.Contains(msg, "unhandled node event") {
			t.Logf("chromedp: %s", msg)
		}
	}
	root, cancelRoot := chromedp.NewContext(alloc, chromedp.WithErrorf(quiet))
	if err := chromedp.Run(root); err != nil {
		cancelRoot()
		cancelAlloc()
		if Required() {
			t.Fatalf("start Chromium: %v", err)
		}
		t.Skipf("Chromium does not start here: %v", err)
	}
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	return root
}

// Artifacts is the repository's git-ignored artifacts/ folder, created if
// needed, found by walking up to go.mod.
func Artifacts(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
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
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// Variance is the variance of an image's grey level: about 0 for a blank
// screenshot.
func Variance(img image.Image) float64 {
	b := img.Bounds()
	var sum, sq, n float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			v := float64(r+g+bl) / 3 / 257
			sum += v
			sq += v * v
			n++
		}
	}
	m := sum / n
	return sq/n - m*m
}
