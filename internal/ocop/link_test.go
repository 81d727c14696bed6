package ocop

import (
	"bytes"
	"strings"
	"testing"
)

func TestFormatLink(t *testing.T) {
	sig := bytes.Repeat([]byte{0xfb}, 64)
	tests := []struct {
		name string
		l    Link
		want string
	}{
		{"gs1", Link{Host: "m4.vn", GTIN: testGTIN, Lot: "L2026A", Serial: "7KX9M2QH4T"},
			"https://m4.vn/01/" + testGTIN + "/10/L2026A/21/7KX9M2QH4T"},
		{"gs1 reserved chars encoded", Link{Host: "m4.vn", GTIN: testGTIN, Lot: "A/B?C!%'(*)", Serial: "+,:;<=>&\"-._zZ9"},
			"https://m4.vn/01/" + testGTIN + "/10/A%2FB%3FC%21%25%27%28%2A%29/21/%2B%2C%3A%3B%3C%3D%3E%26%22-._zZ9"},
		{"non-gs1", Link{Host: "m4.vn", NonGS1: true, LotID: "01J5-ab_C", Serial: "7KX9M2QH4T"},
			"https://m4.vn/t/01J5-ab_C/7KX9M2QH4T"},
		{"port", Link{Host: "localhost:8080", NonGS1: true, LotID: "L1", Serial: "S1"},
			"https://localhost:8080/t/L1/S1"},
		{"signed", Link{Host: "m4.vn", NonGS1: true, LotID: "L1", Serial: "S1", KeyID: "AbCd-_12", Sig: sig},
			"https://m4.vn/t/L1/S1?k=AbCd-_12&s=" + strings.Repeat("-_v7", 21) + "-w"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatLink(tt.l)
			if err != nil || got != tt.want {
				t.Fatalf("FormatLink = %q, %v\nwant          %q", got, err, tt.want)
			}
			back, err := ParseLink(got)
			if err != nil || !linkEqual(back, tt.l) {
				t.Fatalf("ParseLink(FormatLink) = %+v, %v", back, err)
			}
		})
	}
}

func TestLinkValidate(t *testing.T) {
	gs1 := Link{Host: "m4.vn", GTIN: testGTIN, Lot: "L1", Serial: "S1"}
	non := Link{Host: "m4.vn", NonGS1: true, LotID: "L1", Serial: "S1"}
	tests := []struct {
		name  string
		l     Link
		field string
	}{
		{"upper-case host", with(gs1, func(l *Link) { l.Host = "M4.vn" }), "host"},
		{"empty host", with(gs1, func(l *Link) { l.Host = "" }), "host"},
		{"host with path", with(gs1, func(l *Link) { l.Host = "m4.vn/x" }), "host"},
		{"host trailing dot", with(gs1, func(l *Link) { l.Host = "m4.vn." }), "host"},
		{"host hyphen label", with(gs1, func(l *Link) { l.Host = "-m4.vn" }), "host"},
		{"host long label", with(gs1, func(l *Link) { l.Host = strings.Repeat("a", 64) + ".vn" }), "host"},
		{"port 0", with(gs1, func(l *Link) { l.Host = "m4.vn:0" }), "host"},
		{"port 65536", with(gs1, func(l *Link) { l.Host = "m4.vn:65536" }), "host"},
		{"port leading zero", with(gs1, func(l *Link) { l.Host = "m4.vn:080" }), "host"},
		{"gtin-13", with(gs1, func(l *Link) { l.GTIN = testGTIN[1:] }), "gtin"},
		{"gtin check", with(gs1, func(l *Link) { l.GTIN = testGTIN[:13] + "x" }), "gtin"},
		{"lot empty", with(gs1, func(l *Link) { l.Lot = "" }), "lot"},
		{"lot 21", with(gs1, func(l *Link) { l.Lot = strings.Repeat("A", 21) }), "lot"},
		{"lot space", with(gs1, func(l *Link) { l.Lot = "A B" }), "lot"},
		{"lot tilde", with(gs1, func(l *Link) { l.Lot = "A~B" }), "lot"},
		{"lot_id in gs1", with(gs1, func(l *Link) { l.LotID = "X" }), "lot_id"},
		{"serial empty", with(gs1, func(l *Link) { l.Serial = "" }), "serial"},
		{"serial non-ascii", with(gs1, func(l *Link) { l.Serial = "SỐ1" }), "serial"},
		{"gtin in non-gs1", with(non, func(l *Link) { l.GTIN = testGTIN }), "gtin"},
		{"lot_id empty", with(non, func(l *Link) { l.LotID = "" }), "lot_id"},
		{"lot_id 37", with(non, func(l *Link) { l.LotID = strings.Repeat("a", 37) }), "lot_id"},
		{"lot_id dot", with(non, func(l *Link) { l.LotID = "a.b" }), "lot_id"},
		{"key without sig", with(non, func(l *Link) { l.KeyID = "AAAAAAAA" }), "signature"},
		{"sig without key", with(non, func(l *Link) { l.Sig = make([]byte, 64) }), "key_id"},
		{"short key", with(non, func(l *Link) { l.KeyID, l.Sig = "AAAA", make([]byte, 64) }), "key_id"},
		{"short sig", with(non, func(l *Link) { l.KeyID, l.Sig = "AAAAAAAA", make([]byte, 63) }), "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantField(t, tt.l.Validate(), tt.field, nil)
			if _, err := FormatLink(tt.l); err == nil {
				t.Fatal("FormatLink accepted an invalid link")
			}
			_ = tt.l.String() // never panics on invalid input
		})
	}
	for _, ok := range []Link{gs1, non, with(non, func(l *Link) { l.LotID = strings.Repeat("a", 36) })} {
		if err := ok.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", ok, err)
		}
	}
}

