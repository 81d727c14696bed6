package app_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
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
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/pkg/money"
)

// bankDouble stands in for the bank where these use-case tests need one:
// it has no webhooks of its own (tests call ConfirmTransfer directly) and
// refunds succeed unless told otherwise. End-to-end tests use the real mocks.
type bankDouble struct {
	refunds    atomic.Int64
	failRefund bool
}

func (b *bankDouble) Name() string { return provider.MockBank }
func (b *bankDouble) ParseWebhook(http.Header, []byte, time.Time) (provider.Notification, error) {
	return provider.Notification{}, errs.E(errs.BadSignature, "not used")
}
func (b *bankDouble) Ack(ok bool) (int, string, []byte) {
	return 200, "application/json", []byte(`{"success":true}`)
}
func (b *bankDouble) Create(context.Context, provider.CreateRequest) (provider.CreateResult, error) {
	return provider.CreateResult{}, nil
}
func (b *bankDouble) Statement(context.Context, time.Time, time.Time) ([]provider.Notification, error) {
	return nil, nil
}
func (b *bankDouble) Refund(_ context.Context, r provider.RefundRequest) (provider.RefundResult, error) {
	b.refunds.Add(1)
	if b.failRefund {
		return provider.RefundResult{Status: provider.RefundFailed, Message: "declined"}, nil
	}
	return provider.RefundResult{Status: provider.RefundSucceeded, ProviderRef: "RF" + r.RefundID[:8]}, nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	svc    *app.Service
	st     *store.Store
	clock  *clock
	bank   *bankDouble
	vendor market.Actor
	other  market.Actor
	stall  *market.Stall
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	cfg := app.DefaultConfig()
	cfg.Argon = app.ArgonParams{Memory: 64, Time: 1, Threads: 1}
	clk := &clock{t: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	svc := app.New(st, clk.now, cfg, nil)
	bank := &bankDouble{}
	svc.UseProvider(bank)
	admin := market.Actor{Role: market.RoleAdmin}
	d, err := svc.CreateDistrict(ctx, admin, market.District{Name: "Vị Thủy", Province: "Hậu Giang"})
	must(t, err)
	m, err := svc.CreateMarket(ctx, admin, market.Market{DistrictID: d.ID, Name: "Chợ Vị Thủy"})
	must(t, err)
	mk := func(phone string) market.Actor {
		u, err := svc.CreateUser(ctx, app.CreateUserInput{Phone: phone, Password: "password1", Name: "Vendor", Role: market.RoleVendor})
		must(t, err)
		return app.ActorOf(u)
	}
	f := &fixture{svc: svc, st: st, clock: clk, bank: bank, vendor: mk("0912000001"), other: mk("0912000002")}
	s, err := svc.CreateStall(ctx, f.vendor, app.StallInput{MarketID: m.ID, StallNumber: "A01", Name: "Rau Cô Ba", Category: "vegetables",
		BankBIN: "970436", AccountNumber: "0071000123456", AccountName: "Nguyen Thi Ba"})
	must(t, err)
	f.stall, err = svc.SetStallStatus(ctx, admin, s.ID, market.StallActive)
	must(t, err)
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) pay(t *testing.T, amount string) *payment.Payment {
	t.Helper()
	p, _, err := f.svc.CreatePayment(context.Background(), f.vendor, app.PaymentInput{StallID: f.stall.ID, Amount: amount, Description: "rau muống"}, nil)
	must(t, err)
	return p
}

var eventSeq atomic.Int64

func (f *fixture) transfer(amount int64, content string) provider.Notification {
	return provider.Notification{Provider: provider.MockBank, EventID: fmt.Sprint(1000 + eventSeq.Add(1)), BankBIN: "970436",
		Account: f.stall.AccountNumber, Amount: money.FromDong(amount), Content: content, Incoming: true, Success: true, At: f.clock.now()}
}

func (f *fixture) audit(t *testing.T) {
	t.Helper()
	bad, err := f.svc.Audit(context.Background())
	must(t, err)
	if len(bad) > 0 {
		t.Fatalf("audit failed:\n%s", strings.Join(bad, "\n"))
	}
}

func count(t *testing.T, st *store.Store, table string) int {
	t.Helper()
	var n int
	must(t, st.SQL().QueryRow("SELECT COUNT(*) FROM "+table).Scan(&n))
	return n
}

func TestConcurrentDuplicateDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		p := f.pay(t, "50000")
		n := f.transfer(50000, "MBVCB.123."+p.OrderCode+" rau muong")
		const deliveries = 50
		var wg sync.WaitGroup
		outcomes := make([]payment.Outcome, deliveries)
		errsC := make(chan error, deliveries)
		for i := 0; i < deliveries; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				o, _, err := f.svc.ConfirmTransfer(context.Background(), n, payment.SourceWebhook)
				outcomes[i] = o
				if err != nil {
					errsC <- err
				}
			}(i)
		}
		wg.Wait()
		close(errsC)
		for err := range errsC {
			t.Fatalf("delivery failed: %v", err)
		}
		matched := 0
		for _, o := range outcomes {
			switch o {
			case payment.OutcomeMatched:
				matched++
			case app.OutcomeDuplicate:
			default:
				t.Fatalf("unexpected outcome %q", o)
			}
		}
		if matched != 1 {
			t.Fatalf("%d deliveries matched, want exactly 1", matched)
		}
		if got := count(t, st, "journal"); got != 2 {
			t.Fatalf("journal has %d lines, want 2 (one entry)", got)
		}
		if got := count(t, st, "transfers"); got != 1 {
			t.Fatalf("inbox has %d rows, want 1", got)
		}
		got, err := f.svc.Payment(context.Background(), f.vendor, p.ID)
		must(t, err)
		if got.Status != payment.Succeeded || got.Paid.Dong() != 50000 {
			t.Fatalf("payment = %s paid %s, want succeeded 50000", got.Status, got.Paid)
		}
		f.audit(t)
	})
}

