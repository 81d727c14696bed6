package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
)

// Product photos (migration 00005): metadata in product_images, bytes in
// product_image_blobs, so that listing photos never reads a picture.

type productImageRow struct {
	ID          string `gorm:"primaryKey"`
	ProductID   string
	Position    int
	ContentType string
	Width       int
	Height      int
	Size        int
	SHA256      string `gorm:"column:sha256"`
	ThumbWidth  int
	ThumbHeight int
	ThumbSize   int
	ThumbSHA256 string `gorm:"column:thumb_sha256"`
	CreatedAt   time.Time
}

func (productImageRow) TableName() string { return "product_images" }

type productImageBlobRow struct {
	ImageID string `gorm:"primaryKey"`
	Photo   []byte
	Thumb   []byte
}

func (productImageBlobRow) TableName() string { return "product_image_blobs" }

func (r productImageRow) toImage() app.ProductImage {
	return app.ProductImage{ID: r.ID, ProductID: r.ProductID, Position: r.Position, ContentType: r.ContentType,
		Width: r.Width, Height: r.Height, Size: r.Size, SHA256: r.SHA256, ThumbWidth: r.ThumbWidth,
		ThumbHeight: r.ThumbHeight, ThumbSize: r.ThumbSize, ThumbSHA256: r.ThumbSHA256, CreatedAt: r.CreatedAt.UTC()}
}

func (r *repo) InsertProductImage(ctx context.Context, img *app.ProductImage, photo, thumb []byte) error {
	row := productImageRow{ID: img.ID, ProductID: img.ProductID, Position: img.Position, ContentType: img.ContentType,
		Width: img.Width, Height: img.Height, Size: img.Size, SHA256: img.SHA256, ThumbWidth: img.ThumbWidth,
		ThumbHeight: img.ThumbHeight, ThumbSize: img.ThumbSize, ThumbSHA256: img.ThumbSHA256, CreatedAt: img.CreatedAt.UTC()}
	if err := r.q(ctx).Create(&row).Error; err != nil {
		return translate(err)
	}
	return translate(r.q(ctx).Create(&productImageBlobRow{ImageID: img.ID, Photo: photo, Thumb: thumb}).Error)
}

func (r *repo) ProductImages(ctx context.Context, productIDs ...string) (map[string][]app.ProductImage, error) {
	out := make(map[string][]app.ProductImage, len(productIDs))
	if len(productIDs) == 0 {
		return out, nil
	}
	var rows []productImageRow
	err := r.q(ctx).Where("product_id IN ?", productIDs).Order("product_id, position, id").Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	for _, row := range rows {
		out[row.ProductID] = append(out[row.ProductID], row.toImage())
	}
	return out, nil
}

func (r *repo) ProductImageBytes(ctx context.Context, productID, imageID string, thumb bool) (*app.ProductImage, []byte, error) {
	col := "b.photo"
	if thumb {
		col = "b.thumb"
	}
	var row productImageRow
	var data []byte
	err := r.q(ctx).Raw(`SELECT i.id, i.product_id, i.position, i.content_type, i.width, i.height, i.size, i.sha256,
		i.thumb_width, i.thumb_height, i.thumb_size, i.thumb_sha256, i.created_at, `+col+`
		FROM product_images i JOIN product_image_blobs b ON b.image_id = i.id
		WHERE i.id = ? AND i.product_id = ?`, imageID, productID).Row().Scan(&row.ID, &row.ProductID, &row.Position,
		&row.ContentType, &row.Width, &row.Height, &row.Size, &row.SHA256, &row.ThumbWidth, &row.ThumbHeight,
		&row.ThumbSize, &row.ThumbSHA256, &row.CreatedAt, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errs.E(errs.NotFound, "no such product image")
	} else if err != nil {
		return nil, nil, translate(err)
	}
	img := row.toImage()
	return &img, data, nil
}

func (r *repo) DeleteProductImage(ctx context.Context, productID, imageID string) error {
	// Bytes first: SQLite enforces the cascade only with foreign keys on,
	// which a connection opened elsewhere (a tool) may not have.
	if err := r.q(ctx).Exec(`DELETE FROM product_image_blobs WHERE image_id IN
		(SELECT id FROM product_images WHERE id = ? AND product_id = ?)`, imageID, productID).Error; err != nil {
		return translate(err)
	}
	res := r.q(ctx).Where("id = ? AND product_id = ?", imageID, productID).Delete(&productImageRow{})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.E(errs.NotFound, "no such product image")
	}
	return nil
}

func (r *repo) SetProductImagePositions(ctx context.Context, productID string, ids []string) error {
	for i, id := range ids {
		res := r.q(ctx).Model(&productImageRow{}).Where("id = ? AND product_id = ?", id, productID).Update("position", i)
		if res.Error != nil {
			return translate(res.Error)
		}
		if res.RowsAffected == 0 {
			return errs.E(errs.NotFound, "no such product image")
		}
	}
	return nil
}
