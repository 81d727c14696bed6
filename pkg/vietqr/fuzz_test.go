package vietqr

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var (
	decodeRules = map[string]bool{
		RuleTooLong: true, RuleNonASCII: true, RuleBadTag: true, RuleBadLength: true,
		RuleTemplateOverrun: true, RuleDuplicateTag: true, RuleOrder: true, RuleTrailingData: true,
		RuleMissingTag: true, RuleUnknownTag: true, RuleBadFormat: true, RuleBadInit: true,
		RuleBadCRC: true, RuleCRCMismatch: true, RuleBadGUID: true, RuleBadBIN: true,
		RuleBadAccount: true, RuleBadService: true, RuleBadAmount: true, RuleBadCurrency: true,
		RuleBadCountry: true,
	}
	encodeRules = map[string]bool{
		RuleRequired: true, RuleBadBIN: true, RuleBadAccount: true, RuleBadService: true,
		RuleBadAmount: true, RuleBadCurrency: true, RuleBadCountry: true, RuleTooLong: true,
	}
	tagPathRE = regexp.MustCompile(`^(\d\d(\.\d\d)*)?$`)
)

// checkDecode asserts Decode's contract on one input: a well-formed *Error,
// or a payload that re-encodes to something that decodes to the same.
func checkDecode(t *testing.T, s string) {
	p, err := Decode(s)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Decode(%q) error %T %v is not *Error", s, err, err)
		}
		if !decodeRules[e.Rule] || e.Offset < 0 || e.Offset > len(s) || e.Field != "" || e.Msg == "" || !tagPathRE.MatchString(e.Tag) {
			t.Fatalf("Decode(%q): malformed error %+v", s, *e)
		}
		if p != (Payload{}) {
			t.Fatalf("Decode(%q) returned %+v with its error", s, p)
		}
		return
	}
	if p.CRC != strings.ToUpper(s[len(s)-4:]) {
		t.Fatalf("Decode(%q).CRC = %q", s, p.CRC)
	}
	enc, err := Encode(p)
	if err != nil {
		t.Fatalf("Decode(%q) = %+v, which Encode rejects: %v", s, p, err)
	}
	q, err := Decode(enc)
	if err != nil {
		t.Fatalf("Decode(Encode(Decode(%q))) = %v\n%s", s, err, enc)
	}
	p.CRC, q.CRC = "", ""
	if p != q {
		t.Fatalf("round trip of %q\n got %+v\nwant %+v", s, q, p)
	}
	if again, _ := Encode(q); again != enc {
		t.Fatalf("Encode not stable: %q then %q", enc, again)
	}
}

func FuzzDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.Payload)
	}
	f.Add("")
	f.Add(longestPayload(f))
	f.Add(v613[:len(v613)-4] + "2e2e")
	f.Add(withCRC(hdr + m38 + "52045812" + "5303704" + "5802VN" + "6106700000" + "64140002vi0104Tien" + "80070003abc"))
	f.Add(withCRC(hdr + m38 + "5303704" + "5802VN" + "62200903AME50090005hello"))
	f.Add(withCRC("000201010211" + "38630010A00000072701330006970422" + "0119VQRQ00012345ABCdef9" + "0208QRIBFTTA" +
		"5303704" + "5802VN" + "5912NGUYEN VAN A" + "6006HA NOI" + "62280102B10210091234567808P8"))
	f.Fuzz(func(t *testing.T, s string) {
		checkDecode(t, s)
		// A random mutation almost never keeps the CRC right, which would
		// keep the fuzzer out of everything behind the CRC check; so also
		// try the input with its CRC repaired.
		if n := len(s); n >= 8 && s[n-8:n-4] == "6304" {
			checkDecode(t, withCRC(s[:n-8]))
		}
	})
}

func FuzzEncode(f *testing.F) {
	for _, v := range loadVectors(f) {
		if v.Valid {
			p := payloadFromFields(f, v.Fields)
			f.Add(p.Dynamic, false, p.BIN, p.AccountNumber, string(p.Service), p.Amount, p.Currency, p.Country,
				"", "", p.BillNumber, "", "", "", "", "", "", p.Purpose)
		}
	}
	s26 := strings.Repeat("x", 26)
	f.Add(true, false, "970436", "1234", "", "50000", "", "", "ĐẶNG THỊ HỒNG", "Hà Nội", "M4K3Q8ZP2A", "0912345678", "Chợ", "", "", "", "", "Thanh toán đơn hàng 🍜")
	f.Add(true, true, "970436", "1234", "QRIBFTTC", "1", "704", "VN", s26, s26, s26, s26, s26, s26, s26, s26, s26, s26)
	f.Add(false, false, "97043", "12-34", "QRPUSH", "01", "840", "US", "", "", "", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, dynamic, truncate bool, bin, account, service, amount, currency, country,
		name, city, bill, mobile, store, loyalty, ref, customer, terminal, purpose string) {
		p := Payload{
			Dynamic: dynamic, BIN: bin, AccountNumber: account, Service: Service(service),
			Amount: amount, Currency: currency, Country: country, MerchantName: name, MerchantCity: city,
			BillNumber: bill, MobileNumber: mobile, StoreLabel: store, LoyaltyNumber: loyalty,
			ReferenceLabel: ref, CustomerLabel: customer, TerminalLabel: terminal, Purpose: purpose,
		}
		s, err := EncodeWith(p, EncodeOptions{Truncate: truncate})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if !encodeRules[e.Rule] || e.Offset != -1 || e.Field == "" || e.Msg == "" || !tagPathRE.MatchString(e.Tag) || s != "" {
				t.Fatalf("malformed error %+v (payload %q)", *e, s)
			}
			return
		}
		q, err := Decode(s)
		if err != nil {
			t.Fatalf("Decode(Encode(%+v)) = %v\n%s", p, err, s)
		}
		if q.CRC != s[len(s)-4:] {
			t.Fatalf("CRC %q, payload %s", q.CRC, s)
		}
		if again, err := Encode(q); err != nil || again != s {
			t.Fatalf("Encode(Decode(s)) = %q, %v; want %q", again, err, s)
		}
		want := normalize(p)
		if q.Dynamic != want.Dynamic || q.BIN != want.BIN || q.AccountNumber != want.AccountNumber ||
			q.Service != want.Service || q.Amount != want.Amount || q.Currency != want.Currency || q.Country != want.Country {
			t.Fatalf("identifiers changed\n got %+v\nwant %+v", q, want)
		}
		texts := []struct{ got, want string }{
			{q.MerchantName, want.MerchantName}, {q.MerchantCity, want.MerchantCity},
			{q.BillNumber, want.BillNumber}, {q.MobileNumber, want.MobileNumber},
			{q.StoreLabel, want.StoreLabel}, {q.LoyaltyNumber, want.LoyaltyNumber},
			{q.ReferenceLabel, want.ReferenceLabel}, {q.CustomerLabel, want.CustomerLabel},
			{q.TerminalLabel, want.TerminalLabel}, {q.Purpose, want.Purpose},
		}
		for _, tx := range texts {
			if truncate && !strings.HasPrefix(tx.want, tx.got) || !truncate && tx.got != tx.want {
				t.Fatalf("text %q became %q (truncate %v)", tx.want, tx.got, truncate)
			}
		}
		if !truncate {
			// What fits needs no truncation, and Truncate then changes nothing.
			if s2, err := EncodeWith(p, EncodeOptions{Truncate: true}); err != nil || s2 != s {
				t.Fatalf("Truncate changed a fitting payload: %q, %v; want %q", s2, err, s)
			}
		}
	})
}
