package translog

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/rfc6962"
)

// HashSize is the length in bytes of every hash in the log (SHA-256), so a
// store can declare its hash column with a fixed size and reject others.
const HashSize = 32

// LeafPrefix starts every encoded leaf. The version in it lets the format
// change later without any old leaf ever encoding like a new one.
const LeafPrefix = "market4/leaf/v1\n"

// TimeLayout is how occurred_at is written in a leaf: RFC 3339 in UTC with
// exactly six fractional digits. Microseconds are what PostgreSQL
// timestamptz keeps, so the time read back from the database re-encodes to
// the same bytes; a fixed width keeps the encoding canonical.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Kind says whether a leaf records money paid to a stall or given back, so
// an auditor summing a stall's takings knows which way each amount goes.
type Kind string

// The kinds of journal entries the log records.
const (
	KindPayment Kind = "payment"
	KindRefund  Kind = "refund"
)

// Leaf is one journal entry as committed to the log: the facts about a
// payment or refund that district staff need to be sure were never altered.
// Its canonical bytes (Bytes) are what the Merkle tree commits to; see the
// package documentation for the exact format.
type Leaf struct {
	Kind        Kind
	ID          string    // payment or refund id: canonical lower-case UUID
	StallID     string    // stall the money belongs to
	Amount      int64     // whole đồng, > 0; Kind gives the direction
	Status      string    // e.g. "succeeded"; non-empty
	OccurredAt  time.Time // encoded in UTC, truncated to the microsecond
	Provider    string    // payment provider, may be empty
	ProviderRef string    // the provider's reference, may be empty
}

// Field names in encoding order. They are written into the bytes so that a
// re-implementation that swaps two fields fails loudly instead of silently
// committing to something else.
var leafFields = [...]string{"kind", "id", "stall_id", "amount", "status", "occurred_at", "provider", "provider_ref"}

// CanonicalTime returns t as a leaf records it: UTC, truncated to the
// microsecond. The service should store exactly this value in the journal
// row; PostgreSQL may otherwise round sub-microsecond input and the row
// would no longer match its leaf.
func CanonicalTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

func (l Leaf) values() [len(leafFields)]string {
	return [...]string{
		string(l.Kind),
		l.ID,
		l.StallID,
		strconv.FormatInt(l.Amount, 10),
		l.Status,
		CanonicalTime(l.OccurredAt).Format(TimeLayout),
		l.Provider,
		l.ProviderRef,
	}
}

// Bytes returns the canonical encoding of the leaf, the input to LeafHash.
// Every field is length-prefixed, so no value (however many newlines or
// colons it holds) can make two different leaves encode alike. Bytes does
// not validate; call Validate before appending.
func (l Leaf) Bytes() []byte {
	vals := l.values()
	n := len(LeafPrefix)
	for i, v := range vals {
		n += len(leafFields[i]) + 1 + 20 + 1 + len(v) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, LeafPrefix...)
	for i, v := range vals {
		b = append(b, leafFields[i]...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
		b = append(b, '\n')
	}
	return b
}

// Validate reports, wrapping ErrInvalid, whether the leaf can be logged and
// read back unchanged: a known kind, a canonical UUID id, a positive amount,
// a non-zero time within RFC 3339's years, and text PostgreSQL can store (valid
// UTF-8, no NUL). The sequencer calls it before appending, because a leaf
// that cannot round-trip through the database could never be re-verified.
func (l Leaf) Validate() error {
	if msg := l.problem(); msg != "" {
		return fmt.Errorf("%w: leaf %s", ErrInvalid, msg)
	}
	return nil
}

// problem describes the first rule of Validate that l breaks, or is "".
func (l Leaf) problem() string {
	switch {
	case l.Kind != KindPayment && l.Kind != KindRefund:
		return fmt.Sprintf("kind %q is not payment or refund", l.Kind)
	case !isCanonicalUUID(l.ID):
		return fmt.Sprintf("id %q is not a lower-case UUID", l.ID)
	case l.StallID == "":
		return "stall_id is empty"
	case l.Amount <= 0:
		return fmt.Sprintf("amount %d is not positive", l.Amount)
	case l.Status == "":
		return "status is empty"
	}
	if y := l.OccurredAt.UTC().Year(); l.OccurredAt.IsZero() || y < 1 || y > 9999 {
		return fmt.Sprintf("occurred_at %v is zero or outside years 0001-9999", l.OccurredAt)
	}
	for i, v := range l.values() {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return leafFields[i] + " is not valid UTF-8 text without NUL"
		}
	}
	return ""
}

