// Command market4 is the Market4 server and its operator tools.
//
//	market4 serve                 run the production server (PostgreSQL or SQLite)
//	market4 demo                  run with demo data, SQLite and the mock bank
//	market4 migrate up|down|status
//	market4 users create --role admin|staff|vendor --phone P --name N [--district ID]
//	market4 import stalls --market ID FILE
//	market4 audit | reconcile | bench confirm
//
// Configuration comes from MARKET4_* environment variables; see `market4 help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // business dates are computed in Asia/Ho_Chi_Minh on any host
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var u usageError
		fmt.Fprintln(os.Stderr, "market4:", err)
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

const usage = `market4 — cashless payments for traditional markets

Usage:
  market4 serve [--migrate]          run the server (refuses an unmigrated database unless --migrate)
  market4 demo                       run with demo data on SQLite and the mock bank mounted at /mockbank
  market4 migrate up|down|status     manage the database schema
  market4 users create --role R --phone P --name N [--district ID]
                                     create a user; password from MARKET4_PASSWORD or stdin
  market4 import stalls --market ID FILE.csv
                                     import a market's stalls (all rows or none)
  market4 audit                      check the money invariants; non-zero exit on a violation
  market4 reconcile [--from T] [--to T]
                                     record transfers the webhooks missed, list mismatches
  market4 bench confirm [flags]      load the webhook confirmation path and compare with pgbench
  market4 stamps verify URL --keys FILE | keygen | keys | sheet --lot ID --out FILE
                                     OCOP traceability stamps: offline verification, keys, print sheets
  market4 log keygen|sequence [--full]|audit
                                     the tamper-evident payment log: keys, append, check every leaf
  market4 verify-log --key VKEY --checkpoint FILE [--old FILE] [--payment ID --server URL]
                                     verify inclusion and consistency against signed checkpoints
  market4 rollups rebuild|seal|compact|audit
                                     recompute or check the per-stall daily rollups
  market4 gen --district N --stalls N --payments N --days N
                                     bulk-load consistent synthetic data (benchmarks)
  market4 bench-transparency reports|log
                                     report latency and log append/proof figures

Environment:
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stderr)
		return usageError{"a command is required"}
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	level, _ := parseLevel(cfg.LogLevel)
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	switch args[0] {
	case "serve":
		return cmdServe(ctx, cfg, log, args[1:], stdout)
	case "demo":
		return cmdDemo(ctx, cfg, log, args[1:], stdout)
	case "migrate":
		return cmdMigrate(ctx, cfg, args[1:], stdout)
	case "users":
		return cmdUsers(ctx, cfg, log, args[1:], stdin, stdout)
	case "import":
		return cmdImport(ctx, cfg, log, args[1:], stdout, stderr)
	case "audit":
		return cmdAudit(ctx, cfg, log, args[1:], stdout)
	case "reconcile":
		return cmdReconcile(ctx, cfg, log, args[1:], stdout)
	case "bench":
		return cmdBench(ctx, cfg, log, args[1:], stdout)
	case "stamps":
		return cmdStamps(ctx, cfg, log, args[1:], stdout, stderr)
	case "verify-log":
		return cmdVerifyLog(ctx, args[1:], stdout)
	case "rollups":
		return cmdRollups(ctx, cfg, log, args[1:], stdout)
	case "gen":
		return cmdGen(ctx, cfg, log, args[1:], stdout)
	case "log":
		return cmdLog(ctx, cfg, log, args[1:], stdout)
	case "bench-transparency":
		return cmdBenchTransparency(ctx, cfg, log, args[1:], stdout)
	case "help", "-h", "--help":
		printUsage(stdout)
		return nil
	}
	printUsage(stderr)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	for _, e := range append(append(envTable, stampEnv...), transparencyEnv...) {
		fmt.Fprintf(w, "  %-26s %-28s %s\n", e[0], e[1], e[2])
	}
}
