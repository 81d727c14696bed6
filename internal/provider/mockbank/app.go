package mockbank

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/market4/market4/pkg/money"
)

// The "banking app": one server-rendered page where a person picks a
// shopper, pastes a scanned VietQR payload and pays. Plain HTML forms, so
// it works without JavaScript; clearly marked as a simulator.
var appTmpl = template.Must(template.New("app").Funcs(template.FuncMap{
	"vnd": func(n int64) string { return money.FromDong(n).Format() },
}).Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ngân hàng mô phỏng — SIMULATOR</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}
.sim{background:#b00020;color:#fff;padding:.5rem 1rem;font-weight:bold;letter-spacing:.05em}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;font-size:.9rem}
textarea{width:100%;font-family:monospace}.err{color:#b00020}.ok{color:#0a7d32}
label{display:block;margin:.5rem 0 .2rem}
</style></head><body>
<p class="sim">SIMULATOR — Ngân hàng mô phỏng, không có tiền thật / simulated bank, no real money</p>
<h1>Chuyển tiền bằng VietQR</h1>
{{if .Error}}<p class="err" role="alert">Lỗi: {{.Error}}</p>{{end}}
{{if .Done}}<p class="ok" role="status">Đã chuyển {{vnd .Done.Amount}} tới {{.Done.ToAccount}} — mã GD {{.Done.ID}}, nội dung “{{.Done.Content}}”.</p>{{end}}
<form method="post" action="/mockbank/app/pay">
<label for="from">Tài khoản nguồn (người mua)</label>
<select id="from" name="from_account">{{range .Shoppers}}<option value="{{.Number}}">{{.Name}} — {{.Bank}} {{.Number}} — {{vnd .Balance}}</option>{{end}}</select>
<label for="qr">Mã VietQR đã quét (payload)</label>
<textarea id="qr" name="qr_payload" rows="4" required>{{.QR}}</textarea>
<label for="amount">Số tiền (đồng) — bắt buộc với mã QR tĩnh</label>
<input id="amount" name="amount" inputmode="numeric" pattern="[0-9]*" value="{{.Amount}}">
<p><button type="submit">Chuyển tiền</button></p>
</form>
<h2>Giao dịch gần đây</h2>
<table><thead><tr><th>Mã GD</th><th>Loại</th><th>Tới</th><th>Số tiền</th><th>Nội dung</th><th>Thông báo</th><th>Lần gửi</th></tr></thead><tbody>
{{range .Recent}}<tr><td><a href="/mockbank/v1/transactions/{{.ID}}">{{.ID}}</a></td><td>{{.Type}}</td><td>{{.ToAccount}}</td><td>{{vnd .Amount}}</td><td>{{.Content}}</td><td>{{.Delivery}}</td><td>{{len .Attempts}}</td></tr>{{end}}
</tbody></table>
</body></html>
`))

type appView struct {
	Shoppers []Account
	Recent   []Transaction
	Error    string
	Done     *Transaction
	QR       string
	Amount   string
}

func (b *Bank) appPage(w http.ResponseWriter, r *http.Request) {
	v := appView{}
	if id, err := strconv.ParseInt(r.URL.Query().Get("tx"), 10, 64); err == nil {
		if t, ok := b.Transaction(id); ok {
			v.Done = &t
		}
	}
	b.renderApp(w, http.StatusOK, v)
}

func (b *Bank) appPay(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		b.renderApp(w, http.StatusBadRequest, appView{Error: "biểu mẫu không hợp lệ"})
		return
	}
	v := appView{QR: strings.TrimSpace(r.PostForm.Get("qr_payload")), Amount: strings.TrimSpace(r.PostForm.Get("amount"))}
	req := TransferRequest{FromAccount: r.PostForm.Get("from_account"), QRPayload: v.QR}
	if v.Amount != "" {
		n, err := strconv.ParseInt(v.Amount, 10, 64)
		if err != nil || n <= 0 {
			v.Error = "số tiền phải là số đồng nguyên dương"
			b.renderApp(w, http.StatusUnprocessableEntity, v)
			return
		}
		req.Amount = Dong(n)
	}
	t, err := b.Transfer(req)
	if err != nil {
		var e *Error
		v.Error = err.Error()
		status := http.StatusUnprocessableEntity
		if errors.As(err, &e) {
			v.Error, status = e.Message, e.Status
		}
		b.renderApp(w, status, v)
		return
	}
	// Post/redirect/get: reloading the result page must not pay twice.
	http.Redirect(w, r, "/mockbank/?tx="+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
}

func (b *Bank) renderApp(w http.ResponseWriter, status int, v appView) {
	v.Shoppers, _ = b.Accounts()
	v.Recent = b.Transactions(20)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = appTmpl.Execute(w, v)
}
