package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/photo"
)

// Product photos: staff of the product's district (admins everywhere) add
// up to MaxProductImages photos per product, typically straight from a
// phone's camera; anyone sees them. Every upload is decoded and re-encoded
// by internal/photo, so what is stored and served is always a clean JPEG
// (no EXIF, no GPS position) of bounded size, identified by its SHA-256.

// MaxProductImages bounds the photos of one product: enough for the
// product, its packaging, its label and its use; few enough that a
// product's page stays light on 3G.
const MaxProductImages = 8

// imageState is the Service's photo machinery; its zero value is ready.
type imageState struct {
	once sync.Once
	// sem bounds the uploads decoded at once: a decode holds up to ~4
	// bytes per source pixel (160 MB at the 40-megapixel limit) and a core
	// for most of a second, and uploads are rare next to payments.
	sem chan struct{}
}

func (st *imageState) init() {
	st.once.Do(func() {
		st.sem = make(chan struct{}, 1)
	})
}

// processPhoto runs photo.Process under the service's decode limit and
// turns its refusals into Invalid errors naming the field "image".
// Errors: Invalid (image), Unavailable (waited past the request's deadline).
func (s *Service) processPhoto(ctx context.Context, data []byte) (*photo.Result, error) {
	s.images.init()
	select {
	case s.images.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, errs.Wrap(errs.Unavailable, ctx.Err(), "too many photos are being processed; try again")
	}
	res, err := photo.Process(data)
	<-s.images.sem
	if err == nil {
		return res, nil
	}
	var msg string
	switch {
	case errors.Is(err, photo.ErrEmpty):
		msg = "is empty; send a JPEG, PNG or WebP photo"
	case errors.Is(err, photo.ErrFormat):
		msg = "must be a JPEG, PNG or WebP image"
	case errors.Is(err, photo.ErrTooBig):
		msg = "is too large: " + detail(err, photo.ErrTooBig)
	case errors.Is(err, photo.ErrCorrupt):
		msg = "cannot be decoded: " + detail(err, photo.ErrCorrupt)
	default:
		return nil, errs.Wrap(errs.Internal, err, "processing a photo")
	}
	return nil, &errs.Error{Code: errs.Invalid, Message: "image " + msg, Fields: []errs.FieldError{{Field: "image", Message: msg}}, Err: err}
}

// detail is what an error from photo says after its sentinel's text.
func detail(err, sentinel error) string {
	return strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
}

// productForPhotos reads a product the actor manages, with its photos.
// Errors: NotFound, Unauthenticated, Forbidden.
func productForPhotos(ctx context.Context, tx Tx, a market.Actor, productID string, lock bool) (*Product, []ProductImage, error) {
	if a.Role == "" {
		return nil, nil, errs.E(errs.Unauthenticated, "log in to manage OCOP records")
	}
	p, err := tx.ProductByID(ctx, productID, lock)
	if err != nil {
		return nil, nil, err
	}
	if err := manageOCOP(a, p.DistrictID); err != nil {
		return nil, nil, err
	}
	imgs, err := tx.ProductImages(ctx, p.ID)
	if err != nil {
		return nil, nil, err
	}
	return p, imgs[p.ID], nil
}

func tooManyPhotos() error {
	msg := fmt.Sprintf("a product has at most %d photos; delete one first", MaxProductImages)
	return &errs.Error{Code: errs.Conflict, Message: msg, Fields: []errs.FieldError{{Field: "image", Message: msg}}}
}

