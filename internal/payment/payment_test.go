package payment

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/pkg/money"
)

func TestOrderCodes(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		c, err := NewOrderCode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !IsOrderCode(c) || len(c) != OrderCodeLen || strings.ContainsAny(c, "ILOU") {
			t.Fatalf("bad code %q", c)
		}
		if seen[c] {
			t.Fatalf("duplicate code %q after %d draws", c, i)
		}
		seen[c] = true
	}
	// A fixed reader gives a fixed code: the alphabet mapping is stable.
	c, _ := NewOrderCode(bytes.NewReader([]byte{0, 1, 2, 31, 32, 33, 10, 20}))
	if c != "M4012Z01AM" {
		t.Fatalf("code from fixed bytes = %q", c)
	}
	for _, bad := range []string{"", "M4", "M4K3Q8ZP2", "M4K3Q8ZP2AB", "X4K3Q8ZP2A", "M4K3Q8ZPIA", "m4k3q8zp2a"} {
		if IsOrderCode(bad) {
			t.Errorf("IsOrderCode(%q) = true", bad)
		}
	}
}

func TestFindOrderCodes(t *testing.T) {
	tests := []struct {
		content string
		want    []string
	}{
		{"M4K3Q8ZP2A rau muong", []string{"M4K3Q8ZP2A"}},
		{"MBVCB.3278614.M4K3Q8ZP2A.CT tu 0071000", []string{"M4K3Q8ZP2A"}},
		{"m4k3q8zp2a", []string{"M4K3Q8ZP2A"}},
		{"M4K3 Q8ZP 2A", []string{"M4K3Q8ZP2A"}},
		{"THANHTOANM4K3Q8ZP2ARAU", []string{"M4K3Q8ZP2A"}},
		{"M4K3Q8ZP2A M4K3Q8ZP2A", []string{"M4K3Q8ZP2A"}},
		{"M4AAAAAAAA va M4BBBBBBBB", []string{"M4AAAAAAAA", "M4BBBBBBBB"}},
		{"M4K3Q8ZP", nil}, // truncated
		{"NGUYEN VAN AN chuyen tien", nil},
		{"M4K3Q8ZPIA", nil},          // I is not in the alphabet
		{"Thanh toán đơn hàng", nil}, // non-ASCII is dropped, nothing found
	}
	for _, tt := range tests {
		got := FindOrderCodes(tt.content)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("FindOrderCodes(%q) = %v, want %v", tt.content, got, tt.want)
		}
	}
}

// FuzzFindOrderCodes: transfer content is free text from banks; the
// scanner must never panic, and every code it reports must be a real
// order-code shape present in the normalised content.
func FuzzFindOrderCodes(f *testing.F) {
	for _, s := range []string{"M4K3Q8ZP2A", "MBVCB.1.M4K3Q8ZP2A.x", "m4 k3q8zp2a", "M4M4M4M4M4M4", "\xff\x00M4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeContent(s)
		for _, c := range FindOrderCodes(s) {
			if !IsOrderCode(c) || !strings.Contains(n, c) {
				t.Fatalf("FindOrderCodes(%q) reported %q", s, c)
			}
		}
	})
}

func TestApply(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	mk := func(status Status) *Payment {
		return &Payment{Amount: money.FromDong(50000), Status: status, ExpiresAt: now.Add(15 * time.Minute)}
	}
	tests := []struct {
		name   string
		p      *Payment
		pay    []int64
		at     time.Time
		want   Outcome
		status Status
		over   bool
		late   bool
	}{
		{"exact", mk(Pending), []int64{50000}, now, OutcomeMatched, Succeeded, false, false},
		{"partial", mk(Pending), []int64{20000}, now, OutcomePartial, PartiallyPaid, false, false},
		{"partial then rest", mk(Pending), []int64{20000, 30000}, now, OutcomeMatched, Succeeded, false, false},
		{"over", mk(Pending), []int64{60000}, now, OutcomeOverpaid, Succeeded, true, false},
		{"paid twice", mk(Pending), []int64{50000, 50000}, now, OutcomeOverpaid, Succeeded, true, false},
		{"after expiry", mk(Pending), []int64{50000}, now.Add(16 * time.Minute), OutcomeLate, Succeeded, false, true},
		{"after cancel", mk(Canceled), []int64{50000}, now, OutcomeLate, Succeeded, false, true},
		{"late and short", mk(Expired), []int64{10000}, now, OutcomeLate, PartiallyPaid, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o Outcome
			for _, a := range tt.pay {
				o = tt.p.Apply(money.FromDong(a), tt.at)
			}
			if o != tt.want || tt.p.Status != tt.status || tt.p.Overpaid != tt.over || tt.p.Late != tt.late || tt.p.PaidAt.IsZero() {
				t.Fatalf("outcome %q status %s overpaid %v late %v; want %q %s %v %v", o, tt.p.Status, tt.p.Overpaid, tt.p.Late, tt.want, tt.status, tt.over, tt.late)
			}
		})
	}
}

func TestEntriesBalance(t *testing.T) {
	a := money.FromDong(35000)
	for _, e := range []Entry{Received("mockbank", "s1", a), Held("mockbank", a), RefundSent("mockbank", "s1", a)} {
		if !e.Balanced() {
			t.Errorf("unbalanced %v", e.Lines)
		}
	}
	if (Entry{Lines: []Line{{"a", 1}, {"b", -2}}}).Balanced() || (Entry{Lines: []Line{{"a", 0}}}).Balanced() {
		t.Error("unbalanced entries reported balanced")
	}
}

func TestBusinessDay(t *testing.T) {
	// 16:59 UTC is 23:59 in Hanoi; 17:01 UTC is 00:01 the next day.
	if d := BusinessDay(time.Date(2026, 11, 22, 16, 59, 0, 0, time.UTC)); d != "2026-11-22" {
		t.Errorf("23:59 local = %s", d)
	}
	if d := BusinessDay(time.Date(2026, 11, 22, 17, 1, 0, 0, time.UTC)); d != "2026-11-23" {
		t.Errorf("00:01 local = %s", d)
	}
}
