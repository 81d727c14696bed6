package mockbank

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/provider"
)

const (
	stallBIN  = "970422" // MBBank
	stallAcct = "0999888777"
	an        = "0101000001" // Nguyễn Văn An, Vietcombank
	binh      = "0101000002" // Trần Thị Bình, Techcombank
)

func TestTransferDeliversSignedWebhook(t *testing.T) {
	e := newEnv(t, nil)
	status, tx, apiErr := e.transfer(t, map[string]any{"from_account": an,
		"qr_payload": qr(t, stallBIN, stallAcct, "150000", "M4K3Q8ZP2A Rau cai")})
	if status != http.StatusCreated {
		t.Fatalf("transfer: %d %+v", status, apiErr)
	}
	if tx.Amount != 150000 || tx.Content != "M4K3Q8ZP2A Rau cai" || tx.ToBIN != stallBIN || tx.ToAccount != stallAcct ||
		tx.FromAccount != an || tx.ReferenceCode == "" || tx.ID != 1000 {
		t.Fatalf("transaction = %+v", tx)
	}
	tx = e.settle(t, tx.ID, 1)
	if tx.Delivery != DeliveryDelivered || len(tx.Attempts) != 1 || tx.Attempts[0].Status != 200 {
		t.Fatalf("delivery = %s %+v", tx.Delivery, tx.Attempts)
	}
	got := e.plat.Receipts()
	if len(got) != 1 || got[0].Err != nil {
		t.Fatalf("receipts = %+v", got)
	}
	n := got[0].N
	if n.EventID != "1000" || n.BankBIN != stallBIN || n.Account != stallAcct || n.Amount.Dong() != 150000 ||
		n.Content != "M4K3Q8ZP2A Rau cai" || n.Reference != tx.ReferenceCode || !n.Incoming || !n.Success ||
		n.Provider != provider.MockBank {
		t.Fatalf("notification = %+v", n)
	}
	if d := time.Since(n.At); d < 0 || d > 5*time.Second {
		t.Fatalf("At = %v", n.At)
	}
	// The body has exactly SePay's keys, in SePay's types.
	var raw map[string]any
	mustUnmarshal(t, got[0].Body, &raw)
	wantKeys := "accountNumber accumulated code content description gateway id referenceCode subAccount transactionDate transferAmount transferType"
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	if strings.Join(sorted(keys), " ") != wantKeys {
		t.Fatalf("keys = %v", sorted(keys))
	}
	if raw["gateway"] != "MBBank" || raw["subAccount"] != nil || raw["code"] != nil || raw["accumulated"] != 0.0 ||
		raw["transferType"] != "in" || raw["transferAmount"] != 150000.0 {
		t.Fatalf("body = %s", got[0].Body)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(raw["transactionDate"].(string)) {
		t.Fatalf("transactionDate = %v", raw["transactionDate"])
	}
	if tx.ReferenceCode[:6] != "MBVCB." || !strings.Contains(raw["description"].(string), "NGUYEN VAN AN") {
		t.Fatalf("reference %q description %q", tx.ReferenceCode, raw["description"])
	}
	// Money moved.
	shoppers, payees := e.bank.Accounts()
	if shoppers[0].Number != an || shoppers[0].Balance != 5_000_000-150000 {
		t.Fatalf("shopper = %+v", shoppers[0])
	}
	if len(payees) != 1 || payees[0].Balance != 150000 || payees[0].Bank != "MBBank" {
		t.Fatalf("payees = %+v", payees)
	}
	// GET /transactions/{id} shows the attempts.
	code, body := e.do(t, http.MethodGet, "/mockbank/v1/transactions/1000", nil, "")
	var viaAPI Transaction
	mustUnmarshal(t, body, &viaAPI)
	if code != 200 || len(viaAPI.Attempts) != 1 || viaAPI.Attempts[0].Status != 200 || viaAPI.Webhook.ID != 1000 {
		t.Fatalf("GET transaction: %d %s", code, body)
	}
}

func TestDefaultContentAndIDs(t *testing.T) {
	e := newEnv(t, nil)
	_, tx, _ := e.transfer(t, map[string]any{"from_account": binh, "qr_payload": qr(t, stallBIN, stallAcct, "", ""),
		"amount": "20000"})
	if tx.Content != "TRAN THI BINH chuyen tien" || tx.Amount != 20000 || tx.QRAmount != 0 {
		t.Fatalf("transaction = %+v", tx)
	}
	if !regexp.MustCompile(`^FT\d{5}\d{9}$`).MatchString(tx.ReferenceCode) {
		t.Fatalf("reference = %q", tx.ReferenceCode)
	}
	_, tx2, _ := e.transfer(t, map[string]any{"from_account": binh, "qr_payload": qr(t, stallBIN, stallAcct, "", ""), "amount": 1000})
	if tx2.ID != tx.ID+1 || tx2.ReferenceCode == tx.ReferenceCode {
		t.Fatalf("ids %d %d refs %q %q", tx.ID, tx2.ID, tx.ReferenceCode, tx2.ReferenceCode)
	}
	// The default first id is time-based, so a restarted bank does not
	// reuse ids the platform has seen.
	b := New(Config{Secret: testSecret, Logger: discardLogger()})
	defer b.Close()
	if b.nextID < time.Now().Unix()*1_000_000-10_000_000 || b.nextID >= 1<<53 {
		t.Fatalf("first id %d", b.nextID)
	}
}

func TestTransferErrors(t *testing.T) {
	e := newEnv(t, nil)
	static := qr(t, stallBIN, stallAcct, "", "")
	dynamic := qr(t, stallBIN, stallAcct, "50000", "M4K3Q8ZP2A")
	badCRC := dynamic[:len(dynamic)-1] + map[bool]string{true: "0", false: "1"}[dynamic[len(dynamic)-1] != '0']
	cases := []struct {
		name   string
		req    map[string]any
		status int
		code   string
		rule   string
	}{
		{"insufficient funds", map[string]any{"from_account": an, "qr_payload": static, "amount": 5_000_001}, 422, CodeInsufficientFunds, ""},
		{"unknown account", map[string]any{"from_account": "0000", "qr_payload": dynamic}, 422, CodeUnknownAccount, ""},
		{"static QR needs an amount", map[string]any{"from_account": an, "qr_payload": static}, 422, CodeAmountRequired, ""},
		{"bad CRC", map[string]any{"from_account": an, "qr_payload": badCRC}, 422, CodeInvalidQR, "crc_mismatch"},
		{"not a QR", map[string]any{"from_account": an, "qr_payload": "hello"}, 422, CodeInvalidQR, "bad_tag"},
		{"missing qr", map[string]any{"from_account": an}, 422, CodeInvalidRequest, ""},
		{"amount too large", map[string]any{"from_account": an, "qr_payload": static, "amount": 500_000_000}, 422, CodeAmountOutOfRange, ""},
		{"amount not whole", map[string]any{"from_account": an, "qr_payload": static, "amount": "10.5"}, 400, CodeInvalidRequest, ""},
		{"unknown field", map[string]any{"from_account": an, "qr_payload": static, "amount": 1, "amonut": 2}, 400, CodeInvalidRequest, ""},
		{"bad fault", map[string]any{"from_account": an, "qr_payload": static, "amount": 1, "faults": map[string]any{"mangle": "rot13"}}, 422, CodeInvalidRequest, ""},
		{"misspelt fault", map[string]any{"from_account": an, "qr_payload": static, "amount": 1, "faults": map[string]any{"duplicate": 1}}, 400, CodeInvalidRequest, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, apiErr := e.transfer(t, c.req)
			if status != c.status || apiErr.Code != c.code || apiErr.Rule != c.rule {
				t.Fatalf("got %d %+v, want %d %s %s", status, apiErr, c.status, c.code, c.rule)
			}
		})
	}
	shoppers, payees := e.bank.Accounts()
	if shoppers[0].Balance != 5_000_000 || len(payees) != 0 || len(e.bank.Transactions(10)) != 0 {
		t.Fatalf("a refused transfer moved money: %+v %+v", shoppers[0], payees)
	}

	t.Run("static QR with amount", func(t *testing.T) {
		status, tx, apiErr := e.transfer(t, map[string]any{"from_account": an, "qr_payload": static, "amount": "35000"})
		if status != 201 || tx.Amount != 35000 || tx.AmountEdited {
			t.Fatalf("%d %+v %+v", status, tx, apiErr)
		}
	})
	t.Run("payer edits a dynamic QR's amount", func(t *testing.T) {
		status, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": dynamic, "amount": 30000})
		if status != 201 || tx.Amount != 30000 || tx.QRAmount != 50000 || !tx.AmountEdited || tx.Webhook.TransferAmount != 30000 {
			t.Fatalf("%d %+v", status, tx)
		}
	})
	t.Run("exactly the balance", func(t *testing.T) {
		status, _, apiErr := e.transfer(t, map[string]any{"from_account": binh, "qr_payload": static, "amount": 5_000_000})
		if status != 201 {
			t.Fatalf("%d %+v", status, apiErr)
		}
		status, _, apiErr = e.transfer(t, map[string]any{"from_account": binh, "qr_payload": static, "amount": 1})
		if status != 422 || apiErr.Code != CodeInsufficientFunds {
			t.Fatalf("%d %+v", status, apiErr)
		}
	})
}

