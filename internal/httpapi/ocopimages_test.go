package httpapi_test

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"mime/multipart"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/photo/phototest"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

func init() {
	// Photos are opaque bytes to the validator, like the QR images.
	openapi3filter.RegisterBodyDecoder("image/jpeg", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/webp", openapi3filter.FileBodyDecoder)
}

type imageJSON struct {
	ID          string `json:"id"`
	Position    int    `json:"position"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Size        int    `json:"size"`
	ThumbWidth  int    `json:"thumb_width"`
	ThumbHeight int    `json:"thumb_height"`
	ThumbSize   int    `json:"thumb_size"`
}

type productImagesJSON struct {
	ID     string      `json:"id"`
	Images []imageJSON `json:"images"`
}

// upload sends a raw photo body as staff of district 1.
func (w *ocopWorld) upload(t *testing.T, data []byte, ctype string) *reply {
	t.Helper()
	return w.a.do(req{method: "POST", path: "/v1/products/" + w.product.ID + "/images", token: w.tokens["staff1"], raw: raw(string(data)), ctype: ctype})
}

// form builds a multipart/form-data body with the given file fields.
func form(t *testing.T, fields map[string][]byte) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	must(t, mw.WriteField("note", "ảnh bao bì"))
	for name, data := range fields {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="IMG_20260314_092653.jpg"`, name))
		h.Set("Content-Type", "image/jpeg") // what a browser says for a .jpg name, whatever is inside
		fw, err := mw.CreatePart(h)
		must(t, err)
		fw.Write(data)
	}
	must(t, mw.Close())
	return b.String(), mw.FormDataContentType()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestProductImagesOverHTTP: staff upload JPEG, PNG and WebP photos (raw
// and as a form), every reader sees them in the product, the catalogue and
// the list, the pictures are served with immutable caching, strong ETags
// and 304s, and delete and reorder change the cover.
func TestProductImagesOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		w := newOCOPWorld(t, a, 1)

		var jpg, png, webp, formed imageJSON
		r := w.upload(t, phototest.WithGPS(phototest.JPEG(t, 2400, 1800), 6), "image/jpeg").want(t, 201)
		r.decode(t, &jpg)
		if r.header.Get("Location") != jpg.URL || jpg.Position != 0 || jpg.Width != 1200 || jpg.Height != 1600 ||
			jpg.ThumbWidth != 300 || jpg.ThumbHeight != 400 || jpg.ContentType != "image/jpeg" {
			t.Fatalf("JPEG upload: %+v, Location %q", jpg, r.header.Get("Location"))
		}
		if want := "/v1/products/" + w.product.ID + "/images/" + jpg.ID; jpg.URL != want || jpg.ThumbURL != want+"?size=thumb" {
			t.Fatalf("URLs %q %q", jpg.URL, jpg.ThumbURL)
		}
		w.upload(t, phototest.PNG(t, 640, 480, true), "image/png").want(t, 201).decode(t, &png)
		w.upload(t, phototest.WebP(t, "lossy.webp"), "image/webp").want(t, 201).decode(t, &webp)
		body, ctype := form(t, map[string][]byte{"image": phototest.WebP(t, "alpha.webp")})
		a.do(req{method: "POST", path: "/v1/products/" + w.product.ID + "/images", token: w.tokens["admin"], raw: &body, ctype: ctype}).
			want(t, 201).decode(t, &formed)
		if png.Position != 1 || webp.Position != 2 || formed.Position != 3 || webp.Width != 96 || webp.Height != 64 {
			t.Fatalf("positions/sizes: %+v %+v %+v", png, webp, formed)
		}
		// A retried upload is the stored photo, 200.
		var again imageJSON
		w.upload(t, phototest.PNG(t, 640, 480, true), "image/png").want(t, 200).decode(t, &again)
		if again.ID != png.ID {
			t.Fatalf("retried upload made %s, want %s", again.ID, png.ID)
		}

		ids := func(imgs []imageJSON) string {
			var s []string
			for _, i := range imgs {
				s = append(s, i.ID)
			}
			return strings.Join(s, ",")
		}
		want := ids([]imageJSON{jpg, png, webp, formed})
		var list struct{ Items []imageJSON }
		a.do(req{method: "GET", path: "/v1/products/" + w.product.ID + "/images"}).want(t, 200).decode(t, &list)
		var detail productImagesJSON
		a.do(req{method: "GET", path: "/v1/products/" + w.product.ID}).want(t, 200).decode(t, &detail)
		var cat listJSON[productImagesJSON]
		a.do(req{method: "GET", path: "/v1/products?q=tra+sen"}).want(t, 200).decode(t, &cat)
		if ids(list.Items) != want || ids(detail.Images) != want || len(cat.Items) != 1 || ids(cat.Items[0].Images) != want {
			t.Fatalf("photos: list %s, detail %s, catalogue %+v; want %s", ids(list.Items), ids(detail.Images), cat.Items, want)
		}

		// The pictures: JPEG, no EXIF, immutable, strong ETag, 304.
		for _, u := range []string{jpg.URL, jpg.ThumbURL, webp.URL + "?size=full"} {
			r := a.do(req{method: "GET", path: u}).want(t, 200)
			if r.header.Get("Content-Type") != "image/jpeg" || r.header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
				r.header.Get("Content-Length") != fmt.Sprint(len(r.body)) {
				t.Fatalf("%s headers %v", u, r.header)
			}
			img, err := jpeg.Decode(bytes.NewReader(r.body))
			must(t, err)
			if u == jpg.ThumbURL && (img.Bounds().Dx() != 300 || len(r.body) != jpg.ThumbSize) {
				t.Fatalf("thumbnail %v, %d bytes", img.Bounds(), len(r.body))
			}
			if bytes.Contains(r.body, []byte("GPS")) || bytes.Contains(r.body, []byte("Exif")) || bytes.Contains(r.body, []byte(phototest.Secret)) {
				t.Fatalf("%s still carries EXIF", u)
			}
			etag := r.header.Get("ETag")
			for _, inm := range []string{etag, "W/" + etag, `"x", ` + etag, "*"} {
				nm := a.do(req{method: "GET", path: u, header: map[string]string{"If-None-Match": inm}}).want(t, 304)
				if len(nm.body) != 0 || nm.header.Get("ETag") != etag {
					t.Fatalf("304 for %q: %v %q", inm, nm.header, nm.body)
				}
			}
			a.do(req{method: "GET", path: u, header: map[string]string{"If-None-Match": `"000000000000000000000000"`}}).want(t, 200)
		}
		if a.do(req{method: "GET", path: jpg.URL}).header.Get("ETag") == a.do(req{method: "GET", path: jpg.ThumbURL}).header.Get("ETag") {
			t.Fatal("photo and thumbnail share an ETag")
		}
		a.do(req{method: "GET", path: jpg.URL + "?size=huge", invalid: true}).wantProblem(t, 422, "invalid", "size")
		// Another product's path does not reach the photo.
		other := w.stallA.ID
		a.do(req{method: "GET", path: "/v1/products/" + other + "/images/" + jpg.ID}).wantProblem(t, 404, "not_found")
		a.do(req{method: "GET", path: "/v1/products/" + other + "/images"}).wantProblem(t, 404, "not_found")

		// Reorder, delete.
		var re struct{ Items []imageJSON }
		a.do(req{method: "PUT", path: "/v1/products/" + w.product.ID + "/images", token: w.tokens["staff1"],
			json: map[string]any{"image_ids": []string{formed.ID, webp.ID, png.ID, jpg.ID}}}).want(t, 200).decode(t, &re)
		if ids(re.Items) != ids([]imageJSON{formed, webp, png, jpg}) || re.Items[0].Position != 0 {
			t.Fatalf("reordered: %+v", re.Items)
		}
		a.do(req{method: "PUT", path: "/v1/products/" + w.product.ID + "/images", token: w.tokens["staff1"],
			json: map[string]any{"image_ids": []string{formed.ID}}}).wantProblem(t, 422, "invalid", "image_ids")
		a.do(req{method: "DELETE", path: "/v1/products/" + w.product.ID + "/images/" + formed.ID, token: w.tokens["staff1"]}).want(t, 204)
		a.do(req{method: "DELETE", path: "/v1/products/" + w.product.ID + "/images/" + formed.ID, token: w.tokens["staff1"]}).wantProblem(t, 404, "not_found")
		a.do(req{method: "GET", path: formed.URL}).wantProblem(t, 404, "not_found")
		a.do(req{method: "GET", path: "/v1/products/" + w.product.ID}).want(t, 200).decode(t, &detail)
		if ids(detail.Images) != ids([]imageJSON{webp, png, jpg}) {
			t.Fatalf("after delete: %s", ids(detail.Images))
		}
	})
}