func TestParseLink(t *testing.T) {
	base := "https://m4.vn/01/" + testGTIN + "/10/L1/21/S1"
	sig := strings.Repeat("A", 86)
	tests := []struct {
		name  string
		raw   string
		want  Link   // when field == ""
		field string // the part named by the error
	}{
		{"gs1", base, Link{Host: "m4.vn", GTIN: testGTIN, Lot: "L1", Serial: "S1"}, ""},
		{"upper-case scheme and host", "HTTPS://M4.VN/01/" + testGTIN + "/10/L1/21/S1", Link{Host: "m4.vn", GTIN: testGTIN, Lot: "L1", Serial: "S1"}, ""},
		{"http", "http://localhost:8080/t/L1/S1", Link{Host: "localhost:8080", NonGS1: true, LotID: "L1", Serial: "S1"}, ""},
		{"gtin-13 normalised", "https://m4.vn/01/" + testGTIN[1:] + "/10/L1/21/S1", Link{Host: "m4.vn", GTIN: testGTIN, Lot: "L1", Serial: "S1"}, ""},
		{"lower-case hex", "https://m4.vn/01/" + testGTIN + "/10/a%2fb/21/S%3f", Link{Host: "m4.vn", GTIN: testGTIN, Lot: "a/b", Serial: "S?"}, ""},
		{"encoded unreserved", "https://m4.vn/t/L1/%41", Link{Host: "m4.vn", NonGS1: true, LotID: "L1", Serial: "A"}, ""},
		{"20 encoded chars", "https://m4.vn/t/L1/" + strings.Repeat("%2F", 20), Link{Host: "m4.vn", NonGS1: true, LotID: "L1", Serial: strings.Repeat("/", 20)}, ""},
		{"signed", base + "?k=AAAAAAAA&s=" + sig, Link{Host: "m4.vn", GTIN: testGTIN, Lot: "L1", Serial: "S1", KeyID: "AAAAAAAA", Sig: make([]byte, 64)}, ""},
		{"signed reversed order", base + "?s=" + sig + "&k=AAAAAAAA", Link{Host: "m4.vn", GTIN: testGTIN, Lot: "L1", Serial: "S1", KeyID: "AAAAAAAA", Sig: make([]byte, 64)}, ""},
		{"other params ignored", base + "?linkType=all&17=261231", Link{Host: "m4.vn", GTIN: testGTIN, Lot: "L1", Serial: "S1"}, ""},
		{"empty query", base + "?", Link{Host: "m4.vn", GTIN: testGTIN, Lot: "L1", Serial: "S1"}, ""},

		{"too long", "https://m4.vn/t/L1/" + strings.Repeat("A", MaxLinkLen), Link{}, "url"},
		{"fragment", base + "#x", Link{}, "url"},
		{"ftp", "ftp://m4.vn/t/L1/S1", Link{}, "scheme"},
		{"no scheme", "m4.vn/t/L1/S1", Link{}, "scheme"},
		{"empty", "", Link{}, "scheme"},
		{"no path", "https://m4.vn", Link{}, "path"},
		{"query without path", "https://m4.vn?k=1", Link{}, "path"},
		{"userinfo", "https://u@m4.vn/t/L1/S1", Link{}, "host"},
		{"ipv6", "https://[::1]/t/L1/S1", Link{}, "host"},
		{"empty host", "https:///t/L1/S1", Link{}, "host"},
		{"root only", "https://m4.vn/", Link{}, "path"},
		{"path prefix", "https://m4.vn/p/01/" + testGTIN + "/10/L1/21/S1", Link{}, "path"},
		{"trailing slash", base + "/", Link{}, "path"},
		{"gtin only", "https://m4.vn/01/" + testGTIN, Link{}, "path"},
		{"no lot", "https://m4.vn/01/" + testGTIN + "/21/S1", Link{}, "path"},
		{"qualifiers swapped", "https://m4.vn/01/" + testGTIN + "/21/S1/10/L1", Link{}, "path"},
		{"convenience alpha", "https://m4.vn/gtin/" + testGTIN + "/lot/L1/ser/S1", Link{}, "path"},
		{"too many segments", base + "/x/y", Link{}, "path"},
		{"non-gs1 extra", "https://m4.vn/t/L1/S1/x", Link{}, "path"},
		{"non-gs1 short", "https://m4.vn/t/L1", Link{}, "path"},
		{"upper T", "https://m4.vn/T/L1/S1", Link{}, "path"},
		{"gtin letters", "https://m4.vn/01/0893ABC/10/L1/21/S1", Link{}, "gtin"},
		{"gtin encoded", "https://m4.vn/01/%30" + testGTIN[1:] + "/10/L1/21/S1", Link{}, "gtin"},
		{"gtin check", "https://m4.vn/01/" + testGTIN[:13] + string('0'+(testGTIN[13]-'0'+1)%10) + "/10/L1/21/S1", Link{}, "gtin"},
		{"lot empty", "https://m4.vn/01/" + testGTIN + "/10//21/S1", Link{}, "lot"},
		{"lot raw reserved", "https://m4.vn/01/" + testGTIN + "/10/A!B/21/S1", Link{}, "lot"},
		{"lot raw tilde", "https://m4.vn/01/" + testGTIN + "/10/A~B/21/S1", Link{}, "lot"},
		{"lot too long", "https://m4.vn/01/" + testGTIN + "/10/" + strings.Repeat("A", 21) + "/21/S1", Link{}, "lot"},
		{"lot encoded too long", "https://m4.vn/01/" + testGTIN + "/10/" + strings.Repeat("%41", 21) + "/21/S1", Link{}, "lot"},
		{"lot encoded space", "https://m4.vn/01/" + testGTIN + "/10/A%20B/21/S1", Link{}, "lot"},
		{"lot encoded utf-8", "https://m4.vn/01/" + testGTIN + "/10/L%C3%94/21/S1", Link{}, "lot"},
		{"lot bad escape", "https://m4.vn/01/" + testGTIN + "/10/A%2/21/S1", Link{}, "lot"},
		{"lot bad hex", "https://m4.vn/01/" + testGTIN + "/10/A%G1/21/S1", Link{}, "lot"},
		{"serial empty", "https://m4.vn/01/" + testGTIN + "/10/L1/21/", Link{}, "serial"},
		{"serial non-ascii", "https://m4.vn/t/L1/SỐ", Link{}, "serial"},
		{"lot_id dot", "https://m4.vn/t/a.b/S1", Link{}, "lot_id"},
		{"lot_id empty", "https://m4.vn/t//S1", Link{}, "lot_id"},
		{"k alone", base + "?k=AAAAAAAA", Link{}, "signature"},
		{"s alone", base + "?s=" + sig, Link{}, "key_id"},
		{"k twice", base + "?k=AAAAAAAA&k=AAAAAAAA&s=" + sig, Link{}, "key_id"},
		{"s twice", base + "?k=AAAAAAAA&s=" + sig + "&s=" + sig, Link{}, "signature"},
		{"k short", base + "?k=AAAA&s=" + sig, Link{}, "key_id"},
		{"k bad char", base + "?k=AAAAAAA%3D&s=" + sig, Link{}, "key_id"},
		{"s short", base + "?k=AAAAAAAA&s=" + sig[1:], Link{}, "signature"},
		{"s padded", base + "?k=AAAAAAAA&s=" + sig + "==", Link{}, "signature"},
		{"s std alphabet", base + "?k=AAAAAAAA&s=" + strings.Repeat("+", 86), Link{}, "signature"},
		{"s non-canonical bits", base + "?k=AAAAAAAA&s=" + sig[:85] + "B", Link{}, "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLink(tt.raw)
			if tt.field != "" {
				wantField(t, err, tt.field, nil)
				return
			}
			if err != nil {
				t.Fatalf("ParseLink: %v", err)
			}
			if !linkEqual(got, tt.want) {
				t.Fatalf("ParseLink = %+v\nwant %+v", got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("parsed link is not canonical: %v", err)
			}
		})
	}
}

