package browsertest

import (
	"context"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ConsoleOptions makes a Console stricter than its default, which counts
// uncaught exceptions, console.error calls and security log entries
// (Content-Security-Policy violations among them).
type ConsoleOptions struct {
	AnyCall   bool // every console call counts (console.log included): for pages that must stay silent
	ErrorLogs bool // every error-level browser log entry counts (failed loads among them)
}

// Console collects what a page reports as wrong; safe for concurrent use.
type Console struct {
	mu       sync.Mutex
	problems []string
}

// WatchConsole starts collecting the problems of ctx's tab. The caller
// enables the runtime and log domains (runtime.Enable(), log.Enable())
// when running the tab, or chromedp does on first use.
func WatchConsole(ctx context.Context, opt ConsoleOptions) *Console {
	c := &Console{}
	chromedp.ListenTarget(ctx, func(ev any) {
		var p string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			p = "exception: " + e.ExceptionDetails.Error()
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || opt.AnyCall {
				parts := []string{"console." + string(e.Type) + ":"}
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				p = strings.Join(parts, " ")
			}
		case *log.EventEntryAdded:
			if e.Entry.Source == log.SourceSecurity || strings.Contains(e.Entry.Text, "Content Security Policy") ||
				(opt.ErrorLogs && e.Entry.Level == log.LevelError) {
				p = "log: " + e.Entry.Text
			}
		}
		if p != "" {
			c.mu.Lock()
			c.problems = append(c.problems, p)
			c.mu.Unlock()
		}
	})
	return c
}

// Problems returns what was collected so far.
func (c *Console) Problems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.problems...)
}
