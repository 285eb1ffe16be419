"""The audit trail: what crossed the boundary, to whom, when and why — never the values.

- `trail`: the `AuditTrail` interface and `LogAuditTrail` (log events only);
- `records`, `log`, `chain`: hash-chained records in an append-only log (a Redis
  Stream, or memory for the demo) — `HashChainAuditTrail`;
- `verify`, `export`: checking a chain and its JSON Lines file form
  (`bridge audit verify|export`).
"""

from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.log import AuditLog, MemoryAuditLog, RedisAuditLog
from bridge.audit.trail import AuditTrail, LogAuditTrail

__all__ = [
    "AuditLog",
    "AuditTrail",
    "HashChainAuditTrail",
    "LogAuditTrail",
    "MemoryAuditLog",
    "RedisAuditLog",
]
