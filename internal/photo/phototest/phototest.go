// Package phototest makes test images: real JPEG, PNG and WebP files of a
// known picture, a phone-style JPEG carrying EXIF with a GPS position and an
// orientation, and a PNG header that claims a huge size (a decompression
// bomb) without the pixels.
package phototest

import (
	"bytes"
	"embed"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// Secret is the text hidden in the GPS block of WithGPS: a test asserts it
// does not survive processing.
const Secret = "GPS-SECRET-9.7787N-105.4711E"

// WebP files made with libwebp 1.2.4 (WebPEncodeRGB q75, WebPEncodeLosslessRGB,
// WebPEncodeRGBA q75) by testdata/gen.py: 96×64, left half red, right half
// blue, a green band on top; alpha.webp is transparent on its right quarter.
//
//go:embed testdata/*.webp
var webpFiles embed.FS

// WebP returns one of lossy.webp, lossless.webp or alpha.webp.
func WebP(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := webpFiles.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Picture is a w×h image whose orientation can be read back: the left half
// red, the right half blue and a green band along the top edge.
func Picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	band := max(1, h/8)
	for y := range h {
		for x := range w {
			c := color.RGBA{200, 30, 30, 255}
			if x >= w/2 {
				c = color.RGBA{30, 30, 200, 255}
			}
			if y < band {
				c = color.RGBA{30, 180, 30, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// JPEG encodes Picture(w, h).
func JPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, Picture(w, h), &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// PNG encodes Picture(w, h), with its right quarter transparent when alpha.
func PNG(tb testing.TB, w, h int, alpha bool) []byte {
	tb.Helper()
	img := Picture(w, h)
	if alpha {
		for y := range h {
			for x := w * 3 / 4; x < w; x++ {
				img.SetRGBA(x, y, color.RGBA{})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// WithGPS inserts, right after the SOI marker of a JPEG, the APP1 Exif
// segment a phone camera writes: IFD0 with the given orientation (0 for
// none), a make, and a GPS IFD with latitude/longitude references and
// Secret as its processing method.
func WithGPS(jpegData []byte, orientation int) []byte {
	be := binary.BigEndian
	var t bytes.Buffer
	t.WriteString("MM\x00\x2a")
	binary.Write(&t, be, uint32(8)) // IFD0 right after the header
	type entry struct {
		tag, typ uint16
		count    uint32
		value    [4]byte
	}
	short := func(v uint16) (b [4]byte) { be.PutUint16(b[:], v); return }
	long := func(v uint32) (b [4]byte) { be.PutUint32(b[:], v); return }
	ascii2 := func(s string) (b [4]byte) { copy(b[:], s); return }

	ifd0 := []entry{{0x010F, 2, 4, ascii2("ACM\x00")}} // Make
	if orientation != 0 {
		ifd0 = append(ifd0, entry{0x0112, 3, 1, short(uint16(orientation))})
	}
	ifd0 = append(ifd0, entry{0x8825, 4, 1, [4]byte{}}) // GPSInfo, offset below
	ifd0Size := 2 + 12*len(ifd0) + 4
	gpsOff := 8 + ifd0Size
	ifd0[len(ifd0)-1].value = long(uint32(gpsOff))
	method := "ASCII\x00\x00\x00" + Secret
	gps := []entry{
		{0x0001, 2, 2, ascii2("N\x00")},             // GPSLatitudeRef
		{0x0003, 2, 2, ascii2("E\x00")},             // GPSLongitudeRef
		{0x001B, 7, uint32(len(method)), [4]byte{}}, // GPSProcessingMethod, offset below
	}
	gpsSize := 2 + 12*len(gps) + 4
	gps[2].value = long(uint32(gpsOff + gpsSize))
	write := func(es []entry) {
		binary.Write(&t, be, uint16(len(es)))
		for _, e := range es {
			binary.Write(&t, be, e.tag)
			binary.Write(&t, be, e.typ)
			binary.Write(&t, be, e.count)
			t.Write(e.value[:])
		}
		binary.Write(&t, be, uint32(0)) // no next IFD
	}
	write(ifd0)
	write(gps)
	t.WriteString(method)

	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	be.PutUint16(seg[2:], uint16(2+len(payload)))
	seg = append(seg, payload...)
	out := append([]byte{}, jpegData[:2]...)
	out = append(out, seg...)
	return append(out, jpegData[2:]...)
}

// BombPNG is a PNG signature and IHDR chunk (valid CRC) declaring w×h
// pixels, followed by an IDAT chunk of junk: DecodeConfig believes it,
// Decode would try to allocate w×h×4 bytes.
func BombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		body := append([]byte(typ), data...)
		b.Write(body)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(body))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", bytes.Repeat([]byte{0x78}, 64))
	chunk("IEND", nil)
	return b.Bytes()
}