func TestRetriesUntilAcknowledged(t *testing.T) {
	e := newEnv(t, nil)
	e.plat.FailFirst(2)
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", "M4AAAAAAAA")})
	tx = e.settle(t, tx.ID, 3)
	var statuses []int
	for _, a := range tx.Attempts {
		statuses = append(statuses, a.Status)
	}
	if tx.Delivery != DeliveryDelivered || !equalInts(statuses, []int{500, 500, 200}) {
		t.Fatalf("delivery %s attempts %+v", tx.Delivery, tx.Attempts)
	}
	if !strings.Contains(tx.Attempts[0].Error, `"success":false`) {
		t.Fatalf("attempt error %q", tx.Attempts[0].Error)
	}
	got := e.plat.Receipts()
	if len(got) != 3 {
		t.Fatalf("%d receipts", len(got))
	}
	for _, r := range got {
		if r.Err != nil || r.N.EventID != strconv.FormatInt(tx.ID, 10) || !bytes.Equal(r.Body, got[0].Body) {
			t.Fatalf("receipt %+v", r)
		}
	}
	// Backoff doubles: 1ms then 2ms (capped at 4ms).
	if gap := tx.Attempts[2].At.Sub(tx.Attempts[0].At); gap < 3*time.Millisecond {
		t.Fatalf("attempts %v apart, want ≥ 3ms of backoff", gap)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxAttempts = 3 })
	e.plat.AnswerAll(http.StatusServiceUnavailable)
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", "")})
	tx = e.settle(t, tx.ID, 3)
	if tx.Delivery != DeliveryFailed || len(tx.Attempts) != 3 {
		t.Fatalf("delivery %s attempts %+v", tx.Delivery, tx.Attempts)
	}
	time.Sleep(20 * time.Millisecond)
	if n := len(e.plat.Receipts()); n != 3 {
		t.Fatalf("%d receipts after giving up", n)
	}
}

