package mockbank

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/market4/market4/pkg/vietqr"
)

// The "banking app": what a newcomer uses to see the whole payment loop in
// the demo. A shopper is picked, a stall's VietQR is "scanned" (its payload
// pasted, or an image of it uploaded and decoded here on the server), the
// decoded payee is confirmed, the transfer is paid, and the receipt shows
// the transaction, whether Market4 was notified, and the shopper's history.
//
// Every step is a plain server-rendered form, so it works without
// JavaScript; static/bank.js only adds drag-and-drop and pasting of images,
// live amount formatting and a live notification status. Every screen
// carries a "SIMULATOR" banner: no real money moves.
//
//	GET  /mockbank/                       step 1 "Quét mã": pick the payer (with balances), paste or upload the QR
//	POST /mockbank/app/scan               read the payload or decode the image → 303 confirm
//	GET  /mockbank/app/confirm?from=&qr=  step 2 "Xác nhận": bank, account, amount (or an input), content
//	POST /mockbank/app/pay                pay → 303 receipt (once per confirmation)
//	GET  /mockbank/app/receipt/{id}       step 3 "Biên lai": transaction, notification, payer's history
//	GET  /mockbank/app/history/{number}   an account's history (?bin= for payees)
//	GET  /mockbank/static/{name}          bank.css, bank.js
//
// The routes are registered in routes (http.go) with the API's.
type bankApp struct {
	b *Bank
	// slots bounds how many images are decoded at once: decoding is CPU
	// and memory heavy and the demo machine has two cores.
	slots chan struct{}

	// payMu serialises payments from the app, so that the same confirmation
	// submitted twice (a double click without JavaScript, or Back and Pay
	// again) is paid once: paid maps the form's nonce to its transaction.
	payMu     sync.Mutex
	paid      map[string]int64
	paidOrder []string
}

// maxRemembered is how many confirmation nonces are remembered.
const maxRemembered = 1024

func newBankApp(b *Bank) *bankApp {
	return &bankApp{b: b, slots: make(chan struct{}, min(2, max(1, runtime.NumCPU()))), paid: map[string]int64{}}
}

// page is what the layout needs; every view embeds it.
type page struct {
	Title string
	Page  string // body's data-page: which enhancements bank.js applies
	Step  int    // 1 scan, 2 confirm, 3 receipt; 0 hides the step bar
	Err   *uiError
}

// Steps names the steps of the bar at the top of the flow.
func (page) Steps() []string { return []string{"Quét mã", "Xác nhận", "Biên lai"} }

type homeView struct {
	page
	Shoppers []Account
	From     string
	QR       string
	Recent   []Transaction
	// Scanned is the text of a QR found in an uploaded image that is not a
	// VietQR, shown so the person sees what they uploaded.
	Scanned string
}

// ManyShoppers switches the payer list from cards to a select, for when a
// load tool has opened hundreds of accounts.
func (v homeView) ManyShoppers() bool { return len(v.Shoppers) > 8 }

type confirmView struct {
	page
	From      Account
	Payload   string
	QR        vietqr.Payload
	QRAmount  int64
	BankShort string
	BankName  string
	// Content is the transfer content the bank will send: the QR's
	// purpose (62/08), or the bank's default when the QR has none.
	Content        string
	ContentDefault bool
	Amount         string // as typed, kept after a refusal
	Nonce          string
	Short          bool // the QR's amount is more than the balance
}

type receiptView struct {
	page
	T       Transaction
	Payer   Account
	Entries []Entry // newest first
	More    bool
}

type historyView struct {
	page
	Acct    Account
	Shopper bool
	Entries []Entry // newest first
	More    bool
}

type notFoundView struct {
	page
	Msg string
}

func (a *bankApp) home(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if tx := q.Get("tx"); tx != "" && allDigits(tx) {
		// The page's address before it had a receipt screen.
		http.Redirect(w, r, "/mockbank/app/receipt/"+tx, http.StatusSeeOther)
		return
	}
	a.renderHome(w, http.StatusOK, homeView{From: q.Get("from")})
}

func (a *bankApp) renderHome(w http.ResponseWriter, status int, v homeView) {
	v.page = page{Title: "Quét mã VietQR", Page: "home", Step: 1, Err: v.Err}
	v.Shoppers, _ = a.b.Accounts()
	if !slices.ContainsFunc(v.Shoppers, func(s Account) bool { return s.Number == v.From }) {
		v.From = ""
		if len(v.Shoppers) > 0 {
			v.From = v.Shoppers[0].Number
		}
	}
	v.Recent = a.b.Transactions(8)
	a.render(w, status, "home", v)
}

