-- +goose Up
CREATE TABLE districts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    province    TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    CONSTRAINT districts_name_key UNIQUE (province, name)
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    phone         TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'vendor')),
    district_id   TEXT REFERENCES districts (id),
    password_hash TEXT NOT NULL,
    created_at    DATETIME NOT NULL,
    CONSTRAINT users_phone_key UNIQUE (phone),
    CHECK ((role = 'staff') = (district_id IS NOT NULL))
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  DATETIME NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE attempts (
    key          TEXT NOT NULL,
    window_start DATETIME NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);

CREATE TABLE markets (
    id          TEXT PRIMARY KEY,
    district_id TEXT NOT NULL REFERENCES districts (id),
    name        TEXT NOT NULL,
    address     TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    CONSTRAINT markets_name_key UNIQUE (district_id, name)
);

CREATE TABLE stalls (
    id             TEXT PRIMARY KEY,
    market_id      TEXT NOT NULL REFERENCES markets (id),
    district_id    TEXT NOT NULL REFERENCES districts (id),
    owner_id       TEXT REFERENCES users (id),
    stall_number   TEXT NOT NULL,
    name           TEXT NOT NULL,
    category       TEXT NOT NULL,
    bank_bin       TEXT NOT NULL,
    account_number TEXT NOT NULL,
    account_name   TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended')),
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    CONSTRAINT stalls_number_key UNIQUE (market_id, stall_number)
);
CREATE INDEX stalls_owner_idx ON stalls (owner_id);
CREATE INDEX stalls_district_idx ON stalls (district_id, id);
CREATE INDEX stalls_account_idx ON stalls (bank_bin, account_number);

-- +goose Down
DROP TABLE stalls;
DROP TABLE markets;
DROP TABLE attempts;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE districts;
