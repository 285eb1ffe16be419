"""The rotation lock: one writer of the key set at a time.

Across instances it is the store's lock (`KeyValueBackend.lock`: in Redis, `SET NX PX`
with a random token released by a compare-and-delete script, expiring by itself if its
holder dies). On one host it is also an `flock` on `keys/signing/.lock`, which covers a
`bridge keys` command run beside a served app on the memory store (the demo), whose
lock lives in one process only. The lock only serialises
writers: whoever holds it reads the key set again and re-checks why it came before
changing anything, so a second `rotate` arriving late changes nothing.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from redis.exceptions import RedisError

from bridge.errors import SigningKeyError, StoreError
from bridge.store.backend import KeyValueBackend
from bridge.store.record_base import key

log = structlog.get_logger(__name__)

LOCK_KEY = key("lock", "signing-keys")
LOCK_TTL = 30.0
"""Seconds before a dead holder's Redis lock expires; a change takes well under one."""
_POLL = 0.05


class KeySetBusy(SigningKeyError):
    """Another process is changing the key set."""


class KeySetLock:
    def __init__(self, backend: KeyValueBackend | None, lock_path: Path) -> None:
        self._shared = backend.lock(LOCK_KEY, LOCK_TTL) if backend is not None else None
        self._path = lock_path

    @asynccontextmanager
    async def hold(self, wait: float) -> AsyncIterator[None]:
        """Hold the lock, waiting up to `wait` seconds for it (0: try once)."""
        deadline = time.monotonic() + wait
        shared = self._shared
        if shared is not None:
            try:
                acquired = await shared.acquire(wait=max(wait, 0.0))
            except (RedisError, StoreError) as exc:
                raise SigningKeyError(f"cannot take the rotation lock in Redis: {exc}") from None
            if not acquired:
                raise KeySetBusy("another instance is changing the key set")
        try:
            fd = await self._flock(deadline)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        finally:
            if shared is not None:
                try:
                    if not await shared.release():  # the next holder re-checks anyway
                        log.warning("keys.lock_expired_while_held", ttl=LOCK_TTL)
                except (RedisError, StoreError) as exc:  # it expires by itself
                    log.warning("keys.lock_release_failed", error=str(exc))

    async def _flock(self, deadline: float) -> int:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise KeySetBusy(f"another process holds {self._path}") from None
                await asyncio.sleep(_POLL)  # a short, bounded wait for a local writer