// imageRows counts the stored photos.
func imageRows(t *testing.T, st *store.Store) int {
	t.Helper()
	var n, m int
	must(t, st.SQL().QueryRowContext(bg, "SELECT count(*) FROM product_images").Scan(&n))
	must(t, st.SQL().QueryRowContext(bg, "SELECT count(*) FROM product_image_blobs").Scan(&m))
	if n != m {
		t.Fatalf("%d photos but %d blobs", n, m)
	}
	return n
}

// TestProductImageUploadRefusals: every bad upload is a problem naming the
// field at fault (image or Content-Type), never a 500, and stores nothing.
func TestProductImageUploadRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{MaxImageBytes: 256 << 10}, nil)
		w := newOCOPWorld(t, a, 1)
		path := "/v1/products/" + w.product.ID + "/images"
		jpg := phototest.JPEG(t, 64, 48)
		noImage, noImageType := form(t, map[string][]byte{"photo": jpg})
		emptyForm, emptyFormType := form(t, map[string][]byte{"image": nil})
		big := strings.Repeat("x", 300<<10)
		for _, c := range []struct {
			name   string
			body   string
			ctype  string
			status int
			code   string
			field  string
			chunk  bool
		}{
			{"text/plain", string(jpg), "text/plain", 415, "unsupported_media_type", "Content-Type", false},
			{"GIF type", string(jpg), "image/gif", 415, "unsupported_media_type", "Content-Type", false},
			{"JSON", `{"image":"x"}`, "application/json", 415, "unsupported_media_type", "Content-Type", false},
			{"not an image", "just some text, not a photo", "image/png", 422, "invalid", "image", false},
			{"SVG as PNG", `<svg xmlns="http://www.w3.org/2000/svg"/>`, "image/png", 422, "invalid", "image", false},
			{"truncated JPEG", string(jpg[:len(jpg)/2]), "image/jpeg", 422, "invalid", "image", false},
			{"empty", "", "image/jpeg", 422, "invalid", "image", false},
			{"bomb 60000×60000", string(phototest.BombPNG(60000, 60000)), "image/png", 422, "invalid", "image", false},
			{"bomb 8001×5", string(phototest.BombPNG(8001, 5)), "image/webp", 422, "invalid", "image", false},
			{"WebP junk", "RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00junk", "image/webp", 422, "invalid", "image", false},
			{"form without image", noImage, noImageType, 422, "invalid", "image", false},
			{"form with empty image", emptyForm, emptyFormType, 422, "invalid", "image", false},
			{"form without boundary", noImage, "multipart/form-data", 422, "invalid", "Content-Type", false},
			{"broken form", "--x\r\nnonsense", "multipart/form-data; boundary=x", 422, "invalid", "image", false},
			{"over the limit", big, "image/jpeg", 413, "too_large", "", false},
			{"over the limit, chunked", big, "image/jpeg", 413, "too_large", "", true},
		} {
			t.Run(c.name, func(t *testing.T) {
				start := time.Now()
				r := a.do(req{method: "POST", path: path, token: w.tokens["staff1"], raw: raw(c.body), ctype: c.ctype, invalid: true, chunked: c.chunk})
				var fields []string
				if c.field != "" {
					fields = []string{c.field}
				}
				r.wantProblem(t, c.status, c.code, fields...)
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("took %v", d)
				}
				if n := imageRows(t, st); n != 0 {
					t.Fatalf("%d photos stored", n)
				}
			})
		}
		p := a.do(req{method: "POST", path: path, token: w.tokens["staff1"], raw: raw(string(phototest.BombPNG(60000, 60000))), ctype: "image/png"}).
			wantProblem(t, 422, "invalid", "image")
		if !strings.Contains(p.Errors[0].Message, "60000×60000") {
			t.Errorf("bomb message %q", p.Errors[0].Message)
		}

		// The ninth photo.
		for i := range 8 {
			w.upload(t, phototest.JPEG(t, 40+i, 30), "image/jpeg").want(t, 201)
		}
		w.upload(t, phototest.JPEG(t, 30, 30), "image/jpeg").wantProblem(t, 409, "conflict", "image")
		if n := imageRows(t, st); n != 8 {
			t.Fatalf("%d photos after the ninth", n)
		}
	})
}

