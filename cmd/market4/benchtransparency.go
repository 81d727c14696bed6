package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/translog"
)

// cmdBenchTransparency runs `market4 bench-transparency reports|log`
// against the configured database (fill it with `market4 gen` first) and
// prints the figures DESIGN §4 asks for.
//
//	reports  latency of district reports for one month, through the same
//	         service call as GET /v1/reports (target < 100 ms, independent
//	         of the number of payments)
//	log      transparency log append throughput (the sequencer, in batches)
//	         and inclusion/consistency proof generation time
func cmdBenchTransparency(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	const usage = "usage: market4 bench-transparency reports [--district ID] [--month YYYY-MM] [--runs 30] | log [--batch 1000] [--max N] [--proofs 200]"
	if len(args) == 0 {
		return usageError{usage}
	}
	fs := flag.NewFlagSet("bench-transparency", flag.ContinueOnError)
	district := fs.String("district", "", "district id (default: the one with the most stalls)")
	month := fs.String("month", "", "month YYYY-MM (default: the latest with rollups)")
	runs := fs.Int("runs", 30, "timed runs per report")
	batch := fs.Int("batch", 1000, "sequencer batch size")
	maxLeaves := fs.Int("max", 0, "stop after appending this many leaves (0: until the log is caught up)")
	proofs := fs.Int("proofs", 200, "proofs to time")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := newService(cfg, st, slog.New(slog.DiscardHandler))
	db := st.SQL()
	switch args[0] {
	case "reports":
		if *district == "" {
			if err := db.QueryRowContext(ctx, `SELECT district_id FROM stalls GROUP BY district_id ORDER BY COUNT(*) DESC LIMIT 1`).Scan(district); err != nil {
				return fmt.Errorf("no stalls: run market4 gen first (%w)", err)
			}
		}
		if *month == "" {
			var last string
			if err := db.QueryRowContext(ctx, `SELECT MAX(day) FROM stall_daily WHERE district_id = '`+*district+`'`).Scan(&last); err != nil {
				return fmt.Errorf("no rollups in the district: %w", err)
			}
			*month = last[:7]
		}
		first, err := time.Parse("2006-01", *month)
		if err != nil {
			return usageError{"--month must be YYYY-MM"}
		}
		from, to := first.Format(time.DateOnly), first.AddDate(0, 1, -1).Format(time.DateOnly)
		var payments, stalls, rollups int64
		_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM payments`).Scan(&payments)
		_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM stalls WHERE district_id = '`+*district+`'`).Scan(&stalls)
		_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM stall_daily WHERE district_id = '`+*district+`' AND day >= '`+from+`' AND day <= '`+to+`'`).Scan(&rollups)
		fmt.Fprintf(stdout, "database: %s, %d payments in all; district %s: %d stalls, %d rollup rows in %s..%s\n", st.Dialect(), payments, *district, stalls, rollups, from, to)
		var sealed string
		var marketDays, stallMonths int64
		_ = db.QueryRowContext(ctx, `SELECT sealed_through FROM rollup_seal`).Scan(&sealed)
		_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_daily WHERE district_id = '`+*district+`' AND day >= '`+from+`' AND day <= '`+to+`'`).Scan(&marketDays)
		_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM stall_monthly WHERE district_id = '`+*district+`' AND month = '`+from[:7]+`'`).Scan(&stallMonths)
		fmt.Fprintf(stdout, "sealed through %q: summaries hold %d market-day and %d stall-month rows of the month (market4 rollups seal)\n", sealed, marketDays, stallMonths)
		admin := market.Actor{Role: market.RoleAdmin}
		for _, c := range []struct {
			name string
			q    app.ReportQuery
		}{
			{"district month by day      ", app.ReportQuery{GroupBy: app.GroupDistrict, Period: app.PeriodDay}},
			{"district month by week     ", app.ReportQuery{GroupBy: app.GroupDistrict, Period: app.PeriodWeek}},
			{"markets, month total       ", app.ReportQuery{GroupBy: app.GroupMarket, Period: app.PeriodRange}},
			{"markets by day             ", app.ReportQuery{GroupBy: app.GroupMarket, Period: app.PeriodDay}},
			{"stalls, month total        ", app.ReportQuery{GroupBy: app.GroupStall, Period: app.PeriodRange}},
		} {
			c.q.DistrictID, c.q.From, c.q.To = *district, from, to
			var rows int
			var pays int64
			d, err := timeIt(*runs, 3, func() error {
				rep, err := svc.Report(ctx, admin, c.q)
				if err == nil {
					rows, pays = len(rep.Rows), rep.Total.Payments
				}
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "report %s %s  (%d rows, %d payments in the month)\n", c.name, d, rows, pays)
		}
		var rows int
		d, err := timeIt(*runs, 3, func() error {
			out, _, _, err := svc.OpenData(ctx, app.OpenDataQuery{DistrictID: *district, From: from, To: to})
			rows = len(out)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "open data, month by market   %s  (%d market-days)\n", d, rows)
		return nil
	case "log":
		opt, ok, err := logOptionsFromEnv()
		if err != nil {
			return err
		}
		if !ok {
			if opt.SignerKey, _, err = translog.GenerateKey("market4.bench/journal"); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "no MARKET4_LOG_SIGNER_KEY: signing with a throwaway key (benchmark databases only)")
		}
		opt.Batch = *batch
		if err := svc.UseTransparencyLog(opt); err != nil {
			return describe(err)
		}
		total, runsN := 0, 0
		start := time.Now()
		var worst time.Duration
		for *maxLeaves == 0 || total < *maxLeaves {
			t0 := time.Now()
			n, err := svc.SequenceOnce(ctx)
			if err != nil {
				return err
			}
			worst = max(worst, time.Since(t0))
			total += n
			runsN++
			if n == 0 {
				break
			}
		}
		el := time.Since(start)
		cp, err := svc.LatestLogCheckpoint(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "log append: %d leaves in %d batches of ≤%d in %s = %.0f leaves/s (slowest batch %s); tree size %d\n",
			total, runsN, *batch, el.Round(time.Millisecond), float64(total)/el.Seconds(), worst.Round(time.Millisecond), cp.Size)
		if cp.Size == 0 {
			return errors.New("empty log: nothing to prove")
		}
		c, err := translog.OpenCheckpoint(cp.Note, opt.VerifierKey)
		if err != nil {
			if vk, e := svc.LogVerifierKey(); e == nil {
				c, err = translog.OpenCheckpoint(cp.Note, vk)
			}
		}
		if err != nil {
			return err
		}
		r := rand.New(rand.NewPCG(1, 2))
		var ids []string
		d, err := timeIt(*proofs, 5, func() error {
			ps, err := svc.LeafInclusion(ctx, market.Actor{Role: market.RoleAdmin}, r.Uint64N(cp.Size), 0)
			if err != nil {
				return err
			}
			l := ps.Leaves[0]
			if len(ids) < *proofs {
				ids = append(ids, l.PaymentID)
			}
			return translog.VerifyInclusion(translog.LeafHash(l.Leaf), l.Index, c.Size, c.Root, l.Proof)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "inclusion proof by index (read + verify)      %s\n", d)
		i := 0
		d, err = timeIt(*proofs, 5, func() error {
			_, err := svc.PaymentInclusion(ctx, ids[i%len(ids)], 0)
			i++
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "inclusion proofs by payment id                %s\n", d)
		d, err = timeIt(*proofs, 5, func() error {
			from := r.Uint64N(cp.Size + 1)
			_, _, _, err := svc.LogConsistency(ctx, from, 0)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "consistency proof to the latest checkpoint    %s\n", d)
		return nil
	}
	return usageError{usage}
}

// timeIt runs fn warm times untimed, then n times, and describes the
// latencies.
func timeIt(n, warm int, fn func() error) (string, error) {
	for i := 0; i < warm; i++ {
		if err := fn(); err != nil {
			return "", err
		}
	}
	ds := make([]time.Duration, n)
	for i := range ds {
		t0 := time.Now()
		if err := fn(); err != nil {
			return "", err
		}
		ds[i] = time.Since(t0)
	}
	slices.Sort(ds)
	q := func(p float64) string {
		return fmt.Sprintf("%6.2f ms", float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds())/1000)
	}
	return fmt.Sprintf("p50 %s  p95 %s  max %s", q(0.5), q(0.95), q(1)), nil
}
