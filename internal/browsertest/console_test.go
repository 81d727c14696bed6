package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestWatchConsole: the default catches an uncaught exception,
// console.error and a CSP violation but not console.log; AnyCall adds
// console.log.
func TestWatchConsole(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/page.js" {
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write([]byte(`console.log("chatty"); console.error("broken", 42); setTimeout(function () { throw new Error("boom"); }, 0);`))
			return
		}
		// The inline script is refused by the CSP: a security log entry.
		_, _ = w.Write([]byte(`<!doctype html><title>t</title><script>console.error("inline ran")</script><script src="/page.js"></script>`))
	}))
	defer srv.Close()
	for _, tt := range []struct {
		opt     ConsoleOptions
		wantLog bool
	}{{ConsoleOptions{}, false}, {ConsoleOptions{AnyCall: true}, true}} {
		ctx, cancel := context.WithTimeout(Start(t, 360, 740), 30*time.Second)
		c := WatchConsole(ctx, tt.opt)
		if err := chromedp.Run(ctx, runtime.Enable(), log.Enable(), chromedp.Navigate(srv.URL), chromedp.Sleep(300*time.Millisecond)); err != nil {
			cancel()
			t.Fatal(err)
		}
		cancel()
		got := c.Problems()
		has := func(s string) bool {
			return slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, s) })
		}
		if !has("exception") || !has("boom") || !has(`console.error: "broken"`) || !has("Content Security Policy") || has("inline ran") {
			t.Errorf("%+v: problems %q", tt.opt, got)
		}
		if has("chatty") != tt.wantLog {
			t.Errorf("%+v: console.log reported = %v, want %v (%q)", tt.opt, has("chatty"), tt.wantLog, got)
		}
	}
}
