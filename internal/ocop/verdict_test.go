package ocop

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// genuineInput is a sold stamp on an active lot of a certified product,
// sold an hour ago at a market in province 68, scanned now in 68.
func genuineInput() VerifyInput {
	return VerifyInput{
		SignatureOK:      true,
		SerialKnown:      true,
		Stamp:            StampSold,
		Lot:              LotActive,
		LotExpiry:        Date(2027, 1, 1),
		Cert:             CertStateActive,
		SoldAt:           testNow.Add(-time.Hour),
		SoldProvinceCode: "68",
		Current:          Scan{At: testNow, DeviceHash: "dev0", ProvinceCode: "68"},
	}
}

func scanAt(d time.Duration, device, province string) Scan {
	return Scan{At: testNow.Add(d), DeviceHash: device, ProvinceCode: province}
}

// devices returns n previous scans from distinct devices, an hour apart,
// in the market's province.
func devices(n int) []Scan {
	out := make([]Scan, n)
	for i := range out {
		out[i] = scanAt(-time.Duration(i+1)*time.Minute, fmt.Sprintf("dev%d", i+1), "68")
	}
	return out
}

// TestVerdictMatrix covers every flag and every verdict, and the
// boundaries of each threshold.
func TestVerdictMatrix(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*VerifyInput)
		verdict VerdictCode
		flags   []Flag
	}{
		// Genuine.
		{"first scan", func(*VerifyInput) {}, VerdictGenuineFirstScan, nil},
		{"first scan, activated not sold", func(in *VerifyInput) { in.Stamp = StampActivated; in.SoldAt = time.Time{} }, VerdictGenuineFirstScan, nil},
		{"repeat, same device", func(in *VerifyInput) { in.Previous = []Scan{scanAt(-30*time.Minute, "dev0", "68")} }, VerdictGenuineRepeat, nil},
		{"previous scans in any order", func(in *VerifyInput) {
			in.Previous = []Scan{scanAt(-time.Minute, "dev0", "68"), scanAt(-50*time.Minute, "dev1", "68")}
		}, VerdictGenuineRepeat, nil},
		{"never certified product", func(in *VerifyInput) { in.Cert = "" }, VerdictGenuineFirstScan, nil},
		{"certificate not yet valid", func(in *VerifyInput) { in.Cert = CertStateNotYet }, VerdictGenuineFirstScan, nil},

		// Invalid.
		{"bad signature", func(in *VerifyInput) { in.SignatureOK = false }, VerdictInvalid, []Flag{FlagBadSignature}},
		{"unknown serial", func(in *VerifyInput) { in.SerialKnown = false }, VerdictInvalid, []Flag{FlagUnknownSerial}},
		{"both", func(in *VerifyInput) { in.SignatureOK, in.SerialKnown = false, false }, VerdictInvalid, []Flag{FlagBadSignature, FlagUnknownSerial}},
		{"bad signature hides everything else", func(in *VerifyInput) {
			in.SignatureOK, in.Lot, in.Previous = false, LotRecalled, devices(9)
		}, VerdictInvalid, []Flag{FlagBadSignature}},
		{"unknown serial with previous scans is still invalid", func(in *VerifyInput) {
			in.SerialKnown, in.Previous = false, devices(1)
		}, VerdictInvalid, []Flag{FlagUnknownSerial}},
		{"voided", func(in *VerifyInput) { in.Stamp = StampVoided }, VerdictInvalid, []Flag{FlagVoided}},
		{"voided beats recalled", func(in *VerifyInput) { in.Stamp, in.Lot = StampVoided, LotRecalled }, VerdictInvalid, []Flag{FlagVoided, FlagRecalled}},

		// Recalled.
		{"recalled", func(in *VerifyInput) { in.Lot = LotRecalled }, VerdictRecalled, []Flag{FlagRecalled}},
		{"recalled beats suspicious", func(in *VerifyInput) { in.Lot, in.Previous = LotRecalled, devices(4) }, VerdictRecalled, []Flag{FlagRecalled, FlagManyDevices}},

		// Suspicious: lifecycle.
		{"generated", func(in *VerifyInput) { in.Stamp = StampGenerated }, VerdictSuspicious, []Flag{FlagNotActivated}},
		{"printed", func(in *VerifyInput) { in.Stamp = StampPrinted }, VerdictSuspicious, []Flag{FlagNotActivated}},
		{"unknown status", func(in *VerifyInput) { in.Stamp = "" }, VerdictSuspicious, []Flag{FlagNotActivated}},

		// Suspicious: many devices.
		{"4 devices", func(in *VerifyInput) { in.Previous = devices(3) }, VerdictGenuineRepeat, nil},
		{"5 devices", func(in *VerifyInput) { in.Previous = devices(4) }, VerdictSuspicious, []Flag{FlagManyDevices}},
		{"repeat scans of 4 devices", func(in *VerifyInput) { in.Previous = append(devices(3), devices(3)...) }, VerdictGenuineRepeat, nil},
		{"unknown devices not counted", func(in *VerifyInput) {
			in.Previous = append(devices(3), scanAt(-time.Hour, "", "68"), scanAt(-2*time.Hour, "", "68"))
		}, VerdictGenuineRepeat, nil},

		// Suspicious: several provinces in a day.
		{"other province 23h ago", func(in *VerifyInput) {
			in.Stamp = StampActivated
			in.Previous = []Scan{scanAt(-23*time.Hour, "dev1", "79")}
		}, VerdictSuspicious, []Flag{FlagMultiProvince}},
		{"other province exactly 24h ago", func(in *VerifyInput) {
			in.Stamp = StampActivated
			in.Previous = []Scan{scanAt(-24*time.Hour, "dev1", "79")}
		}, VerdictGenuineRepeat, nil},
		{"two provinces long ago, 1h apart", func(in *VerifyInput) {
			in.Stamp = StampActivated
			in.Previous = []Scan{scanAt(-240*time.Hour, "dev1", "79"), scanAt(-239*time.Hour, "dev2", "01")}
		}, VerdictSuspicious, []Flag{FlagMultiProvince}},
		{"same device in two provinces is a traveller", func(in *VerifyInput) {
			in.Stamp = StampActivated
			in.Previous = []Scan{scanAt(-3*time.Hour, "dev0", "79")}
		}, VerdictGenuineRepeat, nil},
		{"unknown device counts as another device", func(in *VerifyInput) {
			in.Stamp = StampActivated
			in.Previous = []Scan{scanAt(-3*time.Hour, "", "79")}
		}, VerdictSuspicious, []Flag{FlagMultiProvince}},
		{"same device moves, then another device in the first province", func(in *VerifyInput) {
			in.Stamp = StampActivated
			in.Previous = []Scan{scanAt(-5*time.Hour, "dev0", "79"), scanAt(-4*time.Hour, "dev0", "68")}
			in.Current = scanAt(0, "dev5", "79")
		}, VerdictSuspicious, []Flag{FlagMultiProvince}},
		{"traveller with two own scans per province", func(in *VerifyInput) {
			in.Stamp = StampActivated
			in.Previous = []Scan{scanAt(-5*time.Hour, "dev0", "79"), scanAt(-4*time.Hour, "dev0", "79"), scanAt(-time.Hour, "dev0", "68")}
		}, VerdictGenuineRepeat, nil},
		{"provinces separated by an unknown one", func(in *VerifyInput) {
			in.Stamp = StampActivated
			in.Previous = []Scan{scanAt(-30*time.Hour, "dev1", "79"), scanAt(-10*time.Hour, "dev1", "")}
		}, VerdictGenuineRepeat, nil},
		{"slow trip across provinces", func(in *VerifyInput) {
			in.Stamp = StampActivated
			in.Previous = []Scan{scanAt(-72*time.Hour, "dev0", "79"), scanAt(-50*time.Hour, "dev0", "79"), scanAt(-25*time.Hour, "dev0", "68")}
		}, VerdictGenuineRepeat, nil},

		// Suspicious: sold far away.
		{"sold far away", func(in *VerifyInput) { in.Current.ProvinceCode = "79" }, VerdictSuspicious, []Flag{FlagSoldFarAway}},
		{"first scan 2h after sale elsewhere", func(in *VerifyInput) {
			in.SoldAt, in.Current.ProvinceCode = testNow.Add(-SoldFarAwayWindow), "79"
		}, VerdictGenuineFirstScan, nil},
		{"taken home the next day", func(in *VerifyInput) {
			in.SoldAt, in.Current.ProvinceCode = testNow.Add(-20*time.Hour), "79"
		}, VerdictGenuineFirstScan, nil},
		{"first scan after sale at the market, then home", func(in *VerifyInput) {
			in.Previous = []Scan{scanAt(-50*time.Minute, "dev0", "68")}
			in.SoldAt, in.Current = testNow.Add(-90*time.Minute), scanAt(0, "dev0", "79")
		}, VerdictGenuineRepeat, nil},
		{"scan before the sale elsewhere is not after sale", func(in *VerifyInput) {
			in.Previous = []Scan{scanAt(-30*time.Hour, "dev9", "79")}
		}, VerdictGenuineRepeat, nil},
		{"unknown province after sale skipped", func(in *VerifyInput) {
			in.Previous = []Scan{scanAt(-30*time.Minute, "dev0", "")}
			in.Current.ProvinceCode = "79"
		}, VerdictSuspicious, []Flag{FlagSoldFarAway}},
		{"market province unknown", func(in *VerifyInput) { in.SoldProvinceCode, in.Current.ProvinceCode = "", "79" }, VerdictGenuineFirstScan, nil},
		{"not sold: rule off", func(in *VerifyInput) { in.Stamp, in.Current.ProvinceCode = StampActivated, "79" }, VerdictGenuineFirstScan, nil},

		// Informational.
		{"lot on hold", func(in *VerifyInput) { in.Lot = LotOnHold }, VerdictGenuineFirstScan, []Flag{FlagLotOnHold}},
		{"expiry day itself", func(in *VerifyInput) { in.LotExpiry = Date(2026, 3, 10) }, VerdictGenuineFirstScan, nil},
		{"product expired", func(in *VerifyInput) { in.LotExpiry = Date(2026, 3, 9) }, VerdictGenuineFirstScan, []Flag{FlagProductExpired}},
		{"no expiry date", func(in *VerifyInput) { in.LotExpiry = time.Time{} }, VerdictGenuineFirstScan, nil},
		{"certificate expired", func(in *VerifyInput) { in.Cert = CertStateExpired }, VerdictGenuineFirstScan, []Flag{FlagCertificateExpired}},
		{"certificate superseded", func(in *VerifyInput) { in.Cert = CertStateSuperseded }, VerdictGenuineFirstScan, []Flag{FlagCertificateExpired}},
		{"certificate revoked", func(in *VerifyInput) { in.Cert = CertStateRevoked }, VerdictGenuineFirstScan, []Flag{FlagCertificateRevoked}},

		// Everything at once, flags in canonical order.
		{"kitchen sink", func(in *VerifyInput) {
			in.Stamp, in.Lot, in.LotExpiry, in.Cert = StampPrinted, LotRecalled, Date(2026, 1, 1), CertStateRevoked
			in.Previous = append(devices(4), scanAt(-2*time.Hour, "dev7", "01"))
		}, VerdictRecalled, []Flag{FlagRecalled, FlagNotActivated, FlagManyDevices, FlagMultiProvince, FlagProductExpired, FlagCertificateRevoked}},
		{"all suspicious rules", func(in *VerifyInput) {
			in.Previous = append(devices(4), scanAt(-30*time.Minute, "dev7", "01"))
			in.Lot = LotOnHold
		}, VerdictSuspicious, []Flag{FlagManyDevices, FlagMultiProvince, FlagSoldFarAway, FlagLotOnHold}},
	}
	covered := map[Flag]bool{}
	verdicts := map[VerdictCode]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := genuineInput()
			tt.mod(&in)
			got := Verdict(in)
			if got.Verdict != tt.verdict || !slices.Equal(got.Flags, tt.flags) && !(len(got.Flags) == 0 && len(tt.flags) == 0) {
				t.Fatalf("Verdict = %s %v, want %s %v", got.Verdict, got.Flags, tt.verdict, tt.flags)
			}
			if got.Flags == nil {
				t.Fatal("Flags must never be nil (JSON [] not null)")
			}
			for _, f := range got.Flags {
				covered[f] = true
				if !got.Has(f) {
					t.Fatal("Has disagrees with Flags")
				}
			}
			verdicts[got.Verdict] = true
		})
	}
	for _, f := range AllFlags {
		if !covered[f] {
			t.Errorf("flag %s not covered by the matrix", f)
		}
	}
	for _, v := range []VerdictCode{VerdictGenuineFirstScan, VerdictGenuineRepeat, VerdictSuspicious, VerdictInvalid, VerdictRecalled} {
		if !verdicts[v] {
			t.Errorf("verdict %s not covered by the matrix", v)
		}
	}
}

