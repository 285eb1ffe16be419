-- Clients registered through the API (RFC 7591): kept until deleted, not on a TTL.
-- The record is sealed like every other (AES-256-GCM, the client_id as associated
-- data); a client's secret and registration access token are stored only as digests.
CREATE TABLE registered_clients (
    client_id  TEXT PRIMARY KEY,
    record     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
