package vietqr

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"testing"
)

// vector is one entry of testdata/vectors.json (copied from
// /work/shared/vietqr so that the tests stand alone).
type vector struct {
	ID      string            `json:"id"`
	Src     string            `json:"src"`
	Payload string            `json:"payload"`
	Valid   bool              `json:"valid"`
	Fields  map[string]string `json:"fields"`
}

func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		tb.Fatal(err)
	}
	if len(vs) == 0 {
		tb.Fatal("no vectors")
	}
	return vs
}

// vectorFields maps a Payload onto the keys used by vectors.json. init and
// guid are always present; every other key only when its field is set, so
// comparing maps also proves there are no extra non-empty fields.
func vectorFields(p Payload) map[string]string {
	m := map[string]string{"init": "11", "guid": GUID}
	if p.Dynamic {
		m["init"] = "12"
	}
	for k, v := range map[string]string{
		"bin":             p.BIN,
		"account":         p.AccountNumber,
		"service":         string(p.Service),
		"currency":        p.Currency,
		"country":         p.Country,
		"amount":          p.Amount,
		"merchant_name":   p.MerchantName,
		"merchant_city":   p.MerchantCity,
		"bill_number":     p.BillNumber,
		"mobile_number":   p.MobileNumber,
		"store_label":     p.StoreLabel,
		"loyalty_number":  p.LoyaltyNumber,
		"reference_label": p.ReferenceLabel,
		"customer_label":  p.CustomerLabel,
		"terminal_label":  p.TerminalLabel,
		"purpose":         p.Purpose,
	} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func TestVectors(t *testing.T) {
	var valid, invalid int
	for _, v := range loadVectors(t) {
		t.Run(v.ID, func(t *testing.T) {
			p, err := Decode(v.Payload)
			if !v.Valid {
				invalid++
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Decode accepted an invalid vector (err %v, payload %+v)", err, p)
				}
				t.Logf("rejected: %v", err)
				return
			}
			valid++
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := vectorFields(p); !maps.Equal(got, v.Fields) {
				t.Errorf("fields\n got %v\nwant %v", got, v.Fields)
			}
			if want := v.Payload[len(v.Payload)-4:]; p.CRC != want {
				t.Errorf("CRC = %q, want %q", p.CRC, want)
			}
			// Re-encoding gives back an equal payload; for the vectors
			// written in ascending tag order it gives the same bytes.
			s, err := Encode(p)
			if err != nil {
				t.Fatalf("Encode(decoded): %v", err)
			}
			q, err := Decode(s)
			if err != nil {
				t.Fatalf("Decode(Encode(decoded)): %v", err)
			}
			if q.CRC = p.CRC; q != p {
				t.Errorf("round trip\n got %+v\nwant %+v", q, p)
			}
			if v.ID != "giautm-tag62-before-38" && s != v.Payload {
				t.Errorf("Encode(Decode(s)) != s\n got %s\nwant %s", s, v.Payload)
			}
		})
	}
	if valid == 0 || invalid == 0 {
		t.Errorf("vectors: %d valid, %d invalid; want both kinds", valid, invalid)
	}
}

// TestVectorRejectionReasons pins why each invalid vector is rejected, so a
// vector does not pass for the wrong reason.
func TestVectorRejectionReasons(t *testing.T) {
	want := map[string]struct{ rule, tag string }{
		"napas-6.1.1-static-account (as printed)":               {RuleTemplateOverrun, "38.01"},
		"napas-6.1.4-dynamic-card (headline string as printed)": {RuleCRCMismatch, "63"},
		"vqp-invalid-CRC (negative)":                            {RuleCRCMismatch, "63"},
		"vietqrts-dynamic-MB-100000":                            {RuleCRCMismatch, "63"},
	}
	for _, v := range loadVectors(t) {
		if v.Valid {
			continue
		}
		w, ok := want[v.ID]
		if !ok {
			t.Errorf("invalid vector %q has no expected reason here", v.ID)
			continue
		}
		_, err := Decode(v.Payload)
		var e *Error
		if !errors.As(err, &e) || e.Rule != w.rule || e.Tag != w.tag {
			t.Errorf("%s: got %v, want rule %s at tag %s", v.ID, err, w.rule, w.tag)
		}
	}
}
