package vietqr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// withCRC appends "6304" and the correct CRC to body, so that a test
// payload fails for the reason under test and not for its checksum.
func withCRC(body string) string {
	body += "6304"
	return body + fmt.Sprintf("%04X", CRC16([]byte(body)))
}

// Pieces of the NAPAS §6.1.3 payload, reused to build broken variants.
const (
	hdr   = "000201" + "010212"
	m38   = "38570010A00000072701270006970403011300110123456780208QRIBFTTA"
	tail  = "5303704" + "5406180000" + "5802VN" + "62340107NPS68690819thanh toan don hang"
	v613  = "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E"
	m38at = len(hdr) // offset of tag 38 in hdr+m38+...
)

// idx returns the offset of marker in s plus delta, failing loudly (a
// negative offset) when the marker is missing so a typo cannot pass.
func idx(s, marker string, delta int) int {
	i := strings.Index(s, marker)
	if i < 0 {
		return -1000
	}
	return i + delta
}

// longestPayload returns a valid 512-byte payload (the §6.1.3 fields padded
// with unmodelled EMVCo RFU tags 65–79, which Decode ignores).
func longestPayload(tb testing.TB) string {
	tb.Helper()
	body := hdr + m38 + tail
	for tag := 65; ; tag++ {
		room := MaxPayloadLen - 8 - len(body) - 4
		if room <= 0 {
			break
		}
		n := min(room, 99)
		if room-n > 0 && room-n < 5 { // leave enough for one more object
			n -= 5
		}
		body += fmt.Sprintf("%02d%02d%s", tag, n, strings.Repeat("x", n))
	}
	s := withCRC(body)
	if len(s) != MaxPayloadLen {
		tb.Fatalf("longestPayload is %d bytes", len(s))
	}
	return s
}

