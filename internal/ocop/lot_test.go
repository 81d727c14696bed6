package ocop

import (
	"slices"
	"testing"
	"time"
)

func TestLotValidate(t *testing.T) {
	good := Lot{Code: "L2026-03/A", ProductionDate: Date(2026, 3, 1), ExpiryDate: Date(2027, 3, 1), Quantity: 500, Status: LotActive}
	tests := []struct {
		name   string
		mod    func(*Lot)
		fields []string
	}{
		{"valid", func(*Lot) {}, nil},
		{"no expiry", func(l *Lot) { l.ExpiryDate = time.Time{} }, nil},
		{"20-char code", func(l *Lot) { l.Code = "ABCDEFGHIJ0123456789" }, nil},
		{"21-char code", func(l *Lot) { l.Code = "ABCDEFGHIJ01234567890" }, []string{"code"}},
		{"code with space", func(l *Lot) { l.Code = "L 1" }, []string{"code"}},
		{"code with vietnamese", func(l *Lot) { l.Code = "LÔ1" }, []string{"code"}},
		{"empty code", func(l *Lot) { l.Code = "" }, []string{"code"}},
		{"expiry same day", func(l *Lot) { l.ExpiryDate = l.ProductionDate }, []string{"expiry_date"}},
		{"no production date", func(l *Lot) { l.ProductionDate = time.Time{} }, []string{"production_date"}},
		{"zero quantity", func(l *Lot) { l.Quantity = 0 }, []string{"quantity"}},
		{"huge quantity", func(l *Lot) { l.Quantity = MaxLotQuantity + 1 }, []string{"quantity"}},
		{"status", func(l *Lot) { l.Status = "sold_out" }, []string{"status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := good
			tt.mod(&l)
			if got := fieldsOf(l.Validate()); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields = %v, want %v (%v)", got, tt.fields, l.Validate())
			}
		})
	}
}

func TestLotExpiredAt(t *testing.T) {
	l := Lot{ExpiryDate: Date(2026, 3, 10)}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{Date(2026, 3, 10), false},
		{time.Date(2026, 3, 10, 23, 59, 59, 0, ICT), false},
		{Date(2026, 3, 11), true},
		{time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC), true}, // 00:00 on 11 March in Vietnam
	}
	for _, tt := range tests {
		if got := l.ExpiredAt(tt.at); got != tt.want {
			t.Errorf("ExpiredAt(%v) = %v", tt.at, got)
		}
	}
	if (Lot{}).ExpiredAt(Date(2100, 1, 1)) {
		t.Error("a lot without expiry never expires")
	}
	if got := DefaultExpiry(Date(2026, 1, 1), 365); !got.Equal(Date(2027, 1, 1)) {
		t.Errorf("DefaultExpiry = %v", got)
	}
	if !DefaultExpiry(Date(2026, 1, 1), 0).IsZero() {
		t.Error("no shelf life: no default expiry")
	}
}

func TestCanTransitionLot(t *testing.T) {
	all := []LotStatus{LotActive, LotOnHold, LotRecalled}
	allowed := map[[2]LotStatus]bool{
		{LotActive, LotOnHold}: true, {LotOnHold, LotActive}: true,
		{LotActive, LotRecalled}: true, {LotOnHold, LotRecalled}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := CanTransitionLot(from, to); got != allowed[[2]LotStatus{from, to}] {
				t.Errorf("CanTransitionLot(%s, %s) = %v", from, to, got)
			}
		}
	}
}