func TestFaultDuplicates(t *testing.T) {
	e := newEnv(t, nil)
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", "M4AAAAAAAA"),
		"faults": map[string]any{"duplicates": 3}})
	tx = e.settle(t, tx.ID, 4)
	got := e.plat.Receipts()
	if len(got) != 4 || len(tx.Attempts) != 4 {
		t.Fatalf("%d receipts, %d attempts", len(got), len(tx.Attempts))
	}
	copies := map[int]bool{}
	for _, a := range tx.Attempts {
		copies[a.Copy] = true
	}
	for _, r := range got {
		if r.Err != nil || r.N.EventID != strconv.FormatInt(tx.ID, 10) || !bytes.Equal(r.Body, got[0].Body) || r.Header != got[0].Header {
			t.Fatalf("receipt %+v differs from %+v", r, got[0])
		}
	}
	if len(copies) != 4 {
		t.Fatalf("copies %v", copies)
	}
}

func TestFaultDuplicatesRetryIndependently(t *testing.T) {
	e := newEnv(t, nil)
	e.plat.FailFirst(1) // one of the two concurrent copies fails once
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", ""),
		"faults": map[string]any{"duplicates": 1}})
	tx = e.settle(t, tx.ID, 3)
	if len(e.plat.Receipts()) != 3 || len(tx.Attempts) != 3 {
		t.Fatalf("%d receipts %+v", len(e.plat.Receipts()), tx.Attempts)
	}
}

func TestFaultDropFirst(t *testing.T) {
	e := newEnv(t, nil)
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", ""),
		"faults": map[string]any{"drop_first": 2}})
	tx = e.settle(t, tx.ID, 1)
	if len(tx.Attempts) != 3 || !tx.Attempts[0].Dropped || !tx.Attempts[1].Dropped || tx.Attempts[2].Status != 200 ||
		tx.Attempts[0].Status != 0 {
		t.Fatalf("attempts %+v", tx.Attempts)
	}
	if got := e.plat.Receipts(); len(got) != 1 || got[0].Err != nil {
		t.Fatalf("receipts %+v", got)
	}
}

