// Package errs is the product's one application error type.
//
// Services return *Error values with a stable machine Code; the HTTP layer
// maps each Code to a status in exactly one table and renders problem+json.
// Causes are wrapped with %w so logs keep them while clients never see them.
package errs

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error kind that clients may switch on.
type Code string

// The codes the product returns. Adding one means adding it to the HTTP
// mapping table and to openapi.yaml.
const (
	Invalid              Code = "invalid"                // the request is malformed or breaks a rule (422/400)
	NotFound             Code = "not_found"              // no such resource, or not visible to the caller
	Conflict             Code = "conflict"               // clashes with existing state (duplicate, wrong status)
	Forbidden            Code = "forbidden"              // authenticated but not allowed
	Unauthenticated      Code = "unauthenticated"        // no or bad credentials
	IdempotencyKeyReused Code = "idempotency_key_reused" // same Idempotency-Key, different request
	InFlight             Code = "in_flight"              // same Idempotency-Key still being processed
	RateLimited          Code = "rate_limited"           // too many requests
	TooLarge             Code = "too_large"              // request body over the limit
	UnsupportedMedia     Code = "unsupported_media_type" // request body in a format the endpoint does not take
	BadSignature         Code = "bad_signature"          // webhook signature or timestamp rejected
	Unavailable          Code = "unavailable"            // a dependency (database, provider) is down
	Internal             Code = "internal"               // a bug or unexpected failure; details stay in the log
	MethodNotAllowed     Code = "method_not_allowed"     // the endpoint exists, with other methods (HTTP: Allow header)
)

// FieldError names one request field that is wrong and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an application error: a code, a human message safe to show to
// clients, the fields at fault, and an optional cause kept for logs only.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Err     error // cause, never sent to clients
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Message
	for _, f := range e.Fields {
		msg += fmt.Sprintf(" [%s: %s]", f.Field, f.Message)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error with a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field builds an Invalid error naming one field.
func Field(field, message string) *Error {
	return &Error{Code: Invalid, Message: message, Fields: []FieldError{{Field: field, Message: message}}}
}

// Wrap builds an *Error around a cause that stays out of client responses.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Fields accumulates field errors while validating a request so the client
// sees every problem at once, not one per round trip.
type Fields []FieldError

// Add records that field is wrong.
func (fs *Fields) Add(field, message string) { *fs = append(*fs, FieldError{field, message}) }

// Check records message for field when ok is false.
func (fs *Fields) Check(ok bool, field, message string) {
	if !ok {
		fs.Add(field, message)
	}
}

// Err returns an Invalid *Error listing the fields, or nil when none.
func (fs Fields) Err() error {
	if len(fs) == 0 {
		return nil
	}
	msg := fs[0].Message
	if len(fs) > 1 {
		msg = fmt.Sprintf("%d fields are invalid", len(fs))
	}
	return &Error{Code: Invalid, Message: msg, Fields: fs}
}

// CodeOf returns the Code of err, Internal for a non-*Error, "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
