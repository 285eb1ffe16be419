"""The audit trail in PostgreSQL: an `AuditLog` (bridge.audit.log) over an append-only
table, the same hash chain as in Redis, so `bridge audit verify|export` work unchanged.

Appends from every instance are serialised by a transaction-scoped advisory lock: the
transaction takes it, compares the last row's digest with the one the caller chained
on, and inserts the group or answers with the real head — the compare-and-append of
the Redis Stream, with the database's durability (the row is on disk, and on the
standby with synchronous replication, when the commit returns). The bridge's own trail
uses `append_chained` instead: it chains the group under the lock, from the head it
reads there, so two instances never send each other's groups back to be re-chained.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bridge.audit.log import Chainer, Conflict
from bridge.audit.records import GENESIS, StoredRecord
from bridge.durable.database import Database, unavailable_as_store_error

APPEND_LOCK = 0x61756474  # "audt": also taken by pruning (bridge.durable.retention)


def _record(row: tuple[Any, ...] | None) -> StoredRecord | None:
    return None if row is None else StoredRecord(str(row[0]), row[1], row[2])


class PostgresAuditLog:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def append(self, prev: str, body: str, digest: str) -> Conflict | None:
        return await self.append_many(prev, [(body, digest)])

    @unavailable_as_store_error
    async def append_many(self, prev: str, entries: Sequence[tuple[str, str]]) -> Conflict | None:
        async with self._db.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
            cursor = await conn.execute(
                "SELECT position, body, digest FROM audit_records ORDER BY position DESC LIMIT 1"
            )
            head = _record(await cursor.fetchone())
            if head is not None and entries and head.digest == entries[-1][1]:
                return None  # this very group, committed by a try whose answer was lost
            if (head.digest if head else GENESIS) != prev:
                return Conflict(head)
            start = int(head.entry_id) + 1 if head else 1
            async with conn.cursor() as insert:
                await insert.executemany(
                    "INSERT INTO audit_records (position, body, digest) VALUES (%s, %s, %s)",
                    [(start + n, body, digest) for n, (body, digest) in enumerate(entries)],
                )
        return None

    @unavailable_as_store_error
    async def head(self) -> StoredRecord | None:
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                "SELECT position, body, digest FROM audit_records ORDER BY position DESC LIMIT 1"
            )
            return _record(await cursor.fetchone())

    @unavailable_as_store_error
    async def read(self, after: str | None = None, count: int = 500) -> list[StoredRecord]:
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                "SELECT position, body, digest FROM audit_records WHERE position > %s "
                "ORDER BY position LIMIT %s",
                (int(after) if after else 0, count),
            )
            return [
                StoredRecord(str(p), body, digest) for p, body, digest in await cursor.fetchall()
            ]

    @unavailable_as_store_error
    async def append_chained(self, chain: Chainer) -> list[StoredRecord]:
        async with self._db.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
            cursor = await conn.execute(
                "SELECT position, body, digest FROM audit_records ORDER BY position DESC LIMIT 1"
            )
            head = _record(await cursor.fetchone())
            start = int(head.entry_id) + 1 if head else 1
            records = [
                StoredRecord(str(start + n), r.body, r.digest) for n, r in enumerate(chain(head))
            ]
            async with conn.cursor() as insert:
                await insert.executemany(
                    "INSERT INTO audit_records (position, body, digest) VALUES (%s, %s, %s)",
                    [(int(r.entry_id), r.body, r.digest) for r in records],
                )
        return records

    async def aclose(self) -> None:
        return None  # the pool belongs to the composition root
