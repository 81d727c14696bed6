package mockwallet

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/pkg/money"
)

func TestRawSignatureStrings(t *testing.T) {
	cr := CreateRequest{PartnerCode: "MOMO", RequestID: "M4K3Q8ZP2A", Amount: 50000, OrderID: "M4K3Q8ZP2A",
		OrderInfo: "Thanh toan don hang M4K3Q8ZP2A", RedirectURL: "https://m4.example/",
		IPNURL: "https://m4.example/v1/webhooks/mockwallet", RequestType: "captureWallet"}
	raw := cr.RawSignature("F8BBA842ECF85")
	want := "accessKey=F8BBA842ECF85&amount=50000&extraData=&ipnUrl=https://m4.example/v1/webhooks/mockwallet" +
		"&orderId=M4K3Q8ZP2A&orderInfo=Thanh toan don hang M4K3Q8ZP2A&partnerCode=MOMO&redirectUrl=https://m4.example/" +
		"&requestId=M4K3Q8ZP2A&requestType=captureWallet"
	if raw != want {
		t.Fatalf("create raw\n got %s\nwant %s", raw, want)
	}
	// Computed independently: printf '%s' "$raw" | openssl dgst -sha256 -hmac K951B6PE1waDMi640xX08PD3vg6EkVlz
	if got := Sign("K951B6PE1waDMi640xX08PD3vg6EkVlz", raw); got != "bfc90fee2f80c560aec5df38458ca11af6e5e17196b4aa7690357415036170da" {
		t.Fatalf("signature %s", got)
	}
	n := IPN{PartnerCode: "P", OrderID: "O", RequestID: "R", Amount: 1000, OrderInfo: "I", OrderType: "momo_wallet",
		TransID: 42, ResultCode: 1006, Message: "M", PayType: "qr", ResponseTime: 1700000000000, ExtraData: "E"}
	if got := n.RawSignature("A"); got != "accessKey=A&amount=1000&extraData=E&message=M&orderId=O&orderInfo=I&orderType=momo_wallet"+
		"&partnerCode=P&payType=qr&requestId=R&responseTime=1700000000000&resultCode=1006&transId=42" {
		t.Fatalf("IPN raw %s", got)
	}
	q := QueryRequest{PartnerCode: "P", RequestID: "R", OrderID: "O"}
	if got := q.RawSignature("A"); got != "accessKey=A&orderId=O&partnerCode=P&requestId=R" {
		t.Fatalf("query raw %s", got)
	}
	r := RefundRequest{PartnerCode: "P", OrderID: "O", RequestID: "R", Amount: 5000, TransID: 42, Description: "D"}
	if got := r.RawSignature("A"); got != "accessKey=A&amount=5000&description=D&orderId=O&partnerCode=P&requestId=R&transId=42" {
		t.Fatalf("refund raw %s", got)
	}
	if got := StatementRawSignature("A", "P", "F", "T"); got != "accessKey=A&from=F&partnerCode=P&to=T" {
		t.Fatalf("statement raw %s", got)
	}
}