// TestProductImagePages: the catalogue card, the stamp verification page
// and the public stall page show the product's photo, lazily, with its
// size and the product's name as alt text, allowed by the pages' CSP.
func TestProductImagePages(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	a := newAPI(t, st, httpapi.Options{}, nil)
	w := newOCOPWorld(t, a, 1)
	var img imageJSON
	w.upload(t, phototest.JPEG(t, 800, 600), "image/jpeg").want(t, 201).decode(t, &img)
	tag := regexp.MustCompile(`<img[^>]*src="` + regexp.QuoteMeta(img.ThumbURL) + `"[^>]*>`)
	check := func(page, body string) {
		t.Helper()
		m := tag.FindString(body)
		if m == "" {
			t.Fatalf("%s has no <img> of the photo:\n%s", page, body)
		}
		for _, want := range []string{`width="400"`, `height="300"`, `loading="lazy"`, `alt="Trà sen Tây Hồ"`} {
			if !strings.Contains(m, want) {
				t.Errorf("%s: %s lacks %s", page, m, want)
			}
		}
		if !strings.Contains(body, `href="`+img.URL+`"`) {
			t.Errorf("%s does not link the full photo", page)
		}
	}
	r := a.do(req{method: "GET", path: "/ocop?q=tra+sen"}).want(t, 200)
	check("catalogue", string(r.body))
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self'") {
		t.Fatalf("catalogue CSP %q does not allow same-origin images", csp)
	}
	r = a.do(req{method: "GET", path: w.stamps[0].Path, header: map[string]string{"Accept": "text/html"}}).want(t, 200)
	check("verification page", string(r.body))
	// The JSON verification is unchanged: no photo query on its path.
	w.verify(t, w.stamps[0].Path, "")

	// Without photos, no <img> at all.
	a.do(req{method: "DELETE", path: "/v1/products/" + w.product.ID + "/images/" + img.ID, token: w.tokens["staff1"]}).want(t, 204)
	for _, path := range []string{"/ocop?q=tra+sen", w.stamps[0].Path} {
		body := a.do(req{method: "GET", path: path, header: map[string]string{"Accept": "text/html"}}).want(t, 200).body
		if bytes.Contains(body, []byte("<img")) {
			t.Fatalf("%s shows a deleted photo", path)
		}
	}
}
