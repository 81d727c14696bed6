package ocop

import (
	"slices"
	"time"
)

// VerdictCode is the one-word answer of the public verification page.
type VerdictCode string

// Verdicts, from most to least severe. Exactly one applies (see Verdict).
const (
	// VerdictInvalid: the link is not one of ours (bad signature, unknown
	// serial) or the stamp was voided: do not trust the product.
	VerdictInvalid VerdictCode = "invalid"
	// VerdictRecalled: a genuine stamp on a recalled lot: do not use.
	VerdictRecalled VerdictCode = "recalled"
	// VerdictSuspicious: genuine stamp, but its history suggests copying
	// or misuse (many devices, several provinces, not activated, ...).
	VerdictSuspicious VerdictCode = "suspicious"
	// VerdictGenuineRepeat: genuine and unremarkable, scanned before.
	VerdictGenuineRepeat VerdictCode = "genuine_repeat"
	// VerdictGenuineFirstScan: genuine and scanned for the first time.
	VerdictGenuineFirstScan VerdictCode = "genuine_first_scan"
)

// Flag is a stable machine code for one finding about a scan. The page
// shows one message per flag; some force a verdict (Effect), the others
// only inform.
type Flag string

// Flags, in the order Result.Flags lists them.
const (
	FlagBadSignature       Flag = "bad_signature"       // signature missing or wrong → invalid
	FlagUnknownSerial      Flag = "unknown_serial"      // no such stamp on the platform → invalid
	FlagVoided             Flag = "voided"              // stamp was voided → invalid
	FlagRecalled           Flag = "recalled"            // lot recalled → recalled
	FlagNotActivated       Flag = "not_activated"       // stamp generated/printed but never released → suspicious
	FlagManyDevices        Flag = "many_devices"        // ≥ ManyDevicesThreshold distinct devices → suspicious
	FlagMultiProvince      Flag = "multi_province"      // 2 provinces, 2 devices within MultiProvinceWindow → suspicious
	FlagSoldFarAway        Flag = "sold_far_away"       // first scan after sale soon and in another province → suspicious
	FlagLotOnHold          Flag = "lot_on_hold"         // lot's distribution paused → information
	FlagProductExpired     Flag = "product_expired"     // past the lot's expiry date → information
	FlagCertificateExpired Flag = "certificate_expired" // OCOP certificate expired or superseded: no stars → information
	FlagCertificateRevoked Flag = "certificate_revoked" // OCOP certificate revoked: no stars → information
)

// AllFlags lists every flag in canonical order, for documentation pages
// and exhaustive tests.
var AllFlags = []Flag{
	FlagBadSignature, FlagUnknownSerial, FlagVoided, FlagRecalled, FlagNotActivated,
	FlagManyDevices, FlagMultiProvince, FlagSoldFarAway,
	FlagLotOnHold, FlagProductExpired, FlagCertificateExpired, FlagCertificateRevoked,
}

// Effect returns the verdict a flag forces at least, or "" for an
// informational flag. An expired product or certificate does not make a
// genuine stamp less genuine: the page shows the warning next to the
// verdict instead.
func (f Flag) Effect() VerdictCode {
	switch f {
	case FlagBadSignature, FlagUnknownSerial, FlagVoided:
		return VerdictInvalid
	case FlagRecalled:
		return VerdictRecalled
	case FlagNotActivated, FlagManyDevices, FlagMultiProvince, FlagSoldFarAway:
		return VerdictSuspicious
	}
	return ""
}

// Thresholds of the anomaly rules. They are heuristics on coarse data
// (province codes, hashed devices), tuned to stay quiet for a family that
// passes a product around and to speak up when a label has been copied.
const (
	// ManyDevicesThreshold: a stamp scanned by this many distinct devices
	// (current scan included) has probably been copied.
	ManyDevicesThreshold = 5
	// MultiProvinceWindow: scans from two different provinces by two
	// different devices less than this apart mean two physical labels
	// carry the same serial.
	MultiProvinceWindow = 24 * time.Hour
	// SoldFarAwayWindow: a first scan after the sale in a province other
	// than the market's, less than this after the sale, means the sold item
	// is not where the sale was recorded (a copied label scanned elsewhere,
	// or a sale recorded for goods that were never at the stall). The
	// window is short because buyers legitimately carry OCOP goods home to
	// other provinces; neighbouring provinces within it remain a possible
	// false positive, accepted for lack of finer geography.
	SoldFarAwayWindow = 2 * time.Hour
)

