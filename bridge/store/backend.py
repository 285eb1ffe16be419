"""The key-value contract under every typed store.

Both backends must make `put_new`, `take` and `swap` atomic: one-time values
(codes, flow states, jti) rely on that (dex: "Delete methods MUST be atomic").
Every write carries a TTL, so nothing grows without bound.
"""

from __future__ import annotations

from typing import Protocol


class KeyValueBackend(Protocol):
    async def put(self, key: str, value: bytes, ttl: float) -> None:
        """Store `value`, replacing any previous one, for `ttl` seconds."""
        ...

    async def put_new(self, key: str, value: bytes, ttl: float) -> bool:
        """Store `value` only if `key` is absent; True if it was stored."""
        ...

    async def get(self, key: str) -> bytes | None: ...

    async def take(self, key: str) -> bytes | None:
        """Return the value and delete it, atomically: of two concurrent takes one wins."""
        ...

    async def swap(self, key: str, value: bytes, ttl: float) -> bytes | None:
        """If `key` exists, replace its value atomically and return the old one;
        if it does not, change nothing and return None."""
        ...

    async def delete(self, *keys: str) -> None: ...

    async def ping(self) -> bool: ...

    async def aclose(self) -> None: ...
