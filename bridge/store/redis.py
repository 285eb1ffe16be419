"""The Redis backend (redis.asyncio): a single node, a Sentinel-managed primary or a
Cluster (`bridge.store.redis_client`).

Each operation is a single Redis command or a single Lua script on one key, so
atomicity is Redis's own: `SET NX GET PX`, `GETDEL` (Redis >= 6.2), `SET XX GET PX`, and
scripts for compare-and-set, sets and due queues whose TTL only grows, counters with a
window and the append log's compare-and-append. One key per operation is also what makes every
operation Cluster-safe; `batch` is a pipeline that a Cluster client splits by node
(on one node, reads alone are one MGET).

**Retries.** The client re-sends a command when its connection fails (a failover, see
`redis_client`). A command may then run twice if the first one ran but its reply was
lost. Each operation is written so that running twice is harmless:

- `take` (`GETDEL`) and `swap` (`SET XX GET`): the second run finds the value already
  gone or replaced, so the caller sees "unknown" or "already used" — a single-use value
  can be lost (one sign-in fails with `invalid_grant`), never used twice;
- `put_new` (`SET NX GET`): the second run finds its own value (sealed values carry a
  random nonce, so equal bytes are ours) and reports success;
- compare-and-set: a run that finds its own new value in place reports success, so a
  read-modify-write is not applied twice;
- compare-and-append (audit): a run that finds its own last record at the head reports
  success, so no record is appended twice;
- `set_add`, `delete` and the lock's release are idempotent; `increment` may count one
  request twice (a rate limit errs on the strict side).

Replication is asynchronous: a write acknowledged by a primary that dies before its
replica received it is lost in the failover. For single-use values that is the
window in which a used code could be presented again; it is one replication delay
long (sub-millisecond on a LAN). The audit trail and remembered consents, which must
never be lost, belong in PostgreSQL (`BRIDGE_DATABASE_URL`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from typing import Any, cast

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import LockError

from bridge.store.backend import Conflict, Get, LogEntry, Op, Swap
from bridge.store.redis_client import (
    AnyRedis,
    RedisConnection,
    Script,
    redis_client,
    unavailable_as_store_error,
)
from bridge.store.redis_url import RedisOptions

PING_TIMEOUT = 1.0
"""Seconds `/readyz` waits for Redis."""


def _ms(ttl: float) -> int:
    if ttl <= 0:
        raise ValueError("every stored value needs a positive TTL")
    return max(1, int(ttl * 1000))


# KEYS[1]; ARGV: has-expected (0/1), expected, has-value (0/1), value, ttl ms.
_COMPARE_AND_SET = """
local current = redis.call('GET', KEYS[1])
if ARGV[3] == '1' and current == ARGV[4] then return 1 end  -- our own earlier run
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
else
  redis.call('DEL', KEYS[1])
end
return 1
"""

# KEYS[1]; ARGV: ttl ms, members...  The set lives at least ttl ms more; never less.
_SET_ADD = """
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1
"""

# KEYS[1]; ARGV: ttl ms, due, member. The queue lives at least ttl ms more; never less.
_QUEUE_PUSH = """
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1
"""

# KEYS[1]; ARGV: now, lease end, count. Claiming moves each member to the lease's end.
_QUEUE_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[2], member)
end
return due
"""

