package mockbank

import (
	"fmt"
	"strings"

	"github.com/market4/market4/internal/provider/delivery"
)

// Faults make the bank misbehave the ways real notification services do.
// They are set per transfer (TransferRequest.Faults) or globally
// (PUT /mockbank/v1/faults); a transfer that carries its own Faults uses
// them instead of the global ones, field for field nothing is merged, so a
// test always knows exactly what it asked for.
type Faults struct {
	// DelayMS holds the first delivery back this many milliseconds.
	DelayMS int `json:"delay_ms"`
	// Duplicates delivers this many extra copies of the notification,
	// concurrently: N+1 independent deliveries of byte-identical bodies
	// (same id), each retried until acknowledged, as a bank whose queue
	// redelivers does. The first attempts of all copies carry the same
	// signature header too.
	Duplicates int `json:"duplicates"`
	// OutOfOrder holds this notification until the next movement's
	// notification has been sent (its first attempt that actually went out
	// completed), so the platform receives them swapped. Bounded by
	// Config.HoldTimeout in case no next movement ever comes.
	OutOfOrder bool `json:"out_of_order"`
	// DropFirst loses the first N attempts of this movement (across all
	// copies): they are not sent, are recorded as failed ("dropped") and
	// are retried after the usual backoff.
	DropFirst int `json:"drop_first"`
	// BadSignature signs every attempt with a wrong key, so a correct
	// platform refuses them all and only reconciliation (the statement)
	// recovers the transfer.
	BadSignature bool `json:"bad_signature"`
	// Mangle rewrites the transfer content as banks do; see the Mangle*
	// constants.
	Mangle string `json:"mangle"`
}

// The ways banks mangle transfer content. The content the platform
// receives (webhook and statement alike) is the mangled one.
const (
	// MangleNone leaves the content alone.
	MangleNone = ""
	// ManglePrefix prepends a bank trace number, "MBVCB.<7 digits>.", as
	// Vietcombank's app does.
	ManglePrefix = "prefix"
	// MangleNoSpace removes every space.
	MangleNoSpace = "nospace"
	// MangleUpper upper-cases the content.
	MangleUpper = "upper"
	// MangleTruncate cuts the content to its first 20 bytes (an order code
	// past that is lost).
	MangleTruncate = "truncate"
	// MangleAll applies, in the order a real chain does, truncate (the
	// payer's bank field limit), upper and nospace (the switch), then
	// prefix (the receiving bank).
	MangleAll = "all"
)

// truncateLen is where MangleTruncate cuts.
const truncateLen = 20

// Validate reports the first field out of range, or nil. The delivery
// faults' limits are the ones both simulators share (delivery.CheckFaults).
func (f Faults) Validate() error {
	if _, err := delivery.CheckFaults(f.DelayMS, f.Duplicates, f.DropFirst); err != nil {
		return err
	}
	switch f.Mangle {
	case MangleNone, ManglePrefix, MangleNoSpace, MangleUpper, MangleTruncate, MangleAll:
		return nil
	}
	return fmt.Errorf(`mangle must be one of "prefix", "nospace", "upper", "truncate", "all" (or "")`)
}

// field names Validate's fault for error responses.
func (f Faults) field() string {
	if field, _ := delivery.CheckFaults(f.DelayMS, f.Duplicates, f.DropFirst); field != "" {
		return "faults." + field
	}
	return "faults.mangle"
}

// mangle applies mode to content; trace is the bank trace number used by
// the prefix.
func mangle(mode, content string, trace int64) string {
	prefix := func(s string) string { return fmt.Sprintf("MBVCB.%07d.", trace%10_000_000) + s }
	nospace := func(s string) string { return strings.ReplaceAll(s, " ", "") }
	truncate := func(s string) string {
		if len(s) > truncateLen {
			return s[:truncateLen]
		}
		return s
	}
	switch mode {
	case ManglePrefix:
		return prefix(content)
	case MangleNoSpace:
		return nospace(content)
	case MangleUpper:
		return strings.ToUpper(content)
	case MangleTruncate:
		return truncate(content)
	case MangleAll:
		return prefix(nospace(strings.ToUpper(truncate(content))))
	}
	return content
}
