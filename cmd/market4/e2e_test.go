package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/provider/mockbank"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// e2e is the whole product wired as `demo` wires it — real store, real
// HTTP server, the mock bank in-process delivering signed webhooks over
// loopback — with the demo data seeded.
type e2e struct {
	t      *testing.T
	base   string
	p      *product
	st     *store.Store
	token  string
	stalls []map[string]any
}

func startE2E(t *testing.T, d store.Dialect) *e2e {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, d)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.PublicURL = "http://" + ln.Addr().String()
	cfg.MockbankSecret = "e2e-secret-0123456789abcdef"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := wire(ctx, cfg, st, log, wireOptions{InProcessBank: true, BankBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(p.handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() { srv.Close(); p.Close() })
	if _, err := seedDemo(ctx, p.svc); err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, base: srv.URL, p: p, st: st}
	var sess struct{ Token string }
	e.call("POST", "/v1/auth/login", "", map[string]string{"phone": "0901000003", "password": demoPassword}, 200, &sess)
	e.token = sess.Token
	var list struct{ Items []map[string]any }
	e.call("GET", "/v1/stalls", "", nil, 200, &list)
	if len(list.Items) != 2 {
		t.Fatalf("vendor sees %d stalls, want 2", len(list.Items))
	}
	e.stalls = list.Items
	return e
}

func (e *e2e) call(method, path, idemKey string, body any, want int, out any) http.Header {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return resp.Header
}

type sseEvent struct{ id, typ, data string }

// events subscribes to a stall's live stream and returns a channel of events.
func (e *e2e) events(ctx context.Context, stallID string) <-chan sseEvent {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+"/v1/stalls/"+stallID+"/events?access_token="+e.token, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		e.t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 32)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			case line == "" && ev.typ != "":
				ch <- ev
				ev = sseEvent{}
			}
		}
	}()
	return ch
}

func waitEvent(t *testing.T, ch <-chan sseEvent, typ string, within time.Duration) sseEvent {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event stream closed before %s", typ)
			}
			if ev.typ == typ {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event within %s", typ, within)
		}
	}
}

func (e *e2e) bankTransfer(req map[string]any) map[string]any {
	e.t.Helper()
	var out map[string]any
	tok := e.token
	e.token = ""
	defer func() { e.token = tok }()
	e.call("POST", "/mockbank/v1/transfers", "", req, 201, &out)
	return out
}

func (e *e2e) audit() {
	e.t.Helper()
	bad, err := e.p.svc.Audit(context.Background())
	if err != nil || len(bad) > 0 {
		e.t.Fatalf("audit: %v %v", err, bad)
	}
}

