package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/payment"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/internal/provider/mockbank"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/pkg/money"
)

// The payment routes have their own authorization matrix
// (TestPaymentsAuthorizationMatrix); the live stream, which never ends,
// is checked by TestStallEventsContract.
func init() {
	for _, c := range paymentsMatrix() {
		authzElsewhere[c.op] = "TestPaymentsAuthorizationMatrix"
	}
	authzElsewhere["GET /v1/stalls/{id}/events"] = "TestStallEventsContract"
}

const testBankSecret = "matrix-bank-secret"

// testBank is the real mock bank adapter (webhook signatures, acks) with
// the calls that would reach the bank answered locally: an empty statement
// and refunds that succeed.
type testBank struct{ *mockbank.Provider }

func (testBank) Statement(context.Context, time.Time, time.Time) ([]provider.Notification, error) {
	return nil, nil
}

func (testBank) Refund(_ context.Context, r provider.RefundRequest) (provider.RefundResult, error) {
	return provider.RefundResult{Status: provider.RefundSucceeded, ProviderRef: "R" + r.RefundID[:8]}, nil
}

func useTestBank(a *api) {
	a.svc.UseProvider(testBank{mockbank.NewProvider(mockbank.ProviderConfig{Secret: testBankSecret, BaseURL: "http://127.0.0.1:1"})})
}

