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
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/store"
)

// openStore connects and checks the schema: with migrate it applies pending
// migrations, otherwise it refuses to run on an out-of-date database.
func openStore(ctx context.Context, cfg config, migrate bool) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{MaxOpenConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if migrate {
		if _, err := st.MigrateUp(ctx); err != nil {
			st.Close()
			return nil, err
		}
		return st, nil
	}
	n, err := st.Pending(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if n > 0 {
		st.Close()
		return nil, fmt.Errorf("database has %d pending migrations: run `market4 migrate up` or start with --migrate", n)
	}
	return st, nil
}

func newService(cfg config, st *store.Store, log *slog.Logger) *app.Service {
	return newServiceAt(cfg, st, log, nil)
}

// newServiceAt is newService on another clock (nil: the wall clock).
func newServiceAt(cfg config, st *store.Store, log *slog.Logger, now func() time.Time) *app.Service {
	ac := app.DefaultConfig()
	ac.PaymentTTL = cfg.PaymentTTL
	ac.PublicURL = cfg.PublicURL
	return app.New(st, now, ac, log)
}

func cmdServe(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	migrate := fs.Bool("migrate", false, "apply pending migrations before serving")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	log.Info("starting", cfg.logAttrs()...)
	st, err := openStore(ctx, cfg, *migrate)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := wire(ctx, cfg, st, log, wireOptions{})
	if err != nil {
		return err
	}
	defer p.Close()
	return listenAndServe(ctx, cfg.Addr, p.handler, log, func(addr string) {
		fmt.Fprintf(stdout, "market4 listening on %s (%s)\n", addr, st.Dialect())
	})
}

// listenAndServe serves until ctx is canceled (SIGINT/SIGTERM), then drains
// in-flight requests for up to 10 seconds.
func listenAndServe(ctx context.Context, addr string, h http.Handler, log *slog.Logger, ready func(addr string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
