"""Where audit records are kept: an append-only log with compare-and-append.

Two instances of the bridge may append at the same moment. Each computes its record
from the head it last saw; the log appends only if that head is still the last record,
atomically, and otherwise hands back the real head so the caller can re-chain and try
again (optimistic concurrency).

The log itself is a capability of the store (`KeyValueBackend.append_log`: a Redis
Stream beside the Redis store, a list for the memory store of the demo); this module
speaks the audit trail's vocabulary over it. Both pass tests/audit/test_log_conformance.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bridge.audit.records import GENESIS, STREAM_KEY, StoredRecord
from bridge.store.backend import AppendLog, LogEntry
from bridge.store.memory import MemoryAppendLog
from bridge.store.redis import RedisAppendLog
from bridge.store.redis_client import AnyRedis, RedisConnection, redis_client


@dataclass(frozen=True, slots=True)
class Conflict:
    """Another record was appended first; `head` is the last record now (None: empty)."""

    head: StoredRecord | None


class AuditLog(Protocol):
    async def append(self, prev: str, body: str, digest: str) -> Conflict | None:
        """Append if the last record's digest is `prev` (GENESIS: the log is empty).
        None when appended; otherwise a `Conflict` naming the real head, and nothing
        changes."""
        ...

    async def append_many(self, prev: str, entries: Sequence[tuple[str, str]]) -> Conflict | None:
        """`append` for several (body, digest) records chained one after the other:
        all of them or none, in one round trip."""
        ...

    async def head(self) -> StoredRecord | None:
        """The last record, or None for an empty log."""
        ...

    async def read(self, after: str | None = None, count: int = 500) -> list[StoredRecord]:
        """Up to `count` records in log order, starting after entry id `after`."""
        ...

    async def aclose(self) -> None: ...


Chainer = Callable[[StoredRecord | None], list[StoredRecord]]
"""Makes the records to append from the real head (None: the log is empty)."""


@runtime_checkable
class ChainingLog(Protocol):
    """A log that can hold its append lock across a round trip (PostgreSQL's advisory
    lock inside a transaction) chains the records itself, from the head it reads under
    that lock: an append never conflicts, so several instances do not re-send groups to
    each other. A Redis script cannot call back into the bridge, so the Redis log keeps
    compare-and-append."""

    async def append_chained(self, chain: Chainer) -> list[StoredRecord]:
        """Append `chain(head)` after the current head, atomically; the records as kept."""
        ...


def _record(entry: LogEntry | None) -> StoredRecord | None:
    return None if entry is None else StoredRecord(entry.entry_id, entry.body, entry.link)


class ChainLog:
    """An `AuditLog` over the store's append log: each entry's link is its digest."""

    def __init__(self, log: AppendLog) -> None:
        self._log = log

    async def append(self, prev: str, body: str, digest: str) -> Conflict | None:
        return await self.append_many(prev, [(body, digest)])

    async def append_many(self, prev: str, entries: Sequence[tuple[str, str]]) -> Conflict | None:
        conflict = await self._log.append_many(prev, entries, empty=GENESIS)
        return None if conflict is None else Conflict(_record(conflict.head))

    async def head(self) -> StoredRecord | None:
        return _record(await self._log.head())

    async def read(self, after: str | None = None, count: int = 500) -> list[StoredRecord]:
        return [
            StoredRecord(e.entry_id, e.body, e.link) for e in await self._log.read(after, count)
        ]

    async def aclose(self) -> None:
        return None


class MemoryAuditLog(ChainLog):
    def __init__(self) -> None:
        super().__init__(MemoryAppendLog())


class RedisAuditLog(ChainLog):
    """The chain in a Redis Stream, on a client of its own (`from_url`, for the CLI: any
    topology `bridge.store.redis_client` knows) or on one shared with the key-value
    store, which closes it."""

    def __init__(self, client: AnyRedis, key: str = STREAM_KEY, *, owns: bool = False) -> None:
        super().__init__(RedisAppendLog(client, key))
        self._connection = RedisConnection(client) if owns else None

    @classmethod
    def from_url(cls, url: str, key: str = STREAM_KEY) -> RedisAuditLog:
        connection = redis_client(url)
        log = cls(connection.client, key)
        log._connection = connection
        return log

    async def aclose(self) -> None:
        if self._connection is not None:
            await self._connection.aclose()
