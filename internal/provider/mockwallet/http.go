package mockwallet

import (
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/market4/market4/pkg/money"
)

const maxBody = 64 << 10

// Handler serves the simulator under its full paths:
//
//	POST /mockwallet/v2/gateway/api/create   open an order (MoMo create)
//	POST /mockwallet/v2/gateway/api/query    order status (MoMo query)
//	POST /mockwallet/v2/gateway/api/refund   refund (MoMo refund)
//	GET  /mockwallet/pay/{orderId}           the pay page (HTML, no JavaScript)
//	POST /mockwallet/pay/{orderId}           its form: action=pay|cancel
//	POST /mockwallet/v1/orders/{orderId}/pay JSON pay for tests: {"action":"pay"|"cancel","faults":{…}}
//	GET  /mockwallet/v1/orders/{orderId}     an order with its IPN attempts
//	GET  /mockwallet/v1/faults, PUT /mockwallet/v1/faults  global faults
//	GET  /mockwallet/v1/statement?partnerCode=&from=&to=&signature=  paid orders in [from, to)
func (w *Wallet) Handler() http.Handler { return w.mux }

func (w *Wallet) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("POST /mockwallet/v2/gateway/api/create", w.handleCreate)
	m.HandleFunc("POST /mockwallet/v2/gateway/api/query", w.handleQuery)
	m.HandleFunc("POST /mockwallet/v2/gateway/api/refund", w.handleRefund)
	m.HandleFunc("GET /mockwallet/pay/{orderId}", w.payPage)
	m.HandleFunc("POST /mockwallet/pay/{orderId}", w.payForm)
	m.HandleFunc("POST /mockwallet/v1/orders/{orderId}/pay", w.handlePay)
	m.HandleFunc("GET /mockwallet/v1/orders/{orderId}", w.handleOrder)
	m.HandleFunc("GET /mockwallet/v1/faults", func(rw http.ResponseWriter, r *http.Request) { writeJSON(rw, 200, w.Faults()) })
	m.HandleFunc("PUT /mockwallet/v1/faults", w.handleSetFaults)
	m.HandleFunc("GET /mockwallet/v1/statement", w.handleStatement)
	return m
}

func (w *Wallet) handleCreate(rw http.ResponseWriter, r *http.Request) {
	var req CreateRequest
	if !decodeMoMo(rw, r, &req) {
		return
	}
	resp := w.Create(req, baseURL(r))
	writeJSON(rw, httpStatus(resp.ResultCode), resp)
}

func (w *Wallet) handleQuery(rw http.ResponseWriter, r *http.Request) {
	var req QueryRequest
	if !decodeMoMo(rw, r, &req) {
		return
	}
	resp := w.Query(req)
	writeJSON(rw, httpStatus(resp.ResultCode), resp)
}

func (w *Wallet) handleRefund(rw http.ResponseWriter, r *http.Request) {
	var req RefundRequest
	if !decodeMoMo(rw, r, &req) {
		return
	}
	resp := w.Refund(req)
	writeJSON(rw, httpStatus(resp.ResultCode), resp)
}

