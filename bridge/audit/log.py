"""Where audit records are kept: an append-only log with compare-and-append.

Two instances of the bridge may append at the same moment. Each computes its record
from the head it last saw; the log appends only if that head is still the last record,
atomically, and otherwise hands back the real head so the caller can re-chain and try
again (optimistic concurrency). SHA-256 is computed in Python because Redis's Lua has
only SHA-1; the compare-and-append is one Lua script, so it is one round trip and no
other client can slip a record in between the check and the XADD.

`RedisAuditLog` keeps the chain in a Redis Stream (XADD, XRANGE); `MemoryAuditLog` is
the one-process equivalent for the demo. Both pass tests/audit/test_log_conformance.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import redis.asyncio as aioredis

from bridge.audit.records import GENESIS, StoredRecord

STREAM_KEY = "bridge:audit:chain"


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


class MemoryAuditLog:
    """Atomic because no method awaits between its check and its write."""

    def __init__(self) -> None:
        self.records: list[StoredRecord] = []

    async def append(self, prev: str, body: str, digest: str) -> Conflict | None:
        return await self.append_many(prev, [(body, digest)])

    async def append_many(self, prev: str, entries: Sequence[tuple[str, str]]) -> Conflict | None:
        last = self.records[-1] if self.records else None
        if (last.digest if last else GENESIS) != prev:
            return Conflict(last)
        for body, digest in entries:
            self.records.append(StoredRecord(str(len(self.records) + 1), body, digest))
        return None

    async def head(self) -> StoredRecord | None:
        return self.records[-1] if self.records else None

    async def read(self, after: str | None = None, count: int = 500) -> list[StoredRecord]:
        start = int(after) if after else 0
        return self.records[start : start + count]

    async def aclose(self) -> None:
        return None


# KEYS[1] stream; ARGV: expected prev digest, genesis, then body, digest pairs.
# Returns {1, id} when appended (the last id), {0, id, body, digest} (or {0} for an empty
# log) when not.
_APPEND = """
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local head = ARGV[2]
local entry = last[1]
local body = nil
if entry then
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'hash' then head = fields[i + 1] end
    if fields[i] == 'body' then body = fields[i + 1] end
  end
end
if head ~= ARGV[1] then
  if entry then return {0, entry[1], body, head} end
  return {0}
end
local id = nil
for i = 3, #ARGV, 2 do
  id = redis.call('XADD', KEYS[1], '*', 'body', ARGV[i], 'hash', ARGV[i + 1])
end
return {1, id}
"""


def _record(entry_id: Any, fields: Any) -> StoredRecord:
    values = {_text(k): _text(v) for k, v in cast(dict[Any, Any], fields).items()}
    return StoredRecord(_text(entry_id), values.get("body", ""), values.get("hash", ""))


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class RedisAuditLog:
    def __init__(
        self, client: aioredis.Redis, key: str = STREAM_KEY, *, owns: bool = False
    ) -> None:
        self._redis = client
        self._key = key
        self._owns = owns
        self._append = client.register_script(_APPEND)

    @classmethod
    def from_url(cls, url: str, key: str = STREAM_KEY) -> RedisAuditLog:
        client = aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        return cls(client, key, owns=True)

    async def append(self, prev: str, body: str, digest: str) -> Conflict | None:
        return await self.append_many(prev, [(body, digest)])

    async def append_many(self, prev: str, entries: Sequence[tuple[str, str]]) -> Conflict | None:
        pairs = [value for entry in entries for value in entry]
        result = await self._append(keys=[self._key], args=[prev, GENESIS, *pairs])
        if int(result[0]) == 1:
            return None
        if len(result) == 1:
            return Conflict(None)
        return Conflict(StoredRecord(_text(result[1]), _text(result[2] or ""), _text(result[3])))

    async def head(self) -> StoredRecord | None:
        entries = await self._redis.xrevrange(self._key, count=1)
        return _record(*entries[0]) if entries else None

    async def read(self, after: str | None = None, count: int = 500) -> list[StoredRecord]:
        start = f"({after}" if after else "-"
        entries = await self._redis.xrange(self._key, min=start, max="+", count=count)
        return [_record(entry_id, fields) for entry_id, fields in entries or ()]

    async def aclose(self) -> None:
        if self._owns:  # a client shared with the key-value store is closed by the store
            await self._redis.aclose()
