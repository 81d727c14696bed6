package web

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
)

// Icon colours: the product green (white on it has a 6.9:1 contrast) and white.
var (
	iconGreen = color.RGBA{0x0a, 0x6b, 0x2e, 0xff}
	iconWhite = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// iconMotif is a stylised 11×11 QR code (three finder patterns and a few
// data modules), drawn in the middle of the icon. It matches static/icon.svg.
var iconMotif = [11]string{
	"###.#.#.###",
	"#.#...#.#.#",
	"###.#...###",
	"....##.#...",
	"#.#..#..#.#",
	".#.##.#.#..",
	"#...#.##.#.",
	"...#..#.##.",
	"###.#.#..##",
	"#.#..##.#..",
	"###.#..#.##",
}

// iconPNG draws the app icon at size×size: a full-bleed green square (so it
// works as a maskable icon: the motif stays inside the 80 % safe zone) with
// a white card carrying the motif in green. Generated at start-up rather
// than checked in, so the PWA icons and the SVG favicon share one design.
func iconPNG(size int) []byte {
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{iconGreen, iconWhite})
	// Card: 56 % of the icon, centred; motif: 11 modules inside a 1-module margin.
	card := size * 56 / 100
	off := (size - card) / 2
	mod := card / 13
	for y := off; y < off+card; y++ {
		for x := off; x < off+card; x++ {
			img.SetColorIndex(x, y, 1)
		}
	}
	start := off + (card-11*mod)/2
	for my, row := range iconMotif {
		for mx, c := range row {
			if c != '#' {
				continue
			}
			for y := start + my*mod; y < start+(my+1)*mod; y++ {
				for x := start + mx*mod; x < start+(mx+1)*mod; x++ {
					img.SetColorIndex(x, y, 0)
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory paletted image cannot fail
	}
	return buf.Bytes()
}

// iconSVG is the same icon as a scalable favicon: 25 units wide, the card
// 14 units, one unit per module.
func iconSVG() []byte {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 25 25"><rect width="25" height="25" fill="#0a6b2e"/>`)
	b.WriteString(`<rect x="5.5" y="5.5" width="14" height="14" fill="#fff"/><path fill="#0a6b2e" d="`)
	for y, row := range iconMotif {
		for x, c := range row {
			if c == '#' {
				b.WriteString("M" + strconv.Itoa(7+x) + " " + strconv.Itoa(7+y) + "h1v1h-1z")
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String())
}
