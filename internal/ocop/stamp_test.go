package ocop

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestCanTransition(t *testing.T) {
	all := []StampStatus{StampGenerated, StampPrinted, StampActivated, StampSold, StampVoided, "bogus"}
	allowed := map[[2]StampStatus]bool{
		{StampGenerated, StampPrinted}: true,
		{StampPrinted, StampActivated}: true,
		{StampActivated, StampSold}:    true,
		{StampGenerated, StampVoided}:  true,
		{StampPrinted, StampVoided}:    true,
		{StampActivated, StampVoided}:  true,
		{StampSold, StampVoided}:       true,
	}
	for _, from := range all {
		for _, to := range all {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				if got := CanTransition(from, to); got != allowed[[2]StampStatus{from, to}] {
					t.Fatalf("CanTransition = %v", got)
				}
			})
		}
	}
}

func TestStampTransition(t *testing.T) {
	s := Stamp{Serial: "ABCDEFGHJK", Status: StampActivated}
	sold, err := s.Transition(StampSold, testNow, "68")
	if err != nil || sold.Status != StampSold || !sold.SoldAt.Equal(testNow) || sold.SoldProvinceCode != "68" {
		t.Fatalf("Transition to sold = %+v, %v", sold, err)
	}
	if s.Status != StampActivated {
		t.Fatal("Transition must not modify the receiver")
	}
	_, err = sold.Transition(StampActivated, testNow, "")
	wantField(t, err, "status", ErrTransition)
	if !errors.Is(err, ErrConflict) {
		t.Fatal("a forbidden transition is a conflict")
	}
	_, err = s.Transition(StampSold, testNow, "7")
	wantField(t, err, "province_code", ErrInvalid)
	_, err = s.Transition(StampSold, time.Time{}, "68")
	wantField(t, err, "sold_at", ErrInvalid)
	v, err := Stamp{Status: StampPrinted}.Transition(StampVoided, testNow, "")
	if err != nil || v.Status != StampVoided {
		t.Fatalf("void = %+v, %v", v, err)
	}
}

func TestScanValidate(t *testing.T) {
	good := Scan{At: testNow, DeviceHash: HashDevice([]byte("k"), "device-1"), ProvinceCode: "79"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Scan{At: testNow}).Validate(); err != nil {
		t.Fatalf("unknown device and province are allowed: %v", err)
	}
	bad := Scan{DeviceHash: "has space", ProvinceCode: "HN"}
	if got := strings.Join(fieldsOf(bad.Validate()), ","); got != "at,device_hash,province_code" {
		t.Fatalf("fields = %s", got)
	}
}

func TestHashDevice(t *testing.T) {
	a := HashDevice([]byte("secret"), "device-1")
	if len(a) != 22 || !isKeyIDChars(a) {
		t.Fatalf("HashDevice = %q", a)
	}
	if a != HashDevice([]byte("secret"), "device-1") {
		t.Fatal("not deterministic")
	}
	if a == HashDevice([]byte("secret"), "device-2") || a == HashDevice([]byte("other"), "device-1") {
		t.Fatal("distinct inputs must give distinct hashes")
	}
}

func TestNewSerial(t *testing.T) {
	// Every byte value maps to the alphabet character of its low 5 bits.
	src := []byte{0, 31, 32, 255, 7, 200, 100, 18, 27, 3, 9, 12}
	got, err := NewSerial(bytes.NewReader(src), 12)
	if err != nil || got != "0Z0Z784JV39C" {
		t.Fatalf("NewSerial = %q, %v", got, err)
	}
	for _, n := range []int{SerialMinLen - 1, SerialMaxLen + 1, 0, -1} {
		_, err := NewSerial(bytes.NewReader(make([]byte, 64)), n)
		wantField(t, err, "serial_length", ErrInvalid)
	}
	if _, err := NewSerial(iotest.ErrReader(errors.New("boom")), 12); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("reader error must propagate, got %v", err)
	}
	if _, err := NewSerial(bytes.NewReader(make([]byte, 5)), 12); err == nil {
		t.Fatal("short read must fail")
	}
	for _, c := range SerialAlphabet {
		if strings.ContainsRune("ILOU", c) || !ai82[c] || !unreserved(byte(c)) {
			t.Fatalf("alphabet character %q not allowed", c)
		}
	}
	if len(SerialAlphabet) != 32 {
		t.Fatal("alphabet must have 32 characters")
	}
}

func TestNewSerialDistribution(t *testing.T) {
	// With a counting reader every symbol appears equally often: no bias.
	n := 32 * 8 * 10
	src := make([]byte, n)
	for i := range src {
		src[i] = byte(i)
	}
	counts := map[rune]int{}
	r := bytes.NewReader(src)
	for range n / 10 {
		s, err := NewSerial(r, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range s {
			counts[c]++
		}
	}
	for _, c := range SerialAlphabet {
		if counts[c] != n/32 {
			t.Fatalf("symbol %q appears %d times, want %d", c, counts[c], n/32)
		}
	}
}
