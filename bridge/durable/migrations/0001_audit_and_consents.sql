-- The audit trail: append-only, one row per hash-chained record, in chain order.
CREATE TABLE audit_records (
    position    BIGINT PRIMARY KEY,
    body        TEXT NOT NULL,
    digest      CHAR(64) NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Remembered consents: one sealed ledger per resident (pairwise id at the bridge's own
-- sector), the same record the Redis store keeps, updated under a row lock.
CREATE TABLE remembered_consents (
    resident   TEXT PRIMARY KEY,
    ledger     BYTEA,
    expires_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX remembered_consents_expiry ON remembered_consents (expires_at);
