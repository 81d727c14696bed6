-- +goose Up
-- OCOP products and item-level traceability stamps (DESIGN §1 "OCOP and
-- stamps"). Stars are never stored on a product: they come from the active
-- certificate at the instant asked (ocop.StarsAt). valid_from/valid_until
-- of a certificate are computed by the domain (36 months, clamped) and
-- stored only so that the catalogue can filter by stars in SQL.
-- Stamp signing keys: private halves live in configuration only
-- (MARKET4_STAMP_KEYS); stamp_keys remembers every public key ever used, so
-- dropping a retired key from the configuration never invalidates labels
-- already on shelves.

CREATE TABLE producers (
    id            TEXT PRIMARY KEY,
    district_id   TEXT NOT NULL REFERENCES districts (id),
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('cooperative', 'enterprise', 'household_business', 'cooperative_group', 'other')),
    tax_code      TEXT,
    commune       TEXT NOT NULL,
    province_code TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT producers_tax_code_key UNIQUE (tax_code)
);
CREATE INDEX producers_district_idx ON producers (district_id, id);

CREATE TABLE products (
    id              TEXT PRIMARY KEY,
    producer_id     TEXT NOT NULL REFERENCES producers (id),
    district_id     TEXT NOT NULL REFERENCES districts (id),
    name_vi         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    product_group   TEXT NOT NULL CHECK (product_group IN ('food', 'beverage', 'herbal', 'textile_garment', 'souvenir_furniture_decor', 'rural_tourism')),
    gtin            TEXT,
    story           TEXT NOT NULL,
    standards       TEXT NOT NULL, -- JSON array of strings
    shelf_life_days INTEGER NOT NULL CHECK (shelf_life_days >= 0),
    -- ocop.Fold(name_vi + " " + name_en + " " + producer name), kept by the
    -- service; searched with one LIKE per folded word.
    search          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT products_gtin_key UNIQUE (gtin)
);
CREATE INDEX products_producer_idx ON products (producer_id, id);
CREATE INDEX products_district_idx ON products (district_id, id);

CREATE TABLE certificates (
    id              TEXT PRIMARY KEY,
    product_id      TEXT NOT NULL REFERENCES products (id),
    stars           INTEGER NOT NULL CHECK (stars BETWEEN 3 AND 5),
    score           INTEGER CHECK (score BETWEEN 0 AND 100),
    decision_number TEXT NOT NULL,
    issuing_body    TEXT NOT NULL,
    level           TEXT NOT NULL CHECK (level IN ('central', 'province', 'district')),
    decision_date   DATE NOT NULL,
    valid_from      TIMESTAMPTZ NOT NULL,
    valid_until     TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'superseded')),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT certificates_decision_key UNIQUE (product_id, decision_number)
);

CREATE TABLE lots (
    id              TEXT PRIMARY KEY,
    product_id      TEXT NOT NULL REFERENCES products (id),
    district_id     TEXT NOT NULL REFERENCES districts (id),
    ref             TEXT NOT NULL, -- short public reference of non-GS1 links (/t/{ref}/{serial})
    code            TEXT NOT NULL, -- the producer's batch number, GS1 AI (10)
    production_date DATE NOT NULL,
    expiry_date     DATE,
    quantity        INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    stamps_issued   INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL CHECK (status IN ('active', 'on_hold', 'recalled')),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT lots_code_key UNIQUE (product_id, code),
    CONSTRAINT lots_ref_key UNIQUE (ref),
    CONSTRAINT lots_stamps_bound CHECK (stamps_issued BETWEEN 0 AND quantity)
);
CREATE INDEX lots_product_idx ON lots (product_id, id);

-- stamps are keyed by their random serial: the lookup of every scan.
CREATE TABLE stamps (
    serial        TEXT NOT NULL,
    lot_id        TEXT NOT NULL REFERENCES lots (id),
    status        TEXT NOT NULL CHECK (status IN ('generated', 'printed', 'activated', 'sold', 'voided')),
    key_id        TEXT NOT NULL,
    signature     TEXT NOT NULL, -- unpadded base64url Ed25519 signature, as printed in ?s=
    created_at    TIMESTAMPTZ NOT NULL,
    printed_at    TIMESTAMPTZ,
    activated_at  TIMESTAMPTZ,
    sold_at       TIMESTAMPTZ,
    sold_stall_id TEXT REFERENCES stalls (id),
    sold_province TEXT,
    voided_at     TIMESTAMPTZ,
    CONSTRAINT stamps_serial_key PRIMARY KEY (serial)
);
CREATE INDEX stamps_lot_idx ON stamps (lot_id, serial);

-- scans hold no personal data: a keyed hash of a device cookie and a
-- coarse province code, never an IP address or a raw device identifier.
-- No foreign key to stamps on purpose: a scan is written only right after
-- its stamp was read, stamps are never deleted, and the check would lock
-- the stamp's row (FOR KEY SHARE) on every scan, the platform's hottest
-- public write.
CREATE TABLE scans (
    id            BIGSERIAL PRIMARY KEY,
    serial        TEXT NOT NULL, -- a stamp's serial; no foreign key, see above
    scanned_at    TIMESTAMPTZ NOT NULL,
    device_hash   TEXT NOT NULL,
    province_code TEXT NOT NULL,
    verdict       TEXT NOT NULL
);
-- Covering: a verification reads a stamp's latest scans from the index alone.
CREATE INDEX scans_serial_idx ON scans (serial, scanned_at) INCLUDE (device_hash, province_code);

CREATE TABLE stamp_keys (
    id            TEXT PRIMARY KEY,
    public_key    TEXT NOT NULL,
    not_before    TIMESTAMPTZ,
    not_after     TIMESTAMPTZ,
    revoked       BOOLEAN NOT NULL DEFAULT FALSE,
    first_seen_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE stall_products (
    stall_id   TEXT NOT NULL REFERENCES stalls (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    price      BIGINT NOT NULL CHECK (price > 0 AND price < 500000000),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (stall_id, product_id)
);
CREATE INDEX stall_products_product_idx ON stall_products (product_id);

-- +goose Down
DROP TABLE stall_products;
DROP TABLE stamp_keys;
DROP TABLE scans;
DROP TABLE stamps;
DROP TABLE lots;
DROP TABLE certificates;
DROP TABLE products;
DROP TABLE producers;
