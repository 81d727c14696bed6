package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/translog"
	"github.com/market4/market4/pkg/money"
)

// The transparency tests build their own small world (districts, markets,
// stalls, a controllable clock, provider doubles) so they do not depend on
// the payment tests' fixture.

// trProvider is a provider double: no webhooks (tests call
// ConfirmTransfer), refunds always succeed.
type trProvider struct{ name string }

func (p trProvider) Name() string { return p.name }
func (p trProvider) ParseWebhook(http.Header, []byte, time.Time) (provider.Notification, error) {
	return provider.Notification{}, errs.E(errs.BadSignature, "not used")
}
func (p trProvider) Ack(bool) (int, string, []byte) { return 200, "text/plain", nil }
func (p trProvider) Create(context.Context, provider.CreateRequest) (provider.CreateResult, error) {
	return provider.CreateResult{}, nil
}
func (p trProvider) Statement(context.Context, time.Time, time.Time) ([]provider.Notification, error) {
	return nil, nil
}
func (p trProvider) Refund(_ context.Context, r provider.RefundRequest) (provider.RefundResult, error) {
	return provider.RefundResult{Status: provider.RefundSucceeded, ProviderRef: "RF-" + r.RefundID[:8]}, nil
}

type trClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *trClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *trClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var trSeq atomic.Int64

// trWorld is a registry with two districts for the transparency tests.
type trWorld struct {
	t         testing.TB
	svc       *app.Service
	st        *store.Store
	clock     *trClock
	admin     market.Actor
	districts []*market.District
	markets   []*market.Market // markets[i].DistrictID
	vendor    market.Actor
	stalls    []*market.Stall
	staff     []market.Actor // staff[i] belongs to districts[i]
}

var hcm = payment.BusinessLocation

func trNew(t testing.TB, st *store.Store, start time.Time) *trWorld {
	t.Helper()
	ctx := context.Background()
	cfg := app.DefaultConfig()
	cfg.Argon = app.ArgonParams{Memory: 64, Time: 1, Threads: 1}
	clk := &trClock{t: start}
	svc := app.New(st, clk.now, cfg, nil)
	svc.UseProvider(trProvider{provider.MockBank})
	svc.UseProvider(trProvider{provider.MockWallet})
	w := &trWorld{t: t, svc: svc, st: st, clock: clk, admin: market.Actor{Role: market.RoleAdmin}}
	for i, name := range []string{"Vị Thủy", "Long Mỹ"} {
		d, err := svc.CreateDistrict(ctx, w.admin, market.District{Name: name, Province: "Hậu Giang"})
		trMust(t, err)
		w.districts = append(w.districts, d)
		u, err := svc.CreateUser(ctx, app.CreateUserInput{Phone: fmt.Sprintf("09130000%02d", i), Password: "password1",
			Name: "Cán bộ " + name, Role: market.RoleStaff, DistrictID: d.ID})
		trMust(t, err)
		w.staff = append(w.staff, app.ActorOf(u))
	}
	for i, d := range []int{0, 0, 1} {
		m, err := svc.CreateMarket(ctx, w.admin, market.Market{DistrictID: w.districts[d].ID, Name: fmt.Sprintf("Chợ số %d", i+1)})
		trMust(t, err)
		w.markets = append(w.markets, m)
	}
	u, err := svc.CreateUser(ctx, app.CreateUserInput{Phone: "0913999999", Password: "password1", Name: "Cô Ba", Role: market.RoleVendor})
	trMust(t, err)
	w.vendor = app.ActorOf(u)
	return w
}

// stall registers a stall in market m at the clock's time; active unless
// pending is asked for.
func (w *trWorld) stall(m int, category string, status market.StallStatus) *market.Stall {
	w.t.Helper()
	ctx := context.Background()
	n := trSeq.Add(1)
	s, err := w.svc.CreateStall(ctx, w.vendor, app.StallInput{MarketID: w.markets[m].ID, StallNumber: fmt.Sprintf("S%d", n),
		Name: fmt.Sprintf("Sạp %d", n), Category: category, BankBIN: "970436", AccountNumber: fmt.Sprintf("88%010d", n), AccountName: "Nguyen Van A"})
	trMust(w.t, err)
	if status != market.StallPending {
		s, err = w.svc.SetStallStatus(ctx, w.admin, s.ID, status)
		trMust(w.t, err)
	}
	w.stalls = append(w.stalls, s)
	return s
}

