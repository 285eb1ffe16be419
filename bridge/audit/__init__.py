"""The audit trail: what crossed the boundary, to whom, when and why — never the values.

- `trail`: the `AuditTrail` interface and `LogAuditTrail` (log events only);
- `records`, `log`, `chain`: hash-chained records in an append-only log (a Redis
  Stream, or memory for the demo) — `HashChainAuditTrail`;
- `verify`, `export`: checking a chain and its JSON Lines file form
  (`bridge audit verify|export`).

Import from the modules themselves: the package re-exported the chain and the Redis log,
which made every `bridge` command (even `bridge keys list`) import redis-py.
"""