// pay opens a payment of vendorA's new active stall in district 1 through
// the service; paid credits it in full as the bank would.
func pay(t testing.TB, a *api, w *world, paid bool) *payment.Payment {
	t.Helper()
	// An account of its own: transfers are matched among at most 20
	// stalls sharing an account (store.StallsByAccount).
	n := next()
	st, err := a.svc.CreateStall(bg, w.actor("vendorA"), app.StallInput{MarketID: w.m1.ID, StallNumber: fmt.Sprintf("Y%d", n), Name: "Sạp thu",
		Category: "vegetables", BankBIN: "970436", AccountNumber: fmt.Sprintf("0072%09d", n), AccountName: "Nguyễn Thị Ba"})
	if err != nil {
		t.Fatal(err)
	}
	if st, err = a.svc.SetStallStatus(bg, market.Actor{Role: market.RoleAdmin}, st.ID, market.StallActive); err != nil {
		t.Fatal(err)
	}
	p, _, err := a.svc.CreatePayment(bg, w.actor("vendorA"), app.PaymentInput{StallID: st.ID, Amount: "35000", Description: "rau muống"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if paid {
		if _, _, err := a.svc.ConfirmTransfer(bg, provider.Notification{Provider: provider.MockBank, EventID: fmt.Sprintf("ev%d", next()),
			BankBIN: st.BankBIN, Account: st.AccountNumber, Amount: money.FromDong(35000), Content: p.OrderCode + " rau muong",
			Incoming: true, Success: true}, payment.SourceWebhook); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// bankWebhook is a signed mock bank notification of a transfer into the
// account of the world's stalls.
func bankWebhook(content string) req {
	body, _ := json.Marshal(map[string]any{"id": 900000 + next(), "gateway": "Vietcombank",
		"transactionDate": time.Now().In(time.FixedZone("ICT", 7*3600)).Format(mockbank.DateLayout),
		"accountNumber":   "0071000123456", "subAccount": nil, "code": nil, "content": content, "transferType": "in",
		"transferAmount": 20000, "accumulated": 0, "referenceCode": "FT1", "description": content})
	return req{method: "POST", path: "/v1/webhooks/mockbank", raw: raw(string(body)),
		header: map[string]string{mockbank.SignatureHeader: mockbank.Sign(testBankSecret, time.Now(), body)}}
}

func paymentsMatrix() []matrixCase {
	payment := func(paid bool, suffix string) func(*testing.T, *api, *world, string) req {
		return func(t *testing.T, a *api, w *world, _ string) req {
			return req{method: "GET", path: "/v1/payments/" + pay(t, a, w, paid).ID + suffix}
		}
	}
	return []matrixCase{
		{op: "GET /v1/stalls/{id}/payments", want: [7]int{401, 200, 404, 200, 404, 200, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				return req{method: "GET", path: "/v1/stalls/" + pay(t, a, w, true).StallID + "/payments?status=succeeded&limit=10"}
			}},
		// Only the stall's vendor takes payments; staff and admins who may
		// see the stall are refused, others cannot name it.
		{op: "POST /v1/payments", want: [7]int{401, 201, 422, 403, 422, 403, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				st := w.stall(t, a, "vendorA", w.m1, fmt.Sprintf("C%d", next()), market.StallActive)
				return req{method: "POST", path: "/v1/payments", json: map[string]string{"stall_id": st.ID, "amount": "35000", "description": "rau muống"},
					header: map[string]string{"Idempotency-Key": fmt.Sprintf("sale-%d", next())}}
			}},
		{op: "GET /v1/payments/{id}", prep: payment(false, ""), want: [7]int{401, 200, 404, 200, 404, 200, 401}},
		{op: "POST /v1/payments/{id}/cancel", want: [7]int{401, 200, 404, 403, 404, 403, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				return req{method: "POST", path: "/v1/payments/" + pay(t, a, w, false).ID + "/cancel"}
			}},
		{op: "GET /v1/payments/{id}/qr.png", prep: payment(false, "/qr.png"), want: [7]int{200, 200, 200, 200, 200, 200, 401}},
		{op: "GET /v1/payments/{id}/qr.svg", prep: payment(false, "/qr.svg"), want: [7]int{200, 200, 200, 200, 200, 200, 401}},
		{op: "GET /v1/payments/{id}/refunds", prep: payment(true, "/refunds"), want: [7]int{401, 200, 404, 200, 404, 200, 401}},
		{op: "POST /v1/payments/{id}/refunds", want: [7]int{401, 201, 404, 403, 404, 201, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				return req{method: "POST", path: "/v1/payments/" + pay(t, a, w, true).ID + "/refunds", json: map[string]string{"amount": "5000", "reason": "thối lại"},
					header: map[string]string{"Idempotency-Key": fmt.Sprintf("refund-%d", next())}}
			}},
		// Providers call the webhook without a session; a bad bearer token
		// is still refused.
		{op: "POST /v1/webhooks/{provider}", want: [7]int{200, 200, 200, 200, 200, 200, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req { return bankWebhook(pay(t, a, w, false).OrderCode) }},
		{op: "POST /v1/reconcile", want: [7]int{401, 403, 403, 200, 200, 200, 401},
			prep: func(*testing.T, *api, *world, string) req {
				now := time.Now().UTC()
				return req{method: "POST", path: "/v1/reconcile", json: map[string]string{
					"from": now.Add(-24 * time.Hour).Format(time.RFC3339), "to": now.Add(time.Minute).Format(time.RFC3339)}}
			}},
		{op: "GET /v1/transfers", want: [7]int{401, 403, 403, 200, 200, 200, 401},
			prep: func(t *testing.T, a *api, w *world, _ string) req {
				pay(t, a, w, true)
				return req{method: "GET", path: "/v1/transfers?outcome=matched&limit=5"}
			}},
	}
}

// TestPaymentsAuthorizationMatrix calls every payment endpoint as every
// kind of caller, through the contract, and asserts the exact status; a
// refused call must write no payment, refund, journal line, transfer or
// rollup (runMatrix).
func TestPaymentsAuthorizationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		useTestBank(a)
		w := newWorld(t, a)
		runMatrix(t, a, w, st, paymentsMatrix(), nil)
	})
}

// TestPaymentsContract walks a sale through the API — idempotent create,
// replay, reuse, webhook, refunds, cancel — and the error answers of each
// step, every exchange validated against openapi.yaml.
func TestPaymentsContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		useTestBank(a)
		w := newWorld(t, a)
		vendor := w.tokens["vendorA"]
		stall := w.stall(t, a, "vendorA", w.m1, "K1", market.StallActive)
		body := map[string]string{"stall_id": stall.ID, "amount": "35000", "description": "rau  muống"}
		key := map[string]string{"Idempotency-Key": "sale-1"}

		a.do(req{method: "POST", path: "/v1/payments", token: vendor, json: body, invalid: true}).wantProblem(t, 422, "invalid", "Idempotency-Key")
		var p struct {
			ID        string `json:"id"`
			OrderCode string `json:"order_code"`
		}
		r := a.do(req{method: "POST", path: "/v1/payments", token: vendor, json: body, header: key}).want(t, 201)
		r.decode(t, &p)
		var again idJSON
		r = a.do(req{method: "POST", path: "/v1/payments", token: vendor, json: body, header: key}).want(t, 201)
		if r.decode(t, &again); again.ID != p.ID || r.header.Get("Idempotency-Hit") != "true" {
			t.Fatalf("replay: id %s hit %q, want %s true", again.ID, r.header.Get("Idempotency-Hit"), p.ID)
		}
		a.do(req{method: "POST", path: "/v1/payments", token: vendor, json: map[string]string{"stall_id": stall.ID, "amount": "36000"}, header: key}).
			wantProblem(t, 422, "idempotency_key_reused")
		a.do(req{method: "POST", path: "/v1/payments", token: vendor, json: map[string]string{"stall_id": stall.ID, "amount": "-1"},
			header: map[string]string{"Idempotency-Key": "sale-2"}}).wantProblem(t, 422, "invalid", "amount")
		a.do(req{method: "POST", path: "/v1/payments", token: vendor, json: map[string]string{"stall_id": stall.ID, "amount": "1000", "provider": "ewallet"},
			header: map[string]string{"Idempotency-Key": "sale-3"}}).wantProblem(t, 422, "invalid", "provider")
		pending := w.stall(t, a, "vendorA", w.m1, "K2", market.StallPending)
		a.do(req{method: "POST", path: "/v1/payments", token: vendor, json: map[string]string{"stall_id": pending.ID, "amount": "1000"},
			header: map[string]string{"Idempotency-Key": "sale-4"}}).wantProblem(t, 409, "conflict")

		// Not paid yet: nothing to refund.
		a.do(req{method: "POST", path: "/v1/payments/" + p.ID + "/refunds", token: vendor, header: map[string]string{"Idempotency-Key": "r0"}}).
			wantProblem(t, 409, "conflict")

		// The bank's webhook: a bad signature, then the real one, twice.
		wh := bankWebhook(p.OrderCode + " rau muong")
		bad := wh
		bad.header = map[string]string{mockbank.SignatureHeader: "t=1,v1=" + strings.Repeat("0", 64)}
		a.do(bad).wantProblem(t, 401, "bad_signature")
		a.do(req{method: "POST", path: "/v1/webhooks/nobank", raw: wh.raw}).wantProblem(t, 404, "not_found")
		a.do(wh).want(t, 200)
		a.do(wh).want(t, 200)

		var got struct{ Status, Paid string }
		a.do(req{method: "GET", path: "/v1/payments/" + p.ID, token: vendor}).want(t, 200).decode(t, &got)
		if got.Paid != "20000" || got.Status != "partially_paid" {
			t.Fatalf("after the webhook: %+v", got)
		}
		a.do(req{method: "POST", path: "/v1/payments/" + p.ID + "/cancel", token: vendor}).wantProblem(t, 409, "conflict")

		// Refunds: too much, then all that is left with an empty body.
		a.do(req{method: "POST", path: "/v1/payments/" + p.ID + "/refunds", token: vendor, json: map[string]string{"amount": "30000"},
			header: map[string]string{"Idempotency-Key": "r1"}}).wantProblem(t, 422, "invalid", "amount")
		var ref struct{ Amount, Status string }
		a.do(req{method: "POST", path: "/v1/payments/" + p.ID + "/refunds", token: vendor, header: map[string]string{"Idempotency-Key": "r2"}}).
			want(t, 201).decode(t, &ref)
		if ref.Amount != "20000" || ref.Status != "succeeded" {
			t.Fatalf("refund: %+v", ref)
		}
		var refunds listJSON[struct{ ID string }]
		a.do(req{method: "GET", path: "/v1/payments/" + p.ID + "/refunds", token: vendor}).want(t, 200).decode(t, &refunds)
		if len(refunds.Items) != 1 {
			t.Fatalf("%d refunds", len(refunds.Items))
		}

		// Lists and filters.
		a.do(req{method: "GET", path: "/v1/stalls/" + stall.ID + "/payments?from=2026-01-01T00:00:00Z", token: vendor}).want(t, 200)
		a.do(req{method: "GET", path: "/v1/stalls/" + stall.ID + "/payments?status=lost", token: vendor, invalid: true}).wantProblem(t, 422, "invalid", "status")
		a.do(req{method: "GET", path: "/v1/transfers?unreviewed=true", token: w.tokens["staff1"]}).want(t, 200)
		a.do(req{method: "POST", path: "/v1/reconcile", token: w.tokens["admin"], json: map[string]string{"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}}).
			wantProblem(t, 422, "invalid", "to")

		// A pending payment's QR, and its cached copy.
		q := pay(t, a, w, false)
		img := a.do(req{method: "GET", path: "/v1/payments/" + q.ID + "/qr.png"}).want(t, 200)
		a.do(req{method: "GET", path: "/v1/payments/" + q.ID + "/qr.png", header: map[string]string{"If-None-Match": img.header.Get("ETag")}}).want(t, 304)
		a.do(req{method: "POST", path: "/v1/payments/" + q.ID + "/cancel", token: vendor}).want(t, 200)
		a.do(req{method: "GET", path: "/v1/payments/0190c4f5-7d1e-7c3a-9d1b-2f6f1f0e5a11/qr.svg"}).wantProblem(t, 404, "not_found")
	})
}

// TestStallEventsContract checks who may open a stall's live stream and
// that what it sends is what the contract describes: the status and
// headers through the contract transport, each event's data against the
// PaymentEvent schema.
func TestStallEventsContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		useTestBank(a)
		w := newWorld(t, a)
		ctx, cancel := context.WithCancel(bg)
		defer cancel()
		go a.svc.RunBackground(ctx, time.Hour) // the hub that wakes subscribers
		stall := w.stall(t, a, "vendorA", w.m1, "E1", market.StallActive)
		path := "/v1/stalls/" + stall.ID + "/events"
		for _, role := range []string{"anonymous", "vendorB", "staff2", "badToken"} {
			r := req{method: "GET", path: path, token: w.tokens[role]}
			want := map[string]int{"anonymous": 401, "vendorB": 404, "staff2": 404, "badToken": 401}[role]
			if got := a.do(r); got.status != want {
				t.Errorf("%s: status %d, want %d", role, got.status, want)
			}
		}
		a.do(req{method: "GET", path: path, token: w.tokens["vendorA"], header: map[string]string{"Last-Event-ID": "x"}, invalid: true}).
			wantProblem(t, 422, "invalid", "Last-Event-ID")

		schema := loadSpec(t).doc.Components.Schemas["PaymentEvent"].Value
		for _, role := range []string{"vendorA", "staff1", "admin"} {
			sctx, stop := context.WithTimeout(ctx, 10*time.Second)
			q := path
			if role == "admin" {
				q += "?access_token=" + w.tokens[role] // as a browser's EventSource sends it
			}
			hr, _ := http.NewRequestWithContext(sctx, "GET", a.srv.URL+q, nil)
			if role != "admin" {
				hr.Header.Set("Authorization", "Bearer "+w.tokens[role])
			}
			resp, err := a.hc.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("%s: %d %s", role, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if _, _, err := a.svc.CreatePayment(bg, w.actor("vendorA"), app.PaymentInput{StallID: stall.ID, Amount: "1000"}, nil); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(resp.Body)
			var event, data string
			for sc.Scan() && data == "" {
				line := sc.Text()
				if v, ok := strings.CutPrefix(line, "event: "); ok {
					event = v
				}
				if v, ok := strings.CutPrefix(line, "data: "); ok {
					data = v
				}
			}
			stop()
			resp.Body.Close()
			if event != "payment.created" {
				t.Fatalf("%s: first event %q (data %s)", role, event, data)
			}
			var v any
			if err := json.Unmarshal([]byte(data), &v); err != nil {
				t.Fatal(err)
			}
			if err := schema.VisitJSON(v); err != nil {
				t.Errorf("%s: event data does not match PaymentEvent: %v\n%s", role, err, data)
			}
		}
		if a.ct.ops["GET "+"/v1/stalls/{id}/events"] == 0 {
			t.Error("the stream was never validated against the contract")
		}
	})
}
