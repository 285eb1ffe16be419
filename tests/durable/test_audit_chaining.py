"""Two bridge instances appending to one audit trail in PostgreSQL at once: the log
chains each group under its lock (`append_chained`), so every record is kept once, in
one unbroken chain, and neither instance has to re-send a group the other overtook."""

from __future__ import annotations

import asyncio

from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.export import records_of
from bridge.audit.verify import verify
from bridge.clock import SystemClock
from bridge.durable.audit_log import PostgresAuditLog
from bridge.durable.database import Database


class CountingLog(PostgresAuditLog):
    """The real log, counting the compare-and-append calls (the path that can conflict)."""

    compare_and_append = 0

    async def append_many(self, prev: str, entries):  # type: ignore[no-untyped-def]
        CountingLog.compare_and_append += 1
        return await super().append_many(prev, entries)


async def test_two_instances_keep_one_chain_without_conflicts(database_url: str) -> None:
    databases = [Database(database_url), Database(database_url)]
    trails = [HashChainAuditTrail(CountingLog(db), SystemClock()) for db in databases]

    async def release(trail: HashChainAuditTrail, n: int) -> None:
        await trail.attributes_released(
            subject=f"s{n}", client_id="portal", claims=["name"], grant_id=f"g{n}"
        )

    await asyncio.gather(*(release(trails[n % 2], n) for n in range(200)))
    records = [r async for r in records_of(PostgresAuditLog(databases[0]))]
    for db in databases:
        await db.aclose()
    report = verify(records)
    assert report.ok, report.findings
    assert report.count == 200 and report.head_seq == 200
    grants = sorted(r.fields()["grant_id"] for r in records)
    assert grants == sorted(f"g{n}" for n in range(200)), "each record once"
    assert CountingLog.compare_and_append == 0, "chained under the lock, never compared"