// VerifyInput is everything Verdict needs, gathered by the service from
// the link check and the database. The zero value of each optional field
// means "unknown" and disables the rules that need it.
type VerifyInput struct {
	// SignatureOK: KeyRing.Verify accepted the scanned link.
	SignatureOK bool
	// SerialKnown: the platform has a stamp with this serial in this lot.
	// When either of these two is false, nothing below is trusted or read.
	SerialKnown bool

	Stamp     StampStatus
	Lot       LotStatus
	LotExpiry time.Time // zero: the goods do not expire
	// Cert is the product's certification at the scan time (CertStateAt);
	// "" for a product never certified, which is not an anomaly.
	Cert CertState

	// SoldAt and SoldProvinceCode describe the sale, for stamps sold.
	SoldAt           time.Time
	SoldProvinceCode string

	// Previous are the earlier scans of this stamp, in any order. The
	// service may cap them (e.g. to the latest 1,000) to bound the work.
	Previous []Scan
	// Current is the scan being answered; Current.At is "now".
	Current Scan
}

// Result is the verdict with its reasons and the figures the page shows
// ("scanned 3 times, first on ...").
type Result struct {
	Verdict VerdictCode
	Flags   []Flag // canonical order (AllFlags), no duplicates; never nil
	// ScanCount counts the scans including the current one.
	ScanCount int
	// DistinctDevices counts distinct known device hashes, current included.
	DistinctDevices int
	// FirstScanAt is the earliest scan, the current one if it is the first.
	FirstScanAt time.Time
}

// Has reports whether the result carries flag f.
func (r Result) Has(f Flag) bool { return slices.Contains(r.Flags, f) }

// Verdict judges one scan of a stamp. The rules, each raising a flag:
//
//  1. Signature not verified → bad_signature; serial unknown →
//     unknown_serial. Either gives invalid, and no other rule runs:
//     nothing else about an unauthenticated link can be believed.
//  2. Stamp voided → voided (invalid). Stamp generated or printed (never
//     released) → not_activated (suspicious).
//  3. Lot recalled → recalled (verdict recalled); on hold → lot_on_hold.
//  4. Lot expiry day passed at Current.At → product_expired.
//  5. Certificate expired or superseded → certificate_expired; revoked →
//     certificate_revoked.
//  6. ≥ ManyDevicesThreshold distinct devices over all scans → many_devices.
//  7. Two scans less than MultiProvinceWindow apart, anywhere in the
//     history, from different known provinces and not both from the same
//     known device → multi_province.
//  8. Stamp sold, and the first scan at or after SoldAt with a known
//     province is in another province than the sale and less than
//     SoldFarAwayWindow after it → sold_far_away.
//
// The verdict is the most severe Effect among the flags (invalid >
// recalled > suspicious); with none, genuine_first_scan when there are no
// previous scans and genuine_repeat otherwise. Verdict is pure and total:
// any input gives a result.
func Verdict(in VerifyInput) Result {
	var set uint32 // bit i: AllFlags[i] raised
	raise := func(f Flag) { set |= 1 << flagOrder[f] }

	scans := make([]Scan, 0, len(in.Previous)+1)
	scans = append(scans, in.Previous...)
	scans = append(scans, in.Current)
	slices.SortStableFunc(scans, func(a, b Scan) int { return a.At.Compare(b.At) })

	res := Result{ScanCount: len(scans), FirstScanAt: scans[0].At}
	devices := make(map[string]struct{}, len(scans))
	for _, s := range scans {
		if s.DeviceHash != "" {
			devices[s.DeviceHash] = struct{}{}
		}
	}
	res.DistinctDevices = len(devices)

	if !in.SignatureOK {
		raise(FlagBadSignature)
	}
	if !in.SerialKnown {
		raise(FlagUnknownSerial)
	}
	if in.SignatureOK && in.SerialKnown {
		switch in.Stamp {
		case StampActivated, StampSold:
		case StampVoided:
			raise(FlagVoided)
		default: // generated, printed, or a status this version does not know
			raise(FlagNotActivated)
		}
		switch in.Lot {
		case LotRecalled:
			raise(FlagRecalled)
		case LotOnHold:
			raise(FlagLotOnHold)
		}
		if expiredAt(in.LotExpiry, in.Current.At) {
			raise(FlagProductExpired)
		}
		switch in.Cert {
		case CertStateExpired, CertStateSuperseded:
			raise(FlagCertificateExpired)
		case CertStateRevoked:
			raise(FlagCertificateRevoked)
		}
		if res.DistinctDevices >= ManyDevicesThreshold {
			raise(FlagManyDevices)
		}
		if multiProvince(scans) {
			raise(FlagMultiProvince)
		}
		if in.Stamp == StampSold && soldFarAway(scans, in.SoldAt, in.SoldProvinceCode) {
			raise(FlagSoldFarAway)
		}
	}

	res.Flags = make([]Flag, 0, 4)
	for i, f := range AllFlags {
		if set&(1<<i) != 0 {
			res.Flags = append(res.Flags, f)
		}
	}
	res.Verdict = VerdictGenuineFirstScan
	if len(in.Previous) > 0 {
		res.Verdict = VerdictGenuineRepeat
	}
	for _, f := range res.Flags {
		if e := f.Effect(); e != "" && severity[e] > severity[res.Verdict] {
			res.Verdict = e
		}
	}
	return res
}

