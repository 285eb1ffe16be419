"""The key-value contract under every typed store.

Both backends must make `put_new`, `take` and `swap` atomic: one-time values
(codes, flow states, jti) rely on that (dex: "Delete methods MUST be atomic").
Every write carries a TTL, so nothing grows without bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Get:
    key: str


@dataclass(frozen=True, slots=True)
class Swap:
    key: str
    value: bytes
    ttl: float


Op = Get | Swap
"""Operations that can travel together in one round trip (`KeyValueBackend.batch`)."""


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

    async def batch(self, ops: Sequence[Op]) -> list[bytes | None]:
        """Run several operations in one round trip, in order; each is atomic on its
        own (as `get` and `swap`), the batch as a whole is not. One result per op.

        Hot paths need two or three keys each; on this stack a Redis round trip costs
        ~0.1 ms of client CPU, about a tenth of a token request (bench/)."""
        ...

    async def ping(self) -> bool: ...

    async def aclose(self) -> None: ...