func TestVerdictFigures(t *testing.T) {
	in := genuineInput()
	in.Previous = []Scan{scanAt(-time.Minute, "dev1", "68"), scanAt(-2*time.Hour, "dev1", "68"), scanAt(-time.Hour, "", "68")}
	got := Verdict(in)
	if got.ScanCount != 4 || got.DistinctDevices != 2 || !got.FirstScanAt.Equal(testNow.Add(-2*time.Hour)) {
		t.Fatalf("figures = %+v", got)
	}
	if got := Verdict(genuineInput()); got.ScanCount != 1 || !got.FirstScanAt.Equal(testNow) {
		t.Fatalf("first scan figures = %+v", got)
	}
	// Verdict must not reorder the caller's slice.
	prev := []Scan{scanAt(-time.Minute, "a", ""), scanAt(-time.Hour, "b", "")}
	in.Previous = prev
	Verdict(in)
	if prev[0].DeviceHash != "a" {
		t.Fatal("Verdict modified its input")
	}
}

func TestFlagEffect(t *testing.T) {
	for _, f := range AllFlags {
		switch e := f.Effect(); e {
		case "", VerdictInvalid, VerdictRecalled, VerdictSuspicious:
		default:
			t.Errorf("flag %s has effect %s", f, e)
		}
	}
	if Flag("nope").Effect() != "" {
		t.Error("unknown flags are informational")
	}
}