// TestPaymentLoopEndToEnd: vendor creates a payment → the mock bank pays
// its QR → signed webhook → SSE event reaches the vendor → audit passes;
// then a static-QR payment and a refund through the same stack.
func TestPaymentLoopEndToEnd(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			e := startE2E(t, d)
			stall := e.stalls[0]["id"].(string)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			evs := e.events(ctx, stall)

			var pay map[string]any
			h := e.call("POST", "/v1/payments", "sale-1", map[string]string{"stall_id": stall, "amount": "35000", "description": "rau muống"}, 201, &pay)
			if h.Get("Idempotency-Hit") != "" {
				t.Fatal("first request marked as a replay")
			}
			code := pay["order_code"].(string)
			if !strings.Contains(pay["qr_payload"].(string), code) || pay["status"] != "pending" {
				t.Fatalf("payment = %v", pay)
			}
			var again map[string]any
			if h := e.call("POST", "/v1/payments", "sale-1", map[string]string{"stall_id": stall, "amount": "35000", "description": "rau muống"}, 201, &again); h.Get("Idempotency-Hit") != "true" || again["id"] != pay["id"] {
				t.Fatalf("replay: hit=%q id=%v", h.Get("Idempotency-Hit"), again["id"])
			}
			e.call("POST", "/v1/payments", "sale-1", map[string]string{"stall_id": stall, "amount": "36000"}, 422, nil)

			sent := time.Now()
			e.bankTransfer(map[string]any{"from_account": "0101000001", "qr_payload": pay["qr_payload"]})
			ev := waitEvent(t, evs, "payment.succeeded", 5*time.Second)
			t.Logf("webhook → SSE event in %s", time.Since(sent))
			var data map[string]any
			json.Unmarshal([]byte(ev.data), &data)
			if data["payment_id"] != pay["id"] || data["announce"] != "Đã nhận 35.000 đồng" {
				t.Fatalf("event data = %v", data)
			}
			var got map[string]any
			e.call("GET", "/v1/payments/"+pay["id"].(string), "", nil, 200, &got)
			if got["status"] != "succeeded" || got["paid"] != "35000" {
				t.Fatalf("payment after transfer = %v", got)
			}

			// Static QR: the shopper types the amount.
			var qr map[string]any
			e.call("GET", "/v1/stalls/"+stall+"/qr", "", nil, 200, &qr)
			e.bankTransfer(map[string]any{"from_account": "0101000002", "qr_payload": qr["payload"], "amount": 20000})
			ev = waitEvent(t, evs, "payment.succeeded", 5*time.Second)
			json.Unmarshal([]byte(ev.data), &data)
			if data["kind"] != "static" || data["received"] != "20000" {
				t.Fatalf("static event = %v", data)
			}

			// Refund part of the dynamic payment through the bank.
			var ref map[string]any
			e.call("POST", "/v1/payments/"+pay["id"].(string)+"/refunds", "refund-1", map[string]string{"amount": "5000", "reason": "thối lại"}, 201, &ref)
			if ref["status"] != "succeeded" {
				t.Fatalf("refund = %v", ref)
			}
			waitEvent(t, evs, "refund.succeeded", 5*time.Second)
			e.audit()
		})
	}
}

// TestFaultInjection: every fault mode of the mock bank ends in the right
// state — each transfer recorded exactly once, mangled contents matched,
// bad signatures refused until reconciliation recovers them.
func TestFaultInjection(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			e := startE2E(t, d)
			stall := e.stalls[0]["id"].(string)
			pay := func(key, amount string) map[string]any {
				var p map[string]any
				e.call("POST", "/v1/payments", key, map[string]string{"stall_id": stall, "amount": amount}, 201, &p)
				return p
			}
			status := func(p map[string]any) string {
				var got map[string]any
				e.call("GET", "/v1/payments/"+p["id"].(string), "", nil, 200, &got)
				return got["status"].(string)
			}
			eventually := func(what string, ok func() bool) {
				t.Helper()
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					if ok() {
						return
					}
				}
				t.Fatalf("%s: not reached within 10s", what)
			}
			cases := []struct {
				name   string
				faults map[string]any
				want   string
			}{
				{"duplicates", map[string]any{"duplicates": 5}, "succeeded"},
				{"drop_first", map[string]any{"drop_first": 2}, "succeeded"},
				{"delay", map[string]any{"delay_ms": 300}, "succeeded"},
				{"mangle prefix", map[string]any{"mangle": "prefix"}, "succeeded"},
				{"mangle nospace", map[string]any{"mangle": "nospace"}, "succeeded"},
				{"mangle upper", map[string]any{"mangle": "upper"}, "succeeded"},
				{"mangle all", map[string]any{"mangle": "all"}, "succeeded"},
				// The code leads the QR purpose, so a 20-byte cut keeps it.
				{"mangle truncate", map[string]any{"mangle": "truncate"}, "succeeded"},
			}
			for i, c := range cases {
				p := pay(fmt.Sprint("f", i), "12000")
				e.bankTransfer(map[string]any{"from_account": "0101000001", "qr_payload": p["qr_payload"], "faults": c.faults})
				eventually(c.name, func() bool { return status(p) == c.want })
			}
			// Out of order: the first transfer is held until the second is delivered.
			p1, p2 := pay("o1", "11000"), pay("o2", "13000")
			e.bankTransfer(map[string]any{"from_account": "0101000001", "qr_payload": p1["qr_payload"], "faults": map[string]any{"out_of_order": true}})
			e.bankTransfer(map[string]any{"from_account": "0101000001", "qr_payload": p2["qr_payload"]})
			eventually("out of order", func() bool { return status(p1) == "succeeded" && status(p2) == "succeeded" })

			// Bad signature: refused every time; reconciliation recovers it.
			pb := pay("bad", "14000")
			e.bankTransfer(map[string]any{"from_account": "0101000001", "qr_payload": pb["qr_payload"], "faults": map[string]any{"bad_signature": true}})
			time.Sleep(500 * time.Millisecond)
			if s := status(pb); s != "pending" {
				t.Fatalf("badly signed transfer changed the payment to %s", s)
			}
			rep, err := e.p.svc.Reconcile(context.Background(), market.Actor{Role: market.RoleAdmin}, time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Recorded < 1 {
				t.Fatalf("reconcile recorded %d, want the badly signed transfer", rep.Recorded)
			}
			if s := status(pb); s != "succeeded" {
				t.Fatalf("after reconcile: %s", s)
			}
			// Every bank transfer is in the inbox exactly once.
			var transfers, statementLines int
			e.st.SQL().QueryRow("SELECT COUNT(*) FROM transfers WHERE incoming").Scan(&transfers)
			rep2, err := e.p.svc.Reconcile(context.Background(), market.Actor{Role: market.RoleAdmin}, time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			statementLines = rep2.Checked
			if rep2.Recorded != 0 || transfers != statementLines {
				t.Fatalf("inbox has %d incoming transfers, statement %d lines, second reconcile recorded %d", transfers, statementLines, rep2.Recorded)
			}
			e.audit()
		})
	}
}

