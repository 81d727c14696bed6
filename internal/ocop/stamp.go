package ocop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// StampStatus is the lifecycle state of one item-level stamp. The verdict
// depends on it: only activated or sold stamps are on goods in commerce.
type StampStatus string

// Stamp statuses, in lifecycle order.
const (
	StampGenerated StampStatus = "generated" // serial reserved, link signed
	StampPrinted   StampStatus = "printed"   // exported to the printer
	StampActivated StampStatus = "activated" // applied to goods and released
	StampSold      StampStatus = "sold"      // sold to a consumer at a stall
	StampVoided    StampStatus = "voided"    // destroyed, misprinted or withdrawn: terminal
)

// Valid reports whether s is a defined stamp status.
func (s StampStatus) Valid() bool {
	switch s {
	case StampGenerated, StampPrinted, StampActivated, StampSold, StampVoided:
		return true
	}
	return false
}

// stampTransitions is the lifecycle table. Every step is forward-only so a
// stamp's history cannot be replayed; any state except voided may be
// voided (a sold stamp too, e.g. goods returned and destroyed). A stamp
// cannot skip printing: "printed" is when its serial leaves the platform.
var stampTransitions = map[StampStatus][]StampStatus{
	StampGenerated: {StampPrinted, StampVoided},
	StampPrinted:   {StampActivated, StampVoided},
	StampActivated: {StampSold, StampVoided},
	StampSold:      {StampVoided},
}

// CanTransition reports whether a stamp may move from one status to
// another according to the lifecycle table. Staying in the same status is
// not a transition (false); idempotent retries are the service's concern.
func CanTransition(from, to StampStatus) bool {
	for _, s := range stampTransitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Stamp is one item-level traceability stamp: a random serial within a lot.
// Its signed link is recomputed from these fields and the key ring, so it
// is not stored here.
type Stamp struct {
	ID     string
	LotID  string
	Serial string
	Status StampStatus
	// SoldAt and SoldProvinceCode record the sale (status sold): when, and
	// the province of the market where it happened, for the sold_far_away
	// rule of Verdict.
	SoldAt           time.Time
	SoldProvinceCode string
}

// Transition returns the stamp moved to status to, or an error matching
// ErrTransition (and ErrConflict) naming field "status" when the lifecycle
// forbids it. A sale needs the market province, hence the extra arguments
// (ignored for other targets).
func (s Stamp) Transition(to StampStatus, at time.Time, provinceCode string) (Stamp, error) {
	if !CanTransition(s.Status, to) {
		return s, &FieldError{Field: "status", Msg: "cannot go from " + string(s.Status) + " to " + string(to), Err: ErrTransition}
	}
	if to == StampSold {
		if at.IsZero() {
			return s, fieldErr("sold_at", "is required for a sale")
		}
		if provinceCode != "" && !ValidProvinceCode(provinceCode) {
			return s, fieldErr("province_code", "must be a two-digit province code")
		}
		s.SoldAt, s.SoldProvinceCode = at, provinceCode
	}
	s.Status = to
	return s, nil
}

// Scan is one verification of a stamp by a member of the public. It holds
// no personal data: the device is a keyed hash (see HashDevice) and the
// place is only a province code, enough for the anomaly rules of Verdict.
type Scan struct {
	At           time.Time
	DeviceHash   string // "" when the device could not be identified
	ProvinceCode string // "" when unknown
}

// Validate checks a scan (fields: at, device_hash, province_code).
func (s Scan) Validate() error {
	var v errs
	if s.At.IsZero() {
		v.addf("at", "is required")
	}
	if len(s.DeviceHash) > 64 || !isKeyIDChars(s.DeviceHash) {
		v.addf("device_hash", "must be at most 64 base64url characters")
	}
	if s.ProvinceCode != "" && !ValidProvinceCode(s.ProvinceCode) {
		v.addf("province_code", "must be a two-digit province code")
	}
	return v.err()
}

// HashDevice derives the device hash stored with scans: HMAC-SHA-256 under
// a server secret, truncated to 128 bits, base64url (22 characters). The
// keyed hash lets the anomaly rules count distinct devices while the raw
// device identifier (a cookie or app install id) is never stored and cannot
// be recovered by brute force without the secret. Rotating the secret
// resets device counting, which is acceptable.
func HashDevice(secret []byte, deviceID string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("market4-device-v1\x00"))
	m.Write([]byte(deviceID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}
