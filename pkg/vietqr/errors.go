package vietqr

import (
	"strconv"
	"strings"
)

// Rule codes carried in Error.Rule. They are stable: callers may switch on
// them and map them to API responses. Decode uses the codes marked D, Encode
// those marked E, PNG and SVG those marked R.
const (
	RuleTooLong         = "too_long"         // D E R: payload over MaxPayloadLen, or a field over its limit
	RuleNonASCII        = "non_ascii"        // D R: a byte outside printable ASCII (0x20–0x7E)
	RuleBadTag          = "bad_tag"          // D: a tag id is not two digits
	RuleBadLength       = "bad_length"       // D: a length is not two digits, or is 00
	RuleTemplateOverrun = "template_overrun" // D: a data object runs past the end of the payload or its template
	RuleDuplicateTag    = "duplicate_tag"    // D: a tag appears twice at the same level
	RuleOrder           = "order"            // D: 00 is present but not first
	RuleTrailingData    = "trailing_data"    // D: bytes after the CRC (63), which must be last
	RuleMissingTag      = "missing_tag"      // D: a mandatory tag is absent (00, 01, 38, 38.00, 38.01, 38.01.00, 38.01.01, 38.02, 53, 58, 63)
	RuleUnknownTag      = "unknown_tag"      // D: a tag NAPAS does not define inside 38 or 38.01
	RuleBadFormat       = "bad_format"       // D: payload format indicator 00 is not "01"
	RuleBadInit         = "bad_init"         // D: point of initiation 01 is not "11" or "12"
	RuleBadCRC          = "bad_crc"          // D: 63 is not 4 hex digits
	RuleCRCMismatch     = "crc_mismatch"     // D: 63 does not match the CRC of the payload
	RuleBadGUID         = "bad_guid"         // D: 38.00 is not GUID
	RuleBadBIN          = "bad_bin"          // D E: BIN is not 6 digits
	RuleBadAccount      = "bad_account"      // D E: account is not 1–19 letters or digits
	RuleBadService      = "bad_service"      // D E: service is not ServiceAccount or ServiceCard
	RuleBadAmount       = "bad_amount"       // D E: amount is not 1–13 digits, has a leading zero, or is zero
	RuleBadCurrency     = "bad_currency"     // D E: currency is not "704"
	RuleBadCountry      = "bad_country"      // D E: country is not "VN"
	RuleRequired        = "required"         // E R: BIN, account number or payload is empty
	RuleBadSize         = "bad_size"         // R: PNG size outside [MinPNGSize, MaxPNGSize] or too small for the symbol
)

// Error describes why a payload was rejected or could not be built. Decode,
// Encode, EncodeWith, PNG and SVG return only *Error values, so callers can
// use errors.As and switch on Rule without parsing messages.
type Error struct {
	// Rule is the stable machine code of the broken rule (the Rule* constants).
	Rule string
	// Offset is the byte offset in the decoded payload where the rule
	// failed: the tag id for framing errors, the value for value errors, the
	// enclosing template (0 for the root) for missing tags. PNG and SVG set
	// it for non_ascii too. It is -1 when there is no payload to point
	// into, as for Encode errors.
	Offset int
	// Tag is the tag path, e.g. "38.01.00" or "62.08"; "" for the payload
	// as a whole.
	Tag string
	// Field is the snake_case name of the Payload field at fault on Encode,
	// e.g. "account_number" or "purpose"; "payload" or "size" for PNG and
	// SVG; "" on Decode.
	Field string
	// Msg is a human-readable explanation in English.
	Msg string
}

// Error formats the rule, field, tag, offset and message on one line,
// e.g. "vietqr: crc_mismatch (tag 63, offset 138): computed 2E2E, payload has 2E2F".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("vietqr: ")
	b.WriteString(e.Rule)
	var parts []string
	if e.Field != "" {
		parts = append(parts, "field "+e.Field)
	}
	if e.Tag != "" {
		parts = append(parts, "tag "+e.Tag)
	}
	if e.Offset >= 0 {
		parts = append(parts, "offset "+strconv.Itoa(e.Offset))
	}
	if len(parts) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(parts, ", "))
		b.WriteString(")")
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// decodeErr builds a Decode error.
func decodeErr(rule string, off int, tag, msg string) *Error {
	return &Error{Rule: rule, Offset: off, Tag: tag, Msg: msg}
}

// encodeErr builds an Encode error, which has no payload offset.
func encodeErr(rule, tag, field, msg string) *Error {
	return &Error{Rule: rule, Offset: -1, Tag: tag, Field: field, Msg: msg}
}