func TestMatching(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		confirm := func(n provider.Notification) (payment.Outcome, *payment.Payment) {
			t.Helper()
			o, p, err := f.svc.ConfirmTransfer(ctx, n, payment.SourceWebhook)
			must(t, err)
			return o, p
		}
		t.Run("mangled contents still match", func(t *testing.T) {
			for _, mangle := range []func(string) string{
				func(c string) string { return "MBVCB.3278614." + c + ".CT tu 0071000 toi" },
				func(c string) string { return strings.ReplaceAll(c+" thanh toan rau", " ", "") },
				func(c string) string { return strings.ToLower("ck " + c) },
				func(c string) string { return c[:4] + " " + c[4:] },
			} {
				p := f.pay(t, "20000")
				o, got := confirm(f.transfer(20000, mangle(p.OrderCode)))
				if o != payment.OutcomeMatched || got.ID != p.ID || got.Status != payment.Succeeded {
					t.Fatalf("content %q: outcome %q payment %+v", mangle(p.OrderCode), o, got)
				}
			}
		})
		t.Run("partial then rest", func(t *testing.T) {
			p := f.pay(t, "100000")
			if o, got := confirm(f.transfer(40000, p.OrderCode)); o != payment.OutcomePartial || got.Status != payment.PartiallyPaid {
				t.Fatalf("first part: %q %s", o, got.Status)
			}
			o, got := confirm(f.transfer(60000, p.OrderCode))
			if o != payment.OutcomeMatched || got.Status != payment.Succeeded || got.Paid.Dong() != 100000 {
				t.Fatalf("rest: %q %s %s", o, got.Status, got.Paid)
			}
		})
		t.Run("overpaid", func(t *testing.T) {
			p := f.pay(t, "30000")
			o, got := confirm(f.transfer(35000, p.OrderCode))
			if o != payment.OutcomeOverpaid || got.Status != payment.Succeeded || !got.Overpaid {
				t.Fatalf("overpaid: %q %+v", o, got)
			}
		})
		t.Run("late after expiry", func(t *testing.T) {
			p := f.pay(t, "15000")
			f.clock.add(16 * time.Minute)
			o, got := confirm(f.transfer(15000, p.OrderCode))
			if o != payment.OutcomeLate || got.Status != payment.Succeeded || !got.Late {
				t.Fatalf("late: %q %+v", o, got)
			}
		})
		t.Run("static QR without code", func(t *testing.T) {
			o, got := confirm(f.transfer(12000, "NGUYEN VAN AN chuyen tien"))
			if o != payment.OutcomeDirect || got.Kind != payment.Static || got.StallID != f.stall.ID || got.Paid.Dong() != 12000 ||
				got.Status != payment.Succeeded || got.Late || got.Overpaid {
				t.Fatalf("direct: %q %+v", o, got)
			}
		})
		t.Run("unknown account is held for review", func(t *testing.T) {
			n := f.transfer(9000, "chuyen tien")
			n.Account = "999999999"
			o, got := confirm(n)
			if o != payment.OutcomeUnmatched || got != nil {
				t.Fatalf("unmatched: %q %+v", o, got)
			}
			ts, err := f.svc.ListTransfers(ctx, market.Actor{Role: market.RoleAdmin}, app.TransferFilter{Outcomes: []payment.Outcome{payment.OutcomeUnmatched}})
			must(t, err)
			if len(ts) != 1 || ts[0].Amount.Dong() != 9000 {
				t.Fatalf("review queue = %+v", ts)
			}
		})
		t.Run("code of another stall's payment does not count", func(t *testing.T) {
			p := f.pay(t, "10000")
			n := f.transfer(10000, p.OrderCode)
			n.Account = "555555555"
			if o, _ := confirm(n); o != payment.OutcomeUnmatched {
				t.Fatalf("outcome %q, want unmatched", o)
			}
			got, err := f.svc.Payment(ctx, f.vendor, p.ID)
			must(t, err)
			if got.Status != payment.Pending {
				t.Fatalf("payment became %s from a transfer to another account", got.Status)
			}
		})
		t.Run("outgoing movement is ignored", func(t *testing.T) {
			n := f.transfer(5000, "phi")
			n.Incoming = false
			if o, p := confirm(n); o != payment.OutcomeIgnored || p != nil {
				t.Fatalf("outgoing: %q", o)
			}
		})
		f.audit(t)
	})
}

