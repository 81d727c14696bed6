-- +goose Up
-- SQLite twin of postgres/00005_product_images.sql: DATETIME for
-- TIMESTAMPTZ, BLOB for BYTEA. See there for the design.
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
    created_at    DATETIME NOT NULL,
    CONSTRAINT product_images_sha_key UNIQUE (product_id, sha256)
);
CREATE INDEX product_images_product_idx ON product_images (product_id, position, id);

-- The photos' bytes, apart from their metadata so that listing never reads
-- a picture's pages.
CREATE TABLE product_image_blobs (
    image_id TEXT PRIMARY KEY REFERENCES product_images (id) ON DELETE CASCADE,
    photo    BLOB NOT NULL,
    thumb    BLOB NOT NULL
);

-- +goose Down
DROP TABLE product_image_blobs;
DROP TABLE product_images;
