"""The in-process backend for the one-command demo (one instance only).

Atomicity comes from the event loop: no method awaits between reading and writing.
Expired entries are dropped when read and swept in bulk every `sweep_every` writes,
so memory stays bounded by what is live. Values, sets and counters share one key space,
as they do in Redis.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Collection, Sequence

from bridge.clock import Clock, SystemClock
from bridge.store.backend import Conflict, LogEntry, Op, Swap

_POLL = 0.01
_Value = bytes | set[bytes] | int | dict[bytes, float]


class MemoryBackend:
    def __init__(self, clock: Clock | None = None, *, sweep_every: int = 1000) -> None:
        self._clock = clock or SystemClock()
        self._data: dict[str, tuple[_Value, float]] = {}
        self._logs: dict[str, MemoryAppendLog] = {}
        self._writes = 0
        self._sweep_every = sweep_every

    def _entry(self, key: str) -> _Value | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if expires_at <= self._clock.now():
            del self._data[key]
            return None
        return value

    def _live(self, key: str) -> bytes | None:
        value = self._entry(key)
        return value if isinstance(value, bytes) else None

    def _write(self, key: str, value: _Value, ttl: float) -> None:
        if ttl <= 0:
            raise ValueError("every stored value needs a positive TTL")
        self._data[key] = (value, self._clock.now() + ttl)
        self._writes += 1
        if self._writes % self._sweep_every == 0:
            self.sweep()

    def sweep(self) -> None:
        now = self._clock.now()
        for key in [k for k, (_, exp) in self._data.items() if exp <= now]:
            del self._data[key]

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> list[str]:
        """The live keys (for tests that check what is left behind)."""
        return [k for k in list(self._data) if self._entry(k) is not None]

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        self._write(key, value, ttl)

    async def put_new(self, key: str, value: bytes, ttl: float) -> bool:
        found = self._entry(key)
        if found is not None:
            return found == value
        self._write(key, value, ttl)
        return True

    async def get(self, key: str) -> bytes | None:
        return self._live(key)

    async def take(self, key: str) -> bytes | None:
        value = self._live(key)
        if value is not None:
            del self._data[key]
        return value

    async def swap(self, key: str, value: bytes, ttl: float) -> bytes | None:
        old = self._live(key)
        if old is not None:
            self._write(key, value, ttl)
        return old

    async def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: float
    ) -> bool:
        current = self._live(key)
        if value is not None and current == value:
            return True  # as in Redis: the write is already there
        if current != expected:
            return False
        if value is None:
            self._data.pop(key, None)
        else:
            self._write(key, value, ttl)
        return True

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._data.pop(key, None)

    async def batch(self, ops: Sequence[Op]) -> list[bytes | None]:
        results: list[bytes | None] = []
        for op in ops:
            if isinstance(op, Swap):
                results.append(await self.swap(op.key, op.value, op.ttl))
            else:
                results.append(self._live(op.key))
        return results

    async def set_add(self, key: str, members: Collection[bytes], ttl: float) -> None:
        current = self._entry(key)
        found = current if isinstance(current, set) else set()
        remaining = self._data[key][1] - self._clock.now() if current is not None else 0.0
        self._write(key, found | set(members), max(ttl, remaining))

    async def set_remove(self, key: str, members: Collection[bytes]) -> None:
        current = self._entry(key)
        if isinstance(current, set):
            current.difference_update(members)
            if not current:
                del self._data[key]

    async def set_members(self, key: str) -> frozenset[bytes]:
        current = self._entry(key)
        return frozenset(current) if isinstance(current, set) else frozenset()

    async def increment(self, key: str, ttl: float) -> int:
        current = self._entry(key)
        if isinstance(current, int):
            count = current + 1
            self._data[key] = (count, self._data[key][1])
            return count
        self._write(key, 1, ttl)
        return 1

    def _queue(self, key: str) -> dict[bytes, float]:
        current = self._entry(key)
        return current if isinstance(current, dict) else {}

    async def queue_push(self, key: str, member: bytes, due: float, ttl: float) -> None:
        queue = self._queue(key)
        remaining = self._data[key][1] - self._clock.now() if key in self._data else 0.0
        queue[member] = due
        self._write(key, queue, max(ttl, remaining))

    async def queue_claim(self, key: str, now: float, lease: float, count: int) -> list[bytes]:
        queue = self._queue(key)
        due = sorted((at, m) for m, at in queue.items() if at <= now)[:count]
        for _, member in due:
            queue[member] = now + lease
        return [member for _, member in due]

    async def queue_remove(self, key: str, member: bytes) -> None:
        queue = self._queue(key)
        queue.pop(member, None)
        if not queue:
            self._data.pop(key, None)

    async def queue_length(self, key: str) -> int:
        return len(self._queue(key))

    def append_log(self, name: str) -> MemoryAppendLog:
        return self._logs.setdefault(name, MemoryAppendLog())

    def lock(self, name: str, ttl: float) -> MemoryLock:
        return MemoryLock(self, name, ttl)

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self._data.clear()


class MemoryAppendLog:
    """Atomic because no method awaits between its check and its write."""

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []

    async def append_many(
        self, prev: str, entries: Sequence[tuple[str, str]], *, empty: str
    ) -> Conflict | None:
        last = self.entries[-1] if self.entries else None
        if last is not None and entries and last.link == entries[-1][1]:
            return None  # as in Redis: this group is already the head
        if (last.link if last else empty) != prev:
            return Conflict(last)
        for body, link in entries:
            self.entries.append(LogEntry(str(len(self.entries) + 1), body, link))
        return None

    async def head(self) -> LogEntry | None:
        return self.entries[-1] if self.entries else None

    async def read(self, after: str | None = None, count: int = 500) -> list[LogEntry]:
        start = int(after) if after else 0
        return self.entries[start : start + count]


class MemoryLock:
    """The lock as a value with a TTL in the backend, so it expires like Redis's."""

    def __init__(self, backend: MemoryBackend, name: str, ttl: float) -> None:
        self._backend = backend
        self._key = name
        self._ttl = ttl
        self._token = secrets.token_bytes(16)

    async def acquire(self, wait: float) -> bool:
        deadline = asyncio.get_running_loop().time() + wait
        while not await self._backend.put_new(self._key, self._token, self._ttl):
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(_POLL)
        return True

    async def release(self) -> bool:
        return await self._backend.compare_and_set(self._key, self._token, None, self._ttl)