// scan reads the payload (pasted, or decoded from the uploaded image) and
// sends the browser to the confirmation, whose URL carries it: reloading
// the confirmation does not upload the image again.
func (a *bankApp) scan(w http.ResponseWriter, r *http.Request) {
	in, e := readScanForm(w, r)
	fail := func(e *uiError, qr, scanned string) {
		a.renderHome(w, e.Status, homeView{page: page{Err: e}, From: in.from, QR: qr, Scanned: scanned})
	}
	if e != nil {
		fail(e, in.qr, "")
		return
	}
	if in.from == "" {
		fail(uiNoShopper, in.qr, "")
		return
	}
	if _, ok := a.shopper(in.from); !ok {
		fail(uiUnknownShopper, in.qr, "")
		return
	}
	payload, field := in.qr, "qr"
	if len(in.image) > 0 {
		texts, e := a.readImage(r.Context(), in.image)
		if e != nil {
			fail(e, in.qr, "")
			return
		}
		payload, field = texts[0], "qrfile"
	} else if payload == "" {
		fail(uiNoInput, "", "")
		return
	}
	if _, err := vietqr.Decode(payload); err != nil {
		e := qrError(err, field)
		if field == "qrfile" {
			e.Msg = "Ảnh có mã QR nhưng không phải VietQR hợp lệ"
			fail(e, in.qr, payload)
			return
		}
		fail(e, payload, "")
		return
	}
	http.Redirect(w, r, confirmURL(in.from, payload), http.StatusSeeOther)
}

func confirmURL(from, payload string) string {
	return "/mockbank/app/confirm?" + url.Values{"from": {from}, "qr": {payload}}.Encode()
}

// readImage decodes the QR in an uploaded image, one of a few at a time.
func (a *bankApp) readImage(ctx context.Context, data []byte) ([]string, *uiError) {
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, uiBusy
	}
	defer func() { <-a.slots }()
	texts, err := readQRImage(data)
	switch {
	case err == nil:
		return texts, nil
	case errors.Is(err, errImageFormat):
		return nil, uiImageFormat
	case errors.Is(err, errImageTooLarge):
		return nil, uiImageDims
	case errors.Is(err, errNoQR):
		return nil, uiNoQR
	}
	return nil, uiImageCorrupt
}

func (a *bankApp) confirm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a.renderConfirm(w, http.StatusOK, q.Get("from"), cleanPayload(q.Get("qr")), "", nil)
}

// renderConfirm shows the decoded payee; a payload or payer that is not
// valid (a hand-edited URL) sends the person back to the scan step.
func (a *bankApp) renderConfirm(w http.ResponseWriter, status int, from, payload, amount string, e *uiError) {
	acct, ok := a.shopper(from)
	if !ok {
		ue := uiUnknownShopper
		if from == "" {
			ue = uiNoShopper
		}
		a.renderHome(w, ue.Status, homeView{page: page{Err: ue}, QR: payload})
		return
	}
	if payload == "" {
		a.renderHome(w, uiNoInput.Status, homeView{page: page{Err: uiNoInput}, From: from})
		return
	}
	qr, err := vietqr.Decode(payload)
	if err != nil {
		ue := qrError(err, "qr")
		a.renderHome(w, ue.Status, homeView{page: page{Err: ue}, From: from, QR: payload})
		return
	}
	v := confirmView{page: page{Title: "Xác nhận chuyển tiền", Page: "confirm", Step: 2, Err: e},
		From: acct, Payload: payload, QR: qr, Content: qr.Purpose, Amount: amount, Nonce: newNonce()}
	if qr.Amount != "" {
		v.QRAmount, _ = strconv.ParseInt(qr.Amount, 10, 64) // at most 13 digits: fits
		v.Short = v.QRAmount > acct.Balance
	}
	v.BankShort, v.BankName = "BIN "+qr.BIN, "Ngân hàng chưa có trong danh bạ NAPAS của ứng dụng"
	if bk, ok := vietqr.LookupBank(qr.BIN); ok {
		v.BankShort, v.BankName = bk.ShortName, bk.Name
	}
	if v.Content == "" {
		// What Transfer writes for a QR without a purpose.
		v.Content, v.ContentDefault = defaultContent(acct.Name), true
	}
	a.render(w, status, "confirm", v)
}

// pay makes the transfer and redirects to its receipt (post/redirect/get:
// reloading the receipt must not pay twice).
func (a *bankApp) pay(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		a.renderHome(w, uiBadForm.Status, homeView{page: page{Err: uiBadForm}})
		return
	}
	f := r.PostForm
	from, payload, amountIn, nonce := f.Get("from_account"), cleanPayload(f.Get("qr_payload")), f.Get("amount"), f.Get("nonce")
	req := TransferRequest{FromAccount: from, QRPayload: payload}
	if amountIn != "" {
		n, msg := parseAmountInput(amountIn)
		if msg != "" {
			a.payFailed(w, from, payload, amountIn, &uiError{Status: http.StatusUnprocessableEntity,
				Msg: "Số tiền không hợp lệ", Detail: msg, Field: "amount"})
			return
		}
		req.Amount = Dong(n)
	}
	t, err := a.transferOnce(nonce, req)
	if err != nil {
		balance, amount := int64(0), int64(req.Amount)
		if s, ok := a.shopper(from); ok {
			balance = s.Balance
		}
		if qr, err := vietqr.Decode(payload); amount == 0 && err == nil {
			amount, _ = strconv.ParseInt(qr.Amount, 10, 64)
		}
		a.payFailed(w, from, payload, amountIn, payError(err, balance, amount))
		return
	}
	http.Redirect(w, r, "/mockbank/app/receipt/"+strconv.FormatInt(t, 10), http.StatusSeeOther)
}

