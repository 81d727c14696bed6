package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/pkg/money"
)

// TestSealRacesLatePayments seals a day while webhooks for it, for the day
// before (already sealed) and for the day after (open) are being
// confirmed on several connections. Every confirmation must land in the
// summaries exactly once — through the sealer's fold or through its own
// late write, never both, never neither — which the rollup audit checks
// (summaries against stall_daily, stall_daily against the journal), and
// the district's report must count every transfer.
func TestSealRacesLatePayments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		base := time.Date(2026, 9, 28, 0, 0, 0, 0, hcm) // rounds cross a month end
		w := trNew(t, st, base.AddDate(0, 0, -1))
		var stalls []*market.Stall
		for i := range 6 {
			stalls = append(stalls, w.stall(i%3, "vegetables", market.StallActive))
		}
		const rounds, workers, perWorker = 6, 6, 15
		var seq int
		sent := 0
		for round := range rounds {
			day := base.AddDate(0, 0, round)
			// The clock says day is over: SealRollups seals through it.
			w.clock.set(day.Add(24*time.Hour + app.SealDelay + time.Minute))
			var wg sync.WaitGroup
			errc := make(chan error, workers*perWorker+1)
			for g := range workers {
				batch := make([]provider.Notification, perWorker)
				for i := range batch {
					seq++
					st := stalls[(g+i)%len(stalls)]
					at := day.Add(time.Duration(8+i%10)*time.Hour).AddDate(0, 0, i%3-1) // the day before, the day, the day after
					prov := provider.MockBank
					if i%4 == 0 {
						prov = provider.MockWallet
					}
					batch[i] = provider.Notification{Provider: prov, EventID: fmt.Sprintf("SEAL%d-%d", round, seq), BankBIN: st.BankBIN,
						Account: st.AccountNumber, Amount: money.FromDong(int64(1000 * (1 + seq%50))), Content: "chuyen tien",
						Reference: "REF", Incoming: true, Success: true, At: at}
				}
				sent += len(batch)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, n := range batch {
						if o, _, err := w.svc.ConfirmTransfer(ctx, n, payment.SourceWebhook); err != nil {
							errc <- err
							return
						} else if o != payment.OutcomeDirect {
							errc <- fmt.Errorf("transfer %s: outcome %s, want direct", n.EventID, o)
							return
						}
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				if _, through, err := w.svc.SealRollups(ctx); err != nil {
					errc <- err
				} else if want := day.Format(time.DateOnly); through != want {
					errc <- fmt.Errorf("sealed through %s, want %s", through, want)
				}
			}()
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Fatal(err)
			}
			bad, err := w.svc.AuditRollups(ctx)
			trMust(t, err)
			if len(bad) > 0 {
				t.Fatalf("round %d: %s", round, strings.Join(bad, "\n"))
			}
		}
		var summarised int64
		trMust(t, st.SQL().QueryRow(`SELECT COUNT(*) FROM market_daily`).Scan(&summarised))
		if summarised == 0 {
			t.Fatal("nothing was sealed")
		}
		rep, err := w.svc.Report(ctx, w.admin, app.ReportQuery{GroupBy: app.GroupDistrict, Period: app.PeriodMonth,
			From: base.AddDate(0, 0, -1).Format(time.DateOnly), To: base.AddDate(0, 0, rounds+1).Format(time.DateOnly)})
		trMust(t, err)
		if rep.Total.Payments != int64(sent) {
			t.Fatalf("report counts %d payments, %d were confirmed", rep.Total.Payments, sent)
		}
	})
}

// txCounter counts the transactions run through it.
type txCounter struct {
	*store.Store
	n int
}

func (c *txCounter) InTx(ctx context.Context, fn func(app.Tx) error) error {
	c.n++
	return c.Store.InTx(ctx, fn)
}

// TestSealWithoutRollups: a database with no payments yet (a new
// deployment) is sealed through yesterday in one step; a payment booked
// on a sealed day goes to the summaries, a later one to stall_daily only
// until its day is sealed — three months later, in one transaction per
// calendar month.
func TestSealWithoutRollups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, hcm)
		w := trNew(t, st, now)
		s := w.stall(0, "vegetables", market.StallActive)
		prev, through, err := w.svc.SealRollups(ctx)
		trMust(t, err)
		if prev != "" || through != "2026-11-21" {
			t.Fatalf("first seal of an empty database: after %q through %q", prev, through)
		}
		if got, err := st.Read().RollupsSealedThrough(ctx); err != nil || got != through {
			t.Fatalf("watermark %q, %v; want %s", got, err, through)
		}
		w.transfer(provider.MockBank, s, 30000, "", now.AddDate(0, 0, -3)) // late: a sealed day
		w.transfer(provider.MockBank, s, 40000, "", now)                   // today: open
		var sealed int64
		trMust(t, st.SQL().QueryRow(`SELECT COALESCE(SUM(amount), 0) FROM market_daily`).Scan(&sealed))
		if sealed != 30000 {
			t.Fatalf("summaries hold %d đồng, want the late 30000 only", sealed)
		}
		// Three months on, the next seal covers Nov 22 … Feb 20 in steps.
		w.clock.set(now.AddDate(0, 3, 0))
		w.transfer(provider.MockBank, s, 50000, "", now.AddDate(0, 1, 0))
		counter := &txCounter{Store: st}
		sealer := app.New(counter, w.clock.now, app.DefaultConfig(), nil)
		if _, through, err = sealer.SealRollups(ctx); err != nil || through != "2027-02-21" {
			t.Fatalf("second seal: through %q, %v", through, err)
		}
		if counter.n != 4 { // Nov 22-30, December, January, Feb 1-21
			t.Fatalf("second seal ran %d transactions, want one per month: 4", counter.n)
		}
		trMust(t, st.SQL().QueryRow(`SELECT COALESCE(SUM(amount), 0) FROM market_daily`).Scan(&sealed))
		if sealed != 120000 {
			t.Fatalf("summaries hold %d đồng after the second seal, want 120000", sealed)
		}
		bad, err := w.svc.AuditRollups(ctx)
		trMust(t, err)
		if len(bad) > 0 {
			t.Fatal(strings.Join(bad, "\n"))
		}
	})
}
