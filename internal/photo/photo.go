// Package photo turns an uploaded product photo into what the platform
// stores and serves: a JPEG of at most MaxEdge pixels on its long edge and
// a Thumb-pixel thumbnail, both freshly encoded, so nothing of the upload
// but its pixels survives. Re-encoding strips every metadata block (EXIF,
// XMP, ICC, PNG text chunks), including the GPS position a phone camera
// writes into its photos; the EXIF orientation is applied to the pixels
// first, so a portrait photo stays upright once its EXIF is gone.
//
// Input is untrusted: the format is sniffed from the bytes (JPEG, PNG or
// WebP; the declared Content-Type is not believed), the dimensions are read
// from the header and refused above MaxSide or MaxPixels before any pixel
// is decoded (a 50 KB PNG can claim 60,000 × 60,000 pixels), and a decoder
// panic is an invalid image, never a crash.
//
// The package does no I/O and holds no state; callers bound how many
// Process calls run at once (each may hold ~4 bytes per source pixel).
package photo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits on what Process accepts and produces.
const (
	// MaxSide and MaxPixels bound the source's dimensions, checked on the
	// header before decoding: 40 megapixels is above any phone camera a
	// market producer uses (13–16 MP typical) and decodes in ~160 MB at most.
	MaxSide   = 8000
	MaxPixels = 40_000_000
	// MaxEdge is the long edge of the stored photo: sharp on any phone
	// screen and on the detail page, ~150–350 KB as JPEG.
	MaxEdge = 1600
	// Thumb is the long edge of the thumbnail shown in lists (catalogue
	// cards, the stall page): ~15–30 KB, cheap on 3G.
	Thumb = 400
	// Quality is the JPEG quality of both encodings.
	Quality = 82
	// ContentType is what Process produces.
	ContentType = "image/jpeg"
)

// Format names the source formats Process reads.
type Format string

// The accepted source formats.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	WebP Format = "webp"
)

// Errors of Process. Every one means the upload is at fault.
var (
	// ErrEmpty: no bytes at all.
	ErrEmpty = errors.New("photo: empty")
	// ErrFormat: the bytes are not a JPEG, PNG or WebP file.
	ErrFormat = errors.New("photo: not a JPEG, PNG or WebP image")
	// ErrTooBig: the header declares dimensions over MaxSide or MaxPixels.
	ErrTooBig = errors.New("photo: dimensions over the limit")
	// ErrCorrupt: the header or the pixel data cannot be decoded.
	ErrCorrupt = errors.New("photo: cannot be decoded")
)

// Image is one encoded picture.
type Image struct {
	JPEG          []byte
	Width, Height int
	// SHA256 is the hex SHA-256 of JPEG: a strong validator and the
	// identity of the content (the same upload always encodes the same).
	SHA256 string
}

// Result is a processed upload.
type Result struct {
	Source      Format
	Orientation int // the EXIF orientation applied (1 = none)
	Photo       Image
	Thumb       Image
}

// Sniff returns the format of data from its magic bytes, or "" when it is
// none of the accepted ones.
func Sniff(data []byte) Format {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return JPEG
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return WebP
	}
	return ""
}

// Process validates and re-encodes an upload. Errors wrap ErrEmpty,
// ErrFormat, ErrTooBig or ErrCorrupt, with a message fit for the uploader.
func Process(data []byte) (res *Result, err error) {
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	f := Sniff(data)
	if f == "" {
		return nil, ErrFormat
	}
	// A decoder bug on crafted input must cost one refused upload, not the
	// server: x/image and the standard decoders have had such panics.
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, fmt.Errorf("%w: decoder failed on this %s file", ErrCorrupt, f)
		}
	}()
	cfg, err := decodeConfig(f, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrCorrupt, f, err)
	}
	if err := CheckSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	src, err := decode(f, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s data: %v", ErrCorrupt, f, err)
	}
	res = &Result{Source: f, Orientation: 1}
	if f == JPEG {
		res.Orientation = Orientation(data)
	}
	big := scaleOnWhite(src, MaxEdge)
	small := scaleOnWhite(big, Thumb)
	big, small = orient(big, res.Orientation), orient(small, res.Orientation)
	if res.Photo, err = encode(big); err != nil {
		return nil, err
	}
	if res.Thumb, err = encode(small); err != nil {
		return nil, err
	}
	return res, nil
}

// CheckSize refuses dimensions over the limits (or not positive).
func CheckSize(w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("%w: the image has no pixels (%d×%d)", ErrCorrupt, w, h)
	case w > MaxSide || h > MaxSide:
		return fmt.Errorf("%w: %d×%d pixels; at most %d pixels on each side", ErrTooBig, w, h, MaxSide)
	case int64(w)*int64(h) > MaxPixels:
		return fmt.Errorf("%w: %d×%d pixels; at most %d megapixels", ErrTooBig, w, h, MaxPixels/1_000_000)
	}
	return nil
}

func decodeConfig(f Format, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	default:
		return webp.DecodeConfig(r)
	}
}

func decode(f Format, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		return jpeg.Decode(r)
	case PNG:
		return png.Decode(r)
	default:
		return webp.Decode(r)
	}
}

// fit returns w×h scaled down so the long edge is at most edge (never up),
// keeping the aspect ratio and at least one pixel per side.
func fit(w, h, edge int) (int, int) {
	if w <= edge && h <= edge {
		return w, h
	}
	if w >= h {
		return edge, max(1, int((int64(h)*int64(edge)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(edge)+int64(h)/2)/int64(h))), edge
}

// scaleOnWhite draws src, scaled to fit edge, onto an opaque white RGBA
// canvas: JPEG has no transparency, and white is how a transparent product
// cut-out looks on the pages. A large source is first averaged down by the
// largest whole factor that keeps it at least edge long (a box filter: no
// aliasing, and 4–6× cheaper than a kernel over every source pixel); the
// remaining ratio, under 2, is Catmull-Rom, which keeps edges sharp.
func scaleOnWhite(src image.Image, edge int) *image.RGBA {
	b := src.Bounds()
	if k := max(b.Dx(), b.Dy()) / edge; k >= 2 {
		src = shrink(src, k)
		b = src.Bounds()
	}
	w, h := fit(b.Dx(), b.Dy(), edge)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	op := draw.Src
	if o, ok := src.(interface{ Opaque() bool }); !ok || !o.Opaque() {
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		op = draw.Over
	}
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Bounds(), src, b.Min, op)
		return dst
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, op, nil)
	return dst
}

func encode(img *image.RGBA) (Image, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: Quality}); err != nil {
		return Image{}, fmt.Errorf("photo: encode: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	b := img.Bounds()
	return Image{JPEG: buf.Bytes(), Width: b.Dx(), Height: b.Dy(), SHA256: hex.EncodeToString(sum[:])}, nil
}
