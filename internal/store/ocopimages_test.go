package store_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

func mkImage(productID string, pos int, tag string) (app.ProductImage, []byte, []byte) {
	hex := func(s string) string { return fmt.Sprintf("%064x", []byte(s))[:64] }
	img := app.ProductImage{ID: newID(), ProductID: productID, Position: pos, ContentType: "image/jpeg", Width: 1600, Height: 1200,
		Size: 10 + pos, SHA256: hex(tag + "photo"), ThumbWidth: 400, ThumbHeight: 300, ThumbSize: 5 + pos,
		ThumbSHA256: hex(tag + "thumb"), CreatedAt: t0.UTC()}
	return img, bytes.Repeat([]byte("P"+tag), 3000), bytes.Repeat([]byte("T"+tag), 700)
}

// TestProductImages is the contract of the photo methods on every database:
// metadata and bytes round-trip, lists carry no bytes and follow position,
// the same photo twice is a conflict on field image, and a photo is only
// ever reached through its own product.
func TestProductImages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		d := mkDistrict(t, st.Read(), "Vị Thủy")
		a := mkOCOP(t, st, d.ID, "6300456789", "08934567890120", "L1")
		b := mkOCOP(t, st, d.ID, "6300456790", "", "L2")
		tx := st.Read()

		var imgs []app.ProductImage
		var blobs [][2][]byte
		for i, tag := range []string{"a", "b", "c"} {
			img, photo, thumb := mkImage(a.product.ID, i, tag)
			if err := tx.InsertProductImage(ctx, &img, photo, thumb); err != nil {
				t.Fatal(err)
			}
			imgs, blobs = append(imgs, img), append(blobs, [2][]byte{photo, thumb})
		}
		other, op, ot := mkImage(b.product.ID, 0, "a") // same bytes as a's first: fine on another product
		if err := tx.InsertProductImage(ctx, &other, op, ot); err != nil {
			t.Fatal(err)
		}

		dup, dp, dt := mkImage(a.product.ID, 3, "b")
		wantConflictOn(t, tx.InsertProductImage(ctx, &dup, dp, dt), "image")

		got, err := tx.ProductImages(ctx, a.product.ID, b.product.ID, newID())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !slices.Equal(got[a.product.ID], imgs) || !slices.Equal(got[b.product.ID], []app.ProductImage{other}) {
			t.Fatalf("ProductImages = %+v\nwant %+v and %+v", got, imgs, other)
		}
		if m, err := tx.ProductImages(ctx); err != nil || len(m) != 0 {
			t.Fatalf("ProductImages() = %v, %v", m, err)
		}

		for i, img := range imgs {
			for _, thumb := range []bool{false, true} {
				meta, data, err := tx.ProductImageBytes(ctx, a.product.ID, img.ID, thumb)
				if err != nil {
					t.Fatal(err)
				}
				want := blobs[i][0]
				if thumb {
					want = blobs[i][1]
				}
				if *meta != img || !bytes.Equal(data, want) {
					t.Fatalf("ProductImageBytes(%d, thumb %v) = %+v, %d bytes", i, thumb, meta, len(data))
				}
			}
		}
		// Only through its own product.
		_, _, err = tx.ProductImageBytes(ctx, b.product.ID, imgs[0].ID, false)
		wantCode(t, err, errs.NotFound)
		wantCode(t, tx.DeleteProductImage(ctx, b.product.ID, imgs[0].ID), errs.NotFound)

		if err := tx.SetProductImagePositions(ctx, a.product.ID, []string{imgs[2].ID, imgs[0].ID, imgs[1].ID}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, tx.SetProductImagePositions(ctx, a.product.ID, []string{other.ID}), errs.NotFound)
		got, _ = tx.ProductImages(ctx, a.product.ID)
		var order []string
		for _, g := range got[a.product.ID] {
			order = append(order, g.ID)
		}
		if !slices.Equal(order, []string{imgs[2].ID, imgs[0].ID, imgs[1].ID}) {
			t.Fatalf("order after SetProductImagePositions = %v", order)
		}

		if err := tx.DeleteProductImage(ctx, a.product.ID, imgs[0].ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, tx.DeleteProductImage(ctx, a.product.ID, imgs[0].ID), errs.NotFound)
		_, _, err = tx.ProductImageBytes(ctx, a.product.ID, imgs[0].ID, true)
		wantCode(t, err, errs.NotFound)
		var blobsLeft int
		if err := st.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM product_image_blobs").Scan(&blobsLeft); err != nil {
			t.Fatal(err)
		}
		if blobsLeft != 3 {
			t.Fatalf("%d blobs left after deleting one of four photos", blobsLeft)
		}
		// A deleted photo's bytes may come back (as a new photo).
		again, p0, t0 := mkImage(a.product.ID, 5, "a")
		if err := tx.InsertProductImage(ctx, &again, p0, t0); err != nil {
			t.Fatalf("re-adding a deleted photo: %v", err)
		}

		// An unknown product is refused by the foreign key, not stored.
		orphan, p1, t1 := mkImage(newID(), 0, "z")
		if err := tx.InsertProductImage(ctx, &orphan, p1, t1); err == nil {
			t.Fatal("a photo of no product was stored")
		} else if strings.Contains(err.Error(), "sha") {
			t.Fatalf("orphan refused for the wrong reason: %v", err)
		}
	})
}