func TestFaultOutOfOrder(t *testing.T) {
	e := newEnv(t, nil)
	_, a, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", "M4AAAAAAAA"),
		"faults": map[string]any{"out_of_order": true}})
	if a.Delivery != DeliveryHeld {
		t.Fatalf("first transfer delivery %s", a.Delivery)
	}
	time.Sleep(20 * time.Millisecond) // the held one must stay held, however long
	if n := len(e.plat.Receipts()); n != 0 {
		t.Fatalf("%d receipts while held", n)
	}
	_, b, _ := e.transfer(t, map[string]any{"from_account": binh, "qr_payload": qr(t, stallBIN, stallAcct, "20000", "M4BBBBBBBB")})
	e.settle(t, a.ID, 2)
	got := e.plat.Receipts()
	if len(got) != 2 || got[0].N.EventID != strconv.FormatInt(b.ID, 10) || got[1].N.EventID != strconv.FormatInt(a.ID, 10) {
		t.Fatalf("receipt order %s, %s; want %d then %d", got[0].N.EventID, got[1].N.EventID, b.ID, a.ID)
	}
}

func TestFaultOutOfOrderHoldTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.HoldTimeout = 10 * time.Millisecond })
	_, a, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", ""),
		"faults": map[string]any{"out_of_order": true}})
	if tx := e.settle(t, a.ID, 1); tx.Delivery != DeliveryDelivered {
		t.Fatalf("delivery %s", tx.Delivery)
	}
}

func TestFaultDelay(t *testing.T) {
	e := newEnv(t, nil)
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", ""),
		"faults": map[string]any{"delay_ms": 60}})
	tx = e.settle(t, tx.ID, 1)
	if d := tx.Attempts[0].At.Sub(tx.CreatedAt); d < 60*time.Millisecond {
		t.Fatalf("first attempt %v after the transfer, want ≥ 60ms", d)
	}
}

