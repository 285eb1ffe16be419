"""The key-value contract under every typed store, and the capabilities beside it.

Both backends must make `put_new`, `take`, `swap` and `compare_and_set` atomic: one-time
values (codes, flow states, jti) and concurrent writers (two instances remembering the
same resident's consent) rely on that (dex: "Delete methods MUST be atomic"). Every write
carries a TTL, so nothing grows without bound.

Capabilities are part of the contract, not type checks on the backend: a component that
needs a set, a counter, a due queue, an append log or a lock asks the backend it was given for one.
Each is implemented by Redis and by memory and runs through tests/store/'s one
conformance suite.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry of an append log: its position id, its body and the link it carries
    (the audit trail's SHA-256 of the entry; the log compares links, never bodies)."""

    entry_id: str
    body: str
    link: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """Another entry was appended first; `head` is the last entry now (None: empty)."""

    head: LogEntry | None


class AppendLog(Protocol):
    """An append-only log with compare-and-append: the one thing the bridge keeps without
    a TTL (the audit trail)."""

    async def append_many(
        self, prev: str, entries: Sequence[tuple[str, str]], *, empty: str
    ) -> Conflict | None:
        """Append (body, link) entries, all or none, if the last entry's link is `prev`
        (`empty`: the log is empty). None when appended — also when the head already is
        the last of `entries` (the same group, appended by a re-sent command); otherwise
        a `Conflict` naming the real head, and nothing changes."""
        ...

    async def head(self) -> LogEntry | None:
        """The last entry, or None for an empty log."""
        ...

    async def read(self, after: str | None = None, count: int = 500) -> list[LogEntry]:
        """Up to `count` entries in log order, starting after entry id `after`."""
        ...


class Lock(Protocol):
    """A lock shared by every instance on the backend, expiring by itself if its holder
    dies (so a crashed instance never blocks the others for longer than its TTL)."""

    async def acquire(self, wait: float) -> bool:
        """Take the lock, waiting up to `wait` seconds (0: try once). False if busy."""
        ...

    async def release(self) -> bool:
        """Give it back; False if it had expired (someone else may hold it now)."""
        ...


class KeyValueBackend(Protocol):
    async def put(self, key: str, value: bytes, ttl: float) -> None:
        """Store `value`, replacing any previous one, for `ttl` seconds."""
        ...

    async def put_new(self, key: str, value: bytes, ttl: float) -> bool:
        """Store `value` only if `key` is absent; True if it was stored (or if the key
        already holds exactly `value`: a re-sent command)."""
        ...

    async def get(self, key: str) -> bytes | None: ...

    async def take(self, key: str) -> bytes | None:
        """Return the value and delete it, atomically: of two concurrent takes one wins."""
        ...

    async def swap(self, key: str, value: bytes, ttl: float) -> bytes | None:
        """If `key` exists, replace its value atomically and return the old one;
        if it does not, change nothing and return None."""
        ...

    async def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: float
    ) -> bool:
        """Write `value` (None: delete the key) only if the key still holds `expected`
        (None: only if it is absent), atomically; True when it was written. The tool for
        read-modify-write records that several instances update (optimistic concurrency:
        read, compute, compare-and-set, and on False read again).

        A key that already holds `value` counts as written: a command re-sent after a
        lost reply is then not applied twice. So `value` must be unique to the write
        (sealed records are: each carries a random nonce)."""
        ...

    async def delete(self, *keys: str) -> None: ...

    async def batch(self, ops: Sequence[Op]) -> list[bytes | None]:
        """Run several operations in one round trip, in order; each is atomic on its
        own (as `get` and `swap`), the batch as a whole is not. One result per op.

        Hot paths need two or three keys each; on this stack a Redis round trip costs
        ~0.1 ms of client CPU, about a tenth of a token request (bench/)."""
        ...

    # --- sets with a TTL ---------------------------------------------------------------

    async def set_add(self, key: str, members: Collection[bytes], ttl: float) -> None:
        """Add members to the set at `key`; the set then lives at least `ttl` seconds
        more (an add never shortens it). Atomic: concurrent adds all land."""
        ...

    async def set_remove(self, key: str, members: Collection[bytes]) -> None: ...

    async def set_members(self, key: str) -> frozenset[bytes]: ...

    # --- counters ----------------------------------------------------------------------

    async def increment(self, key: str, ttl: float) -> int:
        """Add one to the counter at `key` and return its new value. The counter expires
        `ttl` seconds after its first increment: a fixed window (rate limits)."""
        ...

    # --- due queue ---------------------------------------------------------------------

    async def queue_push(self, key: str, member: bytes, due: float, ttl: float) -> None:
        """Schedule `member` in the queue at `key` for time `due` (replacing the time it
        had); the queue then lives at least `ttl` seconds more. Members are small ids:
        what they name lives in sealed records of its own."""
        ...

    async def queue_claim(self, key: str, now: float, lease: float, count: int) -> list[bytes]:
        """Up to `count` members due at or before `now`, earliest first, each moved to
        `now + lease` in the same atomic step: a second worker does not claim them while
        the first works, and a worker that dies leaves them to be claimed again when the
        lease runs out (at-least-once)."""
        ...

    async def queue_remove(self, key: str, member: bytes) -> None: ...

    async def queue_length(self, key: str) -> int: ...

    # --- append log and lock -----------------------------------------------------------

    def append_log(self, name: str) -> AppendLog:
        """The append log called `name` (a key of its own, kept without a TTL)."""
        ...

    def lock(self, name: str, ttl: float) -> Lock:
        """A lock called `name` that expires `ttl` seconds after it was taken."""
        ...

    async def ping(self) -> bool: ...

    async def aclose(self) -> None: ...