// TestEWalletEndToEnd: a payment through the e-wallet — create order at
// the wallet, payer pays on the wallet, signed IPN → succeeded → refund.
func TestEWalletEndToEnd(t *testing.T) {
	e := startE2E(t, store.SQLite)
	stall := e.stalls[0]["id"].(string)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evs := e.events(ctx, stall)
	var pay map[string]any
	e.call("POST", "/v1/payments", "w1", map[string]string{"stall_id": stall, "amount": "45000", "provider": "ewallet"}, 201, &pay)
	if pay["provider"] != "ewallet" || pay["pay_url"] == nil {
		t.Fatalf("wallet payment = %v", pay)
	}
	tok := e.token
	e.token = ""
	e.call("POST", "/mockwallet/v1/orders/"+pay["order_code"].(string)+"/pay", "", map[string]string{"action": "pay"}, 200, nil)
	e.token = tok
	ev := waitEvent(t, evs, "payment.succeeded", 5*time.Second)
	if !strings.Contains(ev.data, pay["id"].(string)) {
		t.Fatalf("event %v", ev)
	}
	var ref map[string]any
	e.call("POST", "/v1/payments/"+pay["id"].(string)+"/refunds", "wr1", map[string]string{}, 201, &ref)
	if ref["status"] != "succeeded" || ref["amount"] != "45000" {
		t.Fatalf("wallet refund = %v", ref)
	}
	e.audit()
}

