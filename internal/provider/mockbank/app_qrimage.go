package mockbank

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"time"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/market4/market4/pkg/vietqr"
)

// Limits on an uploaded QR image. 2 MB holds any phone screenshot as PNG
// and any photo as JPEG; the pixel limits stop a small file that claims a
// huge picture (a "decompression bomb") before anything is allocated.
const (
	maxUploadBytes = 2 << 20
	maxImageSide   = 8192
	maxImagePixels = 16 << 20
	// scanBudget bounds the CPU one image may take: the attempts below stop
	// once it is spent.
	scanBudget = 4 * time.Second
)

// Reasons an image yields no payload. The handlers turn them into the
// Vietnamese messages of app_errors.go.
var (
	errImageFormat   = errors.New("mockbank: not a PNG or JPEG image")
	errImageTooLarge = errors.New("mockbank: image has too many pixels")
	errImageCorrupt  = errors.New("mockbank: image cannot be decoded")
	errNoQR          = errors.New("mockbank: no QR code found in the image")
)

// readQRImage finds the QR codes in a PNG or JPEG and returns their texts,
// a valid VietQR first when there is one. The image may be a screenshot in
// which the code is a small part: codes are searched for anywhere, at full
// and at half resolution, dark-on-light and inverted (dark mode), with two
// binarizers, until a VietQR turns up or the attempts or the budget run out.
//
// Errors: errImageFormat, errImageTooLarge, errImageCorrupt, errNoQR.
func readQRImage(data []byte) ([]string, error) {
	var decodeConfig func([]byte) (image.Config, error)
	var decode func([]byte) (image.Image, error)
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	default:
		return nil, errImageFormat
	}
	cfg, err := decodeConfig(data)
	if err != nil {
		return nil, errImageCorrupt
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxImageSide || cfg.Height > maxImageSide ||
		cfg.Width*cfg.Height > maxImagePixels {
		return nil, errImageTooLarge
	}
	img, err := decode(data)
	if err != nil {
		return nil, errImageCorrupt
	}
	texts := scanPlane(luminance(img), time.Now().Add(scanBudget))
	if len(texts) == 0 {
		return nil, errNoQR
	}
	return texts, nil
}

// plane is a greyscale picture, one byte of luminance per pixel, row by row.
type plane struct {
	pix  []byte
	w, h int
}

// scanPlane runs the decoding attempts. It returns every distinct text
// found, stopping early at the first valid VietQR, which it puts first.
func scanPlane(p plane, deadline time.Time) []string {
	var found []string
	add := func(s string) bool {
		s = strings.TrimSpace(s)
		if s == "" {
			return false
		}
		for _, f := range found {
			if f == s {
				return false
			}
		}
		if _, err := vietqr.Decode(s); err == nil {
			found = append([]string{s}, found...)
			return true
		}
		found = append(found, s)
		return false
	}
	planes := []plane{p}
	if min(p.w, p.h) >= 600 {
		// Photos and large screenshots: halving removes noise and JPEG
		// blocking that can break the finder patterns at full size.
		planes = append(planes, halve(p))
	}
	binarizers := []func(gozxing.LuminanceSource) gozxing.Binarizer{
		gozxing.NewHybridBinarizer,         // local thresholds: uneven light, busy screenshots
		gozxing.NewGlobalHistgramBinarizer, // one threshold: clean renders with large flat areas
	}
	for _, pl := range planes {
		for _, inverted := range []bool{false, true} {
			for _, bin := range binarizers {
				for _, s := range decodeQR(pl, inverted, bin) {
					if add(s) {
						return found
					}
				}
				if time.Now().After(deadline) {
					return found
				}
			}
		}
	}
	return found
}

// decodeQR is one attempt: every QR the multi-reader finds, else the one
// the single reader finds (it pairs finder patterns differently and
// sometimes succeeds where the other does not). gozxing is a port of Java
// code that was not written for hostile input, so a panic counts as
// "nothing found" rather than taking the request down.
func decodeQR(p plane, inverted bool, newBinarizer func(gozxing.LuminanceSource) gozxing.Binarizer) (texts []string) {
	defer func() {
		if recover() != nil {
			texts = nil
		}
	}()
	src, err := gozxing.NewPlanarYUVLuminanceSource(p.pix, p.w, p.h, 0, 0, p.w, p.h, false)
	if err != nil {
		return nil
	}
	if inverted {
		src = src.Invert()
	}
	bmp, err := gozxing.NewBinaryBitmap(newBinarizer(src))
	if err != nil {
		return nil
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	results, _ := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, hints)
	for _, r := range results {
		texts = append(texts, r.GetText())
	}
	if len(texts) == 0 {
		if r, err := qrcode.NewQRCodeReader().Decode(bmp, hints); err == nil {
			texts = append(texts, r.GetText())
		}
	}
	return texts
}

// luminance converts an image to a plane, painting transparency white (a
// PNG screenshot with a transparent background shows white in every
// viewer). The formats the PNG and JPEG decoders produce most have fast
// paths; the rest go through the generic colour interface.
func luminance(img image.Image) plane {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]byte, w*h)
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
		}
	case *image.YCbCr: // JPEG: Y is the luminance
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], m.Y[y*m.YStride:y*m.YStride+w])
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := 0; x < w; x++ {
				r, g, bl, a := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]), uint32(row[4*x+3])
				l := (299*r + 587*g + 114*bl) / 1000
				out[y*w+x] = byte((l*a + 255*(255-a)) / 255)
			}
		}
	case *image.RGBA: // premultiplied: add the white showing through
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := 0; x < w; x++ {
				r, g, bl, a := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]), uint32(row[4*x+3])
				out[y*w+x] = byte(min(255, (299*r+587*g+114*bl)/1000+255-a))
			}
		}
	default:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, a := img.At(x, y).RGBA() // premultiplied, 16 bits
				l := (299*r + 587*g + 114*bl) / 1000
				out[i] = byte(min(0xffff, l+0xffff-a) >> 8)
				i++
			}
		}
	}
	return plane{pix: out, w: w, h: h}
}

// halve averages 2×2 blocks.
func halve(p plane) plane {
	w, h := p.w/2, p.h/2
	out := make([]byte, w*h)
	for y := 0; y < h; y++ {
		r0 := p.pix[2*y*p.w:]
		r1 := p.pix[(2*y+1)*p.w:]
		for x := 0; x < w; x++ {
			s := uint32(r0[2*x]) + uint32(r0[2*x+1]) + uint32(r1[2*x]) + uint32(r1[2*x+1])
			out[y*w+x] = byte(s / 4)
		}
	}
	return plane{pix: out, w: w, h: h}
}
