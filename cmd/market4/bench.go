package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/provider/mockbank"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/pkg/vietqr"
)

// cmdBench runs `market4 bench confirm`: it seeds stalls, serves the real
// HTTP stack on loopback, drives signed mock bank webhooks at it — first
// closed-loop to find the peak, then open-loop at a fraction of the peak to
// read latency — and runs pgbench on the bare SQL of one confirmation
// against the same database, printing the figures and their ratio.
func cmdBench(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "confirm" {
		return usageError{"usage: market4 bench confirm [--duration 10s] [--rounds 1] [--concurrency 32] [--stalls 200] [--fraction 0.7] [--pgbench-clients 16]"}
	}
	fs := flag.NewFlagSet("bench confirm", flag.ContinueOnError)
	dur := fs.Duration("duration", 10*time.Second, "length of each phase")
	conc := fs.Int("concurrency", 32, "concurrent webhook senders in the peak phase")
	nStalls := fs.Int("stalls", 200, "stalls receiving transfers")
	fraction := fs.Float64("fraction", 0.7, "open-loop rate as a fraction of the measured peak")
	pgClients := fs.Int("pgbench-clients", 16, "pgbench clients")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the (first) peak phase to this file")
	rounds := fs.Int("rounds", 1, "repeat peak, open loop and pgbench this many times, interleaved, and report the medians (this host's run-to-run spread is wide)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	log = slog.New(slog.NewJSONHandler(io.Discard, nil)) // the access log would dominate the profile
	st, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.MockbankSecret == "" {
		cfg.MockbankSecret = randomSecret()
	}
	cfg.MockbankURL = "http://127.0.0.1:1" // statements and refunds are not exercised
	p, err := wire(ctx, cfg, st, log, wireOptions{})
	if err != nil {
		return err
	}
	defer p.Close()
	accounts, err := seedBench(ctx, p, *nStalls)
	if err != nil {
		return describe(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: p.handler}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + mockbank.WebhookPath
	fmt.Fprintf(stdout, "bench confirm: %s database, %d stalls, %d CPUs, phases of %s\n", st.Dialect(), len(accounts), runtime.NumCPU(), *dur)

	gen := &webhookGen{url: url, secret: cfg.MockbankSecret, accounts: accounts, next: time.Now().UnixNano() / 1000,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 1024}}}
	gen.run(ctx, 4, 0, 2*time.Second) // warm up connections and caches
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	var ratios, p99s []float64
	for round := range max(*rounds, 1) {
		if *rounds > 1 {
			fmt.Fprintf(stdout, "round %d of %d\n", round+1, *rounds)
		}
		peak := gen.run(ctx, *conc, 0, *dur)
		if round == 0 && *cpuProfile != "" {
			pprof.StopCPUProfile()
		}
		fmt.Fprintf(stdout, "peak (closed loop, %d senders): %8.0f webhooks/s  p50 %s  p95 %s  p99 %s  errors %d\n",
			*conc, peak.rate, peak.p(50), peak.p(95), peak.p(99), peak.errors)
		target := peak.rate * *fraction
		open := gen.run(ctx, *conc*4, target, *dur)
		fmt.Fprintf(stdout, "open loop at %.0f%% of peak (%0.f/s):  %8.0f webhooks/s  p50 %s  p95 %s  p99 %s  errors %d\n",
			*fraction*100, target, open.rate, open.p(50), open.p(95), open.p(99), open.errors)
		fmt.Fprintf(stdout, "process peak RSS (server + load generator): %d MB\n", peakRSS()/1024)
		if st.Dialect() != store.Postgres {
			fmt.Fprintln(stdout, "pgbench comparison skipped: needs MARKET4_DATABASE_URL=postgres://…")
			continue
		}
		tps, err := runPgbench(ctx, cfg.DatabaseURL, st.SQL(), *pgClients, *dur)
		if err != nil {
			return fmt.Errorf("pgbench: %w", err)
		}
		fmt.Fprintf(stdout, "pgbench, bare SQL of one confirmation (%d clients): %8.0f tps\n", *pgClients, tps)
		fmt.Fprintf(stdout, "ratio webhooks/s ÷ pgbench tps: %.2f (goal ≥ 0.50); p99 at %.0f%% of peak: %s (goal < 50ms)\n",
			peak.rate/tps, *fraction*100, open.p(99))
		ratios = append(ratios, peak.rate/tps)
		p99s = append(p99s, float64(open.p(99))/float64(time.Millisecond))
	}
	if len(ratios) > 1 {
		med := func(v []float64) (float64, float64, float64) {
			slices.Sort(v)
			return v[len(v)/2], v[0], v[len(v)-1]
		}
		r, rlo, rhi := med(ratios)
		q, qlo, qhi := med(p99s)
		fmt.Fprintf(stdout, "median of %d rounds: ratio %.2f (%.2f–%.2f, goal ≥ 0.50); p99 at %.0f%% of peak %.1f ms (%.1f–%.1f, goal < 50)\n",
			len(ratios), r, rlo, rhi, *fraction*100, q, qlo, qhi)
	}
	if bad, err := p.svc.Audit(ctx); err != nil || len(bad) > 0 {
		return fmt.Errorf("audit after bench: %v %v", err, bad)
	}
	fmt.Fprintln(stdout, "audit after bench: passed")
	return nil
}

