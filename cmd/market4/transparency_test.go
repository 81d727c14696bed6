package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/pgtest"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/internal/translog"
)

// TestTransparencyCommands drives gen → audit → rollups → log sequence →
// log audit → verify-log (offline and against a server), on both
// databases.
func TestTransparencyCommands(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dsn, st := testDSN(t, d)
			for _, kv := range os.Environ() {
				if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "MARKET4_") && k != "MARKET4_TEST_DATABASE_URL" && k != "MARKET4_REQUIRE_POSTGRES" {
					t.Setenv(k, "")
					os.Unsetenv(k)
				}
			}
			t.Setenv("MARKET4_DATABASE_URL", dsn)
			cfg, err := loadConfig()
			if err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.DiscardHandler)
			var out bytes.Buffer
			run := func(fn func() error) string {
				t.Helper()
				out.Reset()
				if err := fn(); err != nil {
					t.Fatalf("%v\n%s", err, out.String())
				}
				return out.String()
			}
			got := run(func() error {
				return cmdGen(ctx, cfg, log, []string{"--district", "Huyện Thử", "--markets", "4", "--stalls", "60", "--payments", "3000",
					"--days", "40", "--end", "2026-11-20", "--unmatched", "7"}, &out)
			})
			if !strings.Contains(got, "3000 payments") {
				t.Fatalf("gen: %s", got)
			}
			// Topping the same district up reuses it.
			run(func() error {
				return cmdGen(ctx, cfg, log, []string{"--district", "Huyện Thử", "--markets", "4", "--stalls", "60", "--payments", "500",
					"--days", "10", "--end", "2026-11-20", "--seed", "2"}, &out)
			})
			var districts, payments int
			trMust(t, st.SQL().QueryRow(`SELECT COUNT(*) FROM districts`).Scan(&districts))
			trMust(t, st.SQL().QueryRow(`SELECT COUNT(*) FROM payments`).Scan(&payments))
			if districts != 1 || payments != 3500 {
				t.Fatalf("%d districts, %d payments after two runs", districts, payments)
			}
			// gen sealed its finished days (every one, now that 2026-11-20 is
			// past), and the top-up's rows for those days reached the summaries:
			// the rollup audit compares them.
			var summarised int
			trMust(t, st.SQL().QueryRow(`SELECT COUNT(*) FROM market_daily`).Scan(&summarised))
			if summarised == 0 {
				t.Fatal("gen sealed no day")
			}
			if got := run(func() error { return cmdRollups(ctx, cfg, log, []string{"seal"}, &out) }); !strings.Contains(got, "sealed") {
				t.Fatalf("seal: %s", got)
			}
			run(func() error { return cmdAudit(ctx, cfg, log, nil, &out) })
			run(func() error { return cmdRollups(ctx, cfg, log, []string{"audit"}, &out) })
			if got := run(func() error { return cmdRollups(ctx, cfg, log, []string{"rebuild"}, &out) }); !strings.Contains(got, "rollups agree") {
				t.Fatalf("rebuild: %s", got)
			}
			run(func() error { return cmdRollups(ctx, cfg, log, []string{"compact"}, &out) })

			keys := run(func() error {
				return cmdLog(ctx, cfg, log, []string{"keygen", "--origin", "market4.test/journal"}, &out)
			})
			skey := regexp.MustCompile(`MARKET4_LOG_SIGNER_KEY=(\S+)`).FindStringSubmatch(keys)[1]
			vkey := regexp.MustCompile(`MARKET4_LOG_VERIFIER_KEY=(\S+)`).FindStringSubmatch(keys)[1]
			t.Setenv("MARKET4_LOG_SIGNER_KEY", skey)
			got = run(func() error { return cmdLog(ctx, cfg, log, []string{"sequence"}, &out) })
			if !strings.Contains(got, "appended 3535 leaves") && !regexp.MustCompile(`appended \d+ leaves`).MatchString(got) {
				t.Fatalf("sequence: %s", got)
			}
			run(func() error { return cmdLog(ctx, cfg, log, []string{"audit"}, &out) })

			// A server to verify against.
			svc := newService(cfg, st, log)
			opt, _, err := logOptionsFromEnv()
			trMust(t, err)
			trMust(t, svc.UseTransparencyLog(opt))
			srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{OpenAPI: httpapi.Spec}))
			defer srv.Close()
			dir := t.TempDir()
			cp1, err := svc.LatestLogCheckpoint(ctx)
			trMust(t, err)
			trMust(t, os.WriteFile(filepath.Join(dir, "old.txt"), cp1.Note, 0o644))
			// More payments, logged: a newer checkpoint.
			run(func() error {
				return cmdGen(ctx, cfg, log, []string{"--district", "Huyện Thử", "--markets", "4", "--stalls", "60", "--payments", "50",
					"--days", "2", "--end", "2026-11-21", "--seed", "3", "--unmatched", "0"}, &out)
			})
			_, err = svc.SequenceOnce(ctx)
			trMust(t, err)
			var pid string
			trMust(t, st.SQL().QueryRow(`SELECT payment_id FROM log_leaves ORDER BY idx LIMIT 1 OFFSET 17`).Scan(&pid))
			got = run(func() error {
				return cmdVerifyLog(ctx, []string{"--key", vkey, "--server", srv.URL, "--old", filepath.Join(dir, "old.txt"), "--payment", pid}, &out)
			})
			for _, want := range []string{"OK   checkpoint signed by market4.test/journal", "only appended to the log of size " + itoa(cp1.Size), "OK   leaf 17 is in the log"} {
				if !strings.Contains(got, want) {
					t.Fatalf("verify-log lacks %q:\n%s", want, got)
				}
			}
			// Offline: the same from saved files.
			cp2, err := svc.LatestLogCheckpoint(ctx)
			trMust(t, err)
			trMust(t, os.WriteFile(filepath.Join(dir, "new.txt"), cp2.Note, 0o644))
			trMust(t, os.WriteFile(filepath.Join(dir, "key.txt"), []byte(vkey+"\n"), 0o644))
			save := func(name, path string) {
				resp, err := srv.Client().Get(srv.URL + path)
				trMust(t, err)
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				trMust(t, err)
				trMust(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
			}
			save("inc.json", "/v1/log/inclusion?payment_id="+pid)
			save("cons.json", "/v1/log/consistency?from="+itoa(cp1.Size))
			got = run(func() error {
				return cmdVerifyLog(ctx, []string{"--key", "@" + filepath.Join(dir, "key.txt"), "--checkpoint", filepath.Join(dir, "new.txt"),
					"--old", filepath.Join(dir, "old.txt"), "--consistency", filepath.Join(dir, "cons.json"), "--payment", pid,
					"--inclusion", filepath.Join(dir, "inc.json")}, &out)
			})
			if strings.Contains(got, "FAIL") || !strings.Contains(got, "OK   leaf 17") {
				t.Fatalf("offline verify:\n%s", got)
			}
			// A forged checkpoint and a wrong key are refused.
			forged := bytes.Replace(cp2.Note, []byte("\n"+itoa(cp2.Size)+"\n"), []byte("\n"+itoa(cp2.Size+1)+"\n"), 1)
			trMust(t, os.WriteFile(filepath.Join(dir, "forged.txt"), forged, 0o644))
			if err := cmdVerifyLog(ctx, []string{"--key", vkey, "--checkpoint", filepath.Join(dir, "forged.txt")}, io.Discard); err == nil {
				t.Fatal("forged checkpoint accepted")
			}
			_, other, _ := translog.GenerateKey("market4.test/journal")
			if err := cmdVerifyLog(ctx, []string{"--key", other, "--checkpoint", filepath.Join(dir, "new.txt")}, io.Discard); err == nil {
				t.Fatal("checkpoint accepted under another key")
			}
			got = run(func() error {
				return cmdBenchTransparency(ctx, cfg, log, []string{"reports", "--runs", "3"}, &out)
			})
			if !strings.Contains(got, "district month by day") {
				t.Fatalf("bench reports: %s", got)
			}
			got = run(func() error { return cmdBenchTransparency(ctx, cfg, log, []string{"log", "--proofs", "5"}, &out) })
			if !strings.Contains(got, "inclusion proof by index") {
				t.Fatalf("bench log: %s", got)
			}
		})
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func trMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testDSN opens a fresh migrated database of dialect d and returns its
// MARKET4_DATABASE_URL and a store on it.
func testDSN(t *testing.T, d store.Dialect) (string, *store.Store) {
	t.Helper()
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "market4.db")
	if d == store.Postgres {
		dsn = pgtest.NewDatabase(t, "market4", func(ctx context.Context, url string) error {
			st, err := store.Open(ctx, url, store.Options{MaxOpenConns: 2})
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = st.MigrateUp(ctx)
			return err
		})
	}
	st, err := store.Open(ctx, dsn, store.Options{MaxOpenConns: 8})
	trMust(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.MigrateUp(ctx)
	trMust(t, err)
	return dsn, st
}
