package ocop

import (
	"errors"
	"testing"
)

func TestFieldErrorsMatch(t *testing.T) {
	err := Producer{Kind: "x"}.Validate()
	var fes FieldErrors
	if !errors.As(err, &fes) || len(fes) < 3 {
		t.Fatalf("want several FieldErrors, got %v", err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "name" {
		t.Fatalf("errors.As first = %v", fe)
	}
	if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrConflict) {
		t.Fatalf("sentinels wrong for %v", err)
	}
	if got := (&FieldError{Field: "f", Msg: "m"}).Error(); got != "f: m" {
		t.Fatalf("Error() = %q", got)
	}
	if !errors.Is(&FieldError{Field: "f"}, ErrInvalid) {
		t.Fatal("nil Err must default to ErrInvalid")
	}
	for _, e := range []error{ErrCheckDigit, ErrRestrictedGTIN, ErrUnsigned, ErrUnknownKey, ErrKeyRevoked, ErrBadSignature} {
		if !errors.Is(e, ErrInvalid) {
			t.Errorf("%v should match ErrInvalid", e)
		}
	}
	if !errors.Is(ErrTransition, ErrConflict) || errors.Is(ErrTransition, ErrInvalid) {
		t.Error("ErrTransition must match ErrConflict only")
	}
	if errors.Is(ErrNoSigningKey, ErrInvalid) {
		t.Error("ErrNoSigningKey is a server problem, not invalid input")
	}
	if (Producer{Name: "HTX", Kind: KindOther, Commune: "Xã A", ProvinceCode: "68"}).Validate() != nil {
		t.Error("valid producer must give a nil error (not a typed nil)")
	}
}