func TestCreatePaymentIdempotency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		render := func(v any) (int, []byte) { return 201, []byte(v.(*payment.Payment).ID) }
		in := app.PaymentInput{StallID: f.stall.ID, Amount: "35000"}
		idem := &app.Idempotency{Key: "k1", Hash: "h1", Render: render}
		p1, rep, err := f.svc.CreatePayment(ctx, f.vendor, in, idem)
		must(t, err)
		if rep != nil {
			t.Fatal("first request was replayed")
		}
		_, rep, err = f.svc.CreatePayment(ctx, f.vendor, in, idem)
		must(t, err)
		if rep == nil || string(rep.Body) != p1.ID || rep.Status != 201 {
			t.Fatalf("replay = %+v, want stored response naming %s", rep, p1.ID)
		}
		_, _, err = f.svc.CreatePayment(ctx, f.vendor, app.PaymentInput{StallID: f.stall.ID, Amount: "36000"}, &app.Idempotency{Key: "k1", Hash: "h2", Render: render})
		if !errs.Is(err, errs.IdempotencyKeyReused) {
			t.Fatalf("reused key err = %v", err)
		}
		if got := count(t, st, "payments"); got != 1 {
			t.Fatalf("%d payments, want 1", got)
		}
		// A request still in flight: claim the key as a crashed request would have.
		_, err = st.SQL().Exec(`INSERT INTO idempotency_keys (user_id, key, request_hash, state, created_at, locked_until) VALUES ($1, 'k2', 'h', 'in_flight', $2, $3)`,
			f.vendor.UserID, f.clock.now(), f.clock.now().Add(30*time.Second))
		must(t, err)
		k2 := &app.Idempotency{Key: "k2", Hash: "h", Render: render}
		if _, _, err = f.svc.CreatePayment(ctx, f.vendor, in, k2); !errs.Is(err, errs.InFlight) {
			t.Fatalf("in-flight err = %v", err)
		}
		// Its lease expires: the holder is presumed dead and a retry takes over.
		f.clock.add(31 * time.Second)
		if _, rep, err = f.svc.CreatePayment(ctx, f.vendor, in, k2); err != nil || rep != nil {
			t.Fatalf("take-over: rep %v err %v", rep, err)
		}
		// A failed command releases its key.
		bad := &app.Idempotency{Key: "k3", Hash: "h", Render: render}
		if _, _, err = f.svc.CreatePayment(ctx, f.other, in, bad); err == nil {
			t.Fatal("other vendor created a payment on a stall not theirs")
		}
		if got := count(t, st, "payments"); got != 2 {
			t.Fatalf("%d payments, want 2", got)
		}
	})
}

