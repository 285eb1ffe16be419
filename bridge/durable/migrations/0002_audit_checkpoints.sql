-- Retention: records older than BRIDGE_AUDIT_RETENTION_DAYS are pruned, and each cut
-- leaves a checkpoint — the sequence number and digest of the last pruned record, the
-- `prev` the first kept record chains — sealed with a MAC keyed from BRIDGE_STORE_KEY,
-- so verification starts there and a checkpoint moved forward (records removed before
-- their time) is detected.
CREATE TABLE audit_checkpoints (
    position  BIGINT PRIMARY KEY,
    digest    CHAR(64) NOT NULL,
    made_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    seal      CHAR(64) NOT NULL
);

-- Pruning finds its cut by age.
CREATE INDEX audit_records_recorded_at ON audit_records (recorded_at);
