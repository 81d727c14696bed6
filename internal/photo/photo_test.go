package photo_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"github.com/market4/market4/internal/photo"
	"github.com/market4/market4/internal/photo/phototest"
)

// decoded reads a processed JPEG back.
func decoded(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("output is not a JPEG: %v", err)
	}
	return img
}

// near reports whether c is within tol of want on every channel (JPEG is lossy).
func near(c color.Color, want color.RGBA, tol int) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { x := int(a>>8) - int(w); return x >= -tol && x <= tol }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

var (
	red   = color.RGBA{200, 30, 30, 255}
	blue  = color.RGBA{30, 30, 200, 255}
	green = color.RGBA{30, 180, 30, 255}
	white = color.RGBA{255, 255, 255, 255}
)

// checkUpright asserts img shows phototest.Picture upright: green band on
// top, red on the left, blue on the right.
func checkUpright(t *testing.T, img image.Image) {
	t.Helper()
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	for _, c := range []struct {
		x, y int
		want color.RGBA
		what string
	}{
		{w / 2, h / 32, green, "top band"},
		{w / 8, h * 3 / 4, red, "lower left"},
		{w * 5 / 8, h * 3 / 4, blue, "lower right"},
	} {
		if got := img.At(b.Min.X+c.x, b.Min.Y+c.y); !near(got, c.want, 40) {
			t.Errorf("%s at (%d,%d) of %d×%d = %v, want ≈ %v", c.what, c.x, c.y, w, h, got, c.want)
		}
	}
}

func TestProcessFormats(t *testing.T) {
	for _, tt := range []struct {
		name        string
		data        []byte
		format      photo.Format
		w, h        int // of the stored photo
		tw, th      int // of the thumbnail
		transparent bool
	}{
		{"small JPEG kept at its size", phototest.JPEG(t, 640, 480), photo.JPEG, 640, 480, 400, 300, false},
		{"large JPEG scaled to 1600", phototest.JPEG(t, 3200, 2400), photo.JPEG, 1600, 1200, 400, 300, false},
		{"portrait PNG", phototest.PNG(t, 900, 2000, false), photo.PNG, 720, 1600, 180, 400, false},
		{"PNG with transparency", phototest.PNG(t, 800, 600, true), photo.PNG, 800, 600, 400, 300, true},
		{"large PNG with transparency", phototest.PNG(t, 3300, 1000, true), photo.PNG, 1600, 485, 400, 121, true},
		{"large opaque PNG", phototest.PNG(t, 3300, 1000, false), photo.PNG, 1600, 485, 400, 121, false},
		{"lossy WebP", phototest.WebP(t, "lossy.webp"), photo.WebP, 96, 64, 96, 64, false},
		{"lossless WebP", phototest.WebP(t, "lossless.webp"), photo.WebP, 96, 64, 96, 64, false},
		{"WebP with alpha", phototest.WebP(t, "alpha.webp"), photo.WebP, 96, 64, 96, 64, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := photo.Process(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if res.Source != tt.format {
				t.Errorf("source = %q, want %q", res.Source, tt.format)
			}
			for _, c := range []struct {
				what string
				img  photo.Image
				w, h int
			}{{"photo", res.Photo, tt.w, tt.h}, {"thumb", res.Thumb, tt.tw, tt.th}} {
				if c.img.Width != c.w || c.img.Height != c.h {
					t.Errorf("%s is %d×%d, want %d×%d", c.what, c.img.Width, c.img.Height, c.w, c.h)
				}
				img := decoded(t, c.img.JPEG)
				if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
					t.Errorf("%s decodes as %v", c.what, b)
				}
				checkUpright(t, img)
				if tt.transparent {
					b := img.Bounds()
					if got := img.At(b.Max.X-2, b.Max.Y-2); !near(got, white, 12) {
						t.Errorf("%s: transparent corner = %v, want white", c.what, got)
					}
				}
				if len(c.img.SHA256) != 64 {
					t.Errorf("%s sha256 = %q", c.what, c.img.SHA256)
				}
			}
			if res.Thumb.SHA256 == res.Photo.SHA256 && tt.w > photo.Thumb {
				t.Error("thumbnail is the photo")
			}
			again, err := photo.Process(tt.data)
			if err != nil || again.Photo.SHA256 != res.Photo.SHA256 || again.Thumb.SHA256 != res.Thumb.SHA256 {
				t.Error("processing the same upload twice gives different bytes")
			}
		})
	}
}