func TestFaultBadSignature(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxAttempts = 3 })
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", "M4K3Q8ZP2A"),
		"faults": map[string]any{"bad_signature": true}})
	tx = e.settle(t, tx.ID, 3)
	got := e.plat.Receipts()
	if tx.Delivery != DeliveryFailed || len(got) != 3 {
		t.Fatalf("delivery %s, %d receipts", tx.Delivery, len(got))
	}
	for _, r := range got {
		if !errs.Is(r.Err, errs.BadSignature) {
			t.Fatalf("receipt accepted: %+v", r)
		}
	}
	for _, a := range tx.Attempts {
		if a.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %+v", a)
		}
	}
	// Only reconciliation recovers it.
	ns, err := e.prov.Statement(t.Context(), tx.CreatedAt.Add(-time.Second), tx.CreatedAt.Add(time.Second))
	if err != nil || len(ns) != 1 || ns[0].EventID != strconv.FormatInt(tx.ID, 10) || ns[0].Content != "M4K3Q8ZP2A" {
		t.Fatalf("statement %+v %v", ns, err)
	}
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]`)

func normalise(s string) string { return strings.ToUpper(nonAlnum.ReplaceAllString(s, "")) }

func TestFaultMangle(t *testing.T) {
	const code = "M4K3Q8ZP2A"
	cases := []struct {
		mode, purpose, want string
		codeKept            bool
	}{
		{"", code + " rau cai ngot", code + " rau cai ngot", true},
		{"prefix", code + " rau cai ngot", `MBVCB.\d{7}.` + code + " rau cai ngot", true},
		{"nospace", code + " rau cai ngot", code + "raucaingot", true},
		{"upper", code + " rau cai ngot", code + " RAU CAI NGOT", true},
		{"truncate", code + " rau cai ngot", code + " rau cai n", true},
		{"truncate", "tien rau cai " + code, "tien rau cai M4K3Q8Z", false},
		{"all", code + " rau cai ngot", `MBVCB.\d{7}.` + code + "RAUCAIN", true},
		{"upper", "don m4k3q8zp2a", "DON M4K3Q8ZP2A", true},
	}
	for _, c := range cases {
		t.Run(c.mode+"/"+c.purpose, func(t *testing.T) {
			e := newEnv(t, nil)
			_, tx, apiErr := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", c.purpose),
				"faults": map[string]any{"mangle": c.mode}})
			if tx.ID == 0 {
				t.Fatalf("transfer refused: %+v", apiErr)
			}
			e.settle(t, tx.ID, 1)
			content := e.plat.Receipts()[0].N.Content
			if !regexp.MustCompile(`^` + strings.ReplaceAll(c.want, " ", `\x20`) + `$`).MatchString(content) {
				t.Fatalf("content %q, want %q", content, c.want)
			}
			if tx.OriginalContent != c.purpose {
				t.Fatalf("original content %q", tx.OriginalContent)
			}
			if got := strings.Contains(normalise(content), code); got != c.codeKept {
				t.Fatalf("code findable in %q: %v, want %v", content, got, c.codeKept)
			}
			ns, _ := e.prov.Statement(t.Context(), tx.CreatedAt.Add(-time.Second), tx.CreatedAt.Add(time.Second))
			if len(ns) != 1 || ns[0].Content != content {
				t.Fatalf("statement content %+v, webhook %q", ns, content)
			}
		})
	}
}

func TestGlobalFaults(t *testing.T) {
	e := newEnv(t, nil)
	code, body := e.do(t, http.MethodPut, "/mockbank/v1/faults", map[string]any{"mangle": "upper", "duplicates": 1}, "")
	if code != 200 {
		t.Fatalf("PUT faults: %d %s", code, body)
	}
	code, body = e.do(t, http.MethodGet, "/mockbank/v1/faults", nil, "")
	var f Faults
	mustUnmarshal(t, body, &f)
	if code != 200 || f != (Faults{Mangle: "upper", Duplicates: 1}) {
		t.Fatalf("GET faults: %d %s", code, body)
	}
	if code, _ = e.do(t, http.MethodPut, "/mockbank/v1/faults", map[string]any{"duplicates": -1}, ""); code != 422 {
		t.Fatalf("negative duplicates: %d", code)
	}
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", "abc")})
	e.settle(t, tx.ID, 2)
	if got := e.plat.Receipts(); len(got) != 2 || got[0].N.Content != "ABC" {
		t.Fatalf("global faults not applied: %+v", got)
	}
	// A transfer's own faults replace the global ones entirely.
	_, tx, _ = e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", "abc"), "faults": map[string]any{}})
	e.settle(t, tx.ID, 3)
	if got := e.plat.Receipts(); len(got) != 3 || got[2].N.Content != "abc" {
		t.Fatalf("per-transfer faults did not replace global ones: %+v", got[2:])
	}
}

func TestStatement(t *testing.T) {
	e := newEnv(t, nil)
	e.plat.AnswerAll(http.StatusInternalServerError) // the platform is down: no webhook gets through
	start := time.Now().Add(-time.Second)
	var ids []string
	for i, purpose := range []string{"M4AAAAAAAA", "M4BBBBBBBB", ""} {
		_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "", purpose),
			"amount": 10000 * (i + 1)})
		ids = append(ids, strconv.FormatInt(tx.ID, 10))
		e.settle(t, tx.ID, 5*(i+1))
	}
	end := time.Now().Add(time.Second)
	ns, err := e.prov.Statement(t.Context(), start, end)
	if err != nil || len(ns) != 3 {
		t.Fatalf("statement %+v %v", ns, err)
	}
	for i, n := range ns {
		if n.EventID != ids[i] || n.Amount.Dong() != int64(10000*(i+1)) || !n.Incoming || n.Account != stallAcct || n.BankBIN != stallBIN {
			t.Fatalf("line %d = %+v", i, n)
		}
	}
	// The window is [from, to).
	if ns, _ := e.prov.Statement(t.Context(), end, end.Add(time.Hour)); len(ns) != 0 {
		t.Fatalf("future window has %d lines", len(ns))
	}
	// Refund debits are not credits.
	if _, err := e.prov.Refund(t.Context(), provider.RefundRequest{RefundID: "r1", ProviderRef: ids[0], Amount: ns[0].Amount}); err != nil {
		t.Fatal(err)
	}
	if ns, _ := e.prov.Statement(t.Context(), start, time.Now().Add(time.Second)); len(ns) != 3 {
		t.Fatalf("statement after refund has %d lines", len(ns))
	}
	// Authentication and parameters.
	q := "/mockbank/v1/statement?from=" + start.UTC().Format(time.RFC3339) + "&to=" + end.UTC().Format(time.RFC3339)
	if code, _ := e.do(t, http.MethodGet, q, nil, ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := e.do(t, http.MethodGet, q, nil, "wrong"); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	if code, body := e.do(t, http.MethodGet, q, nil, testSecret); code != 200 || !bytes.Contains(body, []byte(`"transactions":[{"id":`)) {
		t.Fatalf("raw statement: %d %s", code, body)
	}
	if code, _ := e.do(t, http.MethodGet, q+"&account=nope", nil, testSecret); code != 200 {
		t.Fatalf("account filter: %d", code)
	}
	if code, _ := e.do(t, http.MethodGet, "/mockbank/v1/statement?from=yesterday&to=now", nil, testSecret); code != 422 {
		t.Fatalf("bad window: %d", code)
	}
	wrong := NewProvider(ProviderConfig{Secret: "not-the-secret-at-all", BaseURL: e.api.URL})
	if _, err := wrong.Statement(t.Context(), start, end); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("wrong secret: %v", err)
	}
	down := NewProvider(ProviderConfig{Secret: testSecret, BaseURL: "http://127.0.0.1:1"})
	if _, err := down.Statement(t.Context(), start, end); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("bank down: %v", err)
	}
}

func TestAccountsAndHistory(t *testing.T) {
	e := newEnv(t, nil)
	code, body := e.do(t, http.MethodGet, "/mockbank/v1/accounts", nil, "")
	var accts struct {
		Accounts []Account `json:"accounts"`
		Payees   []Account `json:"payees"`
	}
	mustUnmarshal(t, body, &accts)
	if code != 200 || len(accts.Accounts) != 4 || accts.Accounts[0].Name != "Nguyễn Văn An" || accts.Accounts[0].Bank != "Vietcombank" ||
		accts.Accounts[0].Balance != 5_000_000 || len(accts.Payees) != 0 {
		t.Fatalf("accounts: %d %s", code, body)
	}
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "12000", "x")})
	code, body = e.do(t, http.MethodGet, "/mockbank/v1/accounts/"+an+"/transactions", nil, "")
	var h struct {
		Account Account `json:"account"`
		Entries []Entry `json:"entries"`
	}
	mustUnmarshal(t, body, &h)
	if code != 200 || len(h.Entries) != 1 || h.Entries[0].TransactionID != tx.ID || h.Entries[0].Type != "debit" ||
		h.Entries[0].Balance != 5_000_000-12000 {
		t.Fatalf("history: %d %s", code, body)
	}
	code, body = e.do(t, http.MethodGet, "/mockbank/v1/accounts/"+stallAcct+"/transactions?bin="+stallBIN, nil, "")
	mustUnmarshal(t, body, &h)
	if code != 200 || len(h.Entries) != 1 || h.Entries[0].Type != "credit" || h.Account.Balance != 12000 {
		t.Fatalf("payee history: %d %s", code, body)
	}
	if code, _ := e.do(t, http.MethodGet, "/mockbank/v1/accounts/nope/transactions", nil, ""); code != 404 {
		t.Fatalf("unknown account: %d", code)
	}
	code, body = e.do(t, http.MethodPost, "/mockbank/v1/accounts", map[string]any{"number": "0202", "name": "Load Tester", "bin": "970415", "balance": 1_000_000_000}, "")
	if code != 201 {
		t.Fatalf("add shopper: %d %s", code, body)
	}
	if code, _ := e.do(t, http.MethodPost, "/mockbank/v1/accounts", map[string]any{"number": "0202", "name": "Again", "bin": "970415"}, ""); code != 409 {
		t.Fatalf("duplicate shopper: %d", code)
	}
	if code, _ := e.do(t, http.MethodGet, "/mockbank/v1/transactions/999999", nil, ""); code != 404 {
		t.Fatalf("unknown transaction: %d", code)
	}
	code, body = e.do(t, http.MethodGet, "/mockbank/v1/transactions?limit=5", nil, "")
	if code != 200 || !bytes.Contains(body, []byte(`"id":1000`)) {
		t.Fatalf("list: %d %s", code, body)
	}
}

func TestRefunds(t *testing.T) {
	e := newEnv(t, nil)
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "100000", "M4K3Q8ZP2A")})
	e.settle(t, tx.ID, 1)
	ref := strconv.FormatInt(tx.ID, 10)
	refund := func(id string, amount int64) (provider.RefundResult, error) {
		return e.prov.Refund(t.Context(), provider.RefundRequest{RefundID: id, OrderCode: "M4K3Q8ZP2A", ProviderRef: ref,
			Amount: moneyOf(amount), Reason: "het hang"})
	}
	r1, err := refund("refund-1", 30000)
	if err != nil || r1.Status != provider.RefundSucceeded || r1.ProviderRef == "" {
		t.Fatalf("refund: %+v %v", r1, err)
	}
	again, err := refund("refund-1", 30000)
	if err != nil || again != r1 {
		t.Fatalf("replay: %+v %v, want %+v", again, err, r1)
	}
	if shoppers, _ := e.bank.Accounts(); shoppers[0].Balance != 5_000_000-100000+30000 {
		t.Fatalf("shopper balance %d after a replayed refund", shoppers[0].Balance)
	}
	// Reusing the id for another amount is refused; so is more than remains.
	if res, err := refund("refund-1", 1000); !errs.Is(err, errs.Invalid) || res.Status != provider.RefundFailed {
		t.Fatalf("reused id: %+v %v", res, err)
	}
	if res, err := refund("refund-2", 70001); !errs.Is(err, errs.Invalid) || res.Status != provider.RefundFailed ||
		!strings.Contains(res.Message, CodeRefundExceeds) {
		t.Fatalf("over-refund: %+v %v", res, err)
	}
	// The refusal is remembered under its id…
	if _, err := refund("refund-2", 70001); !errs.Is(err, errs.Invalid) {
		t.Fatalf("over-refund replay: %v", err)
	}
	// …and the exact remainder succeeds.
	if res, err := refund("refund-3", 70000); err != nil || res.Status != provider.RefundSucceeded {
		t.Fatalf("remainder: %+v %v", res, err)
	}
	if res, err := refund("refund-4", 1); !errs.Is(err, errs.Invalid) || res.Status != provider.RefundFailed {
		t.Fatalf("nothing left: %+v %v", res, err)
	}
	got, _ := e.bank.Transaction(tx.ID)
	if got.Refunded != 100000 {
		t.Fatalf("refunded %d", got.Refunded)
	}
	if shoppers, payees := e.bank.Accounts(); shoppers[0].Balance != 5_000_000 || payees[0].Balance != 0 {
		t.Fatalf("balances %+v %+v", shoppers[0], payees[0])
	}
	// Refunds are notified as "out" movements the platform acknowledges.
	waitFor(t, func() bool { return len(e.plat.Receipts()) == 3 })
	for _, r := range e.plat.Receipts()[1:] {
		if r.Err != nil || r.N.Incoming || r.N.Account != stallAcct {
			t.Fatalf("refund notification %+v", r)
		}
	}
	// By reference code too; unknown transfers are refused.
	if res, err := e.prov.Refund(t.Context(), provider.RefundRequest{RefundID: "refund-5", ProviderRef: tx.ReferenceCode, Amount: moneyOf(1)}); !errs.Is(err, errs.Invalid) || !strings.Contains(res.Message, "exceeds") {
		t.Fatalf("by reference: %+v %v", res, err)
	}
	if _, err := e.prov.Refund(t.Context(), provider.RefundRequest{RefundID: "refund-6", ProviderRef: "424242", Amount: moneyOf(1)}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("unknown transfer: %v", err)
	}
	if _, err := e.prov.Refund(t.Context(), provider.RefundRequest{RefundID: "refund-7", Amount: moneyOf(1)}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("no reference: %v", err)
	}
	// Auth and reachability.
	if code, _ := e.do(t, http.MethodPost, "/mockbank/v1/refunds", map[string]any{"refund_id": "x", "transfer_id": tx.ID, "amount": 1}, ""); code != 401 {
		t.Fatalf("unauthenticated refund: %d", code)
	}
	down := NewProvider(ProviderConfig{Secret: testSecret, BaseURL: "http://127.0.0.1:1"})
	if _, err := down.Refund(t.Context(), provider.RefundRequest{RefundID: "r", ProviderRef: ref, Amount: moneyOf(1)}); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("bank down: %v", err)
	}
}

func TestConcurrentRefundsNeverExceed(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.InOnly = true })
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "100000", "")})
	ref := strconv.FormatInt(tx.ID, 10)
	results := make(chan error, 10)
	for i := range 10 {
		go func() {
			_, err := e.prov.Refund(t.Context(), provider.RefundRequest{RefundID: "c" + strconv.Itoa(i), ProviderRef: ref, Amount: moneyOf(30000)})
			results <- err
		}()
	}
	ok := 0
	for range 10 {
		if err := <-results; err == nil {
			ok++
		} else if !errs.Is(err, errs.Invalid) {
			t.Fatal(err)
		}
	}
	got, _ := e.bank.Transaction(tx.ID)
	if ok != 3 || got.Refunded != 90000 {
		t.Fatalf("%d refunds succeeded, %d refunded", ok, got.Refunded)
	}
}

func TestAdapterAckAndCreate(t *testing.T) {
	p := NewProvider(ProviderConfig{Secret: testSecret})
	if p.Name() != provider.MockBank {
		t.Fatal(p.Name())
	}
	if s, ct, b := p.Ack(true); s != 200 || ct != "application/json" || string(b) != `{"success":true}` {
		t.Fatal(s, ct, string(b))
	}
	if s, _, b := p.Ack(false); s != 500 || string(b) != `{"success":false}` {
		t.Fatal(s, string(b))
	}
	if r, err := p.Create(t.Context(), provider.CreateRequest{OrderCode: "M4AAAAAAAA"}); err != nil || r != (provider.CreateResult{}) {
		t.Fatal(r, err)
	}
}

func TestCloseStopsDeliveries(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Backoff = time.Hour; c.MaxBackoff = time.Hour })
	e.plat.AnswerAll(500)
	_, tx, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", ""),
		"faults": map[string]any{"duplicates": 2}})
	_, held, _ := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", ""),
		"faults": map[string]any{"out_of_order": true, "delay_ms": 600000}})
	waitFor(t, func() bool { t, _ := e.bank.Transaction(tx.ID); return len(t.Attempts) == 3 })
	start := time.Now()
	e.bank.Close()
	e.bank.Close() // idempotent
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %v", d)
	}
	if got, _ := e.bank.Transaction(held.ID); got.Delivery != DeliveryHeld {
		t.Fatalf("held delivery %s", got.Delivery)
	}
	status, _, apiErr := e.transfer(t, map[string]any{"from_account": an, "qr_payload": qr(t, stallBIN, stallAcct, "10000", "")})
	if status != 503 || apiErr.Code != CodeClosed {
		t.Fatalf("transfer after Close: %d %+v", status, apiErr)
	}
}

func TestAppPage(t *testing.T) {
	e := newEnv(t, nil)
	code, body := e.do(t, http.MethodGet, "/mockbank/", nil, "")
	if code != 200 || !bytes.Contains(body, []byte("SIMULATOR")) || !bytes.Contains(body, []byte("Nguyễn Văn An")) ||
		!bytes.Contains(body, []byte(`<form id="scan-form" method="post" action="/mockbank/app/scan"`)) {
		t.Fatalf("page: %d %s", code, body)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := "from_account=" + an + "&amount=&qr_payload=" + qr(t, stallBIN, stallAcct, "25000", "M4K3Q8ZP2A")
	resp, err := client.Post(e.api.URL+"/mockbank/app/pay", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/mockbank/app/receipt/") {
		t.Fatalf("pay: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	code, body = e.do(t, http.MethodGet, resp.Header.Get("Location"), nil, "")
	if code != 200 || !bytes.Contains(body, []byte("25.000 ₫")) {
		t.Fatalf("result page: %d %s", code, body)
	}
	resp, _ = client.Post(e.api.URL+"/mockbank/app/pay", "application/x-www-form-urlencoded", strings.NewReader("from_account="+an+"&qr_payload=<script>"))
	page := new(bytes.Buffer)
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 422 || bytes.Contains(page.Bytes(), []byte("<script>")) {
		t.Fatalf("bad QR: %d, escaped: %v", resp.StatusCode, !bytes.Contains(page.Bytes(), []byte("<script>")))
	}
}

func TestDongJSON(t *testing.T) {
	for in, want := range map[string]int64{`5`: 5, `"5"`: 5, `null`: 0} {
		var d Dong
		if err := json.Unmarshal([]byte(in), &d); err != nil || int64(d) != want {
			t.Errorf("%s: %d %v", in, d, err)
		}
	}
	for _, in := range []string{`-5`, `5.0`, `"5.5"`, `"abc"`, `1e3`, `""`, `true`} {
		var d Dong
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("%s accepted as %d", in, d)
		}
	}
}
