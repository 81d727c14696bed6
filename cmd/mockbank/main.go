// Command mockbank runs the payment provider simulators as their own
// process: the mock bank (VietQR transfers notified SePay-style) under
// /mockbank/ and the mock e-wallet (MoMo-style) under /mockwallet/.
//
//	MARKET4_MOCKBANK_SECRET=… mockbank [--addr :9090] [--platform-url http://localhost:8080] [--public-url URL]
//
// Environment (each may instead name a file with MARKET4_<NAME>_FILE):
//
//	MARKET4_MOCKBANK_SECRET          required, ≥ 16 characters: webhook HMAC key and API bearer token
//	MARKET4_MOCKWALLET_PARTNER_CODE  default MOMOM4DEV
//	MARKET4_MOCKWALLET_ACCESS_KEY    default m4devaccesskey01
//	MARKET4_MOCKWALLET_SECRET_KEY    default: a development key (a warning is logged)
//
// The platform must be configured with the same secret and keys. SIGINT or
// SIGTERM shuts down gracefully: in-flight requests finish, pending
// deliveries stop.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // transaction dates are Asia/Ho_Chi_Minh on any host

	"github.com/market4/market4/internal/provider/mockbank"
	"github.com/market4/market4/internal/provider/mockwallet"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mockbank:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(1)
	}
}

// config is everything the process needs, validated.
type config struct {
	Addr, PlatformURL, PublicURL, LogLevel string
	Secret                                 string // never printed
	Wallet                                 mockwallet.Config
	walletDefaults                         bool
}

func loadConfig(args []string, lookup func(string) (string, bool), stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("mockbank", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", ":9090", "listen address")
	fs.StringVar(&c.PlatformURL, "platform-url", "http://localhost:8080", "the platform's base URL; webhooks go to <url>/v1/webhooks/mockbank")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL browsers use to reach this process, for wallet pay links (default: from each request)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: MARKET4_MOCKBANK_SECRET=… mockbank [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var problems []string
	get := func(name string) string {
		if f, ok := lookup("MARKET4_" + name + "_FILE"); ok && f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				problems = append(problems, fmt.Sprintf("MARKET4_%s_FILE: %v", name, err))
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		v, _ := lookup("MARKET4_" + name)
		return v
	}
	c.Secret = get("MOCKBANK_SECRET")
	if len(c.Secret) < 16 {
		problems = append(problems, "MARKET4_MOCKBANK_SECRET is required and must be at least 16 characters (the platform needs the same value)")
	}
	c.Wallet.PartnerCode = get("MOCKWALLET_PARTNER_CODE")
	c.Wallet.AccessKey = get("MOCKWALLET_ACCESS_KEY")
	c.Wallet.SecretKey = get("MOCKWALLET_SECRET_KEY")
	if c.Wallet.SecretKey == "" {
		c.walletDefaults = true
	}
	for _, u := range []struct{ flag, v string }{{"--platform-url", c.PlatformURL}, {"--public-url", c.PublicURL}} {
		if u.v != "" && !strings.HasPrefix(u.v, "http://") && !strings.HasPrefix(u.v, "https://") {
			problems = append(problems, u.flag+" must be an http(s) URL")
		}
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		problems = append(problems, "--log-level must be debug, info, warn or error")
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("invalid configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return c, nil
}

func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	c, err := loadConfig(args, lookup, stderr)
	if err != nil {
		return err
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	if c.walletDefaults {
		log.Warn("MARKET4_MOCKWALLET_SECRET_KEY not set: using the development wallet keys")
	}

	bank := mockbank.New(mockbank.Config{Secret: c.Secret, PlatformURL: c.PlatformURL, Logger: log})
	c.Wallet.PublicURL = c.PublicURL
	c.Wallet.Logger = log
	wallet := mockwallet.New(c.Wallet)
	defer wallet.Close()
	defer bank.Close()

	mux := http.NewServeMux()
	mux.Handle("/mockbank/", bank.Handler())
	mux.Handle("/mockwallet/", wallet.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /{$}", http.RedirectHandler("/mockbank/", http.StatusFound))

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	base := displayURL(ln.Addr())
	fmt.Fprintf(stdout, `Market4 provider simulators (SIMULATOR: no real money)
  mock bank app      %[1]s/mockbank/
  mock bank API      %[1]s/mockbank/v1  (transfers, transactions, faults, statement, accounts, refunds)
  webhooks go to     %[2]s%[3]s
  mock wallet API    %[1]s/mockwallet/v2/gateway/api/{create,query,refund}
  wallet partner     %[4]s
  health             %[1]s/healthz
`, base, strings.TrimRight(c.PlatformURL, "/"), mockbank.WebhookPath, walletPartner(c.Wallet))
	log.Info("listening", "addr", ln.Addr().String(), "platform_url", c.PlatformURL)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func walletPartner(c mockwallet.Config) string {
	if c.PartnerCode == "" {
		return mockwallet.DevPartnerCode + " (development keys)"
	}
	return c.PartnerCode
}

// displayURL turns a listen address into a URL a person can open.
func displayURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
