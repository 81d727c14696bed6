package vietqr

import (
	"math/rand/v2"
	"testing"
)

// crcBitwise is the textbook bit-at-a-time CRC-16/CCITT-FALSE, the
// reference the table-driven CRC16 is checked against.
func crcBitwise(data []byte) uint16 {
	c := uint16(0xFFFF)
	for _, b := range data {
		c ^= uint16(b) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
	}
	return c
}

func TestCRC16(t *testing.T) {
	tests := []struct {
		in   string
		want uint16
	}{
		{"", 0xFFFF},
		{"123456789", 0x29B1}, // the catalogue check value of CRC-16/CCITT-FALSE
		{v613[:len(v613)-4], 0x2E2E},
		{"00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN6304", 0x9E6F},
	}
	for _, tt := range tests {
		if got := CRC16([]byte(tt.in)); got != tt.want {
			t.Errorf("CRC16(%q) = %04X, want %04X", tt.in, got, tt.want)
		}
		if got := crc16String(tt.in); got != tt.want {
			t.Errorf("crc16String(%q) = %04X, want %04X", tt.in, got, tt.want)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		b := make([]byte, r.IntN(600))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if got, want := CRC16(b), crcBitwise(b); got != want {
			t.Fatalf("CRC16(% x) = %04X, bitwise %04X", b, got, want)
		}
	}
}