func TestDecodeBuildingBlocks(t *testing.T) {
	if got := withCRC(hdr + m38 + tail); got != v613 {
		t.Fatalf("withCRC(pieces) = %s, want the NAPAS §6.1.3 payload", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	longest := longestPayload(t)
	nonASCII := v613[:50] + "é" + v613[50:]
	overrun := hdr + "3899" + "0010A000000727"
	dup53 := withCRC(hdr + m38 + "5303704" + "5303704" + "5802VN")
	trailing := v613 + "0000"
	crc5 := hdr + m38 + tail + "630512345"
	crcHex := hdr + m38 + tail + "6304ZZZZ"
	crcBad := v613[:len(v613)-1] + "F"
	noCRC := hdr + m38 + tail
	badGUID := withCRC(hdr + strings.Replace(m38, "A000000727", "A000000728", 1) + tail)
	no3802 := withCRC(hdr + "3845" + "0010A000000727" + "01270006970403" + "0113" + "0011012345678" + tail)
	no3800 := withCRC(hdr + "3843" + "01270006970403" + "0113" + "0011012345678" + "0208QRIBFTTA" + tail)
	len00 := withCRC(hdr + "38610010A00000072701310006970403" + "0200" + "011300110123456780208QRIBFTTA" + tail)
	no3801 := withCRC(hdr + "3826" + "0010A000000727" + "0208QRIBFTTA" + tail)
	no380101 := withCRC(hdr + "3840" + "0010A000000727" + "01100006970403" + "0208QRIBFTTA" + tail)
	no380100 := withCRC(hdr + "3847" + "0010A000000727" + "011701130011012345678" + "0208QRIBFTTA" + tail)
	unk3803 := withCRC(hdr + "3864" + m38[4:] + "0303abc" + tail)
	unk380102 := withCRC(hdr + "3863" + "0010A000000727" + "0133" + "0006970403011300110123456780202XY" + "0208QRIBFTTA" + tail)
	dup3802 := withCRC(hdr + "3869" + m38[4:] + "0208QRIBFTTA" + tail)
	over3802 := withCRC(hdr + strings.Replace(m38, "0208QRIBFTTA", "0209QRIBFTTA", 1) + tail)
	bin5 := withCRC(hdr + "38560010A0000007270126000597040" + "011300110123456780208QRIBFTTA" + tail)
	binA := withCRC(hdr + strings.Replace(m38, "970403", "97040A", 1) + tail)
	accDash := withCRC(hdr + strings.Replace(m38, "0011012345678", "0011-12345678", 1) + tail)
	acc20 := withCRC(hdr + "3864" + "0010A000000727" + "0134" + "0006970403" + "0120" + "00110123456789012345" + "0208QRIBFTTA" + tail)
	svc := withCRC(hdr + "38550010A000000727012700069704030113001101234567802" + "06QRPUSH" + tail)
	withTail := func(t string) string { return withCRC(hdr + m38 + t) }
	cur := withTail("5303840" + "5802VN")
	amt := func(a string) string { return withTail("5303704" + fmt.Sprintf("54%02d", len(a)) + a + "5802VN") }
	country := withTail("5303704" + "5802US")
	name26 := withTail("5303704" + "5802VN" + "5926" + strings.Repeat("N", 26))
	city16 := withTail("5303704" + "5802VN" + "6016" + strings.Repeat("C", 16))
	purpose26 := withTail("5303704" + "5802VN" + "6230" + "0826" + strings.Repeat("p", 26))
	sub09 := withTail("5303704" + "5802VN" + "6230" + "0926" + strings.Repeat("p", 26))
	over6208 := withTail("5303704" + "5802VN" + "6211" + "0812" + "tien le")
	dup6208 := withTail("5303704" + "5802VN" + "6210" + "0801a" + "0801b")
	bad26 := withTail("5303704" + "5802VN" + "2605ABCDE")
	dup2600 := withTail("5303704" + "5802VN" + "2610" + "0001a" + "0001b")
	badAmtBadCRC := amt("0100")[:len(amt("0100"))-4] + "0000"

	tests := []struct {
		name    string
		payload string
		rule    string
		tag     string
		off     int
	}{
		{"empty", "", RuleMissingTag, "00", 0},
		{"over 512 bytes", strings.Repeat("0", 513), RuleTooLong, "", 512},
		{"longest accepted plus one", longest + "0", RuleTooLong, "", 512},
		{"non-ASCII byte", nonASCII, RuleNonASCII, "", 50},
		{"trailing newline", v613 + "\n", RuleNonASCII, "", len(v613)},
		{"tag id not digits", withCRC("000201" + "0A0212" + m38 + tail), RuleBadTag, "", 6},
		{"tag id not digits inside 62", withTail("5303704" + "5802VN" + "6205" + "x8010"), RuleBadTag, "62", idx(withTail("5303704"+"5802VN"+"6205"+"x8010"), "6205x8", 4)},
		{"length not digits", withCRC("000201" + "01A212" + m38 + tail), RuleBadLength, "01", 8},
		{"length 00", withCRC("000201" + "0100" + m38 + tail), RuleBadLength, "01", 8},
		{"length 00 inside 38.01", len00, RuleBadLength, "38.01.02", idx(len00, "0200", 2)},
		{"root value overruns", overrun, RuleTemplateOverrun, "38", m38at + 2},
		{"stray bytes at end", hdr + "38", RuleTemplateOverrun, "", m38at},
		{"duplicate root tag", dup53, RuleDuplicateTag, "53", idx(dup53, "53037045303704", 7)},
		{"00 not first", withCRC("010212" + "000201" + m38 + tail), RuleOrder, "00", 0},
		{"00 missing", withCRC("010212" + m38 + tail), RuleMissingTag, "00", 0},
		{"data after CRC", trailing, RuleTrailingData, "", len(v613)},
		{"CRC length 05", crc5, RuleBadCRC, "63", len(crc5) - 7},
		{"CRC not hex", crcHex, RuleBadCRC, "63", len(crcHex) - 4},
		{"CRC mismatch", crcBad, RuleCRCMismatch, "63", len(crcBad) - 4},
		{"CRC missing", noCRC, RuleMissingTag, "63", len(noCRC)},
		{"CRC checked before values", badAmtBadCRC, RuleCRCMismatch, "63", len(badAmtBadCRC) - 4},
		{"format indicator 02", withCRC("000202" + "010212" + m38 + tail), RuleBadFormat, "00", 4},
		{"format indicator too long", withCRC("0003010" + "010212" + m38 + tail), RuleBadFormat, "00", 4},
		{"initiation 13", withCRC("000201" + "010213" + m38 + tail), RuleBadInit, "01", 10},
		{"initiation missing", withCRC("000201" + m38 + tail), RuleMissingTag, "01", 0},
		{"GUID wrong", badGUID, RuleBadGUID, "38.00", m38at + 8},
		{"38.02 missing", no3802, RuleMissingTag, "38.02", m38at},
		{"38.00 missing", no3800, RuleMissingTag, "38.00", m38at},
		{"38.01 missing", no3801, RuleMissingTag, "38.01", m38at},
		{"38.01.01 missing", no380101, RuleMissingTag, "38.01.01", m38at + 18},
		{"38.01.00 missing", no380100, RuleMissingTag, "38.01.00", m38at + 18},
		{"unknown tag in 38", unk3803, RuleUnknownTag, "38.03", idx(unk3803, "0303abc", 0)},
		{"unknown tag in 38.01", unk380102, RuleUnknownTag, "38.01.02", idx(unk380102, "0202XY", 0)},
		{"duplicate tag in 38", dup3802, RuleDuplicateTag, "38.02", idx(dup3802, "QRIBFTTA0208", 8)},
		{"38.02 overruns 38", over3802, RuleTemplateOverrun, "38.02", idx(over3802, "0209QRIBFTTA", 2)},
		{"inner length too short (NAPAS §6.1.1 as printed)", "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5", RuleTemplateOverrun, "38.01", 60},
		{"BIN of 5 digits", bin5, RuleBadBIN, "38.01.00", idx(bin5, "97040", 0)},
		{"BIN with a letter", binA, RuleBadBIN, "38.01.00", idx(binA, "97040A", 0)},
		{"account with a dash", accDash, RuleBadAccount, "38.01.01", idx(accDash, "0011-", 0)},
		{"account of 20", acc20, RuleBadAccount, "38.01.01", idx(acc20, "00110123456789", 0)},
		{"service QRPUSH", svc, RuleBadService, "38.02", idx(svc, "QRPUSH", 0)},
		{"currency USD", cur, RuleBadCurrency, "53", idx(cur, "840", 0)},
		{"currency missing", withTail("5802VN"), RuleMissingTag, "53", 0},
		{"amount zero", amt("0"), RuleBadAmount, "54", idx(amt("0"), "54010", 4)},
		{"amount leading zero", amt("0100"), RuleBadAmount, "54", idx(amt("0100"), "54040100", 4)},
		{"amount with decimals", amt("10.5"), RuleBadAmount, "54", idx(amt("10.5"), "10.5", 0)},
		{"amount negative", amt("-100"), RuleBadAmount, "54", idx(amt("-100"), "-100", 0)},
		{"amount of 14 digits", amt("12345678901234"), RuleBadAmount, "54", idx(amt("12345678901234"), "12345678901234", 0)},
		{"amount with space", amt("1 000"), RuleBadAmount, "54", idx(amt("1 000"), "1 000", 0)},
		{"country US", country, RuleBadCountry, "58", idx(country, "US", 0)},
		{"country missing", withTail("5303704"), RuleMissingTag, "58", 0},
		{"VietQR template missing", withCRC(hdr + tail), RuleMissingTag, "38", 0},
		{"merchant name 26", name26, RuleTooLong, "59", idx(name26, "NNN", 0)},
		{"merchant city 16", city16, RuleTooLong, "60", idx(city16, "CCC", 0)},
		{"purpose 26", purpose26, RuleTooLong, "62.08", idx(purpose26, "ppp", 0)},
		{"unmodelled 62.09 of 26", sub09, RuleTooLong, "62.09", idx(sub09, "ppp", 0)},
		{"62.08 overruns 62", over6208, RuleTemplateOverrun, "62.08", idx(over6208, "0812tien", 2)},
		{"duplicate 62.08", dup6208, RuleDuplicateTag, "62.08", idx(dup6208, "0801b", 0)},
		{"malformed unmodelled template 26", bad26, RuleBadTag, "26", idx(bad26, "ABCDE", 0)},
		{"duplicate in unmodelled template 26", dup2600, RuleDuplicateTag, "26.00", idx(dup2600, "0001b", 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode(tt.payload)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode = %+v, %v; want *Error %s", p, err, tt.rule)
			}
			if e.Rule != tt.rule || e.Tag != tt.tag || e.Offset != tt.off {
				t.Errorf("got rule %q tag %q offset %d, want %q %q %d\n  %v\n  %s",
					e.Rule, e.Tag, e.Offset, tt.rule, tt.tag, tt.off, err, tt.payload)
			}
			if e.Field != "" || e.Msg == "" {
				t.Errorf("Decode error has Field %q, Msg %q; want no field and a message", e.Field, e.Msg)
			}
			if p != (Payload{}) {
				t.Errorf("Decode returned a partial payload with its error: %+v", p)
			}
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	base613, err := Decode(v613)
	if err != nil {
		t.Fatal(err)
	}
	static := base613
	static.Dynamic = false
	allAdd := Payload{
		BIN: "970422", AccountNumber: "VQRQ00012345ABCdef9", Service: ServiceAccount,
		Currency: "704", Country: "VN", MerchantName: "NGUYEN VAN A", MerchantCity: "HA NOI",
		BillNumber: "B1", MobileNumber: "0912345678", StoreLabel: "Cho Ben Thanh",
		LoyaltyNumber: "L4", ReferenceLabel: "R5", CustomerLabel: "C6", TerminalLabel: "T7", Purpose: "P8",
	}
	tests := []struct {
		name    string
		payload string
		want    Payload
	}{
		{"NAPAS §6.1.3", v613, base613},
		{"lower-case CRC", v613[:len(v613)-4] + "2e2e", base613},
		{"512 bytes", longestPayload(t), base613},
		{"static with amount", withCRC("000201" + "010211" + m38 + tail), static},
		{"root tags in any order", withCRC("000201" + "5802VN" + "62340107NPS68690819thanh toan don hang" + "5406180000" + m38 + "5303704" + "010212"), base613},
		{"template subfields in any order", withCRC(hdr + "3857" + "0208QRIBFTTA" + "0127" + "0113001101234567800069704030010A000000727" + tail), base613},
		{"62 subfields in any order", withCRC(hdr + m38 + "5303704" + "5406180000" + "5802VN" + "62340819thanh toan don hang0107NPS6869"), base613},
		{"unmodelled tags ignored", withCRC(hdr + m38 + "52045812" + tail[:len(tail)-38] +
			"62540107NPS68690819thanh toan don hang" + "0903AME" + "50090005hello" +
			"6106700000" + "64140002vi0104Tien" + "26140010A000000775" + "55020156031.5" + "80070003abc"), base613},
		{"every field", withCRC("000201010211" + "38630010A00000072701330006970422" + "0119VQRQ00012345ABCdef9" + "0208QRIBFTTA" +
			"5303704" + "5802VN" + "5912NGUYEN VAN A" + "6006HA NOI" +
			"6267" + "0102B1" + "02100912345678" + "0313Cho Ben Thanh" + "0402L4" + "0502R5" + "0602C6" + "0702T7" + "0802P8"), allAdd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.payload)
			if err != nil {
				t.Fatalf("Decode(%s): %v", tt.payload, err)
			}
			tt.want.CRC = strings.ToUpper(tt.payload[len(tt.payload)-4:])
			if got != tt.want {
				t.Errorf("Decode(%s)\n got %+v\nwant %+v", tt.payload, got, tt.want)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	_, err := Decode(v613[:len(v613)-1] + "F")
	if got, want := err.Error(), "vietqr: crc_mismatch (tag 63, offset 138): computed 2E2E, payload has 2E2F"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	_, err = Encode(Payload{BIN: "970403", AccountNumber: "1", Purpose: strings.Repeat("x", 26)})
	if got, want := err.Error(), "vietqr: too_long (field purpose, tag 62.08): 26 bytes after transliteration to ASCII; limit 25"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Decode(v613); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Decode allocates %v times per call, want 0", allocs)
	}
}
