package photo

import (
	"image"
	"image/color"

	"golang.org/x/image/draw"
)

// shrink averages every k×k block of src into one pixel of a new,
// premultiplied RGBA image of (w/k)×(h/k) pixels (the last w mod k columns
// and h mod k rows, under k pixels, are dropped). JPEG (YCbCr), RGBA and
// NRGBA sources are read in place; other kinds are converted to RGBA first.
func shrink(src image.Image, k int) *image.RGBA {
	b := src.Bounds()
	dw, dh := b.Dx()/k, b.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	n := uint32(k * k)
	if y, ok := src.(*image.YCbCr); ok {
		for dy := range dh {
			for dx := range dw {
				var r, g, bl uint32
				for yy := range k {
					sy := b.Min.Y + dy*k + yy
					for xx := range k {
						sx := b.Min.X + dx*k + xx
						yi, ci := y.YOffset(sx, sy), y.COffset(sx, sy)
						cr, cg, cb := color.YCbCrToRGB(y.Y[yi], y.Cb[ci], y.Cr[ci])
						r, g, bl = r+uint32(cr), g+uint32(cg), bl+uint32(cb)
					}
				}
				i := dst.PixOffset(dx, dy)
				dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(r/n), uint8(g/n), uint8(bl/n), 0xFF
			}
		}
		return dst
	}
	if nr, ok := src.(*image.NRGBA); ok { // PNG with alpha: premultiply while summing
		for dy := range dh {
			for dx := range dw {
				var sum [4]uint32
				for yy := range k {
					i := nr.PixOffset(b.Min.X+dx*k, b.Min.Y+dy*k+yy)
					for range k {
						a := uint32(nr.Pix[i+3])
						sum[0] += uint32(nr.Pix[i]) * a / 0xFF
						sum[1] += uint32(nr.Pix[i+1]) * a / 0xFF
						sum[2] += uint32(nr.Pix[i+2]) * a / 0xFF
						sum[3] += a
						i += 4
					}
				}
				i := dst.PixOffset(dx, dy)
				dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(sum[0]/n), uint8(sum[1]/n), uint8(sum[2]/n), uint8(sum[3]/n)
			}
		}
		return dst
	}
	// Anything else (grey, paletted, 16-bit PNG, CMYK JPEG) is converted
	// first: rarer, and costs one RGBA copy.
	rgba, ok := src.(*image.RGBA)
	if !ok {
		rgba = image.NewRGBA(b)
		draw.Draw(rgba, b, src, b.Min, draw.Src)
	}
	for dy := range dh {
		for dx := range dw {
			var sum [4]uint32
			for yy := range k {
				i := rgba.PixOffset(b.Min.X+dx*k, b.Min.Y+dy*k+yy)
				for range k {
					sum[0] += uint32(rgba.Pix[i])
					sum[1] += uint32(rgba.Pix[i+1])
					sum[2] += uint32(rgba.Pix[i+2])
					sum[3] += uint32(rgba.Pix[i+3])
					i += 4
				}
			}
			i := dst.PixOffset(dx, dy)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(sum[0]/n), uint8(sum[1]/n), uint8(sum[2]/n), uint8(sum[3]/n)
		}
	}
	return dst
}