func TestLinkHelpers(t *testing.T) {
	if _, err := NewGS1Link("m4.vn", "123", "L", "S"); err == nil {
		t.Fatal("bad GTIN accepted")
	}
	l, err := NewGS1Link("M4.VN", testGTIN[1:], "L", "S")
	if err != nil || l.Host != "m4.vn" || l.GTIN != testGTIN {
		t.Fatalf("NewGS1Link = %+v, %v", l, err)
	}
	n, err := NewNonGS1Link("M4.vn", "L1", "S1")
	if err != nil || !n.NonGS1 || n.Host != "m4.vn" {
		t.Fatalf("NewNonGS1Link = %+v, %v", n, err)
	}
	if _, err := NewNonGS1Link("m4.vn", "L 1", "S1"); err == nil {
		t.Fatal("bad lot id accepted")
	}
	s := Link{KeyID: "x", Sig: []byte{1}}
	if !s.Signed() || s.Unsigned().Signed() {
		t.Fatal("Signed/Unsigned")
	}
}

func with(l Link, f func(*Link)) Link {
	f(&l)
	return l
}

func linkEqual(a, b Link) bool {
	return a.Host == b.Host && a.GTIN == b.GTIN && a.Lot == b.Lot && a.NonGS1 == b.NonGS1 &&
		a.LotID == b.LotID && a.Serial == b.Serial && a.KeyID == b.KeyID && bytes.Equal(a.Sig, b.Sig)
}

