package vietqr

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// payloadFromFields is the inverse of vectorFields.
func payloadFromFields(tb testing.TB, f map[string]string) Payload {
	tb.Helper()
	p := Payload{Dynamic: f["init"] == "12"}
	for k, v := range f {
		switch k {
		case "init", "guid":
		case "bin":
			p.BIN = v
		case "account":
			p.AccountNumber = v
		case "service":
			p.Service = Service(v)
		case "currency":
			p.Currency = v
		case "country":
			p.Country = v
		case "amount":
			p.Amount = v
		case "merchant_name":
			p.MerchantName = v
		case "merchant_city":
			p.MerchantCity = v
		case "bill_number":
			p.BillNumber = v
		case "mobile_number":
			p.MobileNumber = v
		case "store_label":
			p.StoreLabel = v
		case "loyalty_number":
			p.LoyaltyNumber = v
		case "reference_label":
			p.ReferenceLabel = v
		case "customer_label":
			p.CustomerLabel = v
		case "terminal_label":
			p.TerminalLabel = v
		case "purpose":
			p.Purpose = v
		default:
			tb.Fatalf("unknown vector field %q", k)
		}
	}
	return p
}

func TestEncodeNAPAS613(t *testing.T) {
	got, err := Encode(Payload{
		Dynamic:       true,
		BIN:           "970403",
		AccountNumber: "0011012345678",
		Service:       ServiceAccount,
		Amount:        "180000",
		BillNumber:    "NPS6869",
		Purpose:       "thanh toan don hang",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != v613 {
		t.Errorf("Encode(§6.1.3 fields)\n got %s\nwant %s", got, v613)
	}
}

// TestEncodeVectors encodes the fields of every valid vector and expects
// the vector's payload byte for byte (all but one are in ascending tag
// order, which is what Encode writes).
func TestEncodeVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		if !v.Valid || v.ID == "giautm-tag62-before-38" {
			continue
		}
		t.Run(v.ID, func(t *testing.T) {
			got, err := Encode(payloadFromFields(t, v.Fields))
			if err != nil {
				t.Fatal(err)
			}
			if got != v.Payload {
				t.Errorf("\n got %s\nwant %s", got, v.Payload)
			}
		})
	}
}

