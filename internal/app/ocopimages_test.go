package app_test

import (
	"bytes"
	"errors"
	"image/jpeg"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/photo/phototest"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// TestProductImagesLifecycle: staff of the product's district add photos
// (re-encoded, the cover first), the catalogue and the product carry their
// metadata, the same upload twice is one photo, the ninth is refused,
// delete and reorder change the cover.
func TestProductImagesLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		pr := f.producer(t, f.staffA, "", "HTX Vị Thủy", taxA)
		p := f.product(t, f.staffA, pr.ID, "Khô cá lóc", "")
		if len(p.Images) != 0 {
			t.Fatalf("new product has photos: %v", p.Images)
		}

		first, created, err := f.svc.AddProductImage(octx, f.staffA, p.ID, phototest.WithGPS(phototest.JPEG(t, 2000, 1500), 6))
		must(t, err)
		if !created || first.Position != 0 || first.Width != 1200 || first.Height != 1600 || first.ContentType != "image/jpeg" ||
			first.ThumbWidth != 300 || first.ThumbHeight != 400 || first.Size == 0 || len(first.SHA256) != 64 {
			t.Fatalf("first photo = %+v (created %v); want an upright 1200×1600 JPEG", first, created)
		}
		meta, data, err := f.svc.ProductImage(octx, p.ID, first.ID, false)
		must(t, err)
		if *meta != *first || len(data) != first.Size || bytes.Contains(data, []byte(phototest.Secret)) {
			t.Fatalf("stored photo: %+v, %d bytes", meta, len(data))
		}
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		_, thumb, err := f.svc.ProductImage(octx, p.ID, first.ID, true)
		must(t, err)
		if len(thumb) != first.ThumbSize || len(thumb) >= len(data) {
			t.Fatalf("thumbnail %d bytes, photo %d", len(thumb), len(data))
		}

		again, created, err := f.svc.AddProductImage(octx, f.admin, p.ID, phototest.WithGPS(phototest.JPEG(t, 2000, 1500), 6))
		must(t, err)
		if created || again.ID != first.ID {
			t.Fatalf("the same upload twice: created %v, %s vs %s", created, again.ID, first.ID)
		}

		ids := []string{first.ID}
		for i := 1; i < app.MaxProductImages; i++ {
			img, created, err := f.svc.AddProductImage(octx, f.staffA, p.ID, phototest.PNG(t, 100+i, 80, i%2 == 0))
			must(t, err)
			if !created || img.Position != i {
				t.Fatalf("photo %d: created %v, position %d", i, created, img.Position)
			}
			ids = append(ids, img.ID)
		}
		_, _, err = f.svc.AddProductImage(octx, f.staffA, p.ID, phototest.JPEG(t, 50, 50))
		wantField(t, err, errs.Conflict, "image")
		// A lost answer to the last upload, retried, still gets its photo.
		last, created, err := f.svc.AddProductImage(octx, f.staffA, p.ID, phototest.PNG(t, 100+app.MaxProductImages-1, 80, (app.MaxProductImages-1)%2 == 0))
		must(t, err)
		if created || last.ID != ids[len(ids)-1] {
			t.Fatalf("retry of the last photo: created %v, id %s", created, last.ID)
		}

		v, err := f.svc.Product(octx, p.ID)
		must(t, err)
		if got := imageIDs(v.Images); !slices.Equal(got, ids) {
			t.Fatalf("Product images = %v, want %v", got, ids)
		}
		list, err := f.svc.ListProducts(octx, app.CatalogueQuery{Text: "kho ca loc"})
		must(t, err)
		if len(list) != 1 || !slices.Equal(imageIDs(list[0].Images), ids) {
			t.Fatalf("catalogue images = %+v", list)
		}
		up, err := f.svc.UpdateProduct(octx, f.staffA, p.ID, app.ProductInput{Story: sp("Phơi nắng")})
		must(t, err)
		if !slices.Equal(imageIDs(up.Images), ids) {
			t.Fatalf("UpdateProduct images = %v", imageIDs(up.Images))
		}

		must(t, f.svc.DeleteProductImage(octx, f.staffA, p.ID, first.ID))
		wantErrCode(t, f.svc.DeleteProductImage(octx, f.staffA, p.ID, first.ID), errs.NotFound)
		_, _, err = f.svc.ProductImage(octx, p.ID, first.ID, false)
		wantErrCode(t, err, errs.NotFound)
		imgs, err := f.svc.ProductImages(octx, p.ID)
		must(t, err)
		if len(imgs) != app.MaxProductImages-1 || imgs[0].ID != ids[1] {
			t.Fatalf("after deleting the cover: %v", imageIDs(imgs))
		}

		rest := slices.Clone(ids[1:])
		slices.Reverse(rest)
		got, err := f.svc.ReorderProductImages(octx, f.staffA, p.ID, rest)
		must(t, err)
		if !slices.Equal(imageIDs(got), rest) {
			t.Fatalf("reordered = %v, want %v", imageIDs(got), rest)
		}
		for _, bad := range [][]string{rest[1:], append(slices.Clone(rest), rest[0]), append(rest[1:], first.ID), nil} {
			_, err := f.svc.ReorderProductImages(octx, f.staffA, p.ID, bad)
			wantField(t, err, errs.Invalid, "image_ids")
		}
	})
}