// TestEventsAcrossInstances: two server processes' worth of wiring on one
// PostgreSQL — the vendor's live stream is on instance A, the bank's
// webhook lands on instance B — and the event still arrives within a second.
func TestEventsAcrossInstances(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	lnA, lnB := listen(), listen()
	start := func(ln net.Listener, publicURL string, inProcessBank bool) *product {
		st, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cfg := defaultConfig()
		cfg.PublicURL = publicURL
		cfg.MockbankSecret = "two-instances-secret-0123456789"
		cfg.MockbankURL = "http://" + lnA.Addr().String()
		p, err := wire(ctx, cfg, st, log, wireOptions{InProcessBank: inProcessBank, BankBackoff: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(p.handler)
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		t.Cleanup(func() { srv.Close(); p.Close(); st.Close() })
		return p
	}
	// A hosts the bank, whose webhooks go to B.
	a := start(lnA, "http://"+lnB.Addr().String(), true)
	start(lnB, "http://"+lnB.Addr().String(), false)
	if _, err := seedDemo(ctx, a.svc); err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, base: "http://" + lnA.Addr().String(), p: a}
	var sess struct{ Token string }
	e.call("POST", "/v1/auth/login", "", map[string]string{"phone": "0901000003", "password": demoPassword}, 200, &sess)
	e.token = sess.Token
	var list struct{ Items []map[string]any }
	e.call("GET", "/v1/stalls", "", nil, 200, &list)
	stall := list.Items[0]["id"].(string)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evs := e.events(sctx, stall)
	var pay map[string]any
	e.call("POST", "/v1/payments", "x1", map[string]string{"stall_id": stall, "amount": "27000"}, 201, &pay)
	waitEvent(t, evs, "payment.created", 2*time.Second)
	sent := time.Now()
	e.bankTransfer(map[string]any{"from_account": "0101000003", "qr_payload": pay["qr_payload"]})
	waitEvent(t, evs, "payment.succeeded", time.Second)
	t.Logf("webhook on instance B → event on instance A's stream in %s", time.Since(sent))
	e.call("GET", "/v1/payments/"+pay["id"].(string), "", nil, 200, &pay)
	if pay["status"] != "succeeded" {
		t.Fatalf("payment %v", pay)
	}
}

// TestBadWebhooksWriteNothing: forged, stale and malformed notifications
// are refused with a problem, and nothing reaches the database.
func TestBadWebhooksWriteNothing(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			e := startE2E(t, d)
			secret := "e2e-secret-0123456789abcdef"
			good, _ := json.Marshal(map[string]any{"id": 42, "gateway": "Vietcombank", "transactionDate": "2026-11-22 10:00:00",
				"accountNumber": "0071000123456", "subAccount": nil, "code": nil, "content": "chuyen tien", "transferType": "in",
				"transferAmount": 10000, "accumulated": 0, "referenceCode": "FT1", "description": "x"})
			now := time.Now()
			cases := []struct {
				name   string
				body   []byte
				header string
				want   int
			}{
				{"no signature", good, "", 401},
				{"wrong secret", good, mockbankSign("another-secret-0123456789", now, good), 401},
				{"stale", good, mockbankSign(secret, now.Add(-6*time.Minute), good), 401},
				{"future", good, mockbankSign(secret, now.Add(6*time.Minute), good), 401},
				{"body changed after signing", append(bytes.Clone(good[:len(good)-1]), []byte(`,"x":1}`)...), mockbankSign(secret, now, good), 401},
				{"malformed header", good, "t=abc,v1=zz", 401},
				{"signed but not JSON", []byte("not json"), mockbankSign(secret, now, []byte("not json")), 422},
				{"signed but no amount", []byte(`{"id":43,"gateway":"Vietcombank","transactionDate":"2026-11-22 10:00:00","accountNumber":"1","content":"","transferType":"in","referenceCode":"x","description":""}`),
					mockbankSign(secret, now, []byte(`{"id":43,"gateway":"Vietcombank","transactionDate":"2026-11-22 10:00:00","accountNumber":"1","content":"","transferType":"in","referenceCode":"x","description":""}`)), 422},
			}
			for _, c := range cases {
				req, _ := http.NewRequest("POST", e.base+"/v1/webhooks/mockbank", bytes.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				if c.header != "" {
					req.Header.Set("X-Mockbank-Signature", c.header)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.want || resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s: %d %s %s, want %d problem", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), b, c.want)
				}
			}
			for _, table := range []string{"transfers", "journal", "stall_daily"} {
				var n int
				e.st.SQL().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n)
				if n != 0 {
					t.Errorf("%s has %d rows after refused webhooks", table, n)
				}
			}
			// The genuine one is accepted once, and a replay changes nothing.
			for i := 0; i < 2; i++ {
				req, _ := http.NewRequest("POST", e.base+"/v1/webhooks/mockbank", bytes.NewReader(good))
				req.Header.Set("X-Mockbank-Signature", mockbankSign(secret, time.Now(), good))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("genuine webhook: %d", resp.StatusCode)
				}
			}
			var n int
			e.st.SQL().QueryRow("SELECT COUNT(*) FROM journal").Scan(&n)
			if n != 2 {
				t.Fatalf("journal has %d lines after one genuine webhook sent twice, want 2", n)
			}
			e.audit()
		})
	}
}

var mockbankSign = mockbank.Sign
