"""The audit trail `create_app` builds when none is given: hash-chained, in the same
place as everything else the bridge stores (the store's append log: a Redis Stream
beside the Redis store, or memory for the demo)."""

from __future__ import annotations

from collections.abc import Callable

from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.log import AuditLog, ChainLog
from bridge.audit.records import STREAM_KEY
from bridge.clock import Clock
from bridge.store.backend import KeyValueBackend


def default_trail(
    backend: KeyValueBackend,
    clock: Clock,
    purpose_of: Callable[[str], str | None],
    *,
    log: AuditLog | None = None,
) -> HashChainAuditTrail:
    """`purpose_of`: a client's declared purpose, recorded with each release.
    `log`: where records go instead of the store's append log (PostgreSQL)."""
    chain_log = log or ChainLog(backend.append_log(STREAM_KEY))
    return HashChainAuditTrail(chain_log, clock, purpose_of=purpose_of)
