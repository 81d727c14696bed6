package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/market4/market4/internal/errs"
)

// statusOf is the one table mapping application error codes to HTTP.
var statusOf = map[errs.Code]int{
	errs.Invalid:              http.StatusUnprocessableEntity,
	errs.NotFound:             http.StatusNotFound,
	errs.Conflict:             http.StatusConflict,
	errs.Forbidden:            http.StatusForbidden,
	errs.Unauthenticated:      http.StatusUnauthorized,
	errs.IdempotencyKeyReused: http.StatusUnprocessableEntity,
	errs.InFlight:             http.StatusConflict,
	errs.RateLimited:          http.StatusTooManyRequests,
	errs.TooLarge:             http.StatusRequestEntityTooLarge,
	errs.UnsupportedMedia:     http.StatusUnsupportedMediaType,
	errs.BadSignature:         http.StatusUnauthorized,
	errs.Unavailable:          http.StatusServiceUnavailable,
	errs.Internal:             http.StatusInternalServerError,
	errs.MethodNotAllowed:     http.StatusMethodNotAllowed,
}

// Problem is an RFC 9457 problem document with the product's extensions:
// a stable machine code and the fields at fault.
type Problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail"`
	Code     errs.Code         `json:"code"`
	Errors   []errs.FieldError `json:"errors"`
	Instance string            `json:"instance,omitempty"`
}

// problemOf builds the client-safe problem for err. Internal causes never
// leave the server: an unexpected error becomes a generic 500.
func problemOf(err error) Problem {
	var e *errs.Error
	if !errors.As(err, &e) {
		e = &errs.Error{Code: errs.Internal, Message: "internal error", Err: err}
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	detail := e.Message
	if e.Code == errs.Internal {
		detail = "an unexpected error occurred; it has been logged"
	}
	fields := e.Fields
	if fields == nil {
		fields = []errs.FieldError{}
	}
	return Problem{
		Type:   "https://market4.vn/problems/" + strings.ReplaceAll(string(e.Code), "_", "-"),
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
		Code:   e.Code,
		Errors: fields,
	}
}

// fail writes err as application/problem+json and records it for the
// access log, which logs it once with the request id.
func fail(c *gin.Context, err error) {
	p := problemOf(err)
	p.Instance = c.Request.URL.Path
	if p.Status >= 500 {
		_ = c.Error(err)
	} else {
		c.Set(ctxProblem, string(p.Code))
	}
	c.Header("Content-Type", "application/problem+json")
	if p.Code == errs.RateLimited {
		c.Header("Retry-After", "60")
	}
	body, _ := json.Marshal(p)
	c.Data(p.Status, "application/problem+json", body)
	c.Abort()
}

// decode reads the JSON request body into dst (decodeJSON) and reports
// whether it could; when not, the problem has been written.
func decode(c *gin.Context, dst any) bool {
	if err := decodeJSON(c, dst); err != nil {
		fail(c, err)
		return false
	}
	return true
}

// reply answers status with the JSON of conv(v), or the problem of err:
// the end of most handlers, after the one service call.
func reply[T, J any](c *gin.Context, status int, v T, err error, conv func(T) J) {
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, conv(v))
}

// decodeJSON reads a JSON request body strictly: unknown fields, wrong
// types, trailing data and oversize bodies are refused with the field named.
func decodeJSON(c *gin.Context, dst any) error {
	ct := c.GetHeader("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &errs.Error{Code: errs.UnsupportedMedia, Message: "Content-Type must be application/json",
			Fields: []errs.FieldError{{Field: "Content-Type", Message: "must be application/json"}}}
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.Field("body", "must contain exactly one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return errs.E(errs.TooLarge, "request body is larger than %d bytes", big.Limit)
	case errors.Is(err, io.EOF):
		return errs.Field("body", "is empty; a JSON object is required")
	case errors.As(err, &syn):
		return errs.Field("body", fmt.Sprintf("is not valid JSON (at byte %d)", syn.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return errs.Field(field, "must be a JSON "+jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Field(name, "is not a known field")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Field("body", "is truncated JSON")
	}
	return errs.Field("body", "cannot be decoded: "+err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "bool":
		return "boolean"
	}
	return "number"
}

// logError logs a server-side failure once, at the edge, with its cause.
func logError(log *slog.Logger, c *gin.Context, err error) {
	log.ErrorContext(c.Request.Context(), "request failed", "request_id", c.GetString(ctxRequestID), "route", c.FullPath(), "err", err.Error())
}