// transfer delivers a bank notification for st's account at time at.
func (w *trWorld) transfer(prov string, st *market.Stall, amount int64, content string, at time.Time) (payment.Outcome, *payment.Payment) {
	w.t.Helper()
	n := provider.Notification{Provider: prov, EventID: fmt.Sprintf("EV%d", trSeq.Add(1)), BankBIN: st.BankBIN, Account: st.AccountNumber,
		Amount: money.FromDong(amount), Content: content, Reference: "REF", Incoming: true, Success: true, At: at}
	o, p, err := w.svc.ConfirmTransfer(context.Background(), n, payment.SourceWebhook)
	trMust(w.t, err)
	return o, p
}

func (w *trWorld) sale(st *market.Stall, amount int64) *payment.Payment {
	w.t.Helper()
	p, _, err := w.svc.CreatePayment(context.Background(), w.vendor, app.PaymentInput{StallID: st.ID, Amount: fmt.Sprint(amount)}, nil)
	trMust(w.t, err)
	return p
}

func (w *trWorld) refund(p *payment.Payment, amount int64) {
	w.t.Helper()
	r, _, err := w.svc.CreateRefund(context.Background(), w.vendor, p.ID, app.RefundInput{Amount: fmt.Sprint(amount), Reason: "trả lại"}, nil)
	trMust(w.t, err)
	if r.Status != payment.RefundSucceeded {
		w.t.Fatalf("refund %s is %s", r.ID, r.Status)
	}
}

// useLog turns the transparency log on with a fresh key.
func (w *trWorld) useLog(opt app.LogOptions) string {
	w.t.Helper()
	skey, vkey, err := translog.GenerateKey("market4.test/journal")
	trMust(w.t, err)
	opt.SignerKey = skey
	trMust(w.t, w.svc.UseTransparencyLog(opt))
	return vkey
}

func trMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// randomActivity fills the world with a mix of everything reports count:
// static and dynamic payments (matched, partial, overpaid, late), two
// providers, transfers around local midnight, unmatched transfers to a
// pending stall, and refunds, over days from start.
func (w *trWorld) randomActivity(r *rand.Rand, start time.Time, days, n int) {
	w.t.Helper()
	active := []*market.Stall{}
	for _, s := range w.stalls {
		if s.Status == market.StallActive {
			active = append(active, s)
		}
	}
	var paid []*payment.Payment
	for i := 0; i < n; i++ {
		st := active[r.IntN(len(active))]
		day := start.AddDate(0, 0, r.IntN(days))
		var at time.Time
		switch r.IntN(4) {
		case 0: // the last minutes of the local day
			at = time.Date(day.Year(), day.Month(), day.Day(), 23, 58+r.IntN(2), r.IntN(60), 0, hcm)
		case 1: // the first minutes of the local day
			at = time.Date(day.Year(), day.Month(), day.Day(), 0, r.IntN(2), r.IntN(60), 0, hcm)
		default:
			at = time.Date(day.Year(), day.Month(), day.Day(), 6+r.IntN(12), r.IntN(60), r.IntN(60), 0, hcm)
		}
		w.clock.set(at.Add(time.Duration(r.IntN(120)) * time.Second))
		amount := int64(1+r.IntN(40)) * 5000
		switch r.IntN(6) {
		case 0, 1: // static QR
			prov := provider.MockBank
			if r.IntN(3) == 0 {
				prov = provider.MockWallet
			}
			_, p := w.transfer(prov, st, amount, "chuyen tien", at)
			paid = append(paid, p)
		case 2: // dynamic, paid exactly
			p := w.sale(st, amount)
			_, p = w.transfer(provider.MockBank, st, amount, "MBVCB.1."+p.OrderCode, at)
			paid = append(paid, p)
		case 3: // dynamic, paid in two parts
			p := w.sale(st, amount+10000)
			w.transfer(provider.MockBank, st, amount, p.OrderCode, at)
			_, p = w.transfer(provider.MockBank, st, 10000, p.OrderCode, at.Add(time.Minute))
			paid = append(paid, p)
		case 4: // dynamic, overpaid and late
			p := w.sale(st, amount)
			w.clock.set(at.Add(time.Hour))
			_, p = w.transfer(provider.MockBank, st, amount+2000, p.OrderCode, at.Add(time.Hour))
			paid = append(paid, p)
		case 5: // money for nobody: a pending stall's account
			for _, s := range w.stalls {
				if s.Status == market.StallPending {
					w.transfer(provider.MockBank, s, amount, "??", at)
					break
				}
			}
		}
		if len(paid) > 0 && r.IntN(5) == 0 {
			p := paid[r.IntN(len(paid))]
			cur, err := w.svc.Payment(context.Background(), w.admin, p.ID)
			trMust(w.t, err)
			if left := cur.Refundable().Dong(); left > 0 {
				w.clock.set(w.clock.now().Add(time.Duration(r.IntN(36)) * time.Hour))
				w.refund(cur, 1+r.Int64N(left))
			}
		}
	}
}
