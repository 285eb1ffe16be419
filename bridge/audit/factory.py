"""The audit trail `create_app` builds when none is given: hash-chained, in the same
place as everything else the bridge stores (the store's append log: a Redis Stream
beside the Redis store, or memory for the demo)."""

from __future__ import annotations

from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.log import STREAM_KEY, AuditLog, ChainLog
from bridge.clock import Clock
from bridge.provider.clients import ClientRegistry
from bridge.store.backend import KeyValueBackend


def default_trail(
    backend: KeyValueBackend,
    clock: Clock,
    clients: ClientRegistry,
    *,
    log: AuditLog | None = None,
) -> HashChainAuditTrail:
    """`log`: where records go instead of the store's append log (PostgreSQL)."""

    def purpose_of(client_id: str) -> str | None:
        client = clients.get(client_id)
        return client.purpose.en if client is not None else None

    chain_log = log or ChainLog(backend.append_log(STREAM_KEY))
    return HashChainAuditTrail(chain_log, clock, purpose_of=purpose_of)
