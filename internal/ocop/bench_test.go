package ocop

import (
	"crypto/rand"
	"testing"
)

// BenchmarkVerify measures what the public verification endpoint and an
// offline app do per scan: parse the URL and check its signature.
func BenchmarkVerify(b *testing.B) {
	kr := testRing(b)
	signed, err := kr.Sign(mustGS1(b, "L2026A", "7KX9M2QH4TZZ"), testNow)
	if err != nil {
		b.Fatal(err)
	}
	raw := signed.String()
	b.ReportAllocs()
	for b.Loop() {
		l, err := ParseLink(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := kr.Verify(l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign measures stamp generation: sign and format one link.
func BenchmarkSign(b *testing.B) {
	kr := testRing(b)
	l := mustGS1(b, "L2026A", "7KX9M2QH4TZZ")
	b.ReportAllocs()
	for b.Loop() {
		s, err := kr.Sign(l, testNow)
		if err != nil {
			b.Fatal(err)
		}
		_ = s.String()
	}
}

// BenchmarkParseLink measures parsing alone, the cost paid for every
// request, genuine or not, before any signature work.
func BenchmarkParseLink(b *testing.B) {
	kr := testRing(b)
	signed, _ := kr.Sign(mustGS1(b, "L/2026", "7KX9M2QH4TZZ"), testNow)
	raw := signed.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseLink(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewSerial(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewSerial(rand.Reader, SerialLen); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerdict(b *testing.B) {
	in := genuineInput()
	in.Previous = devices(20)
	b.ReportAllocs()
	for b.Loop() {
		Verdict(in)
	}
}

func BenchmarkFold(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Fold("Trà sen Tây Hồ – Đặc sản Hà Nội")
	}
}

// BenchmarkVerifySignature compares the signature check alone with
// crypto/ed25519 and with the precomputed key curve25519-voi gives
// (verifySig, same acceptance rules).
func BenchmarkVerifySignature(b *testing.B) {
	kr := testRing(b)
	signed, err := kr.Sign(mustGS1(b, "L2026A", "7KX9M2QH4TZZ"), testNow)
	if err != nil {
		b.Fatal(err)
	}
	k := kr.byID[signed.KeyID]
	msg := appendMessage(nil, signed, signed.KeyID)
	b.Run("crypto-ed25519", func(b *testing.B) {
		for b.Loop() {
			if !verifySig(k.Public, nil, msg, signed.Sig) {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("voi-expanded", func(b *testing.B) {
		x := kr.expanded[k.ID]
		if x == nil {
			b.Fatal("no expanded key")
		}
		for b.Loop() {
			if !verifySig(k.Public, x, msg, signed.Sig) {
				b.Fatal("rejected")
			}
		}
	})
}
