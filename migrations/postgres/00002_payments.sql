-- +goose Up
CREATE TABLE payments (
    id           TEXT PRIMARY KEY,
    stall_id     TEXT NOT NULL REFERENCES stalls (id),
    market_id    TEXT NOT NULL,
    district_id  TEXT NOT NULL,
    order_code   TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('dynamic', 'static')),
    channel      TEXT NOT NULL,
    provider     TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount > 0),
    paid         BIGINT NOT NULL DEFAULT 0 CHECK (paid >= 0),
    refunded     BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    reserved     BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    description  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'partially_paid', 'expired', 'canceled')),
    overpaid     BOOLEAN NOT NULL DEFAULT FALSE,
    late         BOOLEAN NOT NULL DEFAULT FALSE,
    qr_payload   TEXT NOT NULL,
    pay_url      TEXT NOT NULL,
    provider_ref TEXT NOT NULL,
    created_by   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    paid_at      TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT payments_order_code_key UNIQUE (order_code),
    CONSTRAINT payments_refund_bound CHECK (refunded + reserved <= paid)
);
CREATE INDEX payments_stall_idx ON payments (stall_id, created_at);
CREATE INDEX payments_pending_idx ON payments (expires_at) WHERE status = 'pending';

-- transfers is the inbox: one row per provider event, whatever it became.
CREATE TABLE transfers (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    bank_bin    TEXT NOT NULL,
    account     TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    content     TEXT NOT NULL,
    reference   TEXT NOT NULL,
    incoming    BOOLEAN NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('webhook', 'reconcile')),
    outcome     TEXT NOT NULL,
    payment_id  TEXT,
    stall_id    TEXT,
    district_id TEXT,
    reviewed_at TIMESTAMPTZ,
    reviewed_by TEXT,
    review_note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (provider, event_id)
);
CREATE INDEX transfers_outcome_idx ON transfers (outcome, received_at);
CREATE INDEX transfers_payment_idx ON transfers (payment_id);

CREATE TABLE refunds (
    id           TEXT PRIMARY KEY,
    payment_id   TEXT NOT NULL REFERENCES payments (id),
    stall_id     TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount > 0),
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider_ref TEXT NOT NULL,
    message      TEXT NOT NULL,
    created_by   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);
CREATE INDEX refunds_pending_idx ON refunds (created_at) WHERE status = 'pending';

-- journal is append-only double entry: lines of one entry share entry_id
-- and sum to zero. Balances are sums, never stored on an account row.
CREATE TABLE journal (
    id         BIGSERIAL PRIMARY KEY,
    entry_id   TEXT NOT NULL,
    account    TEXT NOT NULL,
    amount     BIGINT NOT NULL,
    stall_id   TEXT,
    payment_id TEXT,
    refund_id  TEXT,
    provider   TEXT NOT NULL,
    event_id   TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX journal_entry_idx ON journal (entry_id);
CREATE INDEX journal_stall_idx ON journal (stall_id);
CREATE INDEX journal_event_idx ON journal (provider, event_id);

-- +goose StatementBegin
CREATE FUNCTION journal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'journal is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();

-- stall_daily are per-stall, per-business-day rollups, sharded so one busy
-- stall spreads its increments over several rows.
CREATE TABLE stall_daily (
    stall_id    TEXT NOT NULL,
    day         TEXT NOT NULL,
    provider    TEXT NOT NULL,
    shard       SMALLINT NOT NULL,
    market_id   TEXT NOT NULL,
    district_id TEXT NOT NULL,
    payments    BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    refunds     BIGINT NOT NULL,
    refunded    BIGINT NOT NULL,
    PRIMARY KEY (stall_id, day, provider, shard)
);
CREATE INDEX stall_daily_district_idx ON stall_daily (district_id, day);

CREATE TABLE stall_events (
    id         BIGSERIAL PRIMARY KEY,
    stall_id   TEXT NOT NULL,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX stall_events_stall_idx ON stall_events (stall_id, id);
CREATE INDEX stall_events_created_idx ON stall_events (created_at);

CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    status_code  INTEGER NOT NULL DEFAULT 0,
    response     TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE stall_events;
DROP TABLE stall_daily;
DROP TRIGGER journal_append_only ON journal;
DROP FUNCTION journal_append_only();
DROP TABLE journal;
DROP TABLE refunds;
DROP TABLE transfers;
DROP TABLE payments;