func FuzzVerdict(f *testing.F) {
	f.Add(true, true, "sold", "active", int64(3600), "68", "79", "dev", uint8(3))
	f.Fuzz(func(t *testing.T, sig, known bool, stamp, lot string, offset int64, p1, p2, dev string, n uint8) {
		in := genuineInput()
		in.SignatureOK, in.SerialKnown, in.Stamp, in.Lot = sig, known, StampStatus(stamp), LotStatus(lot)
		for i := range int(n % 50) {
			in.Previous = append(in.Previous, scanAt(time.Duration(offset*int64(i)), dev+fmt.Sprint(i%7), []string{p1, p2}[i%2]))
		}
		r := Verdict(in)
		if r.ScanCount != len(in.Previous)+1 || r.Verdict == "" {
			t.Fatalf("result %+v", r)
		}
		if (!sig || !known) && r.Verdict != VerdictInvalid {
			t.Fatalf("unauthenticated link judged %s", r.Verdict)
		}
		if sig && known && r.Verdict == VerdictInvalid && !r.Has(FlagVoided) {
			t.Fatalf("invalid without cause: %+v", r)
		}
		if len(in.Previous) == 0 && r.Verdict == VerdictGenuineRepeat {
			t.Fatal("repeat without previous scans")
		}
	})
}

