package vietqr

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"

	"github.com/skip2/go-qrcode"
)

// Rendering decisions.
//
// Error correction: level Q (25 % of codewords recoverable; go-qrcode calls
// it "High"). Market4's codes are mostly printed and taped to stalls where
// they get wet, creased, sun-bleached and splashed with fish sauce, and are
// scanned by budget phones in poor light. Level M (15 %) is what most
// generators use and is fine on a phone screen, but the cost of Q is small
// for VietQR (sizes measured with this encoder, quiet zone excluded): a
// static stall code (~90 bytes) is version 5 at Q (37×37 modules) against
// version 4 at M (33×33), and a dynamic code with amount and order code
// (~120–150 bytes) is version 7–9 at Q (45–53 modules) against 5–7 at M.
// Printed 5 cm wide, such a code (quiet zone included) still has modules
// of 0.8–1.1 mm, well within what any phone camera resolves. Level H (30 %)
// adds another version or two for a gain that mostly matters for logos
// drawn over the code, which we do not draw.
//
// Module size: PNG draws every module as the same whole number of pixels,
// the largest that fits size with the 4-module quiet zone the standard
// requires, and centres the symbol (left-over pixels widen the white
// margin). Fractional scaling would make some modules a pixel wider than
// others, which cheap scanners misread at small sizes. SVG uses one user
// unit per module, so it scales exactly at any size.
const ecLevel = qrcode.High

// Limits on PNG's size argument, in pixels. Below 128 pixels a long payload
// would get modules of a single pixel; above 2048 pixels nothing is gained
// and a public endpoint would be easy to abuse.
const (
	MinPNGSize = 128
	MaxPNGSize = 2048
)

// svgModulePixels is the nominal size of one module in SVG's width and
// height attributes; CSS may override it since the image has a viewBox.
const svgModulePixels = 8

// symbol validates payload and returns the QR modules, quiet zone included.
// It does not check that payload is a valid VietQR: call Decode first when
// the payload comes from outside.
func symbol(payload string) ([][]bool, error) {
	if payload == "" {
		return nil, encodeErr(RuleRequired, "", "payload", "payload is empty")
	}
	if len(payload) > MaxPayloadLen {
		return nil, encodeErr(RuleTooLong, "", "payload",
			fmt.Sprintf("payload is %d bytes; limit %d", len(payload), MaxPayloadLen))
	}
	for i := 0; i < len(payload); i++ {
		if !isPrint(payload[i]) {
			// QR byte mode has no reliable charset signal; readers would
			// guess Latin-1 and mangle UTF-8, so only ASCII is drawn.
			e := encodeErr(RuleNonASCII, "", "payload",
				fmt.Sprintf("byte 0x%02X is not printable ASCII", payload[i]))
			e.Offset = i
			return nil, e
		}
	}
	q, err := qrcode.New(payload, ecLevel)
	if err != nil { // unreachable: 512 bytes fit version 20-Q
		return nil, encodeErr(RuleTooLong, "", "payload", err.Error())
	}
	return q.Bitmap(), nil
}

// PNG renders payload as a black-on-white QR code in a size×size PNG
// (1-bit greyscale: about 1.5 KB at 512 pixels), with the
// quiet zone kept. size must be in [MinPNGSize, MaxPNGSize]. See the
// rendering decisions above for the error correction level and module size.
//
// Errors (Rule, Field "payload" or "size"): required, too_long, non_ascii,
// bad_size.
func PNG(payload string, size int) ([]byte, error) {
	if size < MinPNGSize || size > MaxPNGSize {
		return nil, encodeErr(RuleBadSize, "", "size",
			fmt.Sprintf("size %d is outside %d–%d pixels", size, MinPNGSize, MaxPNGSize))
	}
	mods, err := symbol(payload)
	if err != nil {
		return nil, err
	}
	n := len(mods)
	scale := size / n
	if scale < 1 { // unreachable: 512 bytes at Q is 105 modules with the quiet zone
		return nil, encodeErr(RuleBadSize, "", "size",
			fmt.Sprintf("size %d is smaller than the %d modules of the symbol", size, n))
	}
	return encodePNG(mods, size, scale, (size-scale*n)/2)
}

// pngBuffers holds the scratch space of one PNG encoding (mostly the
// deflate compressor's tables), reused across calls so that a busy /qr.png
// endpoint does not churn the heap.
type pngBuffers struct {
	idat bytes.Buffer
	zw   *zlib.Writer
	row  []byte
}

// pngFree is a small free list of pngBuffers. It is a channel rather than
// a sync.Pool because go-qrcode allocates so much per symbol that GC runs
// every few renders and would empty a sync.Pool each time; at most
// cap(pngFree) buffers are kept.
var pngFree = make(chan *pngBuffers, 4)