// TestProductImagesAuthorization: only staff of the product's district and
// admins change photos; nothing is decoded or written for anyone else.
func TestProductImagesAuthorization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		pr := f.producer(t, f.staffA, "", "HTX Vị Thủy", taxA)
		p := f.product(t, f.staffA, pr.ID, "Khô cá lóc", "")
		img, _, err := f.svc.AddProductImage(octx, f.staffA, p.ID, phototest.JPEG(t, 64, 64))
		must(t, err)
		for _, c := range []struct {
			who  string
			a    market.Actor
			code errs.Code
		}{
			{"anonymous", market.Actor{}, errs.Unauthenticated},
			{"vendor", f.vendorA, errs.Forbidden},
			{"staff of another district", f.staffB, errs.Forbidden},
		} {
			t.Run(c.who, func(t *testing.T) {
				_, _, err := f.svc.AddProductImage(octx, c.a, p.ID, phototest.JPEG(t, 80, 64))
				wantErrCode(t, err, c.code)
				// Refused before decoding: a bomb is refused for who sends it, not for what.
				_, _, err = f.svc.AddProductImage(octx, c.a, p.ID, phototest.BombPNG(60000, 60000))
				wantErrCode(t, err, c.code)
				wantErrCode(t, f.svc.DeleteProductImage(octx, c.a, p.ID, img.ID), c.code)
				_, err = f.svc.ReorderProductImages(octx, c.a, p.ID, []string{img.ID})
				wantErrCode(t, err, c.code)
			})
		}
		imgs, err := f.svc.ProductImages(octx, p.ID)
		must(t, err)
		if len(imgs) != 1 {
			t.Fatalf("refused calls changed the photos: %v", imageIDs(imgs))
		}
		_, _, err = f.svc.AddProductImage(octx, f.staffA, "0190c4f5-7d1e-7c3a-9d1b-2f6f1f0e5a11", phototest.JPEG(t, 64, 64))
		wantErrCode(t, err, errs.NotFound)
		_, err = f.svc.ProductImages(octx, "0190c4f5-7d1e-7c3a-9d1b-2f6f1f0e5a11")
		wantErrCode(t, err, errs.NotFound)
	})
}

// TestProductImagesBadUploads: every refused upload names the field
// "image", and stores nothing.
func TestProductImagesBadUploads(t *testing.T) {
	f := newOCOPFix(t, storetest.Open(t, store.SQLite))
	pr := f.producer(t, f.staffA, "", "HTX Vị Thủy", taxA)
	p := f.product(t, f.staffA, pr.ID, "Khô cá lóc", "")
	for name, data := range map[string][]byte{
		"empty":          nil,
		"text":           []byte("hello"),
		"bomb":           phototest.BombPNG(60000, 60000),
		"truncated JPEG": phototest.JPEG(t, 200, 200)[:300],
	} {
		_, _, err := f.svc.AddProductImage(octx, f.staffA, p.ID, data)
		wantField(t, err, errs.Invalid, "image")
		if name == "bomb" {
			var e *errs.Error
			if !errorsAs(err, &e) || e.Fields[0].Message != "is too large: 60000×60000 pixels; at most 8000 pixels on each side" {
				t.Errorf("bomb refused with %v", err)
			}
		}
	}
	if imgs, _ := f.svc.ProductImages(octx, p.ID); len(imgs) != 0 {
		t.Fatalf("bad uploads stored %d photos", len(imgs))
	}
}