var severity = map[VerdictCode]int{
	VerdictGenuineFirstScan: 0,
	VerdictGenuineRepeat:    0,
	VerdictSuspicious:       1,
	VerdictRecalled:         2,
	VerdictInvalid:          3,
}

var flagOrder = func() map[Flag]int {
	m := make(map[Flag]int, len(AllFlags))
	for i, f := range AllFlags {
		m[f] = i
	}
	return m
}()

// multiProvince reports two scans (sorted by time) less than
// MultiProvinceWindow apart, from different known provinces and not from
// the same known device: one phone seen in two provinces is a traveller or
// coarse IP geolocation, whereas two phones in two provinces at once need
// two labels. A sliding window keeps counts per province, per device and
// per (province, device), so the cost is linear after sorting.
func multiProvince(scans []Scan) bool {
	type pd struct{ p, d string }
	total := 0
	byProv := make(map[string]int)
	byDev := make(map[string]int)
	byBoth := make(map[pd]int)
	lo := 0
	for _, s := range scans {
		if s.ProvinceCode == "" {
			continue
		}
		for ; lo < len(scans); lo++ {
			old := scans[lo]
			if s.At.Sub(old.At) < MultiProvinceWindow {
				break
			}
			if old.ProvinceCode != "" {
				total--
				byProv[old.ProvinceCode]--
				if old.DeviceHash != "" {
					byDev[old.DeviceHash]--
					byBoth[pd{old.ProvinceCode, old.DeviceHash}]--
				}
			}
		}
		elsewhere := total - byProv[s.ProvinceCode]
		if s.DeviceHash != "" {
			elsewhere -= byDev[s.DeviceHash] - byBoth[pd{s.ProvinceCode, s.DeviceHash}]
		}
		if elsewhere > 0 {
			return true
		}
		total++
		byProv[s.ProvinceCode]++
		if s.DeviceHash != "" {
			byDev[s.DeviceHash]++
			byBoth[pd{s.ProvinceCode, s.DeviceHash}]++
		}
	}
	return false
}

// soldFarAway applies rule 8 to scans sorted by time.
func soldFarAway(scans []Scan, soldAt time.Time, province string) bool {
	if soldAt.IsZero() || province == "" {
		return false
	}
	for _, s := range scans {
		if s.At.Before(soldAt) || s.ProvinceCode == "" {
			continue
		}
		return s.ProvinceCode != province && s.At.Sub(soldAt) < SoldFarAwayWindow
	}
	return false
}