func TestEncodeDefaultsAndTransliteration(t *testing.T) {
	got, err := Encode(Payload{
		Dynamic:       true,
		BIN:           "970422",
		AccountNumber: "0023457923442",
		Amount:        "40123",
		Purpose:       "chuyển khoản",
		CRC:           "FFFF", // ignored
	})
	if err != nil {
		t.Fatal(err)
	}
	// subiz/vietqr TestQR[3]: the same input gives the same bytes.
	if want := "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA53037045405401235802VN62160812chuyen khoan6304722F"; got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestEncodeErrors(t *testing.T) {
	ok := Payload{BIN: "970403", AccountNumber: "0011012345678"}
	with := func(f func(*Payload)) Payload { p := ok; f(&p); return p }
	s26 := strings.Repeat("x", 26)
	tests := []struct {
		name  string
		p     Payload
		rule  string
		field string
		tag   string
	}{
		{"BIN empty", with(func(p *Payload) { p.BIN = "" }), RuleRequired, "bin", "38.01.00"},
		{"BIN 5 digits", with(func(p *Payload) { p.BIN = "97040" }), RuleBadBIN, "bin", "38.01.00"},
		{"BIN 7 digits", with(func(p *Payload) { p.BIN = "9704030" }), RuleBadBIN, "bin", "38.01.00"},
		{"BIN letters", with(func(p *Payload) { p.BIN = "VCB000" }), RuleBadBIN, "bin", "38.01.00"},
		{"account empty", with(func(p *Payload) { p.AccountNumber = "" }), RuleRequired, "account_number", "38.01.01"},
		{"account with spaces", with(func(p *Payload) { p.AccountNumber = "0011 0123" }), RuleBadAccount, "account_number", "38.01.01"},
		{"account 20", with(func(p *Payload) { p.AccountNumber = strings.Repeat("1", 20) }), RuleBadAccount, "account_number", "38.01.01"},
		{"account Vietnamese", with(func(p *Payload) { p.AccountNumber = "Số1" }), RuleBadAccount, "account_number", "38.01.01"},
		{"service lower case", with(func(p *Payload) { p.Service = "qribftta" }), RuleBadService, "service", "38.02"},
		{"service QRPUSH", with(func(p *Payload) { p.Service = "QRPUSH" }), RuleBadService, "service", "38.02"},
		{"amount zero", with(func(p *Payload) { p.Amount = "0" }), RuleBadAmount, "amount", "54"},
		{"amount leading zero", with(func(p *Payload) { p.Amount = "050000" }), RuleBadAmount, "amount", "54"},
		{"amount decimals", with(func(p *Payload) { p.Amount = "50000.00" }), RuleBadAmount, "amount", "54"},
		{"amount grouped", with(func(p *Payload) { p.Amount = "50,000" }), RuleBadAmount, "amount", "54"},
		{"amount negative", with(func(p *Payload) { p.Amount = "-5" }), RuleBadAmount, "amount", "54"},
		{"amount 14 digits", with(func(p *Payload) { p.Amount = "10000000000000" }), RuleBadAmount, "amount", "54"},
		{"currency USD", with(func(p *Payload) { p.Currency = "840" }), RuleBadCurrency, "currency", "53"},
		{"currency code", with(func(p *Payload) { p.Currency = "VND" }), RuleBadCurrency, "currency", "53"},
		{"country", with(func(p *Payload) { p.Country = "vn" }), RuleBadCountry, "country", "58"},
		{"merchant name 26", with(func(p *Payload) { p.MerchantName = s26 }), RuleTooLong, "merchant_name", "59"},
		{"merchant city 16", with(func(p *Payload) { p.MerchantCity = "THANH PHO HO CHI" }), RuleTooLong, "merchant_city", "60"},
		{"bill number 26", with(func(p *Payload) { p.BillNumber = s26 }), RuleTooLong, "bill_number", "62.01"},
		{"mobile number 26", with(func(p *Payload) { p.MobileNumber = s26 }), RuleTooLong, "mobile_number", "62.02"},
		{"store label 26", with(func(p *Payload) { p.StoreLabel = s26 }), RuleTooLong, "store_label", "62.03"},
		{"loyalty number 26", with(func(p *Payload) { p.LoyaltyNumber = s26 }), RuleTooLong, "loyalty_number", "62.04"},
		{"reference label 26", with(func(p *Payload) { p.ReferenceLabel = s26 }), RuleTooLong, "reference_label", "62.05"},
		{"customer label 26", with(func(p *Payload) { p.CustomerLabel = s26 }), RuleTooLong, "customer_label", "62.06"},
		{"terminal label 26", with(func(p *Payload) { p.TerminalLabel = s26 }), RuleTooLong, "terminal_label", "62.07"},
		{"purpose 26 after transliteration", with(func(p *Payload) { p.Purpose = "Thanh toán đơn hàng số 123" }), RuleTooLong, "purpose", "62.08"},
		{"62 over 99 in total", with(func(p *Payload) {
			p.BillNumber, p.MobileNumber, p.StoreLabel, p.Purpose = s26[1:], s26[1:], s26[1:], s26[1:]
		}), RuleTooLong, "purpose", "62"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Encode(tt.p)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Encode = %q, %v; want *Error", s, err)
			}
			if e.Rule != tt.rule || e.Field != tt.field || e.Tag != tt.tag || e.Offset != -1 || e.Msg == "" {
				t.Errorf("got %+v, want rule %q field %q tag %q offset -1", *e, tt.rule, tt.field, tt.tag)
			}
			if s != "" {
				t.Errorf("Encode returned %q with its error", s)
			}
		})
	}
}

