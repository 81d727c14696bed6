package ocop

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is matched by every validation error of this package, so the
// HTTP layer needs one errors.Is test to answer 422 "invalid".
var ErrInvalid = errors.New("invalid")

// ErrConflict is matched by errors that reject an operation because of the
// current state of an object (for example a stamp status transition that the
// lifecycle forbids), so the HTTP layer can answer 409 "conflict".
var ErrConflict = errors.New("conflict")

// Specific causes. Each wraps ErrInvalid (or ErrConflict), so callers may
// test the precise cause first and fall back to the general code.
var (
	// ErrCheckDigit reports a GTIN or tax code whose check digit is wrong:
	// almost always a typing or scanning mistake, worth telling apart.
	ErrCheckDigit = fmt.Errorf("%w: check digit mismatch", ErrInvalid)
	// ErrRestrictedGTIN reports a restricted circulation number (GS1
	// prefixes 02, 04, 20–29; RCN-8 prefixes 0 and 2): valid check digit
	// but not a globally unique trade item number, so it cannot identify
	// a product in a traceability link.
	ErrRestrictedGTIN = fmt.Errorf("%w: restricted circulation number", ErrInvalid)
	// ErrUnsigned reports a link without key id and signature where a
	// signed one is required.
	ErrUnsigned = fmt.Errorf("%w: link is not signed", ErrInvalid)
	// ErrUnknownKey reports a key id that is not in the key ring: either a
	// forged link or a verifier with an out-of-date key list.
	ErrUnknownKey = fmt.Errorf("%w: unknown signing key", ErrInvalid)
	// ErrKeyRevoked reports a signature by a key that was revoked (for
	// example after a compromise): such signatures prove nothing any more.
	ErrKeyRevoked = fmt.Errorf("%w: signing key revoked", ErrInvalid)
	// ErrBadSignature reports a signature that does not match the link's
	// identifiers: the link was altered or forged.
	ErrBadSignature = fmt.Errorf("%w: signature does not verify", ErrInvalid)
	// ErrTransition reports a status change that the lifecycle forbids.
	ErrTransition = fmt.Errorf("%w: status transition not allowed", ErrConflict)
)

// ErrNoSigningKey reports that a key ring has no key able to sign at the
// given instant. It is a configuration problem of the server, not a client
// error, so it deliberately matches neither ErrInvalid nor ErrConflict.
var ErrNoSigningKey = errors.New("ocop: no signing key valid at this time")

// FieldError is one problem with one input field. Field is the snake_case
// name the JSON API uses (for example "tax_code", "gtin", "lot"), so the
// HTTP layer can copy it into problem+json `errors[].field` unchanged; Msg is
// a human-readable English sentence fragment; Err is the sentinel cause
// (ErrInvalid when nil).
type FieldError struct {
	Field string
	Msg   string
	Err   error
}

// Error returns "field: message", the form logs and tests read.
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap exposes the sentinel cause so errors.Is(err, ErrInvalid) and the
// more specific sentinels work through a FieldError.
func (e *FieldError) Unwrap() error {
	if e.Err == nil {
		return ErrInvalid
	}
	return e.Err
}

// fieldErr builds a *FieldError with cause ErrInvalid.
func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...), Err: ErrInvalid}
}

// FieldErrors collects every problem found by a Validate method, so a form
// can show all of them at once rather than one per round trip. errors.As
// with a *FieldError target finds the first; errors.Is sees every cause.
type FieldErrors []*FieldError

// Error joins the individual messages with "; ".
func (es FieldErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the individual errors, for errors.Is and errors.As.
func (es FieldErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// errs accumulates field errors inside Validate methods.
type errs struct{ list FieldErrors }

func (v *errs) add(e *FieldError) {
	if e != nil {
		v.list = append(v.list, e)
	}
}

func (v *errs) addf(field, format string, args ...any) {
	v.list = append(v.list, fieldErr(field, format, args...))
}

// addAs re-labels an error from a nested validator (for example a GTIN
// error under a product) with the caller's field name.
func (v *errs) addAs(field string, err error) {
	if err == nil {
		return
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		v.list = append(v.list, &FieldError{Field: field, Msg: fe.Msg, Err: fe.Err})
		return
	}
	v.list = append(v.list, &FieldError{Field: field, Msg: err.Error(), Err: ErrInvalid})
}

// err returns nil when nothing was added (never a typed nil).
func (v *errs) err() error {
	if len(v.list) == 0 {
		return nil
	}
	return v.list
}
