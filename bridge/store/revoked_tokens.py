"""Access tokens revoked one by one (RFC 7009 §2.1): their `jti`, remembered until the
token would have expired anyway, so the list never outgrows the live tokens.

Revoking a whole grant needs no entry here: deleting the grant record revokes every
token that names it (`gid`).
"""

from __future__ import annotations

from bridge.clock import Clock
from bridge.store.backend import KeyValueBackend
from bridge.store.record_base import digest, key


def revoked_key(jti: str) -> str:
    return key("revoked", digest(jti))


class RevokedTokens:
    def __init__(self, backend: KeyValueBackend, clock: Clock) -> None:
        self._backend = backend
        self._clock = clock

    async def revoke(self, jti: str, expires_at: float) -> None:
        remaining = expires_at - self._clock.now()
        if remaining > 0:
            await self._backend.put(revoked_key(jti), b"1", remaining)

    async def is_revoked(self, jti: str) -> bool:
        return await self._backend.get(revoked_key(jti)) is not None
