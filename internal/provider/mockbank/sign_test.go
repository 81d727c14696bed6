package mockbank

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/provider"
)

const sampleBody = `{"id":92704,"gateway":"Vietcombank","transactionDate":"2026-11-22 14:03:05","accountNumber":"0123499999",` +
	`"subAccount":null,"code":null,"content":"M4K3Q8ZP2A thanh toan","transferType":"in","transferAmount":2277000,` +
	`"accumulated":0,"referenceCode":"MBVCB.3278907687","description":"M4K3Q8ZP2A thanh toan.CT tu 0101000001"}`

func TestSignFormat(t *testing.T) {
	at := time.Unix(1795000000, 0)
	got := Sign("k", at, []byte("{}"))
	// HMAC-SHA256("k", "1795000000.{}"), computed independently:
	//   printf '1795000000.{}' | openssl dgst -sha256 -hmac k
	want := "t=1795000000,v1=fe24909d8a5cd26f650fe25a1607c734a8fbc3f1f283dacf4562766b7c6d62f2"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	if !strings.HasPrefix(got, "t=1795000000,v1=") || len(got) != len("t=1795000000,v1=")+64 {
		t.Fatalf("Sign = %q: wrong shape", got)
	}
}

func TestParseWebhookSignature(t *testing.T) {
	now := time.Date(2026, 11, 22, 7, 3, 10, 0, time.UTC)
	body := []byte(sampleBody)
	good := Sign(testSecret, now, body)
	p := NewProvider(ProviderConfig{Secret: testSecret})
	hexPart := good[strings.Index(good, "v1=")+3:]
	ts := good[:strings.Index(good, ",")]
	cases := []struct {
		name    string
		headers []string // values of X-Mockbank-Signature
		body    []byte
		wantErr string // BadSignature message; "" for success
	}{
		{"valid", []string{good}, body, ""},
		{"upper-case hex", []string{ts + ",v1=" + strings.ToUpper(hexPart)}, body, ""},
		{"lower-case hex", []string{ts + ",v1=" + strings.ToLower(hexPart)}, body, ""},
		{"4 minutes old", []string{Sign(testSecret, now.Add(-4*time.Minute), body)}, body, ""},
		{"missing header", nil, body, "missing signature"},
		{"empty header", []string{""}, body, "missing signature"},
		{"two headers", []string{good, good}, body, "malformed signature header"},
		{"no t", []string{"v1=" + hexPart}, body, "malformed signature header"},
		{"keys swapped", []string{"v1=" + hexPart + "," + ts}, body, "malformed signature header"},
		{"space after comma", []string{ts + ", v1=" + hexPart}, body, "malformed signature header"},
		{"t not digits", []string{"t=17e8,v1=" + hexPart}, body, "malformed signature header"},
		{"t negative", []string{"t=-1,v1=" + hexPart}, body, "malformed signature header"},
		{"t too long", []string{"t=1234567890123456789,v1=" + hexPart}, body, "malformed signature header"},
		{"hex too short", []string{ts + ",v1=" + hexPart[:62]}, body, "malformed signature header"},
		{"hex not hex", []string{ts + ",v1=" + strings.Repeat("z", 64)}, body, "malformed signature header"},
		{"second signature appended", []string{good + ",v1=" + hexPart}, body, "malformed signature header"},
		{"v0 scheme", []string{ts + ",v0=" + hexPart}, body, "malformed signature header"},
		{"wrong secret", []string{Sign("another-secret-0123456789", now, body)}, body, "signature mismatch"},
		{"body modified after signing", []string{good}, []byte(strings.Replace(sampleBody, "2277000", "9277000", 1)), "signature mismatch"},
		{"body with trailing newline", []string{good}, append(append([]byte{}, body...), '\n'), "signature mismatch"},
		{"timestamp changed", []string{"t=1795000001,v1=" + hexPart}, body, "signature mismatch"},
		{"6 minutes old", []string{Sign(testSecret, now.Add(-6*time.Minute), body)}, body, "stale signature timestamp"},
		{"6 minutes in the future", []string{Sign(testSecret, now.Add(6*time.Minute), body)}, body, "stale signature timestamp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range c.headers {
				h.Add(SignatureHeader, v)
			}
			n, err := p.ParseWebhook(h, c.body, now)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseWebhook: %v", err)
				}
				if n.EventID != "92704" {
					t.Fatalf("EventID = %q", n.EventID)
				}
				return
			}
			var e *errs.Error
			if !errorsAs(err, &e) || e.Code != errs.BadSignature || e.Message != c.wantErr {
				t.Fatalf("err = %v, want BadSignature %q", err, c.wantErr)
			}
		})
	}
}

func TestParseWebhookEmptySecretRefusesAll(t *testing.T) {
	now := time.Now()
	body := []byte(sampleBody)
	p := NewProvider(ProviderConfig{})
	h := http.Header{SignatureHeader: {Sign("", now, body)}}
	if _, err := p.ParseWebhook(h, body, now); !errs.Is(err, errs.BadSignature) {
		t.Fatalf("err = %v, want BadSignature", err)
	}
}

