"""Refresh tokens (RFC 6749 §6, §10.4; OAuth 2.0 Security BCP, RFC 9700 §4.14.2).

Opaque random values stored only under their SHA-256, rotated on every use. A used
token is not deleted but replaced, atomically, by a sealed "consumed" marker that
lives as long as its family may: presenting it again is reuse, and the caller revokes
the family (the grant). Every token of a family expires at the family's absolute end,
however often it is rotated.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from bridge.model import Grant
from bridge.store.backend import Get, Op, Swap
from bridge.store.record_base import _Sealed, digest, grant_key, key


class RefreshToken(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    grant_id: str
    client_id: str
    scopes: tuple[str, ...]
    family_expires_at: float
    expires_at: float
    consumed: bool = False


@dataclass(frozen=True, slots=True)
class ReusedRefreshToken:
    """A consumed refresh token presented again (RFC 9700 §4.14.2: revoke the family)."""

    grant_id: str
    client_id: str


def _key(token: str) -> str:
    return key("refresh", digest(token))


class RefreshTokens(_Sealed):
    async def issue(
        self,
        *,
        grant_id: str,
        client_id: str,
        scopes: Sequence[str],
        family_expires_at: float,
        ttl: float,
    ) -> tuple[str, RefreshToken]:
        token = secrets.token_urlsafe(32)
        record = RefreshToken(
            grant_id=grant_id,
            client_id=client_id,
            scopes=tuple(scopes),
            family_expires_at=family_expires_at,
            expires_at=min(self._clock.now() + ttl, family_expires_at),
        )
        k = _key(token)
        sealed = self._encode(k, record)
        if not await self._backend.put_new(k, sealed, self._ttl(record.expires_at)):
            raise RuntimeError("refresh token collision")  # 256 random bits: never
        return token, record

    async def find(self, token: str) -> RefreshToken | None:
        """The record, consumed or not, without using it (introspection, revocation)."""
        k = _key(token)
        return self._decode(k, await self._backend.get(k), RefreshToken)

    async def consume(
        self, token: str, current: RefreshToken | None = None
    ) -> RefreshToken | ReusedRefreshToken | None:
        """Use a refresh token once: of two concurrent uses exactly one gets the record,
        the other sees reuse. `current` is the record the caller has just read, if any."""
        used, _ = await self._consume(token, current, grant_id=None)
        return used

    async def consume_with_grant(
        self, token: str, current: RefreshToken
    ) -> tuple[RefreshToken | ReusedRefreshToken | None, Grant | None]:
        """`consume`, and the grant the token belongs to, in one round trip."""
        return await self._consume(token, current, grant_id=current.grant_id)

    async def _consume(
        self, token: str, current: RefreshToken | None, *, grant_id: str | None
    ) -> tuple[RefreshToken | ReusedRefreshToken | None, Grant | None]:
        current = current or await self.find(token)
        if current is None:
            return None, None
        if current.consumed:
            return ReusedRefreshToken(current.grant_id, current.client_id), None
        marker = current.model_copy(
            update={"consumed": True, "expires_at": current.family_expires_at}
        )
        k = _key(token)
        ops: list[Op] = [Swap(k, self._encode(k, marker), self._ttl(current.family_expires_at))]
        if grant_id is not None:
            ops.append(Get(grant_key(grant_id)))
        results = await self._backend.batch(ops)
        grant = self._decode(grant_key(grant_id), results[1], Grant) if grant_id else None
        previous = self._decode(k, results[0], RefreshToken)
        if previous is None:
            return None, None
        if previous.consumed:
            return ReusedRefreshToken(previous.grant_id, previous.client_id), None
        return previous, grant

    async def delete(self, token: str) -> None:
        await self._backend.delete(_key(token))
