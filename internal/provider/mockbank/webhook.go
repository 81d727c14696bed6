package mockbank

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"
	_ "time/tzdata" // transactionDate is Vietnamese local time on any host

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/provider"
	"github.com/market4/market4/pkg/money"
	"github.com/market4/market4/pkg/vietqr"
)

// Webhook is one notification body, field for field SePay's: the bank
// reports every movement on a watched account with this object, in the
// webhook and in the statement.
type Webhook struct {
	ID              int64   `json:"id"`              // unique per movement; the platform dedupes on it
	Gateway         string  `json:"gateway"`         // short name of the receiving bank, e.g. "Vietcombank"
	TransactionDate string  `json:"transactionDate"` // "2006-01-02 15:04:05", Asia/Ho_Chi_Minh
	AccountNumber   string  `json:"accountNumber"`   // the watched (receiving) account
	SubAccount      *string `json:"subAccount"`      // virtual account; always null here
	Code            *string `json:"code"`            // payment code SePay extracts; always null here
	Content         string  `json:"content"`         // transfer content as the bank delivers it (maybe mangled)
	TransferType    string  `json:"transferType"`    // "in" (credit) or "out" (debit, e.g. a refund)
	TransferAmount  int64   `json:"transferAmount"`  // whole đồng
	Accumulated     int64   `json:"accumulated"`     // running balance; always 0 here
	ReferenceCode   string  `json:"referenceCode"`   // the bank's own reference
	Description     string  `json:"description"`     // the full statement line
}

// DateLayout is the layout of Webhook.TransactionDate.
const DateLayout = "2006-01-02 15:04:05"

// maxAmount is the exclusive upper bound of an incoming transfer the
// platform accepts (pkg/money.Max): anything larger is not market trade.
const maxAmount = 500_000_000

// Vietnam has kept UTC+7 without daylight saving since 1975, so the fixed
// zone is an exact fallback should the tz database ever be missing.
var hcm = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return l
	}
	return time.FixedZone("ICT", 7*3600)
}()

// wireWebhook is Webhook with every field optional, so a missing field can
// be told from a zero one and named in the error.
type wireWebhook struct {
	ID              *int64  `json:"id"`
	Gateway         *string `json:"gateway"`
	TransactionDate *string `json:"transactionDate"`
	AccountNumber   *string `json:"accountNumber"`
	SubAccount      *string `json:"subAccount"`
	Code            *string `json:"code"`
	Content         *string `json:"content"`
	TransferType    *string `json:"transferType"`
	TransferAmount  *int64  `json:"transferAmount"`
	Accumulated     *int64  `json:"accumulated"`
	ReferenceCode   *string `json:"referenceCode"`
	Description     *string `json:"description"`
}

// decodeWebhook parses one (already authenticated) body strictly: a single
// JSON object, known fields with the right JSON types (unknown fields are
// ignored: banks add fields without notice), the required ones present.
// Errors: Invalid naming the field at fault.
func decodeWebhook(body []byte) (provider.Notification, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var w wireWebhook
	if err := dec.Decode(&w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return provider.Notification{}, errs.Field(te.Field, "must be a JSON "+jsonType(te.Type.String()))
		}
		return provider.Notification{}, errs.Wrap(errs.Invalid, err, "body is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return provider.Notification{}, errs.E(errs.Invalid, "body has data after the JSON object")
	}
	return w.notification()
}

func jsonType(goType string) string {
	switch goType {
	case "int64":
		return "integer"
	case "string":
		return "string"
	}
	return "value of another type"
}

func (w *wireWebhook) notification() (provider.Notification, error) {
	var fs errs.Fields
	fs.Check(w.ID != nil, "id", "is required")
	fs.Check(w.AccountNumber != nil, "accountNumber", "is required")
	fs.Check(w.TransferAmount != nil, "transferAmount", "is required")
	fs.Check(w.TransferType != nil, "transferType", "is required")
	fs.Check(w.TransactionDate != nil, "transactionDate", "is required")
	if err := fs.Err(); err != nil {
		return provider.Notification{}, err
	}
	fs.Check(*w.ID > 0, "id", "must be a positive integer")
	fs.Check(validAccount(*w.AccountNumber), "accountNumber", "must be 1–19 letters or digits")
	in := *w.TransferType == "in"
	fs.Check(in || *w.TransferType == "out", "transferType", `must be "in" or "out"`)
	amt := *w.TransferAmount
	fs.Check(amt > 0, "transferAmount", "must be greater than zero")
	fs.Check(!in || amt < maxAmount, "transferAmount", "must be less than 500000000 đồng")
	at, err := time.ParseInLocation(DateLayout, *w.TransactionDate, hcm)
	fs.Check(err == nil, "transactionDate", `must be "YYYY-MM-DD hh:mm:ss" local time`)
	if err := fs.Err(); err != nil {
		return provider.Notification{}, err
	}
	n := provider.Notification{
		Provider:  provider.MockBank,
		EventID:   strconv.FormatInt(*w.ID, 10),
		Account:   *w.AccountNumber,
		Amount:    money.FromDong(amt),
		Content:   deref(w.Content),
		Reference: deref(w.ReferenceCode),
		Incoming:  in,
		At:        at.UTC(),
		Success:   true,
	}
	n.BankBIN = gatewayBIN(deref(w.Gateway))
	return n, nil
}

// gatewayBIN maps SePay's gateway (a bank's short name) to its BIN; a
// gateway that is itself a 6-digit BIN (a bank missing from the directory)
// passes through; anything else is unknown ("").
func gatewayBIN(g string) string {
	if b, ok := vietqr.BankByShortName(g); ok {
		return b.BIN
	}
	if len(g) == 6 && allDigits(g) {
		return g
	}
	return ""
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// validAccount is VietQR's rule for 38/01/01: 1–19 letters or digits.
func validAccount(s string) bool {
	if len(s) == 0 || len(s) > vietqr.MaxAccountLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
