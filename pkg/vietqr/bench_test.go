package vietqr

import "testing"

// benchPayload is what Market4 encodes for a dynamic stall payment.
var benchPayload = Payload{
	Dynamic:       true,
	BIN:           "970436",
	AccountNumber: "0011012345678",
	Amount:        "180000",
	BillNumber:    "M4K3Q8ZP2A",
	Purpose:       "M4K3Q8ZP2A Thanh toan",
}

func BenchmarkEncode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(benchPayload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeVietnamese includes transliteration of the purpose.
func BenchmarkEncodeVietnamese(b *testing.B) {
	p := benchPayload
	p.Purpose = "M4K3Q8ZP2A Thanh toán đơn"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(v613)))
	for b.Loop() {
		if _, err := Decode(v613); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeInvalid is the cost of rejecting junk on a public endpoint.
func BenchmarkDecodeInvalid(b *testing.B) {
	bad := v613[:len(v613)-1] + "F"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(bad); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkPNG(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PNG(v613, 512); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSVG(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SVG(v613); err != nil {
			b.Fatal(err)
		}
	}
}