func (w *Wallet) handlePay(rw http.ResponseWriter, r *http.Request) {
	var body struct {
		Action string  `json:"action"`
		Faults *Faults `json:"faults"`
	}
	if r.ContentLength != 0 {
		dec := json.NewDecoder(http.MaxBytesReader(rw, r.Body, maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil && err != io.EOF {
			writeJSON(rw, 400, &PayError{Code: "invalid_request", Message: "body must be {\"action\":\"pay\"|\"cancel\",\"faults\":{…}}"})
			return
		}
	}
	if body.Action != "" && body.Action != "pay" && body.Action != "cancel" {
		writeJSON(rw, 422, &PayError{Code: "invalid_request", Message: `action must be "pay" or "cancel"`})
		return
	}
	o, err := w.Pay(r.PathValue("orderId"), body.Action != "cancel", body.Faults)
	if err != nil {
		var pe *PayError
		errors.As(err, &pe)
		writeJSON(rw, pe.Status, pe)
		return
	}
	writeJSON(rw, 200, o)
}

func (w *Wallet) handleOrder(rw http.ResponseWriter, r *http.Request) {
	o, ok := w.Order(r.PathValue("orderId"))
	if !ok {
		writeJSON(rw, 404, &PayError{Code: "not_found", Message: "no such order"})
		return
	}
	writeJSON(rw, 200, o)
}

func (w *Wallet) handleSetFaults(rw http.ResponseWriter, r *http.Request) {
	var f Faults
	dec := json.NewDecoder(http.MaxBytesReader(rw, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		writeJSON(rw, 400, &PayError{Code: "invalid_request", Message: "body must be a faults object: " + err.Error()})
		return
	}
	if err := w.SetFaults(f); err != nil {
		writeJSON(rw, 422, &PayError{Code: "invalid_request", Message: err.Error()})
		return
	}
	writeJSON(rw, 200, f)
}

func (w *Wallet) handleStatement(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pc, fromS, toS := q.Get("partnerCode"), q.Get("from"), q.Get("to")
	if pc != w.cfg.PartnerCode || !verify(w.cfg.SecretKey, StatementRawSignature(w.cfg.AccessKey, pc, fromS, toS), q.Get("signature")) {
		writeJSON(rw, 401, map[string]any{"resultCode": ResultAuthFailed, "message": Message(ResultAuthFailed, "en")})
		return
	}
	from, err1 := time.Parse(time.RFC3339, fromS)
	to, err2 := time.Parse(time.RFC3339, toS)
	if err1 != nil || err2 != nil || !from.Before(to) || to.Sub(from) > 93*24*time.Hour {
		writeJSON(rw, 400, map[string]any{"resultCode": ResultBadFormat, "message": "from and to must be RFC 3339 times, from < to, at most 93 days apart"})
		return
	}
	writeJSON(rw, 200, Statement{PartnerCode: pc, Transactions: w.Statement(from, to)})
}

// decodeMoMo reads a MoMo-style request: one JSON object, unknown fields
// ignored (MoMo has many optional ones), known fields with their types. A
// malformed body gets resultCode 20 and false.
func decodeMoMo(rw http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(rw, r.Body, maxBody))
	err := dec.Decode(v)
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("data after the JSON object")
		}
	}
	if err != nil {
		writeJSON(rw, 400, map[string]any{"resultCode": ResultBadFormat, "message": Message(ResultBadFormat, "en"),
			"responseTime": time.Now().UnixMilli()})
		return false
	}
	return true
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json; charset=UTF-8")
	rw.WriteHeader(status)
	enc := json.NewEncoder(rw)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// The pay page: what the payer sees after opening payUrl or scanning
// qrCodeUrl. Plain HTML forms, no JavaScript, clearly a simulator.
var payTmpl = template.Must(template.New("pay").Funcs(template.FuncMap{
	"vnd": func(n int64) string { return money.FromDong(n).Format() },
}).Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ví điện tử mô phỏng — SIMULATOR</title>
<style>
body{font-family:system-ui,sans-serif;max-width:28rem;margin:1rem auto;padding:0 1rem}
.sim{background:#b00020;color:#fff;padding:.5rem 1rem;font-weight:bold;letter-spacing:.05em}
dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}dt{color:#555}dd{margin:0}
.amount{font-size:1.6rem;font-weight:bold}button{font-size:1.1rem;padding:.6rem 1.2rem;margin-right:.5rem}
.pay{background:#a50064;color:#fff;border:0}.ok{color:#0a7d32}.err{color:#b00020}
</style></head><body>
<p class="sim">SIMULATOR — Ví điện tử mô phỏng, không có tiền thật / simulated e-wallet, no real money</p>
{{with .Order}}
<h1>Xác nhận thanh toán</h1>
<dl>
<dt>Nhà cung cấp</dt><dd>{{.PartnerCode}}</dd>
<dt>Mã đơn hàng</dt><dd>{{.OrderID}}</dd>
<dt>Mô tả</dt><dd>{{.OrderInfo}}</dd>
<dt>Số tiền</dt><dd class="amount">{{vnd .Amount}}</dd>
</dl>
{{if eq .Status "pending"}}
<form method="post" action="/mockwallet/pay/{{.OrderID}}">
<button class="pay" type="submit" name="action" value="pay">Thanh toán</button>
<button type="submit" name="action" value="cancel">Hủy</button>
</form>
{{else if eq .Status "paid"}}<p class="ok" role="status">Thanh toán thành công. Mã giao dịch {{.TransID}}.</p>
{{else}}<p class="err" role="status">Giao dịch đã bị hủy.</p>{{end}}
{{else}}<h1>Không tìm thấy đơn hàng</h1>{{end}}
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
</body></html>
`))

type payView struct {
	Order *Order
	Error string
}

func (w *Wallet) payPage(rw http.ResponseWriter, r *http.Request) {
	o, ok := w.Order(r.PathValue("orderId"))
	if !ok {
		renderPay(rw, http.StatusNotFound, payView{})
		return
	}
	renderPay(rw, http.StatusOK, payView{Order: &o})
}

func (w *Wallet) payForm(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, maxBody)
	action := ""
	if err := r.ParseForm(); err == nil {
		action = r.PostForm.Get("action")
	}
	if action != "pay" && action != "cancel" {
		o, ok := w.Order(r.PathValue("orderId"))
		v := payView{Error: "Thao tác không hợp lệ."}
		if ok {
			v.Order = &o
		}
		renderPay(rw, http.StatusBadRequest, v)
		return
	}
	o, err := w.Pay(r.PathValue("orderId"), action == "pay", nil)
	if err != nil {
		var pe *PayError
		errors.As(err, &pe)
		v := payView{Error: pe.Message}
		if o.OrderID != "" {
			v.Order = &o
		}
		renderPay(rw, pe.Status, v)
		return
	}
	if o.RedirectURL != "" {
		// MoMo sends the browser back with the signed result in the query.
		if u, err := url.Parse(o.RedirectURL); err == nil {
			n := ipnOf(&o, w.cfg.Now())
			n.Signature = Sign(w.cfg.SecretKey, n.RawSignature(w.cfg.AccessKey))
			q := u.Query()
			for k, v := range map[string]string{"partnerCode": n.PartnerCode, "orderId": n.OrderID, "requestId": n.RequestID,
				"amount": itoa(n.Amount), "orderInfo": n.OrderInfo, "orderType": n.OrderType, "transId": itoa(n.TransID),
				"resultCode": strconv.Itoa(n.ResultCode), "message": n.Message, "payType": n.PayType,
				"responseTime": itoa(n.ResponseTime), "extraData": n.ExtraData, "signature": n.Signature} {
				q.Set(k, v)
			}
			u.RawQuery = q.Encode()
			http.Redirect(rw, r, u.String(), http.StatusSeeOther)
			return
		}
	}
	renderPay(rw, http.StatusOK, payView{Order: &o})
}

func renderPay(rw http.ResponseWriter, status int, v payView) {
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	_ = payTmpl.Execute(rw, v)
}
