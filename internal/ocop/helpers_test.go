package ocop

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

// testNow is the fixed "now" of the tests: 10 March 2026, 09:00 ICT.
var testNow = time.Date(2026, time.March, 10, 9, 0, 0, 0, ICT)

// testKey returns a deterministic signing key derived from name.
func testKey(tb testing.TB, name string, notBefore, notAfter time.Time) Key {
	tb.Helper()
	seed := sha256.Sum256([]byte(name))
	k, err := NewKeyFromSeed(seed[:], notBefore, notAfter)
	if err != nil {
		tb.Fatalf("NewKeyFromSeed: %v", err)
	}
	return k
}

// testRing returns a ring with one signing key valid from 2025.
func testRing(tb testing.TB) *KeyRing {
	tb.Helper()
	kr, err := NewKeyRing(testKey(tb, "k2025", Date(2025, 1, 1), time.Time{}))
	if err != nil {
		tb.Fatalf("NewKeyRing: %v", err)
	}
	return kr
}

// gtinWith completes body with its check digit.
func gtinWith(tb testing.TB, body string) string {
	tb.Helper()
	d, err := GTINCheckDigit(body)
	if err != nil {
		tb.Fatalf("GTINCheckDigit(%q): %v", body, err)
	}
	return body + string(rune('0'+d))
}

// testGTIN is a GTIN-13 under the GS1 Vietnam prefix, as GTIN-14.
var testGTIN = "0" + func() string {
	d, _ := GTINCheckDigit("893456789012")
	return "893456789012" + string(rune('0'+d))
}()

// mustGS1 builds a canonical GS1 link or fails.
func mustGS1(tb testing.TB, lot, serial string) Link {
	tb.Helper()
	l, err := NewGS1Link("m4.vn", testGTIN, lot, serial)
	if err != nil {
		tb.Fatalf("NewGS1Link: %v", err)
	}
	return l
}

// wantField checks that err is a *FieldError for field matching ErrInvalid
// (or the given sentinel when not nil).
func wantField(tb testing.TB, err error, field string, sentinel error) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("want error on field %q, got nil", field)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		tb.Fatalf("want *FieldError, got %T %v", err, err)
	}
	if fe.Field != field {
		tb.Fatalf("want field %q, got %q (%v)", field, fe.Field, err)
	}
	if sentinel == nil {
		sentinel = ErrInvalid
	}
	if !errors.Is(err, sentinel) {
		tb.Fatalf("want errors.Is(%v, %v)", err, sentinel)
	}
}

// fieldsOf lists the fields named by a Validate error, in order.
func fieldsOf(err error) []string {
	var fes FieldErrors
	if errors.As(err, &fes) {
		out := make([]string, len(fes))
		for i, fe := range fes {
			out[i] = fe.Field
		}
		return out
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return []string{fe.Field}
	}
	return nil
}

func intp(i int) *int { return &i }