// seedBench creates a district, a market and n active stalls with fresh
// account numbers at real banks, through the use cases.
func seedBench(ctx context.Context, p *product, n int) ([]benchAccount, error) {
	admin := market.Actor{Role: market.RoleAdmin}
	run := time.Now().UnixNano() / 1000
	tag := strconv.FormatInt(run, 36)
	d, err := p.svc.CreateDistrict(ctx, admin, market.District{Name: "Bench " + tag, Province: "Bench"})
	if err != nil {
		return nil, err
	}
	m, err := p.svc.CreateMarket(ctx, admin, market.Market{DistrictID: d.ID, Name: "Bench market " + tag})
	if err != nil {
		return nil, err
	}
	bins := []string{"970436", "970418", "970407", "970422", "970405", "970415"}
	var csv strings.Builder
	csv.WriteString("stall_number,name,category,bank_bin,account_number,account_name\n")
	accts := make([]benchAccount, n)
	for i := range accts {
		bin := bins[i%len(bins)]
		b, _ := vietqr.LookupBank(bin)
		// Digits only, fresh per run: 9 + 6 digits of the clock + the index.
		accts[i] = benchAccount{gateway: b.ShortName, number: fmt.Sprintf("9%06d%05d", run%1_000_000, i)}
		fmt.Fprintf(&csv, "B%04d,Bench %d,other,%s,%s,BENCH VENDOR\n", i, i, bin, accts[i].number)
	}
	if _, err := p.svc.ImportStalls(ctx, admin, m.ID, strings.NewReader(csv.String()), nil); err != nil {
		return nil, err
	}
	return accts, nil
}

type benchAccount struct{ gateway, number string }

type webhookGen struct {
	url, secret string
	accounts    []benchAccount
	next        int64
	client      *http.Client
}

type phase struct {
	rate   float64
	lat    []time.Duration
	errors int64
}

func (ph phase) p(q int) time.Duration {
	if len(ph.lat) == 0 {
		return 0
	}
	i := (len(ph.lat)*q + 99) / 100
	return ph.lat[min(max(i-1, 0), len(ph.lat)-1)].Round(10 * time.Microsecond)
}

