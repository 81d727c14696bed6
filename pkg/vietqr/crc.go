package vietqr

// crcTables are the slicing-by-8 tables of CRC-16/CCITT-FALSE (poly 0x1021,
// MSB first): crcTables[0][b] is the CRC register update for byte b, and
// crcTables[k][b] the same followed by k zero bytes. Eight bytes per step
// make the checksum, which is most of Decode's work, about three times
// faster than the one-table loop.
var crcTables = func() (t [8][256]uint16) {
	for i := range t[0] {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			p := t[k-1][i]
			t[k][i] = p<<8 ^ t[0][p>>8]
		}
	}
	return t
}()

// CRC16 returns the CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no
// reflection, no final XOR) of data, the checksum EMVCo QR payloads carry in
// tag 63. For a payload it must cover everything up to and including "6304".
// The check value of "123456789" is 0x29B1.
func CRC16(data []byte) uint16 {
	return crc16(0xFFFF, data)
}

// crc16String is CRC16 over a string without copying it.
func crc16String(s string) uint16 {
	return crc16(0xFFFF, s)
}

func crc16[T string | []byte](c uint16, d T) uint16 {
	t := &crcTables
	for len(d) >= 8 {
		c ^= uint16(d[0])<<8 | uint16(d[1])
		c = t[7][c>>8] ^ t[6][c&0xFF] ^ t[5][d[2]] ^ t[4][d[3]] ^
			t[3][d[4]] ^ t[2][d[5]] ^ t[1][d[6]] ^ t[0][d[7]]
		d = d[8:]
	}
	for i := 0; i < len(d); i++ {
		c = c<<8 ^ t[0][byte(c>>8)^d[i]]
	}
	return c
}

const upperHex = "0123456789ABCDEF"

// appendCRC appends c as 4 upper-case hex digits.
func appendCRC(b []byte, c uint16) []byte {
	return append(b, upperHex[c>>12], upperHex[c>>8&0xF], upperHex[c>>4&0xF], upperHex[c&0xF])
}

// parseHex4 reads 4 hex digits of either case.
func parseHex4(s string) (v uint16, upper, ok bool) {
	upper = true
	for i := 0; i < 4; i++ {
		c := s[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
			upper = false
		default:
			return 0, false, false
		}
		v = v<<4 | uint16(d)
	}
	return v, upper, true
}
