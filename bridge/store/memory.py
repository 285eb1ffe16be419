"""The in-process backend for the one-command demo (one instance only).

Atomicity comes from the event loop: no method awaits between reading and writing.
Expired entries are dropped when read and swept in bulk every `sweep_every` writes,
so memory stays bounded by what is live.
"""

from __future__ import annotations

from collections.abc import Sequence

from bridge.clock import Clock, SystemClock
from bridge.store.backend import Op, Swap


class MemoryBackend:
    def __init__(self, clock: Clock | None = None, *, sweep_every: int = 1000) -> None:
        self._clock = clock or SystemClock()
        self._data: dict[str, tuple[bytes, float]] = {}
        self._writes = 0
        self._sweep_every = sweep_every

    def _live(self, key: str) -> bytes | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if expires_at <= self._clock.now():
            del self._data[key]
            return None
        return value

    def _write(self, key: str, value: bytes, ttl: float) -> None:
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

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        self._write(key, value, ttl)

    async def put_new(self, key: str, value: bytes, ttl: float) -> bool:
        if self._live(key) is not None:
            return False
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

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self._data.clear()