func TestConcurrentRefundsNeverExceedPaid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		p := f.pay(t, "100000")
		_, _, err := f.svc.ConfirmTransfer(ctx, f.transfer(100000, p.OrderCode), payment.SourceWebhook)
		must(t, err)
		const n = 20 // 20 × 30.000 requested against 100.000 paid → exactly 3 may succeed
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r, _, err := f.svc.CreateRefund(ctx, f.vendor, p.ID, app.RefundInput{Amount: "30000"},
					&app.Idempotency{Key: fmt.Sprint("r", i), Hash: "h", Render: func(v any) (int, []byte) { return 201, nil }})
				switch {
				case err == nil && r.Status == payment.RefundSucceeded:
					ok.Add(1)
				case errs.Is(err, errs.Invalid):
					refused.Add(1)
				default:
					t.Errorf("refund %d: %v %+v", i, err, r)
				}
			}(i)
		}
		wg.Wait()
		if ok.Load() != 3 || refused.Load() != n-3 {
			t.Fatalf("%d refunds succeeded, %d refused; want 3 and %d", ok.Load(), refused.Load(), n-3)
		}
		got, err := f.svc.Payment(ctx, f.vendor, p.ID)
		must(t, err)
		if got.Refunded.Dong() != 90000 || got.Refundable().Dong() != 10000 {
			t.Fatalf("refunded %s refundable %s", got.Refunded, got.Refundable())
		}
		// The rest, then nothing more.
		r, _, err := f.svc.CreateRefund(ctx, f.vendor, p.ID, app.RefundInput{}, nil)
		must(t, err)
		if r.Amount.Dong() != 10000 || r.Status != payment.RefundSucceeded {
			t.Fatalf("full remainder refund = %+v", r)
		}
		if _, _, err := f.svc.CreateRefund(ctx, f.vendor, p.ID, app.RefundInput{Amount: "1"}, nil); !errs.Is(err, errs.Conflict) {
			t.Fatalf("refund beyond paid: %v", err)
		}
		if _, _, err := f.svc.CreateRefund(ctx, f.other, p.ID, app.RefundInput{Amount: "1"}, nil); !errs.Is(err, errs.NotFound) {
			t.Fatalf("other vendor refund: %v", err)
		}
		f.audit(t)
	})
}

