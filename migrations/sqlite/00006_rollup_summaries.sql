-- +goose Up
-- Summaries of sealed business days (issue #7): a district's month read
-- from stall_daily costs one row per stall, day and provider (~118k for
-- 2,000 stalls); read from these it costs one row per market, day and
-- provider plus one per stall, month and provider (~5k).
--
-- A day is sealed once it is over (see app.SealRollups): the sealer (an
-- IMMEDIATE transaction, so no other writer runs) folds the days after
-- rollup_seal.sealed_through into market_daily and stall_monthly, moves the
-- watermark and commits. Every later write to stall_daily of a sealed day —
-- a late webhook booked on its transfer's business day — adds the same
-- delta to both summaries in its own transaction. Days after the
-- watermark live in stall_daily only; reports read summaries for days up to
-- the watermark and stall_daily after it, in one statement (one snapshot).
CREATE TABLE rollup_seal (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    sealed_through TEXT NOT NULL -- last sealed business day, '' before the first seal
);
INSERT INTO rollup_seal (id, sealed_through) VALUES (1, '');

CREATE TABLE market_daily (
    market_id   TEXT NOT NULL,
    day         TEXT NOT NULL,
    provider    TEXT NOT NULL,
    district_id TEXT NOT NULL,
    payments    BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    refunds     BIGINT NOT NULL,
    refunded    BIGINT NOT NULL,
    PRIMARY KEY (market_id, day, provider)
);
CREATE INDEX market_daily_district_idx ON market_daily (district_id, day);

-- days: bit d-1 is set when the stall had at least one payment (not only
-- refunds) through this provider on day d of the month.
CREATE TABLE stall_monthly (
    stall_id    TEXT NOT NULL,
    month       TEXT NOT NULL, -- YYYY-MM
    provider    TEXT NOT NULL,
    market_id   TEXT NOT NULL,
    district_id TEXT NOT NULL,
    payments    BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    refunds     BIGINT NOT NULL,
    refunded    BIGINT NOT NULL,
    days        BIGINT NOT NULL,
    PRIMARY KEY (stall_id, month, provider)
);
CREATE INDEX stall_monthly_district_idx ON stall_monthly (district_id, month);

-- +goose Down
DROP TABLE stall_monthly;
DROP TABLE market_daily;
DROP TABLE rollup_seal;