// TestMultiProvinceMatchesNaive checks the sliding window against the
// definition applied to every pair.
func TestMultiProvinceMatchesNaive(t *testing.T) {
	naive := func(scans []Scan) bool {
		for i, a := range scans {
			for _, b := range scans[i+1:] {
				d := b.At.Sub(a.At)
				if d < 0 {
					d = -d
				}
				if d < MultiProvinceWindow && a.ProvinceCode != "" && b.ProvinceCode != "" &&
					a.ProvinceCode != b.ProvinceCode && (a.DeviceHash == "" || a.DeviceHash != b.DeviceHash) {
					return true
				}
			}
		}
		return false
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		n := rng.IntN(8)
		scans := make([]Scan, n)
		for j := range scans {
			scans[j] = Scan{
				At:           testNow.Add(time.Duration(rng.IntN(96)) * time.Hour / 2),
				DeviceHash:   []string{"", "a", "b"}[rng.IntN(3)],
				ProvinceCode: []string{"", "01", "79"}[rng.IntN(3)],
			}
		}
		slices.SortStableFunc(scans, func(a, b Scan) int { return a.At.Compare(b.At) })
		if got, want := multiProvince(scans), naive(scans); got != want {
			t.Fatalf("case %d: multiProvince = %v, naive %v for %+v", i, got, want, scans)
		}
	}
}