func TestRoundTripPayPageIPNRefund(t *testing.T) {
	e := newEnv(t, nil)
	start := time.Now().Add(-time.Second)
	res := e.create(t, "M4K3Q8ZP2A", 50000)
	if res.ProviderRef != "M4K3Q8ZP2A" || res.PayURL != e.api.URL+"/mockwallet/pay/M4K3Q8ZP2A" || res.QRPayload != res.PayURL {
		t.Fatalf("create result %+v", res)
	}
	// Retrying a Create whose answer was lost is harmless.
	if again := e.create(t, "M4K3Q8ZP2A", 50000); again != res {
		t.Fatalf("create retry %+v", again)
	}

	// The pay page.
	resp, err := http.Get(res.PayURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"SIMULATOR", "50.000 ₫", "M4K3Q8ZP2A", `name="action" value="pay"`, `name="action" value="cancel"`,
		"Thanh toán", "Hủy", `<form method="post" action="/mockwallet/pay/M4K3Q8ZP2A">`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Fatalf("pay page lacks %q:\n%s", want, page)
		}
	}
	// The payer presses Pay: the browser goes back to redirectUrl with the signed result…
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = client.PostForm(res.PayURL, url.Values{"action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if resp.StatusCode != http.StatusSeeOther || loc.Host != "market4.example" || q.Get("x") != "1" || q.Get("resultCode") != "0" {
		t.Fatalf("redirect %d %s", resp.StatusCode, loc)
	}
	amount, _ := strconv.ParseInt(q.Get("amount"), 10, 64)
	transID, _ := strconv.ParseInt(q.Get("transId"), 10, 64)
	rt, _ := strconv.ParseInt(q.Get("responseTime"), 10, 64)
	redir := IPN{PartnerCode: q.Get("partnerCode"), OrderID: q.Get("orderId"), RequestID: q.Get("requestId"), Amount: amount,
		OrderInfo: q.Get("orderInfo"), OrderType: q.Get("orderType"), TransID: transID, ResultCode: 0, Message: q.Get("message"),
		PayType: q.Get("payType"), ResponseTime: rt, ExtraData: q.Get("extraData")}
	if !verify(testSecret, redir.RawSignature(testAccess), q.Get("signature")) {
		t.Fatalf("redirect signature does not verify: %s", loc)
	}
	// …and the merchant gets the IPN, verified by the adapter.
	o := e.settle(t, "M4K3Q8ZP2A", 1)
	if o.Status != StatusPaid || o.Delivery != DeliveryDelivered || len(o.Attempts) != 1 || o.Attempts[0].Status != 204 {
		t.Fatalf("order %+v", o)
	}
	got := e.merch.Receipts()
	if len(got) != 1 || got[0].Err != nil {
		t.Fatalf("receipts %+v", got)
	}
	n := got[0].N
	if n.Provider != provider.MockWallet || n.EventID != strconv.FormatInt(o.TransID, 10) || n.OrderCode != "M4K3Q8ZP2A" ||
		n.Amount.Dong() != 50000 || !n.Success || !n.Incoming || n.Account != testPartner || n.Content != "Rau cai M4K3Q8ZP2A" ||
		n.Reference != n.EventID || time.Since(n.At) > 5*time.Second {
		t.Fatalf("notification %+v", n)
	}
	var raw map[string]any
	mustUnmarshal(t, got[0].Body, &raw)
	for _, k := range []string{"partnerCode", "orderId", "requestId", "amount", "orderInfo", "orderType", "transId", "resultCode",
		"message", "payType", "responseTime", "extraData", "signature"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("IPN lacks %s: %s", k, got[0].Body)
		}
	}
	if raw["orderType"] != "momo_wallet" || raw["payType"] != "qr" || len(raw) != 13 {
		t.Fatalf("IPN %s", got[0].Body)
	}
	// Paying again is refused.
	if code, _ := e.post(t, "/mockwallet/v1/orders/M4K3Q8ZP2A/pay", nil); code != 409 {
		t.Fatalf("second pay: %d", code)
	}

	// Refunds: partial, replay, too much, the rest.
	refund := func(id string, amount int64, ref string) (provider.RefundResult, error) {
		return e.prov.Refund(t.Context(), provider.RefundRequest{RefundID: id, OrderCode: "M4K3Q8ZP2A", ProviderRef: ref,
			Amount: money.FromDong(amount), Reason: "Hết hàng"})
	}
	r1, err := refund("0190f5c2-7a1b-7c3d-8e4f-000000000001", 20000, n.EventID)
	if err != nil || r1.Status != provider.RefundSucceeded || r1.ProviderRef == "" {
		t.Fatalf("refund %+v %v", r1, err)
	}
	if again, err := refund("0190f5c2-7a1b-7c3d-8e4f-000000000001", 20000, n.EventID); err != nil || again.ProviderRef != r1.ProviderRef {
		t.Fatalf("replay %+v %v", again, err)
	}
	if r, err := refund("0190f5c2-7a1b-7c3d-8e4f-000000000002", 30001, "M4K3Q8ZP2A"); !errs.Is(err, errs.Invalid) || r.Status != provider.RefundFailed {
		t.Fatalf("over-refund %+v %v", r, err)
	}
	// ProviderRef being the order code (what Create returned): the transId is looked up.
	if r, err := refund("0190f5c2-7a1b-7c3d-8e4f-000000000003", 30000, "M4K3Q8ZP2A"); err != nil || r.Status != provider.RefundSucceeded {
		t.Fatalf("rest %+v %v", r, err)
	}
	if r, err := refund("0190f5c2-7a1b-7c3d-8e4f-000000000004", 1000, n.EventID); !errs.Is(err, errs.Invalid) || r.Status != provider.RefundFailed {
		t.Fatalf("nothing left %+v %v", r, err)
	}
	if r, err := refund("0190f5c2-7a1b-7c3d-8e4f-000000000001", 5000, n.EventID); !errs.Is(err, errs.Invalid) {
		t.Fatalf("refund id reused for another amount %+v %v", r, err)
	}
	o, _ = e.wallet.Order("M4K3Q8ZP2A")
	if o.Refunded != 50000 || len(o.Refunds) != 2 {
		t.Fatalf("order after refunds %+v", o)
	}

	// Statement.
	ns, err := e.prov.Statement(t.Context(), start, time.Now().Add(time.Second))
	if err != nil || len(ns) != 1 || ns[0].EventID != n.EventID || ns[0].OrderCode != "M4K3Q8ZP2A" || !ns[0].Success {
		t.Fatalf("statement %+v %v", ns, err)
	}
	if ns, _ := e.prov.Statement(t.Context(), time.Now().Add(time.Second), time.Now().Add(time.Hour)); len(ns) != 0 {
		t.Fatalf("future statement %+v", ns)
	}
	wrong := NewProvider(ProviderConfig{PartnerCode: testPartner, AccessKey: testAccess, SecretKey: "nope", BaseURL: e.api.URL})
	if _, err := wrong.Statement(t.Context(), start, time.Now()); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("statement with a wrong key: %v", err)
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t, nil)
	e.create(t, "M4CANCEL01", 20000)
	code, body := e.post(t, "/mockwallet/v1/orders/M4CANCEL01/pay", map[string]any{"action": "cancel"})
	if code != 200 {
		t.Fatalf("cancel: %d %s", code, body)
	}
	e.settle(t, "M4CANCEL01", 1)
	n := e.merch.Receipts()[0].N
	if n.Success || n.EventID != "M4CANCEL01:1006" || n.OrderCode != "M4CANCEL01" || !n.Incoming {
		t.Fatalf("notification %+v", n)
	}
	if r, err := e.prov.Refund(t.Context(), provider.RefundRequest{RefundID: "r-1", OrderCode: "M4CANCEL01", Amount: money.FromDong(1000)}); !errs.Is(err, errs.Invalid) || r.Status != provider.RefundFailed {
		t.Fatalf("refund of a canceled order %+v %v", r, err)
	}
	// The form's cancel without redirect shows the result page.
	e.create(t, "M4CANCEL02", 20000)
	resp, _ := http.PostForm(e.api.URL+"/mockwallet/pay/M4CANCEL02", url.Values{"action": {"bogus"}})
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("bogus action %d", resp.StatusCode)
	}
}

