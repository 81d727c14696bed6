package translog_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/market4/market4/internal/translog"
)

// goldenLeaf is fixed forever: its bytes and hash below were computed
// outside Go (printf | xxd, printf '\0' … | sha256sum). If this test fails,
// the leaf format changed and every published proof would break.
func goldenLeaf(t testing.TB) translog.Leaf {
	t.Helper()
	hcm := time.FixedZone("ICT", 7*3600)
	return translog.Leaf{
		Kind:        translog.KindPayment,
		ID:          "01936f4e-8a2b-7c3d-9e4f-0a1b2c3d4e5f",
		StallID:     "01936f4e-0000-7000-8000-000000000001",
		Amount:      150000,
		Status:      "succeeded",
		OccurredAt:  time.Date(2025, 1, 2, 3, 4, 5, 123456789, hcm), // → 2025-01-01T20:04:05.123456Z
		Provider:    "vnpay",
		ProviderRef: "VNP14200123",
	}
}

const (
	goldenText = "market4/leaf/v1\n" +
		"kind 7:payment\n" +
		"id 36:01936f4e-8a2b-7c3d-9e4f-0a1b2c3d4e5f\n" +
		"stall_id 36:01936f4e-0000-7000-8000-000000000001\n" +
		"amount 6:150000\n" +
		"status 9:succeeded\n" +
		"occurred_at 27:2025-01-01T20:04:05.123456Z\n" +
		"provider 5:vnpay\n" +
		"provider_ref 11:VNP14200123\n"
	goldenHex = "6d61726b6574342f6c6561662f76310a6b696e6420373a7061796d656e740a69642033363a30313933366634652d" +
		"386132622d376333642d396534662d3061316232633364346535660a7374616c6c5f69642033363a3031393336663465" +
		"2d303030302d373030302d383030302d3030303030303030303030310a616d6f756e7420363a3135303030300a737461" +
		"74757320393a7375636365656465640a6f636375727265645f61742032373a323032352d30312d30315432303a30343a" +
		"30352e3132333435365a0a70726f766964657220353a766e7061790a70726f76696465725f7265662031313a564e5031" +
		"343230303132330a"
	goldenLeafHash = "d5389bff8f99db932b1bab29e3c75f74250d771b31d4b663d1d113820c61248b"
)

func TestLeafGolden(t *testing.T) {
	l := goldenLeaf(t)
	if err := l.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	got := l.Bytes()
	if hex.EncodeToString(got) != goldenHex {
		t.Fatalf("Bytes() =\n%s\n%q\nwant\n%s\n%q", hex.EncodeToString(got), got, goldenHex, goldenText)
	}
	if string(got) != goldenText {
		t.Fatalf("goldenText and goldenHex disagree")
	}
	if h := hex.EncodeToString(translog.LeafHash(got)); h != goldenLeafHash {
		t.Fatalf("LeafHash = %s, want %s", h, goldenLeafHash)
	}
	back, err := translog.ParseLeaf(got)
	if err != nil {
		t.Fatalf("ParseLeaf(golden): %v", err)
	}
	want := l
	want.OccurredAt = translog.CanonicalTime(l.OccurredAt)
	if !leafEqual(back, want) {
		t.Fatalf("ParseLeaf(golden) = %+v, want %+v", back, want)
	}
}

func leafEqual(a, b translog.Leaf) bool {
	return a.Kind == b.Kind && a.ID == b.ID && a.StallID == b.StallID && a.Amount == b.Amount &&
		a.Status == b.Status && a.OccurredAt.Equal(b.OccurredAt) && a.OccurredAt.Location() == b.OccurredAt.Location() &&
		a.Provider == b.Provider && a.ProviderRef == b.ProviderRef
}

// TestLeafAmbiguity shows that values holding the separators of the format
// cannot shift text from one field to another, which a newline-joined or
// "key=value" encoding would allow.
func TestLeafAmbiguity(t *testing.T) {
	base := goldenLeaf(t)
	with := func(f func(*translog.Leaf)) translog.Leaf { l := base; f(&l); return l }
	pairs := []struct {
		name string
		a, b translog.Leaf
	}{
		{"text moves between status and provider",
			with(func(l *translog.Leaf) { l.Status = "succeeded\nprovider 5:vnpay"; l.Provider = "" }),
			with(func(l *translog.Leaf) { l.Status = "succeeded"; l.Provider = "\nprovider 5:vnpay" })},
		{"forged next field inside provider",
			with(func(l *translog.Leaf) { l.Provider = "vnpay\nprovider_ref 3:abc"; l.ProviderRef = "" }),
			with(func(l *translog.Leaf) { l.Provider = "vnpay"; l.ProviderRef = "abc" })},
		{"colon and digits",
			with(func(l *translog.Leaf) { l.Provider = "5:"; l.ProviderRef = "x" }),
			with(func(l *translog.Leaf) { l.Provider = ""; l.ProviderRef = "5:x" })},
		{"boundary between provider and ref",
			with(func(l *translog.Leaf) { l.Provider = "ab"; l.ProviderRef = "c" }),
			with(func(l *translog.Leaf) { l.Provider = "a"; l.ProviderRef = "bc" })},
		{"empty versus newline",
			with(func(l *translog.Leaf) { l.ProviderRef = "" }),
			with(func(l *translog.Leaf) { l.ProviderRef = "\n" })},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			if bytes.Equal(p.a.Bytes(), p.b.Bytes()) {
				t.Fatalf("two different leaves encode alike:\n%q", p.a.Bytes())
			}
			for _, l := range []translog.Leaf{p.a, p.b} {
				back, err := translog.ParseLeaf(l.Bytes())
				if err != nil {
					t.Fatalf("ParseLeaf: %v", err)
				}
				if !leafEqual(back, canonical(l)) {
					t.Fatalf("ParseLeaf(Bytes(l)) = %+v, want %+v", back, l)
				}
			}
		})
	}

	// Random leaves whose text fields are drawn from the format's own
	// alphabet: equal bytes must mean equal leaves.
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"", "\n", ":", " ", "1", "0", "provider ", "status 9:", "é"}
	seen := map[string]translog.Leaf{}
	for range 20000 {
		l := base
		pick := func() string {
			var sb strings.Builder
			for range r.IntN(4) {
				sb.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			return sb.String()
		}
		l.StallID = "s" + pick()
		l.Status = "x" + pick()
		l.Provider = pick()
		l.ProviderRef = pick()
		l.Amount = int64(r.IntN(3) + 1)
		b := string(l.Bytes())
		if old, ok := seen[b]; ok && !leafEqual(old, l) {
			t.Fatalf("collision: %+v and %+v both encode as %q", old, l, b)
		}
		seen[b] = l
	}
}

