package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/market4/market4/internal/market"
)

// cmdAudit checks the money invariants and exits non-zero with a report
// when one fails.
func cmdAudit(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 0 {
		return usageError{"usage: market4 audit"}
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := newService(cfg, st, log)
	bad, err := svc.Audit(ctx)
	if err != nil {
		return err
	}
	// With the transparency log configured, also prove the rows still say
	// what the signed checkpoints committed to.
	if opt, ok, err := logOptionsFromEnv(); err != nil {
		return err
	} else if ok {
		if err := svc.UseTransparencyLog(opt); err != nil {
			return describe(err)
		}
		la, err := svc.AuditLog(ctx)
		if err != nil {
			return describe(err)
		}
		bad = append(bad, la.Problems...)
		fmt.Fprintf(stdout, "log: %d leaves checked against the checkpoint of size %d\n", la.Checked, la.TreeSize)
	}
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintln(stdout, "FAIL", b)
		}
		return fmt.Errorf("audit found %d violations", len(bad))
	}
	fmt.Fprintln(stdout, "audit passed: every journal entry balances, rollups match the journal, no event applied twice, refunds ≤ paid")
	return nil
}

// cmdReconcile pulls the providers' statements for a window and records
// what the webhooks missed.
func cmdReconcile(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	from := fs.String("from", "", "window start, RFC 3339 (default: 24 hours ago)")
	to := fs.String("to", "", "window end, RFC 3339 (default: now)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	end, start := time.Now(), time.Now().Add(-24*time.Hour)
	var err error
	if *to != "" {
		if end, err = time.Parse(time.RFC3339, *to); err != nil {
			return usageError{"--to must be RFC 3339"}
		}
	}
	if *from != "" {
		if start, err = time.Parse(time.RFC3339, *from); err != nil {
			return usageError{"--from must be RFC 3339"}
		}
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := wire(ctx, cfg, st, log, wireOptions{})
	if err != nil {
		return err
	}
	defer p.Close()
	rep, err := p.svc.Reconcile(ctx, market.Actor{Role: market.RoleAdmin}, start, end)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "checked %d statement lines, recorded %d missed transfers\n", rep.Checked, rep.Recorded)
	for _, t := range rep.Mismatches {
		fmt.Fprintf(stdout, "%-9s %s/%s %s đ to %s: %q\n", t.Outcome, t.Provider, t.EventID, t.Amount, t.Account, t.Content)
	}
	return nil
}
