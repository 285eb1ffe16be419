"""Records that must outlive Redis, in PostgreSQL (`BRIDGE_DATABASE_URL`): the audit
trail, remembered consents and dynamically registered clients. Redis keeps what is
short-lived."""