func TestParseWebhookBody(t *testing.T) {
	now := time.Date(2026, 11, 22, 7, 3, 10, 0, time.UTC)
	p := NewProvider(ProviderConfig{Secret: testSecret})
	parse := func(body string) (provider.Notification, error) {
		h := http.Header{SignatureHeader: {Sign(testSecret, now, []byte(body))}}
		return p.ParseWebhook(h, []byte(body), now)
	}
	n, err := parse(sampleBody)
	if err != nil {
		t.Fatal(err)
	}
	want := provider.Notification{Provider: provider.MockBank, EventID: "92704", BankBIN: "970436", Account: "0123499999",
		Content: "M4K3Q8ZP2A thanh toan", Reference: "MBVCB.3278907687", Incoming: true, Success: true,
		At: time.Date(2026, 11, 22, 7, 3, 5, 0, time.UTC)}
	if n.Amount.String() != "2277000" {
		t.Errorf("Amount = %s", n.Amount)
	}
	n.Amount = want.Amount
	if n != want {
		t.Errorf("notification\n got %+v\nwant %+v", n, want)
	}
	if n.At.Location() != time.UTC {
		t.Errorf("At is not UTC: %v", n.At.Location())
	}

	// set replaces one field's JSON value in the sample ("" removes it).
	set := func(field, value string) string {
		var out []string
		for _, kv := range strings.Split(strings.Trim(sampleBody, "{}"), `,"`) {
			kv = strings.TrimPrefix(kv, `"`)
			if strings.HasPrefix(kv, field+`":`) {
				if value == "" {
					continue
				}
				kv = field + `":` + value
			}
			out = append(out, `"`+kv)
		}
		return "{" + strings.Join(out, ",") + "}"
	}
	invalid := []struct {
		name, body, field string
	}{
		{"missing id", set("id", ""), "id"},
		{"null id", set("id", "null"), "id"},
		{"missing accountNumber", set("accountNumber", ""), "accountNumber"},
		{"missing transferAmount", set("transferAmount", ""), "transferAmount"},
		{"missing transferType", set("transferType", ""), "transferType"},
		{"missing transactionDate", set("transactionDate", ""), "transactionDate"},
		{"id as string", set("id", `"92704"`), "id"},
		{"id zero", set("id", "0"), "id"},
		{"amount as string", set("transferAmount", `"2277000"`), "transferAmount"},
		{"amount fractional", set("transferAmount", "2277000.5"), "transferAmount"},
		{"amount exponent", set("transferAmount", "2.277e6"), "transferAmount"},
		{"amount zero", set("transferAmount", "0"), "transferAmount"},
		{"amount negative", set("transferAmount", "-5"), "transferAmount"},
		{"amount 500,000,000", set("transferAmount", "500000000"), "transferAmount"},
		{"amount overflows int64", set("transferAmount", "99999999999999999999"), "transferAmount"},
		{"content as number", set("content", "12"), "content"},
		{"subAccount as number", set("subAccount", "1"), "subAccount"},
		{"transferType unknown", set("transferType", `"sideways"`), "transferType"},
		{"account with dash", set("accountNumber", `"0123-4999"`), "accountNumber"},
		{"date in ISO form", set("transactionDate", `"2026-11-22T14:03:05Z"`), "transactionDate"},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(c.body)
			var e *errs.Error
			if !errorsAs(err, &e) || e.Code != errs.Invalid {
				t.Fatalf("err = %v, want Invalid", err)
			}
			found := false
			for _, f := range e.Fields {
				found = found || f.Field == c.field
			}
			if !found {
				t.Fatalf("err = %v, want it to name %q", err, c.field)
			}
		})
	}
	for _, body := range []string{`[]`, `"x"`, `{`, sampleBody + `{}`, sampleBody + ` x`, ``} {
		if _, err := parse(body); !errs.Is(err, errs.Invalid) {
			t.Errorf("body %.30q: err = %v, want Invalid", body, err)
		}
	}

	t.Run("unknown fields are allowed", func(t *testing.T) {
		if _, err := parse(strings.Replace(sampleBody, `{`, `{"newField":{"a":[1,2]},`, 1)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("out is not incoming, any amount", func(t *testing.T) {
		n, err := parse(strings.Replace(set("transferAmount", "600000000"), `"in"`, `"out"`, 1))
		if err != nil || n.Incoming {
			t.Fatalf("n = %+v, err = %v", n, err)
		}
	})
	t.Run("unknown gateway", func(t *testing.T) {
		n, _ := parse(set("gateway", `"NoSuchBank"`))
		if n.BankBIN != "" {
			t.Fatalf("BankBIN = %q", n.BankBIN)
		}
		n, _ = parse(set("gateway", `"970999"`))
		if n.BankBIN != "970999" {
			t.Fatalf("BankBIN = %q", n.BankBIN)
		}
	})
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(sampleBody))
	f.Add([]byte(`{"id":1,"accountNumber":"1","transferAmount":1,"transferType":"in","transactionDate":"2026-01-01 00:00:00"}`))
	f.Add([]byte(`{"id":1e3}`))
	f.Add([]byte(`null`))
	now := time.Date(2026, 11, 22, 7, 3, 10, 0, time.UTC)
	p := NewProvider(ProviderConfig{Secret: testSecret})
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{SignatureHeader: {Sign(testSecret, now, body)}}
		n, err := p.ParseWebhook(h, body, now)
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Invalid {
				t.Fatalf("well-signed body gave %v", err)
			}
			return
		}
		if n.EventID == "" || n.Account == "" || n.Amount.Sign() <= 0 || n.At.IsZero() {
			t.Fatalf("accepted an incomplete notification %+v", n)
		}
		if n.Incoming && n.Amount.Dong() >= maxAmount {
			t.Fatalf("accepted amount %s", n.Amount)
		}
		// Unsigned (or differently signed) it must be refused.
		h.Set(SignatureHeader, Sign("other-secret-xxxxxxxx", now, body))
		if _, err := p.ParseWebhook(h, body, now); !errs.Is(err, errs.BadSignature) {
			t.Fatalf("wrong key accepted: %v", err)
		}
	})
}
