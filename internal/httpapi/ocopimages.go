package httpapi

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/web/ocopweb"
)

// Product photos: upload (raw image body or a multipart form field
// "image"), list, read (the photo or its thumbnail, cached for good by
// browsers: a photo never changes, a new picture is a new photo), delete
// and reorder. Routes are in mountOCOP.

// imagesPath is the upload route, which gets its own body limit.
const imagesPath = "/v1/products/:id/images"

// imageCacheControl: a photo's URL names content that never changes.
const imageCacheControl = "public, max-age=31536000, immutable"

type productImageJSON struct {
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
	CreatedAt   string `json:"created_at"`
}

func toProductImageJSON(img *app.ProductImage) productImageJSON {
	return productImageJSON{ID: img.ID, Position: img.Position, URL: ocopweb.ImageURL(img.ProductID, img.ID, false),
		ThumbURL: ocopweb.ImageURL(img.ProductID, img.ID, true), ContentType: img.ContentType, Width: img.Width, Height: img.Height,
		Size: img.Size, ThumbWidth: img.ThumbWidth, ThumbHeight: img.ThumbHeight, ThumbSize: img.ThumbSize, CreatedAt: ts(img.CreatedAt)}
}

func toProductImagesJSON(imgs []app.ProductImage) []productImageJSON {
	out := make([]productImageJSON, len(imgs))
	for i := range imgs {
		out[i] = toProductImageJSON(&imgs[i])
	}
	return out
}

// uploadTypes are the Content-Types of a raw photo body. The bytes are
// sniffed anyway (internal/photo): the header only has to say "a photo".
var uploadTypes = []string{"image/jpeg", "image/png", "image/webp"}

// readImageUpload returns the uploaded file: the whole body for a raw
// image, or the form field "image" of a multipart/form-data body (what a
// browser's FormData sends). Errors: UnsupportedMedia (Content-Type),
// TooLarge, Invalid (image missing or unreadable).
func readImageUpload(c *gin.Context) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		mt = ""
	}
	switch {
	case mt == "multipart/form-data":
		if params["boundary"] == "" {
			return nil, errs.Field("Content-Type", "multipart/form-data needs a boundary parameter")
		}
		mr := multipart.NewReader(c.Request.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, errs.Field("image", `is required: send the photo as the form field "image"`)
			}
			if err != nil {
				return nil, uploadError(err)
			}
			if part.FormName() != "image" {
				continue // NextPart discards the rest of this part
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, uploadError(err)
			}
			return data, nil
		}
	case slices.Contains(uploadTypes, mt):
		data, err := io.ReadAll(c.Request.Body)
		if err != nil {
			return nil, uploadError(err)
		}
		return data, nil
	}
	return nil, &errs.Error{Code: errs.UnsupportedMedia, Message: "Content-Type must be image/jpeg, image/png, image/webp or multipart/form-data",
		Fields: []errs.FieldError{{Field: "Content-Type", Message: "must be image/jpeg, image/png, image/webp or multipart/form-data"}}}
}

// uploadError maps a failed read of an upload: over the body limit is
// 413, anything else (a malformed form, a connection cut short) is the
// client's upload at fault.
func uploadError(err error) error {
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return errs.E(errs.TooLarge, "the photo is larger than %d bytes; send at most %d MiB", big.Limit, big.Limit>>20)
	}
	return &errs.Error{Code: errs.Invalid, Message: "the upload could not be read", Err: err,
		Fields: []errs.FieldError{{Field: "image", Message: "could not be read completely"}}}
}

func (s *Server) addProductImage(c *gin.Context) {
	data, err := readImageUpload(c)
	if err != nil {
		fail(c, err)
		return
	}
	img, created, err := s.svc.AddProductImage(c.Request.Context(), actor(c), c.Param("id"), data)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK // the same photo was already there
	if created {
		status = http.StatusCreated
	}
	c.Header("Location", ocopweb.ImageURL(img.ProductID, img.ID, false))
	c.JSON(status, toProductImageJSON(img))
}

func (s *Server) listProductImages(c *gin.Context) {
	imgs, err := s.svc.ProductImages(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": toProductImagesJSON(imgs)})
}

type reorderImagesReq struct {
	ImageIDs []string `json:"image_ids"`
}

func (s *Server) reorderProductImages(c *gin.Context) {
	var req reorderImagesReq
	if !decode(c, &req) {
		return
	}
	imgs, err := s.svc.ReorderProductImages(c.Request.Context(), actor(c), c.Param("id"), req.ImageIDs)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": toProductImagesJSON(imgs)})
}

func (s *Server) deleteProductImage(c *gin.Context) {
	if err := s.svc.DeleteProductImage(c.Request.Context(), actor(c), c.Param("id"), c.Param("image_id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// getProductImage serves a photo (or, with ?size=thumb, its thumbnail)
// with a strong ETag from its SHA-256 and a year of immutable caching: a
// phone that saw a product's photo once never downloads it again.
func (s *Server) getProductImage(c *gin.Context) {
	thumb := false
	switch c.Query("size") {
	case "", "full":
	case "thumb":
		thumb = true
	default:
		fail(c, errs.Field("size", "must be full or thumb"))
		return
	}
	img, data, err := s.svc.ProductImage(c.Request.Context(), c.Param("id"), c.Param("image_id"), thumb)
	if err != nil {
		fail(c, err)
		return
	}
	sum := img.SHA256
	if thumb {
		sum = img.ThumbSHA256
	}
	etag := `"` + sum[:24] + `"`
	h := c.Writer.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", imageCacheControl)
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(data))) // not chunked: a phone shows progress
	c.Data(http.StatusOK, img.ContentType, data)
}

// etagMatches implements If-None-Match's weak comparison over a list of
// entity tags (or "*").
func etagMatches(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// imageThrottle rate-limits the public photo reads per client IP with their
// own, larger budget: one catalogue page shows up to 50 thumbnails, which
// must not spend the budget of the pages and searches themselves.
func (s *Server) imageThrottle(c *gin.Context) {
	if !s.images.allow(c.ClientIP()) {
		fail(c, errs.E(errs.RateLimited, "too many photo requests; slow down"))
		return
	}
	c.Next()
}
