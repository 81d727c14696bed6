-- +goose Up
-- Transparency: the tamper-evident log of money movements (internal/translog)
-- and the indexes the district reports need. 00003 is reserved for OCOP.

-- log_leaves holds one row per logged money movement, in log order: leaf idx
-- is the position in the RFC 6962 tree. ref_id is the journal entry that
-- moved the money, so each movement is logged exactly once; leaf holds the
-- canonical bytes (translog.Leaf.Bytes) and hash their RFC 6962 leaf hash.
-- payment_id (the payment, or the refunded payment) answers "prove my
-- payment"; journal_id (the entry's stall line) is the sequencer's cursor.
CREATE TABLE log_leaves (
    idx        BIGINT PRIMARY KEY CHECK (idx >= 0),
    kind       TEXT NOT NULL CHECK (kind IN ('payment', 'refund')),
    ref_id     TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    journal_id BIGINT NOT NULL,
    leaf       BYTEA NOT NULL,
    hash       BYTEA NOT NULL CHECK (length(hash) = 32),
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT log_leaves_ref_key UNIQUE (ref_id)
);
CREATE INDEX log_leaves_payment_idx ON log_leaves (payment_id);

-- log_nodes are the perfect-subtree roots of the tree (translog.Node); level
-- 0 are the leaf hashes. Written once, never changed.
CREATE TABLE log_nodes (
    level SMALLINT NOT NULL CHECK (level >= 0 AND level < 64),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    hash  BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

-- log_checkpoints are the signed tree heads, one per sequencer batch. The
-- latest is the log's current size. journal_hwm is the highest journal row
-- id logged when it was signed: the sequencer's cursor for new rows.
CREATE TABLE log_checkpoints (
    size        BIGINT PRIMARY KEY CHECK (size >= 0),
    root        BYTEA NOT NULL CHECK (length(root) = 32),
    note        TEXT NOT NULL,
    journal_hwm BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX log_checkpoints_created_idx ON log_checkpoints (created_at);

-- The log is append-only like the journal it commits to.
-- +goose StatementBegin
CREATE FUNCTION log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the transparency log is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON log_leaves
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_nodes_append_only BEFORE UPDATE OR DELETE ON log_nodes
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION log_append_only();

-- The staff review queue count: unmatched transfers not yet reviewed, per
-- district. Partial, so it stays as small as the queue itself.
CREATE INDEX transfers_unreviewed_idx ON transfers (district_id) WHERE outcome = 'unmatched' AND reviewed_at IS NULL;

-- +goose Down
DROP INDEX transfers_unreviewed_idx;
DROP TABLE log_checkpoints;
DROP TABLE log_nodes;
DROP TABLE log_leaves;
DROP FUNCTION log_append_only();