func TestCreateRefusals(t *testing.T) {
	e := newEnv(t, nil)
	notify := e.merch.URL
	signed := func(mod func(*CreateRequest)) CreateRequest {
		r := CreateRequest{PartnerCode: testPartner, RequestID: "REQ1", Amount: 10000, OrderID: "ORD1", OrderInfo: "x",
			RedirectURL: "https://m4.example/", IPNURL: notify, RequestType: "captureWallet", Lang: "vi"}
		if mod != nil {
			mod(&r)
		}
		r.Signature = Sign(testSecret, r.RawSignature(testAccess))
		return r
	}
	cases := []struct {
		name       string
		req        any
		status     int
		resultCode int
	}{
		{"ok", signed(nil), 200, 0},
		{"same request again", signed(nil), 200, 0},
		{"same requestId, other order", signed(func(r *CreateRequest) { r.OrderID = "ORD2" }), 409, ResultDuplicateRequest},
		{"duplicate orderId", signed(func(r *CreateRequest) { r.RequestID = "REQ2" }), 409, ResultDuplicateOrder},
		{"bad signature", func() CreateRequest {
			r := signed(func(r *CreateRequest) { r.OrderID = "ORD3" })
			r.Amount = 99000
			return r
		}(), 401, ResultAuthFailed},
		{"wrong partner", signed(func(r *CreateRequest) { r.PartnerCode = "OTHER"; r.OrderID = "ORD4" }), 401, ResultAuthFailed},
		{"amount 0", signed(func(r *CreateRequest) { r.Amount = 0; r.OrderID, r.RequestID = "ORD5", "REQ5" }), 400, ResultInvalidAmount},
		{"amount 999", signed(func(r *CreateRequest) { r.Amount = 999; r.OrderID, r.RequestID = "ORD6", "REQ6" }), 400, ResultAmountOutOfRange},
		{"amount 50,000,001", signed(func(r *CreateRequest) { r.Amount = 50_000_001; r.OrderID, r.RequestID = "ORD7", "REQ7" }), 400, ResultAmountOutOfRange},
		{"requestType", signed(func(r *CreateRequest) { r.RequestType = "payWithATM"; r.OrderID, r.RequestID = "ORD8", "REQ8" }), 400, ResultBadFormat},
		{"orderId format", signed(func(r *CreateRequest) { r.OrderID, r.RequestID = "ORD 9", "REQ9" }), 400, ResultBadFormat},
		{"ipnUrl", signed(func(r *CreateRequest) { r.IPNURL = "ftp://x"; r.OrderID, r.RequestID = "ORD10", "REQ10" }), 400, ResultBadFormat},
		{"amount as string", map[string]any{"partnerCode": testPartner, "amount": "10000"}, 400, ResultBadFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := e.post(t, "/mockwallet/v2/gateway/api/create", c.req)
			var resp CreateResponse
			mustUnmarshal(t, body, &resp)
			if code != c.status || resp.ResultCode != c.resultCode || resp.Message == "" {
				t.Fatalf("got %d %s", code, body)
			}
			if c.resultCode == 0 && (resp.PayURL == "" || resp.QRCodeURL == "" || resp.Deeplink == "" || resp.ResponseTime == 0) {
				t.Fatalf("success without links: %s", body)
			}
		})
	}
	// The adapter maps refusals to errs codes.
	create := func(p *Provider, code string, amount int64) error {
		_, err := p.Create(t.Context(), provider.CreateRequest{OrderCode: code, Amount: money.FromDong(amount), NotifyURL: notify})
		return err
	}
	if err := create(e.prov, "M4SMALL001", 500); !errs.Is(err, errs.Invalid) {
		t.Fatalf("small amount: %v", err)
	}
	if err := create(e.prov, "ORD1", 10000); !errs.Is(err, errs.Conflict) {
		t.Fatalf("duplicate: %v", err)
	}
	wrong := NewProvider(ProviderConfig{PartnerCode: testPartner, AccessKey: testAccess, SecretKey: "nope", BaseURL: e.api.URL})
	if err := create(wrong, "M4WRONGKEY", 10000); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("wrong key: %v", err)
	}
	down := NewProvider(ProviderConfig{PartnerCode: testPartner, AccessKey: testAccess, SecretKey: testSecret, BaseURL: "http://127.0.0.1:1"})
	if err := create(down, "M4DOWN0001", 10000); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("down: %v", err)
	}
	if _, err := down.Refund(t.Context(), provider.RefundRequest{RefundID: "r", ProviderRef: "123", Amount: money.FromDong(1000)}); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("refund down: %v", err)
	}
}

