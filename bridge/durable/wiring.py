"""Choosing where durable records live, for the composition root: PostgreSQL when
`BRIDGE_DATABASE_URL` is set (after checking its schema is current), otherwise the same
store as everything else (memory for the demo, or Redis), exactly as before. Dynamically
registered clients follow the same choice."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bridge.audit.log import AuditLog
from bridge.clock import Clock
from bridge.durable.audit_log import PostgresAuditLog
from bridge.durable.consents import PostgresRememberedConsents
from bridge.durable.database import Database, check_schema
from bridge.durable.registered_clients import PostgresClientStore
from bridge.store.records import Stores
from bridge.store.registered_clients import ClientStore
from bridge.store.sealing import Sealer


@dataclass(frozen=True, slots=True)
class Durable:
    stores: Stores
    audit_log: AuditLog | None
    """None: the audit trail stays on the key-value store's append log."""
    database: Database | None
    clients: ClientStore | None = None
    """None: registered clients stay in the key-value store."""


def durable_records(
    database_url: str | None, stores: Stores, sealer: Sealer, clock: Clock
) -> Durable:
    if not database_url:
        return Durable(stores, None, None)
    check_schema(database_url)  # ConfigError: behind, or unreachable
    database = Database(database_url)
    consents = PostgresRememberedConsents(database, sealer, clock)
    return Durable(
        dataclasses.replace(stores, consents=consents),
        PostgresAuditLog(database),
        database,
        PostgresClientStore(database, sealer, clock),
    )
