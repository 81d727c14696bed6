-- +goose Up
-- Transparency: the tamper-evident log of money movements (internal/translog)
-- and the indexes the district reports need. 00003 is reserved for OCOP.
-- See the PostgreSQL migration for what each column means.

CREATE TABLE log_leaves (
    idx        BIGINT PRIMARY KEY CHECK (idx >= 0),
    kind       TEXT NOT NULL CHECK (kind IN ('payment', 'refund')),
    ref_id     TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    journal_id BIGINT NOT NULL,
    leaf       BLOB NOT NULL,
    hash       BLOB NOT NULL CHECK (length(hash) = 32),
    created_at DATETIME NOT NULL,
    CONSTRAINT log_leaves_ref_key UNIQUE (ref_id)
);
CREATE INDEX log_leaves_payment_idx ON log_leaves (payment_id);

CREATE TABLE log_nodes (
    level SMALLINT NOT NULL CHECK (level >= 0 AND level < 64),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE log_checkpoints (
    size        BIGINT PRIMARY KEY CHECK (size >= 0),
    root        BLOB NOT NULL CHECK (length(root) = 32),
    note        TEXT NOT NULL,
    journal_hwm BIGINT NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE INDEX log_checkpoints_created_idx ON log_checkpoints (created_at);

-- +goose StatementBegin
CREATE TRIGGER log_leaves_no_update BEFORE UPDATE ON log_leaves
BEGIN
    SELECT RAISE(ABORT, 'the transparency log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER log_leaves_no_delete BEFORE DELETE ON log_leaves
BEGIN
    SELECT RAISE(ABORT, 'the transparency log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER log_nodes_no_update BEFORE UPDATE ON log_nodes
BEGIN
    SELECT RAISE(ABORT, 'the transparency log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes
BEGIN
    SELECT RAISE(ABORT, 'the transparency log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'the transparency log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'the transparency log is append-only');
END;
-- +goose StatementEnd

CREATE INDEX transfers_unreviewed_idx ON transfers (district_id) WHERE outcome = 'unmatched' AND reviewed_at IS NULL;

-- +goose Down
DROP INDEX transfers_unreviewed_idx;
DROP TRIGGER log_checkpoints_no_delete;
DROP TRIGGER log_checkpoints_no_update;
DROP TRIGGER log_nodes_no_delete;
DROP TRIGGER log_nodes_no_update;
DROP TRIGGER log_leaves_no_delete;
DROP TRIGGER log_leaves_no_update;
DROP TABLE log_checkpoints;
DROP TABLE log_nodes;
DROP TABLE log_leaves;