func TestQuery(t *testing.T) {
	e := newEnv(t, nil)
	e.create(t, "M4QUERY001", 30000)
	query := func(orderID, key string) (int, QueryResponse) {
		r := QueryRequest{PartnerCode: testPartner, RequestID: "Q" + strconv.FormatInt(time.Now().UnixNano(), 10), OrderID: orderID, Lang: "en"}
		r.Signature = Sign(key, r.RawSignature(testAccess))
		code, body := e.post(t, "/mockwallet/v2/gateway/api/query", r)
		var resp QueryResponse
		mustUnmarshal(t, body, &resp)
		return code, resp
	}
	if code, r := query("M4QUERY001", testSecret); code != 200 || r.ResultCode != ResultPending || r.Amount != 30000 || r.TransID != 0 {
		t.Fatalf("pending: %d %+v", code, r)
	}
	e.post(t, "/mockwallet/v1/orders/M4QUERY001/pay", map[string]any{"action": "pay"})
	if code, r := query("M4QUERY001", testSecret); code != 200 || r.ResultCode != 0 || r.TransID == 0 || r.PayType != "qr" || r.Message != "Successful." {
		t.Fatalf("paid: %d %+v", code, r)
	}
	if code, r := query("NOPE", testSecret); code != 404 || r.ResultCode != ResultOrderNotFound {
		t.Fatalf("unknown: %d %+v", code, r)
	}
	if code, r := query("M4QUERY001", "wrong"); code != 401 || r.ResultCode != ResultAuthFailed {
		t.Fatalf("bad signature: %d %+v", code, r)
	}
	if code, _ := e.post(t, "/mockwallet/v1/orders/NOPE/pay", nil); code != 404 {
		t.Fatalf("pay unknown order: %d", code)
	}
}