// transferOnce pays req, or returns the transaction already paid with the
// same nonce. An empty nonce (a client that is not this app's page) is
// never deduplicated.
func (a *bankApp) transferOnce(nonce string, req TransferRequest) (int64, error) {
	if nonce == "" {
		t, err := a.b.Transfer(req)
		return t.ID, err
	}
	a.payMu.Lock()
	defer a.payMu.Unlock()
	if id, ok := a.paid[nonce]; ok {
		return id, nil
	}
	t, err := a.b.Transfer(req)
	if err != nil {
		return 0, err
	}
	a.paid[nonce] = t.ID
	a.paidOrder = append(a.paidOrder, nonce)
	if len(a.paidOrder) > maxRemembered {
		delete(a.paid, a.paidOrder[0])
		a.paidOrder = a.paidOrder[1:]
	}
	return t.ID, nil
}

// payFailed shows a refusal where it can be fixed: on the confirmation
// (amount, balance) or back at the scan step (payer, code).
func (a *bankApp) payFailed(w http.ResponseWriter, from, payload, amount string, e *uiError) {
	switch e.Field {
	case "qr", "qrfile", "from":
		a.renderHome(w, e.Status, homeView{page: page{Err: e}, From: from, QR: payload})
	default: // renderConfirm itself goes back to the scan step if the payer or code is wrong
		a.renderConfirm(w, e.Status, from, payload, amount, e)
	}
}

func (a *bankApp) receipt(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	t, ok := a.b.Transaction(id)
	if err != nil || !ok {
		a.renderNotFound(w, "Không tìm thấy giao dịch này.")
		return
	}
	v := receiptView{page: page{Title: "Biên lai", Page: "receipt", Step: 3}, T: t}
	// The shopper's side: the payer of a transfer, the receiver of a refund.
	number, bin := t.FromAccount, t.FromBIN
	if t.Type == "refund" {
		number, bin = t.ToAccount, t.ToBIN
		v.Title = "Biên lai hoàn tiền"
	}
	acct, entries, _ := a.b.History(number, bin)
	v.Payer = acct
	v.Entries, v.More = newestFirst(entries, 10)
	a.render(w, http.StatusOK, "receipt", v)
}

func (a *bankApp) history(w http.ResponseWriter, r *http.Request) {
	acct, entries, ok := a.b.History(r.PathValue("number"), r.URL.Query().Get("bin"))
	if !ok {
		a.renderNotFound(w, "Không tìm thấy tài khoản này.")
		return
	}
	s, isShopper := a.shopper(acct.Number)
	v := historyView{page: page{Title: "Lịch sử giao dịch", Page: "history"}, Acct: acct, Shopper: isShopper && s.BIN == acct.BIN}
	v.Entries, v.More = newestFirst(entries, 200)
	a.render(w, http.StatusOK, "history", v)
}

func (a *bankApp) notFound(w http.ResponseWriter, r *http.Request) {
	a.renderNotFound(w, "Không có trang này.")
}

func (a *bankApp) renderNotFound(w http.ResponseWriter, msg string) {
	a.render(w, http.StatusNotFound, "notfound", notFoundView{page: page{Title: "Không tìm thấy", Page: "notfound"}, Msg: msg})
}

// render writes a page with the app's security headers. The page is built
// in memory first, so a template failure is a clean 500, not half a page.
func (a *bankApp) render(w http.ResponseWriter, status int, name string, v any) {
	var buf bytes.Buffer
	if err := appPages()[name].Execute(&buf, v); err != nil {
		a.b.log.Error("render banking app page", "page", name, "err", err)
		setPageHeaders(w.Header())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("Lỗi hiển thị trang của ngân hàng mô phỏng. Hãy tải lại trang.\n"))
		return
	}
	h := w.Header()
	setPageHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // balances change with every payment
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// shopper returns a payer account with its balance.
func (a *bankApp) shopper(number string) (Account, bool) {
	if number == "" {
		return Account{}, false
	}
	shoppers, _ := a.b.Accounts()
	for _, s := range shoppers {
		if s.Number == number {
			return s, true
		}
	}
	return Account{}, false
}

// newestFirst reverses an oldest-first history and keeps the first n.
func newestFirst(entries []Entry, n int) ([]Entry, bool) {
	out := slices.Clone(entries)
	slices.Reverse(out)
	if len(out) > n {
		return out[:n], true
	}
	return out, false
}

// newNonce identifies one rendering of the confirmation.
func newNonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather)
	return hex.EncodeToString(b[:])
}
