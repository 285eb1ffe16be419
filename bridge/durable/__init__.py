"""Records that must outlive Redis, in PostgreSQL (`BRIDGE_DATABASE_URL`): the audit
trail and remembered consents. Redis keeps what is short-lived."""