func getPNGBuffers() *pngBuffers {
	select {
	case b := <-pngFree:
		return b
	default:
		b := new(pngBuffers)
		b.zw, _ = zlib.NewWriterLevel(&b.idat, zlib.BestSpeed) // valid level: no error
		return b
	}
}

func putPNGBuffers(b *pngBuffers) {
	select {
	case pngFree <- b:
	default:
	}
}

// encodePNG writes a 1-bit greyscale PNG directly: every image row of one
// module row is identical, so rows are built once and written scale times,
// and no size×size image is ever held in memory.
func encodePNG(mods [][]bool, size, scale, off int) ([]byte, error) {
	bufs := getPNGBuffers()
	defer putPNGBuffers(bufs)
	bufs.idat.Reset()
	bufs.zw.Reset(&bufs.idat)

	// Each image row is a filter byte and size bits (1 = white). A row
	// equal to the one above is written with the Up filter as all zeros,
	// which deflate compresses to almost nothing at its fastest level.
	stride := 1 + (size+7)/8
	if cap(bufs.row) < 2*stride {
		bufs.row = make([]byte, 2*stride)
	}
	row, same := bufs.row[:stride], bufs.row[stride:2*stride]
	clear(same)
	same[0] = 2 // filter: Up
	white := func() {
		row[0] = 0 // filter: None
		for i := 1; i < stride; i++ {
			row[i] = 0xFF
		}
	}
	band := func(height int) error { // row, then height-1 copies of it
		if height <= 0 {
			return nil
		}
		if _, err := bufs.zw.Write(row); err != nil {
			return err
		}
		for range height - 1 {
			if _, err := bufs.zw.Write(same); err != nil {
				return err
			}
		}
		return nil
	}
	white()
	if err := band(off); err != nil {
		return nil, err
	}
	for _, line := range mods {
		white()
		for x, dark := range line {
			if !dark {
				continue
			}
			for px := off + x*scale; px < off+(x+1)*scale; px++ {
				row[1+px>>3] &^= 0x80 >> (px & 7)
			}
		}
		if err := band(scale); err != nil {
			return nil, err
		}
	}
	white()
	if err := band(size - off - len(mods)*scale); err != nil {
		return nil, err
	}
	if err := bufs.zw.Close(); err != nil {
		return nil, err
	}

	out := make([]byte, 0, 8+25+12+bufs.idat.Len()+12)
	out = append(out, "\x89PNG\r\n\x1a\n"...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(size))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(size))
	ihdr[8] = 1 // bit depth
	ihdr[9] = 0 // colour type: greyscale
	// compression, filter and interlace methods: 0
	out = appendChunk(out, "IHDR", ihdr[:])
	out = appendChunk(out, "IDAT", bufs.idat.Bytes())
	out = appendChunk(out, "IEND", nil)
	return out, nil
}

// appendChunk appends one PNG chunk: length, type, data, CRC-32 of type+data.
func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// SVG renders payload as a QR code in SVG: a white background and a single
// <path> of dark modules, one user unit per module, quiet zone included,
// with shape-rendering="crispEdges" so that it stays sharp at any scale. It
// has no XML prolog, so it can be inlined in HTML as well as served as
// image/svg+xml. Its width and height are 8 pixels per module; CSS may
// resize it since it carries a viewBox.
//
// Errors (Rule, Field "payload"): required, too_long, non_ascii.
func SVG(payload string) ([]byte, error) {
	mods, err := symbol(payload)
	if err != nil {
		return nil, err
	}
	n := len(mods)
	b := make([]byte, 0, 320+n*n)
	b = append(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `" width="`...)
	b = strconv.AppendInt(b, int64(n*svgModulePixels), 10)
	b = append(b, `" height="`...)
	b = strconv.AppendInt(b, int64(n*svgModulePixels), 10)
	b = append(b, `" shape-rendering="crispEdges"><rect width="`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `" height="`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `" fill="#fff"/><path fill="#000" d="`...)
	for y, line := range mods {
		for x := 0; x < n; {
			if !line[x] {
				x++
				continue
			}
			start := x
			for x < n && line[x] {
				x++
			}
			// One horizontal run of dark modules: a w×1 rectangle.
			b = append(b, 'M')
			b = strconv.AppendInt(b, int64(start), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(y), 10)
			b = append(b, 'h')
			b = strconv.AppendInt(b, int64(x-start), 10)
			b = append(b, "v1h-"...)
			b = strconv.AppendInt(b, int64(x-start), 10)
			b = append(b, 'z')
		}
	}
	b = append(b, `"/></svg>`...)
	return b, nil
}