// TestProductImagesConcurrentUploads: parallel uploads to one product never
// exceed the limit (the product's row lock serialises the count).
func TestProductImagesConcurrentUploads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newOCOPFix(t, st)
		pr := f.producer(t, f.staffA, "", "HTX Vị Thủy", taxA)
		p := f.product(t, f.staffA, pr.ID, "Khô cá lóc", "")
		const n = app.MaxProductImages + 4
		var wg sync.WaitGroup
		errc := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := f.svc.AddProductImage(octx, f.staffA, p.ID, phototest.JPEG(t, 40+i, 40))
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		var ok, full int
		for err := range errc {
			switch {
			case err == nil:
				ok++
			case errs.Is(err, errs.Conflict):
				full++
			default:
				t.Errorf("upload: %v", err)
			}
		}
		imgs, err := f.svc.ProductImages(octx, p.ID)
		must(t, err)
		if ok != app.MaxProductImages || full != n-app.MaxProductImages || len(imgs) != app.MaxProductImages {
			t.Fatalf("%d stored, %d refused, %d photos; want %d, %d, %d", ok, full, len(imgs), app.MaxProductImages, n-app.MaxProductImages, app.MaxProductImages)
		}
	})
}

// TestVerificationShowsPhotos: a verification carries the product's photos
// from the lot cache (lotTrace); this instance's uploads and deletions show
// at once, another instance's within app.LotTraceTTL.
func TestVerificationShowsPhotos(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	f := newOCOPFix(t, st)
	pr := f.producer(t, f.staffA, "", "HTX Vị Thủy", taxA)
	p := f.product(t, f.staffA, pr.ID, "Khô cá lóc", "")
	lot := f.lot(t, p.ID, "KCL01", 10)
	res, err := f.svc.IssueStamps(octx, f.staffA, lot.ID, 1)
	must(t, err)
	for _, step := range [][2]string{{"generated", "printed"}, {"printed", "activated"}} {
		_, err = f.svc.TransitionLotStamps(octx, f.staffA, lot.ID, step[0], step[1])
		must(t, err)
	}
	d, err := f.svc.Stamp(octx, f.staffA, res.First)
	must(t, err)
	photos := func() []app.ProductImage {
		t.Helper()
		v, err := f.svc.VerifyStamp(octx, app.VerifyRequest{URL: d.URL, DeviceID: "phone"})
		must(t, err)
		if v.Trace == nil {
			t.Fatalf("stamp not traced: %+v", v.Result)
		}
		return v.Trace.Images
	}
	if imgs := photos(); len(imgs) != 0 {
		t.Fatalf("no photos yet: %v", imgs)
	}
	img, _, err := f.svc.AddProductImage(octx, f.staffA, p.ID, phototest.JPEG(t, 64, 48))
	must(t, err)
	if imgs := photos(); len(imgs) != 1 || imgs[0].ID != img.ID {
		t.Fatalf("after this instance's upload: %v", imgs)
	}
	// Another instance (a second service on the same database) deletes it.
	other := app.New(st, f.clk.now, app.DefaultConfig(), nil)
	must(t, other.DeleteProductImage(octx, f.staffA, p.ID, img.ID))
	deadline := time.Now().Add(app.LotTraceTTL + time.Second)
	for len(photos()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("another instance's deletion not shown after %s", app.LotTraceTTL+time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// This instance's deletion: at once.
	img, _, err = f.svc.AddProductImage(octx, f.staffA, p.ID, phototest.JPEG(t, 64, 48))
	must(t, err)
	if imgs := photos(); len(imgs) != 1 {
		t.Fatalf("after a second upload: %v", imgs)
	}
	must(t, f.svc.DeleteProductImage(octx, f.staffA, p.ID, img.ID))
	if imgs := photos(); len(imgs) != 0 {
		t.Fatalf("after this instance's deletion: %v", imgs)
	}
}

func imageIDs(imgs []app.ProductImage) []string {
	out := make([]string, len(imgs))
	for i := range imgs {
		out[i] = imgs[i].ID
	}
	return out
}

// wantField fails unless err has code and names exactly field.
func wantField(t testing.TB, err error, code errs.Code, field string) {
	t.Helper()
	var e *errs.Error
	if !errs.Is(err, code) || !errorsAs(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != field {
		t.Fatalf("err = %v, want %s naming %q", err, code, field)
	}
}

func errorsAs(err error, e **errs.Error) bool { return errors.As(err, e) }