// ParseLeaf decodes canonical leaf bytes, wrapping ErrMalformed unless b is
// exactly what Bytes produces for a leaf that passes Validate. Auditors use
// it to show what a leaf in a dispute says; being strict means a leaf has
// one encoding only.
func ParseLeaf(b []byte) (Leaf, error) {
	rest, ok := bytes.CutPrefix(b, []byte(LeafPrefix))
	if !ok {
		return Leaf{}, fmt.Errorf("%w: leaf does not start with %q", ErrMalformed, LeafPrefix)
	}
	var vals [len(leafFields)]string
	for i, name := range leafFields {
		rest, ok = bytes.CutPrefix(rest, []byte(name+" "))
		if !ok {
			return Leaf{}, fmt.Errorf("%w: leaf field %d is not %q", ErrMalformed, i, name)
		}
		colon := bytes.IndexByte(rest, ':')
		if colon < 0 {
			return Leaf{}, fmt.Errorf("%w: leaf field %s has no length", ErrMalformed, name)
		}
		n, err := parseDecimal(string(rest[:colon]))
		if err != nil || n > uint64(len(rest)-colon-1) {
			return Leaf{}, fmt.Errorf("%w: leaf field %s has a bad length", ErrMalformed, name)
		}
		rest = rest[colon+1:]
		if uint64(len(rest)) < n+1 || rest[n] != '\n' {
			return Leaf{}, fmt.Errorf("%w: leaf field %s is not newline-terminated", ErrMalformed, name)
		}
		vals[i] = string(rest[:n])
		rest = rest[n+1:]
	}
	if len(rest) != 0 {
		return Leaf{}, fmt.Errorf("%w: %d bytes after the last leaf field", ErrMalformed, len(rest))
	}
	amount, err := strconv.ParseInt(vals[3], 10, 64)
	if err != nil || strconv.FormatInt(amount, 10) != vals[3] {
		return Leaf{}, fmt.Errorf("%w: leaf amount %q is not a canonical integer", ErrMalformed, vals[3])
	}
	at, err := time.Parse(TimeLayout, vals[5])
	if err != nil || at.Format(TimeLayout) != vals[5] {
		return Leaf{}, fmt.Errorf("%w: leaf occurred_at %q is not in layout %s", ErrMalformed, vals[5], TimeLayout)
	}
	l := Leaf{
		Kind:        Kind(vals[0]),
		ID:          vals[1],
		StallID:     vals[2],
		Amount:      amount,
		Status:      vals[4],
		OccurredAt:  at,
		Provider:    vals[6],
		ProviderRef: vals[7],
	}
	if msg := l.problem(); msg != "" {
		return Leaf{}, fmt.Errorf("%w: leaf %s", ErrMalformed, msg)
	}
	return l, nil
}

// LeafHash returns the RFC 6962 leaf hash SHA-256(0x00 || b) of canonical
// leaf bytes: the value the tree stores at level 0 and proofs start from.
// The 0x00 prefix keeps a leaf from ever being passed off as an inner node.
func LeafHash(b []byte) []byte {
	return rfc6962.DefaultHasher.HashLeaf(b)
}

// parseDecimal accepts only the canonical decimal form of a uint64: ASCII
// digits, no sign, no leading zero unless the value is 0.
func parseDecimal(s string) (uint64, error) {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseUint(s, 10, 64)
}

func isCanonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}