func TestFailedRefundReleasesReservation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		p := f.pay(t, "50000")
		_, _, err := f.svc.ConfirmTransfer(ctx, f.transfer(50000, p.OrderCode), payment.SourceWebhook)
		must(t, err)
		f.bank.failRefund = true
		r, _, err := f.svc.CreateRefund(ctx, f.vendor, p.ID, app.RefundInput{Amount: "20000"}, nil)
		must(t, err)
		if r.Status != payment.RefundFailed {
			t.Fatalf("status %s, want failed", r.Status)
		}
		got, _ := f.svc.Payment(ctx, f.vendor, p.ID)
		if got.Refundable().Dong() != 50000 {
			t.Fatalf("refundable %s after failed refund, want 50000", got.Refundable())
		}
		f.audit(t)
	})
}

func TestExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		p := f.pay(t, "10000")
		f.clock.add(15*time.Minute + time.Second)
		n, err := f.svc.ExpireDue(ctx)
		must(t, err)
		if n != 1 {
			t.Fatalf("expired %d, want 1", n)
		}
		got, _ := f.svc.Payment(ctx, f.vendor, p.ID)
		if got.Status != payment.Expired {
			t.Fatalf("status %s", got.Status)
		}
		if _, err := f.svc.CancelPayment(ctx, f.vendor, p.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("cancel expired: %v", err)
		}
	})
}

// TestAuditDetectsRollupDrift: a rollup changed behind the journal's back —
// or one with no journal at all — fails the audit, on both databases.
func TestAuditDetectsRollupDrift(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		_, _, err := f.svc.ConfirmTransfer(ctx, f.transfer(12000, "chuyen tien"), payment.SourceWebhook)
		must(t, err)
		f.audit(t)
		_, err = st.SQL().Exec(`INSERT INTO stall_daily (stall_id, day, provider, shard, market_id, district_id, payments, amount, refunds, refunded)
			VALUES ('ghost-stall', '2026-11-22', 'mockbank', 0, 'm', 'd', 1, 5000, 0, 0)`)
		must(t, err)
		bad, err := f.svc.Audit(ctx)
		must(t, err)
		found := false
		for _, b := range bad {
			found = found || strings.Contains(b, "stall journal balance differs from rollups: ghost-stall")
		}
		if !found {
			t.Fatalf("audit missed a rollup with no journal: %v", bad)
		}
	})
}

// TestMatchingWhenManyStallsShareAnAccount: a market's stalls may all be
// paid into one account (a cooperative's, say); an order code still
// matches the payment of the 21st stall, past the 20 stalls the account
// lookup lists.
func TestMatchingWhenManyStallsShareAnAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		admin := market.Actor{Role: market.RoleAdmin}
		var last *market.Stall
		for i := range 20 {
			s, err := f.svc.CreateStall(ctx, f.other, app.StallInput{MarketID: f.stall.MarketID, StallNumber: fmt.Sprintf("B%02d", i),
				Name: "Sạp chung", Category: "vegetables", BankBIN: f.stall.BankBIN, AccountNumber: f.stall.AccountNumber, AccountName: "HTX Cho"})
			must(t, err)
			last, err = f.svc.SetStallStatus(ctx, admin, s.ID, market.StallActive)
			must(t, err)
		}
		stalls, err := st.Read().StallsByAccount(ctx, f.stall.BankBIN, f.stall.AccountNumber)
		must(t, err)
		if slices.ContainsFunc(stalls, func(s market.Stall) bool { return s.ID == last.ID }) {
			t.Fatalf("the last stall is among the %d the lookup lists: the test does not reach past it", len(stalls))
		}
		p, _, err := f.svc.CreatePayment(ctx, f.other, app.PaymentInput{StallID: last.ID, Amount: "45000", Description: "rau"}, nil)
		must(t, err)
		o, got, err := f.svc.ConfirmTransfer(ctx, f.transfer(45000, "CK "+p.OrderCode), payment.SourceWebhook)
		must(t, err)
		if o != payment.OutcomeMatched || got == nil || got.ID != p.ID || got.Status != payment.Succeeded {
			t.Fatalf("outcome %q, payment %+v; want the 21st stall's payment matched", o, got)
		}
		f.audit(t)
	})
}