// TestProcessGrey: a greyscale JPEG (decoded as image.Gray, converted
// before shrinking) comes out grey.
func TestProcessGrey(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3300, 1000))
	for i := range g.Pix {
		g.Pix[i] = 0x80
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, g, nil); err != nil {
		t.Fatal(err)
	}
	res, err := photo.Process(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if res.Photo.Width != 1600 || res.Photo.Height != 485 {
		t.Fatalf("photo is %d×%d", res.Photo.Width, res.Photo.Height)
	}
	if got := decoded(t, res.Thumb.JPEG).At(100, 60); !near(got, color.RGBA{0x80, 0x80, 0x80, 0xFF}, 4) {
		t.Errorf("grey became %v", got)
	}
}

// TestProcessStripsEXIF: the GPS position a phone writes into its photos
// never reaches the stored files, and the orientation is applied instead.
func TestProcessStripsEXIF(t *testing.T) {
	src := phototest.WithGPS(phototest.JPEG(t, 640, 480), 0)
	for _, s := range []string{"Exif\x00\x00", "GPS", phototest.Secret} {
		if !bytes.Contains(src, []byte(s)) {
			t.Fatalf("test upload lacks %q", s)
		}
	}
	if _, err := jpeg.Decode(bytes.NewReader(src)); err != nil {
		t.Fatalf("test upload is not a valid JPEG: %v", err)
	}
	res, err := photo.Process(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range [][]byte{res.Photo.JPEG, res.Thumb.JPEG} {
		for _, s := range []string{"Exif", "GPS", phototest.Secret, "ACM"} {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("output still contains %q", s)
			}
		}
		if bytes.Contains(out, []byte{0xFF, 0xE1}) && bytes.Index(out, []byte{0xFF, 0xE1}) < bytes.Index(out, []byte{0xFF, 0xDA}) {
			t.Error("output has an APP1 segment before its scan")
		}
	}
}

// TestOrientation: a photo stored sideways with its EXIF orientation comes
// out upright, whichever of the eight orientations the camera wrote.
func TestOrientation(t *testing.T) {
	const w, h = 320, 200
	upright := phototest.Picture(w, h)
	for o := 1; o <= 8; o++ {
		t.Run(string(rune('0'+o)), func(t *testing.T) {
			// Store the upright picture the way a camera with orientation o would.
			stored := inverse(upright, o)
			var b bytes.Buffer
			if err := jpeg.Encode(&b, stored, &jpeg.Options{Quality: 95}); err != nil {
				t.Fatal(err)
			}
			data := phototest.WithGPS(b.Bytes(), o)
			if got := photo.Orientation(data); got != o {
				t.Fatalf("Orientation = %d, want %d", got, o)
			}
			res, err := photo.Process(data)
			if err != nil {
				t.Fatal(err)
			}
			if res.Photo.Width != w || res.Photo.Height != h {
				t.Fatalf("photo is %d×%d, want %d×%d", res.Photo.Width, res.Photo.Height, w, h)
			}
			checkUpright(t, decoded(t, res.Photo.JPEG))
			checkUpright(t, decoded(t, res.Thumb.JPEG))
		})
	}
}

// inverse returns what a camera stores for an upright picture when it tags
// it with orientation o (so that applying o shows img again).
func inverse(img *image.RGBA, o int) *image.RGBA {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	sw, sh := w, h
	if o >= 5 {
		sw, sh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, sw, sh))
	// For every displayed pixel (x, y), the stored pixel (sx, sy) shown there.
	for y := range h {
		for x := range w {
			var sx, sy int
			switch o {
			case 1:
				sx, sy = x, y
			case 2:
				sx, sy = sw-1-x, y
			case 3:
				sx, sy = sw-1-x, sh-1-y
			case 4:
				sx, sy = x, sh-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, sh-1-x
			case 7:
				sx, sy = sw-1-y, sh-1-x
			case 8:
				sx, sy = sw-1-y, x
			}
			out.Set(sx, sy, img.At(x, y))
		}
	}
	return out
}

