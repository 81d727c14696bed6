package app_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/pkg/money"
)

// BenchmarkConfirmTransfer times the confirmation transaction alone (no
// HTTP, no signature) on PostgreSQL: static-QR transfers to 50 stalls of
// an open business day, one after another (sequential: the cost of one
// confirmation, steady on a noisy host) and from 16 goroutines (parallel).
//
//	MARKET4_TEST_DATABASE_URL=… go test ./internal/app -run '^$' -bench ConfirmTransfer -count 5
func BenchmarkConfirmTransfer(b *testing.B) {
	st := storetest.Open(b, store.Postgres)
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, payment.BusinessLocation)
	w := trNew(b, st, now)
	svc := w.svc
	var stalls []*market.Stall
	for range 50 {
		stalls = append(stalls, w.stall(0, "vegetables", market.StallActive))
	}
	// Yesterday and before are sealed, as on a running server.
	if _, _, err := svc.SealRollups(ctx); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	confirm := func() error {
		n := seq.Add(1)
		s := stalls[n%int64(len(stalls))]
		o, _, err := svc.ConfirmTransfer(ctx, provider.Notification{Provider: provider.MockBank, EventID: fmt.Sprintf("B%d", n),
			BankBIN: s.BankBIN, Account: s.AccountNumber, Amount: money.FromDong(1000 * (1 + n%90)), Content: "chuyen tien",
			Reference: "REF", Incoming: true, Success: true, At: now.Add(-time.Minute)}, payment.SourceWebhook)
		if err == nil && o != payment.OutcomeDirect {
			err = fmt.Errorf("outcome %s", o)
		}
		return err
	}
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			if err := confirm(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel16", func(b *testing.B) {
		b.SetParallelism(8) // × GOMAXPROCS (2 here) = 16 goroutines
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := confirm(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
