package mockbank

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// maxBody bounds every JSON request the simulator reads.
const maxBody = 64 << 10

// maxStatementWindow bounds one statement request, as real banks do.
const maxStatementWindow = 93 * 24 * time.Hour

// Handler serves the simulator under its full paths, so the platform can
// mount it as is (demo) and cmd/mockbank can serve it alone:
//
//	GET  /mockbank/                                  the "banking app" (HTML; works without JavaScript)
//	POST /mockbank/app/scan, GET /mockbank/app/confirm, POST /mockbank/app/pay,
//	GET  /mockbank/app/receipt/{id}, GET /mockbank/app/history/{number},
//	GET  /mockbank/static/{name}                     its steps and files (see app.go)
//	POST /mockbank/v1/transfers                      pay a VietQR (201 Transaction)
//	GET  /mockbank/v1/transactions?limit=            latest movements, newest first
//	GET  /mockbank/v1/transactions/{id}              one movement with its delivery attempts
//	GET  /mockbank/v1/faults, PUT /mockbank/v1/faults  global faults
//	GET  /mockbank/v1/statement?from=&to=[&account=] credits in [from, to) (Bearer secret)
//	GET  /mockbank/v1/accounts                       shoppers and credited payees with balances
//	POST /mockbank/v1/accounts                       open a shopper account
//	GET  /mockbank/v1/accounts/{number}/transactions an account's history (?bin= for payees)
//	POST /mockbank/v1/refunds                        refund a transfer (Bearer secret)
func (b *Bank) Handler() http.Handler { return b.mux }

func (b *Bank) routes() *http.ServeMux {
	m := http.NewServeMux()
	app := newBankApp(b) // the HTML "banking app": see app.go
	m.HandleFunc("GET /mockbank/{$}", app.home)
	m.HandleFunc("POST /mockbank/app/scan", app.scan)
	m.HandleFunc("GET /mockbank/app/confirm", app.confirm)
	m.HandleFunc("POST /mockbank/app/pay", app.pay)
	m.HandleFunc("GET /mockbank/app/receipt/{id}", app.receipt)
	m.HandleFunc("GET /mockbank/app/history/{number}", app.history)
	// The form targets opened by address (a bookmark, a reload the browser
	// will not re-post): back to the start.
	m.Handle("GET /mockbank/app/scan", http.RedirectHandler("/mockbank/", http.StatusSeeOther))
	m.Handle("GET /mockbank/app/pay", http.RedirectHandler("/mockbank/", http.StatusSeeOther))
	m.HandleFunc("GET /mockbank/app/", app.notFound)
	m.HandleFunc("GET /mockbank/static/{name}", serveAppStatic)
	m.HandleFunc("POST /mockbank/v1/transfers", b.handleTransfer)
	m.HandleFunc("GET /mockbank/v1/transactions", b.handleTransactions)
	m.HandleFunc("GET /mockbank/v1/transactions/{id}", b.handleTransaction)
	m.HandleFunc("GET /mockbank/v1/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, b.Faults())
	})
	m.HandleFunc("PUT /mockbank/v1/faults", b.handleSetFaults)
	m.HandleFunc("GET /mockbank/v1/statement", b.authorized(b.handleStatement))
	m.HandleFunc("GET /mockbank/v1/accounts", b.handleAccounts)
	m.HandleFunc("POST /mockbank/v1/accounts", b.handleAddShopper)
	m.HandleFunc("GET /mockbank/v1/accounts/{number}/transactions", b.handleHistory)
	m.HandleFunc("POST /mockbank/v1/refunds", b.authorized(b.handleRefund))
	return m
}

func (b *Bank) handleTransfer(w http.ResponseWriter, r *http.Request) {
	var req TransferRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	t, err := b.Transfer(req)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/mockbank/v1/transactions/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, t)
}

func (b *Bank) handleTransactions(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, bad(CodeInvalidRequest, "limit", "limit must be from 1 to 1000"))
			return
		}
		limit = n
	}
	writeJSON(w, http.StatusOK, map[string]any{"transactions": b.Transactions(limit)})
}

func (b *Bank) handleTransaction(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	t, ok := b.Transaction(id)
	if err != nil || !ok {
		writeError(w, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such transaction"})
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (b *Bank) handleSetFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if e := decodeJSON(w, r, &f); e != nil {
		writeError(w, e)
		return
	}
	if err := b.SetFaults(f); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (b *Bank) handleStatement(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err1 := time.Parse(time.RFC3339, q.Get("from"))
	to, err2 := time.Parse(time.RFC3339, q.Get("to"))
	switch {
	case err1 != nil:
		writeError(w, bad(CodeInvalidRequest, "from", "from must be an RFC 3339 time"))
		return
	case err2 != nil:
		writeError(w, bad(CodeInvalidRequest, "to", "to must be an RFC 3339 time"))
		return
	case !from.Before(to) || to.Sub(from) > maxStatementWindow:
		writeError(w, bad(CodeInvalidRequest, "to", "to must be after from, at most 93 days later"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"transactions": b.Statement(from, to, q.Get("account"))})
}

func (b *Bank) handleAccounts(w http.ResponseWriter, r *http.Request) {
	shoppers, payees := b.Accounts()
	writeJSON(w, http.StatusOK, map[string]any{"accounts": shoppers, "payees": payees})
}

func (b *Bank) handleAddShopper(w http.ResponseWriter, r *http.Request) {
	var s Shopper
	if e := decodeJSON(w, r, &s); e != nil {
		writeError(w, e)
		return
	}
	a, err := b.AddShopper(s)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (b *Bank) handleHistory(w http.ResponseWriter, r *http.Request) {
	a, entries, ok := b.History(r.PathValue("number"), r.URL.Query().Get("bin"))
	if !ok {
		writeError(w, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such account"})
		return
	}
	if entries == nil {
		entries = []Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"account": a, "entries": entries})
}

func (b *Bank) handleRefund(w http.ResponseWriter, r *http.Request) {
	var req RefundRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	ref, replayed, err := b.refund(req)
	if replayed {
		w.Header().Set("Idempotency-Hit", "true")
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, ref)
}

// authorized requires "Authorization: Bearer <secret>", compared in
// constant time (over digests, so not even the length leaks).
func (b *Bank) authorized(h http.HandlerFunc) http.HandlerFunc {
	want := sha256.Sum256([]byte("Bearer " + b.cfg.Secret))
	return func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		if !hmac.Equal(got[:], want[:]) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mockbank"`)
			writeError(w, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "a valid bearer token is required"})
			return
		}
		h(w, r)
	}
}

// decodeJSON reads one JSON object strictly: at most maxBody bytes, no
// unknown fields (a misspelt fault must not silently do nothing), nothing
// after it.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *Error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeInvalidRequest, Message: "body too large"}
		case errors.As(err, &te) && te.Field != "":
			return bad(CodeInvalidRequest, te.Field, te.Field+" has the wrong JSON type")
		}
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: "body must be one JSON object: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: "body has data after the JSON object"}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
	writeJSON(w, e.Status, e)
}
