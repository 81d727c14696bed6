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
