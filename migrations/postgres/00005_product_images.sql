-- +goose Up
-- Product photos (issue #6): district staff upload them, shoppers see them
-- in the catalogue, on the stall page and on the stamp verification page.
-- Kept in the database, not on a filesystem, so several `market4 serve`
-- instances behind one load balancer and the embedded SQLite default need
-- no shared storage. Every photo is re-encoded by the server (internal/photo)
-- as a JPEG of at most 1600 px plus a 400 px thumbnail, so the bytes are
-- ours, carry no EXIF, and are identified by their SHA-256.
--
-- Metadata and bytes live in two tables: the catalogue reads the metadata of
-- a page of products in one query and never touches a byte of the pictures;
-- only GET /v1/products/{id}/images/{image_id} reads product_image_blobs.
-- At most 8 photos per product: a rule of the service (checked under the
-- product's row lock), not of the schema. position orders them (0 first;
-- the first is the product's cover picture).
CREATE TABLE product_images (
    id            TEXT PRIMARY KEY,
    product_id    TEXT NOT NULL REFERENCES products (id),
    position      INTEGER NOT NULL CHECK (position >= 0),
    content_type  TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    width         INTEGER NOT NULL CHECK (width > 0),
    height        INTEGER NOT NULL CHECK (height > 0),
    size          INTEGER NOT NULL CHECK (size > 0),
    sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
    thumb_width   INTEGER NOT NULL CHECK (thumb_width > 0),
    thumb_height  INTEGER NOT NULL CHECK (thumb_height > 0),
    thumb_size    INTEGER NOT NULL CHECK (thumb_size > 0),
    thumb_sha256  TEXT NOT NULL CHECK (length(thumb_sha256) = 64),
    created_at    TIMESTAMPTZ NOT NULL,
    -- The same photo twice is one photo: a phone on 3G that retries an
    -- upload whose answer it lost gets the stored one back.
    CONSTRAINT product_images_sha_key UNIQUE (product_id, sha256)
);
CREATE INDEX product_images_product_idx ON product_images (product_id, position, id);

CREATE TABLE product_image_blobs (
    image_id TEXT PRIMARY KEY REFERENCES product_images (id) ON DELETE CASCADE,
    photo    BYTEA NOT NULL,
    thumb    BYTEA NOT NULL
);
-- JPEG does not compress: store out of line without trying (TOAST EXTERNAL).
ALTER TABLE product_image_blobs ALTER COLUMN photo SET STORAGE EXTERNAL;
ALTER TABLE product_image_blobs ALTER COLUMN thumb SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE product_image_blobs;
DROP TABLE product_images;