func TestOrientationMalformed(t *testing.T) {
	jpg := phototest.JPEG(t, 16, 16)
	for name, data := range map[string][]byte{
		"empty":            nil,
		"not a JPEG":       []byte("hello world"),
		"no EXIF":          jpg,
		"truncated":        phototest.WithGPS(jpg, 6)[:40],
		"bad length":       {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E', 'x'},
		"orientation 9":    phototest.WithGPS(jpg, 9),
		"orientation 0":    phototest.WithGPS(jpg, 0),
		"only SOI and EOI": {0xFF, 0xD8, 0xFF, 0xD9},
	} {
		if got := photo.Orientation(data); got != 1 {
			t.Errorf("%s: Orientation = %d, want 1", name, got)
		}
	}
}

func TestProcessRefuses(t *testing.T) {
	jpg := phototest.JPEG(t, 64, 64)
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	for _, tt := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, photo.ErrEmpty},
		{"text", []byte("this is not a photo"), photo.ErrFormat},
		{"GIF", gif, photo.ErrFormat},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), photo.ErrFormat},
		{"truncated JPEG", jpg[:len(jpg)/2], photo.ErrCorrupt},
		{"JPEG header only", jpg[:3], photo.ErrCorrupt},
		{"PNG signature only", []byte("\x89PNG\r\n\x1a\n"), photo.ErrCorrupt},
		{"RIFF WEBP junk", []byte("RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00junk"), photo.ErrCorrupt},
		{"bomb 60000×60000", phototest.BombPNG(60000, 60000), photo.ErrTooBig},
		{"bomb 8001 wide", phototest.BombPNG(8001, 10), photo.ErrTooBig},
		{"bomb 7000×7000 (49 MP)", phototest.BombPNG(7000, 7000), photo.ErrTooBig},
		{"zero width", phototest.BombPNG(0, 10), photo.ErrCorrupt},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res, err := photo.Process(tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Process = %v, %v; want %v", res, err, tt.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("refusing took %v: the pixels were decoded", d)
			}
		})
	}
	// The limits themselves are allowed.
	if err := photo.CheckSize(photo.MaxSide, photo.MaxPixels/photo.MaxSide); err != nil {
		t.Errorf("CheckSize at the limit: %v", err)
	}
}

func TestSniff(t *testing.T) {
	for in, want := range map[string]photo.Format{
		"\xff\xd8\xff\xe0":         photo.JPEG,
		"\x89PNG\r\n\x1a\n....":    photo.PNG,
		"RIFF\x00\x00\x00\x00WEBP": photo.WebP,
		"RIFF\x00\x00\x00\x00WAVE": "",
		"GIF89a":                   "",
		"":                         "",
	} {
		if got := photo.Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzOrientation: the EXIF reader never panics and answers 1–8.
func FuzzOrientation(f *testing.F) {
	jpg := phototest.JPEG(f, 8, 8)
	for o := range 9 {
		f.Add(phototest.WithGPS(jpg, o))
	}
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := photo.Orientation(data); o < 1 || o > 8 {
			t.Fatalf("Orientation = %d", o)
		}
	})
}

// FuzzProcess: no input makes Process panic or return an image over the
// limits; every refusal is one of the documented errors.
func FuzzProcess(f *testing.F) {
	f.Add(phototest.JPEG(f, 24, 16))
	f.Add(phototest.PNG(f, 24, 16, true))
	f.Add(phototest.WebP(f, "lossy.webp"))
	f.Add(phototest.WebP(f, "lossless.webp"))
	f.Add(phototest.WebP(f, "alpha.webp"))
	f.Add(phototest.BombPNG(9000, 9000))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := photo.Process(data)
		if err != nil {
			if !errors.Is(err, photo.ErrEmpty) && !errors.Is(err, photo.ErrFormat) && !errors.Is(err, photo.ErrTooBig) && !errors.Is(err, photo.ErrCorrupt) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if res.Photo.Width > photo.MaxEdge || res.Photo.Height > photo.MaxEdge || res.Thumb.Width > photo.Thumb || res.Thumb.Height > photo.Thumb {
			t.Fatalf("output over the limits: %+v", res)
		}
	})
}