// AddProductImage adds a photo to a product, after its others. data is
// the uploaded file (JPEG, PNG or WebP, sniffed from the bytes); what is
// stored is its re-encoding (see internal/photo). Uploading a photo the
// product already has (a phone retrying an upload whose answer it lost)
// stores nothing and returns the stored photo with created false.
// Errors: NotFound (product), Unauthenticated, Forbidden, Invalid (image:
// empty, not JPEG/PNG/WebP, over 8000 px or 40 megapixels, undecodable),
// Conflict (image: the product has MaxProductImages photos), Unavailable.
func (s *Service) AddProductImage(ctx context.Context, a market.Actor, productID string, data []byte) (img *ProductImage, created bool, err error) {
	// Who may, before spending a core on decoding. (Not whether there is
	// room: a retried upload of a full product's last photo must still get
	// its photo back.)
	if _, _, err := productForPhotos(ctx, s.store.Read(), a, productID, false); err != nil {
		return nil, false, err
	}
	res, err := s.processPhoto(ctx, data)
	if err != nil {
		return nil, false, err
	}
	now := s.now()
	err = s.store.InTx(ctx, func(tx Tx) error {
		// The product's row lock (SQLite: the write transaction) serialises
		// concurrent uploads, so the count below cannot be raced.
		p, have, err := productForPhotos(ctx, tx, a, productID, true)
		if err != nil {
			return err
		}
		for i := range have {
			if have[i].SHA256 == res.Photo.SHA256 {
				img, created = &have[i], false
				return nil
			}
		}
		if len(have) >= MaxProductImages {
			return tooManyPhotos()
		}
		pos := 0
		if len(have) > 0 {
			pos = have[len(have)-1].Position + 1
		}
		img = &ProductImage{ID: newID(), ProductID: p.ID, Position: pos, ContentType: photo.ContentType,
			Width: res.Photo.Width, Height: res.Photo.Height, Size: len(res.Photo.JPEG), SHA256: res.Photo.SHA256,
			ThumbWidth: res.Thumb.Width, ThumbHeight: res.Thumb.Height, ThumbSize: len(res.Thumb.JPEG),
			ThumbSHA256: res.Thumb.SHA256, CreatedAt: now}
		created = true
		return tx.InsertProductImage(ctx, img, res.Photo.JPEG, res.Thumb.JPEG)
	})
	if err != nil {
		return nil, false, err
	}
	s.forgetLotTraces() // the verification page shows photos (lotTrace)
	return img, created, nil
}

// ProductImages lists a product's photos (metadata), cover first; public.
// Errors: NotFound.
func (s *Service) ProductImages(ctx context.Context, productID string) ([]ProductImage, error) {
	r := s.store.Read()
	p, err := r.ProductByID(ctx, productID, false)
	if err != nil {
		return nil, err
	}
	imgs, err := r.ProductImages(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	return imgs[p.ID], nil
}

// ProductImage returns one photo of a product with its bytes (the
// thumbnail's when thumb); public. Photos never change once stored (a new
// picture is a new photo), so callers may cache them for good.
// Errors: NotFound.
func (s *Service) ProductImage(ctx context.Context, productID, imageID string, thumb bool) (*ProductImage, []byte, error) {
	return s.store.Read().ProductImageBytes(ctx, productID, imageID, thumb)
}

// DeleteProductImage removes a photo; the next one becomes the cover.
// Errors: NotFound (product or photo), Unauthenticated, Forbidden.
func (s *Service) DeleteProductImage(ctx context.Context, a market.Actor, productID, imageID string) error {
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, _, err := productForPhotos(ctx, tx, a, productID, true); err != nil {
			return err
		}
		return tx.DeleteProductImage(ctx, productID, imageID)
	})
	if err == nil {
		s.forgetLotTraces() // the verification page shows photos (lotTrace)
	}
	return err
}

// ReorderProductImages puts a product's photos in the order of ids, which
// must list each of them exactly once; the first becomes the cover.
// Errors: NotFound (product), Unauthenticated, Forbidden, Invalid (image_ids).
func (s *Service) ReorderProductImages(ctx context.Context, a market.Actor, productID string, ids []string) ([]ProductImage, error) {
	var out []ProductImage
	err := s.store.InTx(ctx, func(tx Tx) error {
		_, have, err := productForPhotos(ctx, tx, a, productID, true)
		if err != nil {
			return err
		}
		cur := make([]string, len(have))
		for i := range have {
			cur[i] = have[i].ID
		}
		want := slices.Clone(ids)
		slices.Sort(cur)
		slices.Sort(want)
		if !slices.Equal(cur, want) {
			return errs.Field("image_ids", "must list every photo of the product exactly once")
		}
		if err := tx.SetProductImagePositions(ctx, productID, ids); err != nil {
			return err
		}
		imgs, err := tx.ProductImages(ctx, productID)
		out = imgs[productID]
		return err
	})
	if err != nil {
		return nil, err
	}
	s.forgetLotTraces() // the verification page shows photos (lotTrace)
	return out, nil
}