// FuzzParseLink: ParseLink never panics, what it accepts is canonical, and
// formatting and parsing again gives the same link and the same URL.
func FuzzParseLink(f *testing.F) {
	kr := testRing(f)
	signed, _ := kr.Sign(mustGS1(f, "L/1", "S%1"), testNow)
	for _, s := range []string{
		"https://m4.vn/01/" + testGTIN + "/10/L1/21/S1",
		"HTTP://LOCALHOST:8080/t/L1/S1?k=AAAAAAAA&s=" + strings.Repeat("A", 86),
		signed.String(),
		"https://m4.vn/01/96385074/10/%2f%41/21/x?linkType=all",
		"https://m4.vn/t//",
		"https://u@h/t/a/b#c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		l, err := ParseLink(raw)
		if err != nil {
			return
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("ParseLink(%q) gave a non-canonical link: %v", raw, err)
		}
		s, err := FormatLink(l)
		if err != nil {
			t.Fatalf("FormatLink(%+v): %v", l, err)
		}
		l2, err := ParseLink(s)
		if err != nil || !linkEqual(l, l2) {
			t.Fatalf("round trip %q -> %q -> %+v, %v", raw, s, l2, err)
		}
		if s2 := l2.String(); s2 != s {
			t.Fatalf("format not stable: %q vs %q", s, s2)
		}
	})
}

// FuzzFormatLink: any link FormatLink accepts parses back to itself.
func FuzzFormatLink(f *testing.F) {
	f.Add("m4.vn", testGTIN, "L1", "", "S1", false, "", []byte(nil))
	f.Add("m4.vn", "", "", "01J5", "S/1", true, "AAAAAAAA", make([]byte, 64))
	f.Fuzz(func(t *testing.T, host, gtin, lot, lotID, serial string, nonGS1 bool, keyID string, sig []byte) {
		l := Link{Host: host, GTIN: gtin, Lot: lot, NonGS1: nonGS1, LotID: lotID, Serial: serial, KeyID: keyID, Sig: sig}
		s, err := FormatLink(l)
		if err != nil {
			_ = l.String()
			return
		}
		back, err := ParseLink(s)
		if err != nil {
			t.Fatalf("ParseLink(FormatLink(%+v) = %q): %v", l, s, err)
		}
		if len(l.Sig) == 0 {
			l.Sig = nil
		}
		if !linkEqual(back, l) {
			t.Fatalf("round trip %+v -> %q -> %+v", l, s, back)
		}
	})
}