func TestEncodeLimitsAreInclusive(t *testing.T) {
	s25 := strings.Repeat("y", 25)
	p := Payload{
		BIN: "970403", AccountNumber: strings.Repeat("9", 19), Amount: "9999999999999",
		MerchantName: s25, MerchantCity: strings.Repeat("c", 15),
		BillNumber: s25, MobileNumber: s25, StoreLabel: "s", Purpose: s25,
	}
	s, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	want := normalize(p)
	want.CRC = got.CRC
	if got != want {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
	// Vietnamese text counts bytes after transliteration, not before:
	// 25 characters, 33 bytes of UTF-8, 25 bytes encoded.
	p = Payload{BIN: "970403", AccountNumber: "1", Purpose: "Thanh toán đơn hàng số 12"}
	if s, err = Encode(p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, "0825Thanh toan don hang so 12") {
		t.Errorf("purpose not transliterated in place: %s", s)
	}
}

func TestEncodeTruncate(t *testing.T) {
	s25 := strings.Repeat("z", 25)
	p := Payload{
		BIN: "970403", AccountNumber: "0011012345678",
		MerchantName: "CONG TY TNHH THUONG MAI DICH VU MARKET4", MerchantCity: "Thành phố Hồ Chí Minh",
		BillNumber: "B" + s25, MobileNumber: "M" + s25, StoreLabel: "S" + s25, LoyaltyNumber: "L" + s25,
		ReferenceLabel: "R" + s25, CustomerLabel: "C" + s25, TerminalLabel: "T" + s25, Purpose: "P" + s25,
	}
	if _, err := Encode(p); err == nil {
		t.Fatal("strict Encode accepted over-long fields")
	}
	s, err := EncodeWith(p, EncodeOptions{Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(s)
	if err != nil {
		t.Fatalf("Decode(truncated): %v\n%s", err, s)
	}
	want := Payload{
		BIN: "970403", AccountNumber: "0011012345678", Service: ServiceAccount, Currency: "704", Country: "VN",
		MerchantName: "CONG TY TNHH THUONG MAI D", MerchantCity: "Thanh pho Ho Ch",
		// 8 subfields of 25 bytes are 232 bytes; 62/07, 06, 05 and 04 go
		// whole (116), then 62/03 loses the last 17 bytes: 99 exactly.
		BillNumber: ("B" + s25)[:25], MobileNumber: ("M" + s25)[:25], StoreLabel: ("S" + s25)[:8], Purpose: ("P" + s25)[:25],
		CRC: got.CRC,
	}
	if got != want {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
	// Nothing to cut: Truncate changes nothing.
	a, _ := Encode(Payload{BIN: "970403", AccountNumber: "1", Purpose: "ok"})
	b, _ := EncodeWith(Payload{BIN: "970403", AccountNumber: "1", Purpose: "ok"}, EncodeOptions{Truncate: true})
	if a != b {
		t.Errorf("Truncate changed a payload that fits: %s vs %s", a, b)
	}
	// Truncate never touches identifiers.
	if _, err := EncodeWith(Payload{BIN: "970403", AccountNumber: strings.Repeat("1", 20)}, EncodeOptions{Truncate: true}); err == nil {
		t.Error("Truncate cut an account number")
	}
}

// normalize applies what Encode does to p: defaults, transliteration, and
// no CRC.
func normalize(p Payload) Payload {
	if p.Service == "" {
		p.Service = ServiceAccount
	}
	if p.Currency == "" {
		p.Currency = "704"
	}
	if p.Country == "" {
		p.Country = "VN"
	}
	for _, f := range []*string{&p.MerchantName, &p.MerchantCity, &p.BillNumber, &p.MobileNumber,
		&p.StoreLabel, &p.LoyaltyNumber, &p.ReferenceLabel, &p.CustomerLabel, &p.TerminalLabel, &p.Purpose} {
		*f = ASCII(*f)
	}
	p.CRC = ""
	return p
}

// randomPayload draws a valid Payload from pools of realistic and edge-case
// values, including Vietnamese text and values at every limit.
func randomPayload(r *rand.Rand) Payload {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	text := func(limit int) string {
		switch r.IntN(6) {
		case 0, 1:
			return ""
		case 2:
			v := pick("Thanh toán đơn hàng", "ĐẶNG THỊ HỒNG", "Chợ Bến Thành", "Phở bò 🍜", "tiền điện", "Nguyễn Văn Ả", "Hà Nội", "\tnewline\n")
			if len(ASCII(v)) > limit {
				return ""
			}
			return v
		case 3:
			const alphabet = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
			b := make([]byte, 1+r.IntN(limit))
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			return string(b)
		case 4:
			return strings.Repeat("W", limit)
		default:
			return "M4K3Q8ZP2A"
		}
	}
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	p := Payload{
		Dynamic:       r.IntN(2) == 0,
		BIN:           pick("970403", "970422", "970436", "546034", "999999", digits(6)),
		AccountNumber: pick("0011012345678", "9704031101234567", "VQRQ0001ABC", digits(1+r.IntN(19)), strings.Repeat("Z", 19)),
		Service:       Service(pick("", string(ServiceAccount), string(ServiceCard))),
		Currency:      pick("", "704"),
		Country:       pick("", "VN"),
		MerchantName:  text(MaxMerchantNameLen),
		MerchantCity:  text(MaxMerchantCityLen),
	}
	if r.IntN(3) > 0 {
		p.Amount = pick("1", "1000", "180000", "499999999", "9999999999999", "1"+digits(r.IntN(12)))
	}
	// Up to 3 full-length 62 subfields fit in 99 bytes; keep it valid.
	used := 0
	for _, f := range []*string{&p.BillNumber, &p.MobileNumber, &p.StoreLabel, &p.LoyaltyNumber,
		&p.ReferenceLabel, &p.CustomerLabel, &p.TerminalLabel, &p.Purpose} {
		v := text(MaxAdditionalLen)
		if n := len(ASCII(v)); n > 0 && used+4+n <= MaxTemplateLen {
			*f = v
			used += 4 + n
		}
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		p := randomPayload(r)
		s, err := Encode(p)
		if err != nil {
			t.Fatalf("#%d Encode(%+v): %v", i, p, err)
		}
		got, err := Decode(s)
		if err != nil {
			t.Fatalf("#%d Decode(Encode(%+v)) = %v\n%s", i, p, err, s)
		}
		if got.CRC != s[len(s)-4:] {
			t.Fatalf("#%d CRC %q, payload ends %q", i, got.CRC, s[len(s)-4:])
		}
		got.CRC = ""
		if want := normalize(p); got != want {
			t.Fatalf("#%d round trip\n got %+v\nwant %+v", i, got, want)
		}
		again, err := Encode(got)
		if err != nil || again != s {
			t.Fatalf("#%d Encode(Decode(s)) = %q, %v; want %q", i, again, err, s)
		}
	}
}