func canonical(l translog.Leaf) translog.Leaf {
	l.OccurredAt = translog.CanonicalTime(l.OccurredAt)
	return l
}

func TestLeafValidate(t *testing.T) {
	base := goldenLeaf(t)
	tests := []struct {
		name string
		mod  func(*translog.Leaf)
		ok   bool
	}{
		{"golden", func(*translog.Leaf) {}, true},
		{"refund", func(l *translog.Leaf) { l.Kind = translog.KindRefund }, true},
		{"empty provider and ref", func(l *translog.Leaf) { l.Provider, l.ProviderRef = "", "" }, true},
		{"unknown kind", func(l *translog.Leaf) { l.Kind = "transfer" }, false},
		{"upper-case id", func(l *translog.Leaf) { l.ID = strings.ToUpper(l.ID) }, false},
		{"id without hyphens", func(l *translog.Leaf) { l.ID = strings.ReplaceAll(l.ID, "-", "") }, false},
		{"empty stall", func(l *translog.Leaf) { l.StallID = "" }, false},
		{"zero amount", func(l *translog.Leaf) { l.Amount = 0 }, false},
		{"negative amount", func(l *translog.Leaf) { l.Amount = -5 }, false},
		{"empty status", func(l *translog.Leaf) { l.Status = "" }, false},
		{"zero time", func(l *translog.Leaf) { l.OccurredAt = time.Time{} }, false},
		{"year 10000", func(l *translog.Leaf) { l.OccurredAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, false},
		{"invalid UTF-8", func(l *translog.Leaf) { l.ProviderRef = "\xff" }, false},
		{"NUL", func(l *translog.Leaf) { l.Status = "ok\x00" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base
			tt.mod(&l)
			err := l.Validate()
			if tt.ok && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !tt.ok && !errors.Is(err, translog.ErrInvalid) {
				t.Fatalf("Validate: err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestParseLeafRejectsNonCanonical(t *testing.T) {
	tests := map[string]string{
		"empty":               "",
		"wrong version":       strings.Replace(goldenText, "/v1\n", "/v2\n", 1),
		"leading zero length": strings.Replace(goldenText, "kind 7:", "kind 07:", 1),
		"length too long":     strings.Replace(goldenText, "kind 7:", "kind 8:", 1),
		"length too short":    strings.Replace(goldenText, "kind 7:", "kind 6:", 1),
		"huge length":         strings.Replace(goldenText, "kind 7:", "kind 18446744073709551615:", 1),
		"signed length":       strings.Replace(goldenText, "kind 7:", "kind +7:", 1),
		"fields swapped":      strings.Replace(strings.Replace(goldenText, "provider 5:vnpay\n", "", 1), "provider_ref 11:VNP14200123\n", "provider_ref 11:VNP14200123\nprovider 5:vnpay\n", 1),
		"trailing byte":       goldenText + "\n",
		"missing last field":  strings.TrimSuffix(goldenText, "provider_ref 11:VNP14200123\n"),
		"amount leading zero": strings.Replace(goldenText, "amount 6:150000", "amount 7:0150000", 1),
		"amount plus":         strings.Replace(goldenText, "amount 6:150000", "amount 7:+150000", 1),
		"time nanoseconds":    strings.Replace(goldenText, "27:2025-01-01T20:04:05.123456Z", "30:2025-01-01T20:04:05.123456789Z", 1),
		"time offset":         strings.Replace(goldenText, "27:2025-01-01T20:04:05.123456Z", "32:2025-01-02T03:04:05.123456+07:00", 1),
		"CRLF":                strings.Replace(goldenText, "kind 7:payment\n", "kind 7:payment\r\n", 1),
		"invalid kind":        strings.Replace(goldenText, "kind 7:payment", "kind 7:PAYMENT", 1),
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := translog.ParseLeaf([]byte(text)); !errors.Is(err, translog.ErrMalformed) {
				t.Fatalf("ParseLeaf(%q): err = %v, want ErrMalformed", text, err)
			}
		})
	}
}

// FuzzParseLeaf checks that the parser accepts only canonical bytes: what
// it accepts re-encodes to exactly the input, so no leaf has two encodings.
func FuzzParseLeaf(f *testing.F) {
	f.Add([]byte(goldenText))
	f.Add([]byte(strings.Replace(goldenText, "vnpay", "a\nb::", 1)))
	f.Add([]byte(translog.LeafPrefix))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := translog.ParseLeaf(b)
		if err != nil {
			if !errors.Is(err, translog.ErrMalformed) {
				t.Fatalf("ParseLeaf error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("ParseLeaf accepted a leaf that fails Validate: %v", err)
		}
		if got := l.Bytes(); !bytes.Equal(got, b) {
			t.Fatalf("ParseLeaf(%q).Bytes() = %q", b, got)
		}
	})
}