func TestIPNRetriesUntil204(t *testing.T) {
	e := newEnv(t, nil)
	e.merch.AnswerNext(200, 500) // 200 is not MoMo's 204
	e.create(t, "M4RETRY001", 10000)
	e.post(t, "/mockwallet/v1/orders/M4RETRY001/pay", nil)
	o := e.settle(t, "M4RETRY001", 3)
	if len(o.Attempts) != 3 || o.Attempts[0].Status != 200 || o.Attempts[1].Status != 500 || o.Attempts[2].Status != 204 ||
		o.Delivery != DeliveryDelivered {
		t.Fatalf("attempts %+v", o.Attempts)
	}
	got := e.merch.Receipts()
	for _, r := range got {
		if r.Err != nil || r.N.EventID != got[0].N.EventID {
			t.Fatalf("receipt %+v", r)
		}
	}
}

func TestIPNFaults(t *testing.T) {
	t.Run("duplicates", func(t *testing.T) {
		e := newEnv(t, nil)
		e.create(t, "M4DUP00001", 10000)
		e.post(t, "/mockwallet/v1/orders/M4DUP00001/pay", map[string]any{"faults": map[string]any{"duplicates": 2}})
		e.settle(t, "M4DUP00001", 3)
		got := e.merch.Receipts()
		if len(got) != 3 {
			t.Fatalf("%d receipts", len(got))
		}
		for _, r := range got {
			if r.Err != nil || !bytes.Equal(r.Body, got[0].Body) {
				t.Fatalf("receipt %+v", r)
			}
		}
	})
	t.Run("bad signature", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.MaxAttempts = 2 })
		e.create(t, "M4BADSIG01", 10000)
		e.post(t, "/mockwallet/v1/orders/M4BADSIG01/pay", map[string]any{"faults": map[string]any{"bad_signature": true}})
		o := e.settle(t, "M4BADSIG01", 2)
		for _, r := range e.merch.Receipts() {
			if !errs.Is(r.Err, errs.BadSignature) {
				t.Fatalf("accepted %+v", r)
			}
		}
		if o.Delivery != DeliveryFailed {
			t.Fatalf("delivery %s", o.Delivery)
		}
		if ns, _ := e.prov.Statement(t.Context(), o.PaidAt.Add(-time.Second), o.PaidAt.Add(time.Second)); len(ns) != 1 {
			t.Fatalf("statement %+v", ns)
		}
	})
	t.Run("drop_first and global faults", func(t *testing.T) {
		e := newEnv(t, nil)
		if code, _ := e.post(t, "/mockwallet/v1/faults", nil); code != 405 {
			t.Fatalf("POST faults: %d", code)
		}
		req, _ := http.NewRequest(http.MethodPut, e.api.URL+"/mockwallet/v1/faults", strings.NewReader(`{"drop_first":1,"delay_ms":30}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("PUT faults: %v %v", resp, err)
		}
		resp.Body.Close()
		e.create(t, "M4DROP0001", 10000)
		e.post(t, "/mockwallet/v1/orders/M4DROP0001/pay", nil)
		o := e.settle(t, "M4DROP0001", 1)
		if len(o.Attempts) != 2 || !o.Attempts[0].Dropped || o.Attempts[1].Status != 204 || len(e.merch.Receipts()) != 1 {
			t.Fatalf("attempts %+v", o.Attempts)
		}
		if o.Attempts[0].At.Sub(o.PaidAt) < 30*time.Millisecond {
			t.Fatalf("delay not applied: %v", o.Attempts[0].At.Sub(o.PaidAt))
		}
	})
}

func TestParseWebhookIPN(t *testing.T) {
	now := time.Date(2026, 11, 22, 7, 3, 10, 0, time.UTC)
	p := NewProvider(ProviderConfig{PartnerCode: testPartner, AccessKey: testAccess, SecretKey: testSecret})
	base := IPN{PartnerCode: testPartner, OrderID: "M4K3Q8ZP2A", RequestID: "M4K3Q8ZP2A", Amount: 50000, OrderInfo: "x",
		OrderType: "momo_wallet", TransID: 4000000001, ResultCode: 0, Message: "Thành công.", PayType: "qr",
		ResponseTime: now.UnixMilli(), ExtraData: ""}
	signed := func(mod func(*IPN), key string) []byte {
		n := base
		if mod != nil {
			mod(&n)
		}
		n.Signature = Sign(key, n.RawSignature(testAccess))
		b, _ := jsonMarshal(n)
		return b
	}
	valid := signed(nil, testSecret)
	cases := []struct {
		name string
		body []byte
		code errs.Code // "" = accepted
	}{
		{"valid", valid, ""},
		{"upper-case hex", bytes.Replace(valid, []byte(Sign(testSecret, base.RawSignature(testAccess))),
			[]byte(strings.ToUpper(Sign(testSecret, base.RawSignature(testAccess)))), 1), ""},
		{"4 minutes old", signed(func(n *IPN) { n.ResponseTime = now.Add(-4 * time.Minute).UnixMilli() }, testSecret), ""},
		{"wrong key", signed(nil, "wrong-key"), errs.BadSignature},
		{"amount tampered", bytes.Replace(valid, []byte(`"amount":50000`), []byte(`"amount":90000`), 1), errs.BadSignature},
		{"resultCode tampered", bytes.Replace(valid, []byte(`"resultCode":0`), []byte(`"resultCode":1006`), 1), errs.BadSignature},
		{"empty body", nil, errs.BadSignature},
		{"6 minutes old", signed(func(n *IPN) { n.ResponseTime = now.Add(-6 * time.Minute).UnixMilli() }, testSecret), errs.BadSignature},
		{"6 minutes ahead", signed(func(n *IPN) { n.ResponseTime = now.Add(6 * time.Minute).UnixMilli() }, testSecret), errs.BadSignature},
		{"no signature", bytes.Replace(valid, []byte(`"signature":"`), []byte(`"sig":"`), 1), errs.BadSignature},
		{"missing field", bytes.Replace(valid, []byte(`"payType":"qr",`), nil, 1), errs.BadSignature},
		{"amount as string", bytes.Replace(valid, []byte(`"amount":50000`), []byte(`"amount":"50000"`), 1), errs.BadSignature},
		{"not JSON", []byte("partnerCode=x"), errs.BadSignature},
		{"trailing data", append(append([]byte{}, valid...), []byte("{}")...), errs.BadSignature},
		{"other merchant", signed(func(n *IPN) { n.PartnerCode = "OTHER" }, testSecret), errs.Invalid},
		{"amount zero", signed(func(n *IPN) { n.Amount = 0 }, testSecret), errs.Invalid},
		{"amount 500,000,000", signed(func(n *IPN) { n.Amount = 500_000_000 }, testSecret), errs.Invalid},
		{"paid without transId", signed(func(n *IPN) { n.TransID = 0 }, testSecret), errs.Invalid},
		{"bad orderId", signed(func(n *IPN) { n.OrderID = "a b" }, testSecret), errs.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := p.ParseWebhook(nil, c.body, now)
			if c.code == "" {
				if err != nil || n.EventID != "4000000001" || n.At.Sub(now) > 0 || now.Sub(n.At) > 4*time.Minute || n.At.Location() != time.UTC {
					t.Fatalf("%+v %v", n, err)
				}
				return
			}
			if errs.CodeOf(err) != c.code {
				t.Fatalf("err = %v, want %s", err, c.code)
			}
		})
	}
	if s, ct, b := p.Ack(true); s != 204 || ct != "" || len(b) != 0 {
		t.Fatal(s, ct, b)
	}
	if s, _, _ := p.Ack(false); s != 500 {
		t.Fatal(s)
	}
	if p.Name() != provider.MockWallet {
		t.Fatal(p.Name())
	}
}

func FuzzParseWebhook(f *testing.F) {
	now := time.Date(2026, 11, 22, 7, 3, 10, 0, time.UTC)
	n := IPN{PartnerCode: testPartner, OrderID: "M4K3Q8ZP2A", RequestID: "R", Amount: 50000, OrderType: "momo_wallet",
		TransID: 1, PayType: "qr", ResponseTime: now.UnixMilli()}
	n.Signature = Sign(testSecret, n.RawSignature(testAccess))
	b, _ := jsonMarshal(n)
	f.Add(b)
	f.Add([]byte(`{"signature":""}`))
	f.Add([]byte(`null`))
	p := NewProvider(ProviderConfig{PartnerCode: testPartner, AccessKey: testAccess, SecretKey: testSecret})
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := p.ParseWebhook(nil, body, now)
		if err != nil {
			if c := errs.CodeOf(err); c != errs.BadSignature && c != errs.Invalid {
				t.Fatalf("code %s", c)
			}
			return
		}
		if got.Amount.Sign() <= 0 || got.EventID == "" || got.OrderCode == "" {
			t.Fatalf("accepted %+v", got)
		}
	})
}

func TestDevConfigsMatch(t *testing.T) {
	w := New(Config{})
	defer w.Close()
	api := httptest.NewServer(w.Handler())
	defer api.Close()
	p := NewProvider(DevProviderConfig(api.URL))
	res, err := p.Create(t.Context(), provider.CreateRequest{OrderCode: "M4DEVKEYS1", Amount: money.FromDong(10000),
		NotifyURL: "http://127.0.0.1:1/v1/webhooks/mockwallet"})
	if err != nil || res.PayURL != api.URL+"/mockwallet/pay/M4DEVKEYS1" {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := p.Create(t.Context(), provider.CreateRequest{OrderCode: "M4NONOTIFY", Amount: money.FromDong(10000)}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("no notify URL: %v", err)
	}
}
