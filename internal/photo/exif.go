package photo

import (
	"encoding/binary"
	"image"
)

// Orientation reads the EXIF orientation (1–8) of a JPEG file: the
// rotation or mirroring a viewer must apply to show the photo upright.
// Android cameras commonly store the sensor's landscape pixels with
// orientation 6 for a portrait shot. Anything missing, malformed or out of
// range is 1 (as stored): the tag is a hint, never a reason to refuse.
//
// Only what is needed is parsed: the JPEG segments up to the first scan,
// the APP1 "Exif" segment's TIFF header and the entries of IFD0.
func Orientation(jpegData []byte) int {
	d := jpegData
	if len(d) < 4 || d[0] != 0xFF || d[1] != 0xD8 {
		return 1
	}
	d = d[2:]
	for len(d) >= 4 {
		if d[0] != 0xFF {
			return 1
		}
		marker := d[1]
		switch {
		case marker == 0xFF: // fill byte
			d = d[1:]
			continue
		case marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			d = d[2:] // markers without a length
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return 1
		}
		n := int(binary.BigEndian.Uint16(d[2:4]))
		if n < 2 || 2+n > len(d) {
			return 1
		}
		seg := d[4 : 2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		d = d[2+n:]
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of IFD0 of a TIFF structure, 0 when
// absent or invalid.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:4]) != 42 {
		return 0
	}
	off := int64(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	count := int64(bo.Uint16(t[off : off+2]))
	for i := range count {
		e := off + 2 + i*12
		if e+12 > int64(len(t)) {
			return 0
		}
		entry := t[e : e+12]
		if bo.Uint16(entry[0:2]) != 0x0112 {
			continue
		}
		// SHORT (3), one value, stored in the first two bytes of the value field.
		if bo.Uint16(entry[2:4]) != 3 || bo.Uint32(entry[4:8]) != 1 {
			return 0
		}
		if v := int(bo.Uint16(entry[8:10])); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}

// orient applies an EXIF orientation to img, returning the upright image
// (a new one unless o is 1). Orientations 5–8 swap width and height.
func orient(img *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		for x := range dw {
			// (sx, sy) is the stored pixel shown at (x, y).
			var sx, sy int
			switch o {
			case 2: // mirrored horizontally
				sx, sy = w-1-x, y
			case 3: // rotated 180°
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored vertically
				sx, sy = x, h-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // rotate 90° clockwise to show
				sx, sy = y, h-1-x
			case 7: // transversed
				sx, sy = w-1-y, h-1-x
			case 8: // rotate 90° counter-clockwise to show
				sx, sy = w-1-y, x
			}
			si := img.PixOffset(b.Min.X+sx, b.Min.Y+sy)
			di := dst.PixOffset(x, y)
			copy(dst.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return dst
}