// run sends webhooks for d: closed loop with `workers` senders when rate is
// 0, otherwise open loop at rate/s (arrivals scheduled independently of
// responses, so queueing shows up in the latency as it would for a bank).
func (g *webhookGen) run(ctx context.Context, workers int, rate float64, d time.Duration) phase {
	var mu sync.Mutex
	var lat []time.Duration
	var errCount, done atomic.Int64
	deadline := time.Now().Add(d)
	work := make(chan time.Time, workers*4)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			send := func(start time.Time) {
				if err := g.send(ctx); err != nil {
					errCount.Add(1)
					return
				}
				local = append(local, time.Since(start))
				done.Add(1)
			}
			if rate == 0 {
				for time.Now().Before(deadline) && ctx.Err() == nil {
					send(time.Now())
				}
			} else {
				for at := range work {
					send(at)
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	start := time.Now()
	if rate > 0 {
		interval := time.Duration(float64(time.Second) / rate)
		for at := start; at.Before(deadline) && ctx.Err() == nil; at = at.Add(interval) {
			time.Sleep(time.Until(at))
			work <- at
		}
		close(work)
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return phase{rate: float64(done.Load()) / elapsed.Seconds(), lat: lat, errors: errCount.Load()}
}

func (g *webhookGen) send(ctx context.Context) error {
	id := atomic.AddInt64(&g.next, 1)
	a := g.accounts[rand.IntN(len(g.accounts))]
	now := time.Now()
	body, _ := json.Marshal(mockbank.Webhook{ID: id, Gateway: a.gateway, AccountNumber: a.number,
		TransactionDate: now.In(time.FixedZone("ICT", 7*3600)).Format(mockbank.DateLayout),
		Content:         "NGUYEN VAN AN chuyen tien", TransferType: "in", TransferAmount: int64(1+rand.IntN(500)) * 1000,
		ReferenceCode: "FT" + strconv.FormatInt(id, 10), Description: "bench"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Mockbank-Signature", mockbank.Sign(g.secret, now, body))
	resp, err := g.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// pgbenchScript is the bare SQL of one confirmation as DESIGN §4 defines
// it: insert the payment, insert its two journal lines, update the stall's
// totals — with the stall picked at random from the seeded ones. The two
// journal lines share one entry id and go in one statement, as the
// product writes them.
const pgbenchScript = `\set s random(1, :nstalls)
BEGIN;
INSERT INTO payments (id, stall_id, market_id, district_id, order_code, kind, channel, provider, amount, paid, description, status, qr_payload, pay_url, provider_ref, created_at, expires_at, paid_at, updated_at)
  SELECT gen_random_uuid()::text, id, market_id, district_id, gen_random_uuid()::text, 'static', 'bank_qr', 'pgbench', 50000, 50000, '', 'succeeded', '', '', '', now(), now(), now(), now() FROM bench_stalls WHERE n = :s;
INSERT INTO journal (entry_id, account, amount, stall_id, provider, created_at)
  SELECT e.id, v.account, v.amount, b.id, 'pgbench', now() FROM bench_stalls b, (SELECT gen_random_uuid()::text AS id) e,
  LATERAL (VALUES ('clearing:pgbench', 50000::bigint), ('stall:' || b.id, -50000::bigint)) v(account, amount) WHERE b.n = :s;
INSERT INTO stall_daily (stall_id, day, provider, shard, market_id, district_id, payments, amount, refunds, refunded)
  SELECT id, to_char(now(), 'YYYY-MM-DD'), 'pgbench', :s % 8, market_id, district_id, 1, 50000, 0, 0 FROM bench_stalls WHERE n = :s
  ON CONFLICT (stall_id, day, provider, shard) DO UPDATE SET payments = stall_daily.payments + 1, amount = stall_daily.amount + 50000;
END;
`

// runPgbench runs the script against the same database with the same
// stalls, in a scratch mapping table, then removes what it wrote so the
// product's audit still holds.
func runPgbench(ctx context.Context, dsn string, sqlDB *sql.DB, clients int, d time.Duration) (float64, error) {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return 0, fmt.Errorf("pgbench not found in PATH (Debian: postgresql-client)")
	}
	stmts := []string{
		`DROP TABLE IF EXISTS bench_stalls`,
		`CREATE TABLE bench_stalls AS SELECT row_number() OVER (ORDER BY id) AS n, id, market_id, district_id FROM stalls WHERE market_id = (SELECT market_id FROM stalls ORDER BY created_at DESC LIMIT 1)`,
		`CREATE UNIQUE INDEX ON bench_stalls (n)`,
	}
	for _, s := range stmts {
		if _, err := sqlDB.ExecContext(ctx, s); err != nil {
			return 0, err
		}
	}
	var n int
	if err := sqlDB.QueryRowContext(ctx, `SELECT COUNT(*) FROM bench_stalls`).Scan(&n); err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "market4-pgbench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "confirm.sql")
	if err := os.WriteFile(script, []byte(pgbenchScript), 0o644); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, bin, "-n", "-c", strconv.Itoa(clients), "-j", "2", "-T", strconv.Itoa(int(d.Seconds())),
		"-D", "nstalls="+strconv.Itoa(n), "-f", script, dsn)
	out, err := cmd.CombinedOutput()
	cleanup := []string{`ALTER TABLE journal DISABLE TRIGGER journal_append_only`, `DELETE FROM journal WHERE provider = 'pgbench'`,
		`ALTER TABLE journal ENABLE TRIGGER journal_append_only`, `DELETE FROM payments WHERE provider = 'pgbench'`,
		`DELETE FROM stall_daily WHERE provider = 'pgbench'`, `DROP TABLE bench_stalls`}
	for _, s := range cleanup {
		if _, cerr := sqlDB.ExecContext(context.Background(), s); cerr != nil && err == nil {
			err = cerr
		}
	}
	if err != nil {
		return 0, fmt.Errorf("%v\n%s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps in pgbench output:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// peakRSS is this process's high-water resident set, in KiB.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}