# KEYS[1]; ARGV: ttl ms. The window starts at the first increment.
_INCREMENT = """
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""

# KEYS[1] stream; ARGV: expected prev link, the empty log's link, then body, link pairs.
# Returns {1, id} when appended (the last id), {0, id, body, link} (or {0} for an empty
# log) when not. A head equal to the last link given means this very group was appended
# by an earlier run of the script whose reply was lost: success, nothing appended again.
# SHA-256 is computed by the caller: Redis's Lua has only SHA-1.
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
if entry and head == ARGV[#ARGV] then return {1, entry[1]} end
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


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _entry(entry_id: Any, fields: Any) -> LogEntry:
    values = {_text(k): _text(v) for k, v in cast(dict[Any, Any], fields).items()}
    return LogEntry(_text(entry_id), values.get("body", ""), values.get("hash", ""))


class RedisBackend:
    """Every method raises `StoreUnavailable` when Redis cannot be reached in the retry
    budget (`unavailable_as_store_error`)."""

    def __init__(self, client: AnyRedis | RedisConnection) -> None:
        self._connection = (
            client if isinstance(client, RedisConnection) else RedisConnection(client)
        )
        self._redis = client = self._connection.client
        self._single_node = not isinstance(client, RedisCluster)
        self._compare_and_set = Script(client, _COMPARE_AND_SET)
        self._set_add = Script(client, _SET_ADD)
        self._increment = Script(client, _INCREMENT)
        self._queue_push = Script(client, _QUEUE_PUSH)
        self._queue_claim = Script(client, _QUEUE_CLAIM)

    @classmethod
    def from_url(cls, url: str, options: RedisOptions | None = None) -> RedisBackend:
        return cls(redis_client(url, options))

    @property
    def client(self) -> AnyRedis:
        return self._redis

    @unavailable_as_store_error
    async def put(self, key: str, value: bytes, ttl: float) -> None:
        await self._redis.set(key, value, px=_ms(ttl))

    @unavailable_as_store_error
    async def put_new(self, key: str, value: bytes, ttl: float) -> bool:
        # NX with GET (Redis >= 7.0): None when stored; else what is there — our own
        # value if a retry re-sent a command that had run (see the module docstring).
        found = await self._redis.set(key, value, px=_ms(ttl), nx=True, get=True)
        return found is None or found == value

    @unavailable_as_store_error
    async def get(self, key: str) -> bytes | None:
        return cast(bytes | None, await self._redis.get(key))

    @unavailable_as_store_error
    async def take(self, key: str) -> bytes | None:
        return cast(bytes | None, await self._redis.getdel(key))

    @unavailable_as_store_error
    async def swap(self, key: str, value: bytes, ttl: float) -> bytes | None:
        old = await self._redis.set(key, value, px=_ms(ttl), xx=True, get=True)
        return cast(bytes | None, old)

    @unavailable_as_store_error
    async def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: float
    ) -> bool:
        args = [
            "0" if expected is None else "1",
            expected or b"",
            "0" if value is None else "1",
            value or b"",
            _ms(ttl),
        ]
        return int(await self._compare_and_set(keys=[key], args=args)) == 1

    @unavailable_as_store_error
    async def delete(self, *keys: str) -> None:
        if keys:
            await self._redis.delete(*keys)

    @unavailable_as_store_error
    async def batch(self, ops: Sequence[Op]) -> list[bytes | None]:
        if not ops:
            return []
        if self._single_node and all(isinstance(op, Get) for op in ops):
            # One MGET, not a pipeline of GETs: the same round trip for ~30 % less client
            # CPU (bench/README.md). A Cluster's keys may live on several nodes.
            found = await self._redis.mget([op.key for op in ops])
            return [cast(bytes | None, value) for value in found]
        async with self._redis.pipeline(transaction=False) as pipe:
            for op in ops:
                if isinstance(op, Swap):
                    pipe.set(op.key, op.value, px=_ms(op.ttl), xx=True, get=True)
                else:
                    pipe.get(op.key)
            results = await pipe.execute()
        return [cast(bytes | None, result) for result in results]

    @unavailable_as_store_error
    async def set_add(self, key: str, members: Collection[bytes], ttl: float) -> None:
        if members:
            await self._set_add(keys=[key], args=[_ms(ttl), *members])

    @unavailable_as_store_error
    async def set_remove(self, key: str, members: Collection[bytes]) -> None:
        if members:
            await self._redis.srem(key, *members)

    @unavailable_as_store_error
    async def set_members(self, key: str) -> frozenset[bytes]:
        return frozenset(cast(set[bytes], await self._redis.smembers(key)))

    @unavailable_as_store_error
    async def increment(self, key: str, ttl: float) -> int:
        return int(await self._increment(keys=[key], args=[_ms(ttl)]))

    @unavailable_as_store_error
    async def queue_push(self, key: str, member: bytes, due: float, ttl: float) -> None:
        await self._queue_push(keys=[key], args=[_ms(ttl), repr(due), member])

    @unavailable_as_store_error
    async def queue_claim(self, key: str, now: float, lease: float, count: int) -> list[bytes]:
        claimed = await self._queue_claim(keys=[key], args=[repr(now), repr(now + lease), count])
        return list(cast(list[bytes], claimed))

    @unavailable_as_store_error
    async def queue_remove(self, key: str, member: bytes) -> None:
        await self._redis.zrem(key, member)

    @unavailable_as_store_error
    async def queue_length(self, key: str) -> int:
        return int(await self._redis.zcard(key))

    def append_log(self, name: str) -> RedisAppendLog:
        return RedisAppendLog(self._redis, name)

    def lock(self, name: str, ttl: float) -> RedisLock:
        return RedisLock(self._redis, name, ttl)

    async def ping(self) -> bool:
        # Readiness must say "not ready" while a failover lasts, not wait it out through
        # the retry budget as a request does.
        try:
            async with asyncio.timeout(PING_TIMEOUT):
                return bool(await self._redis.ping())
        except Exception:  # readiness reports any failure as "not ready"
            return False

    async def aclose(self) -> None:
        await self._connection.aclose()


class RedisAppendLog:
    """An append log in a Redis Stream (XADD, XRANGE), appended by a Lua
    compare-and-append: one round trip, and no other client can slip an entry in
    between the check and the XADD."""

    def __init__(self, client: AnyRedis, key: str) -> None:
        self._redis = client
        self._key = key
        self._append = Script(client, _APPEND)

    @unavailable_as_store_error
    async def append_many(
        self, prev: str, entries: Sequence[tuple[str, str]], *, empty: str
    ) -> Conflict | None:
        pairs = [value for entry in entries for value in entry]
        result = await self._append(keys=[self._key], args=[prev, empty, *pairs])
        if int(result[0]) == 1:
            return None
        if len(result) == 1:
            return Conflict(None)
        return Conflict(LogEntry(_text(result[1]), _text(result[2] or ""), _text(result[3])))

    @unavailable_as_store_error
    async def head(self) -> LogEntry | None:
        entries = await self._redis.xrevrange(self._key, count=1)
        return _entry(*entries[0]) if entries else None

    @unavailable_as_store_error
    async def read(self, after: str | None = None, count: int = 500) -> list[LogEntry]:
        start = f"({after}" if after else "-"
        entries = await self._redis.xrange(self._key, min=start, max="+", count=count)
        return [_entry(entry_id, fields) for entry_id, fields in entries or ()]


class RedisLock:
    """redis-py's `Lock`: `SET NX PX` with a random token, released by a
    compare-and-delete script."""

    def __init__(self, client: AnyRedis, name: str, ttl: float) -> None:
        self._lock = client.lock(name, timeout=ttl, sleep=0.05)

    @unavailable_as_store_error
    async def acquire(self, wait: float) -> bool:
        return bool(await self._lock.acquire(blocking=wait > 0, blocking_timeout=wait or None))

    @unavailable_as_store_error
    async def release(self) -> bool:
        try:
            await self._lock.release()
        except LockError:
            return False
        return True
