"""The typed stores the bridge uses, each narrow (fosite: one storage interface per
consumer), all built on one `KeyValueBackend`.

Keys come only from `key()`: `bridge:<kind>:<id>`. Authorization codes are stored
under their SHA-256, so a store dump holds no redeemable code. A code and the grant it
creates are read in one round trip, so they share a Cluster hash tag (`{grant id}`,
taken from the code's digest: `code_key`, `grant_key`) and live on one node; the other
pairs read together (a refresh token or a revoked `jti` with its grant) are found from
values that do not name the grant's tag, and a Cluster pipeline sends each half to its
own node in parallel — each operation of a batch is atomic on its own anyway. Each record also
carries `expires_at` checked against the injected clock, so expiry is exact and
testable without waiting for Redis to evict.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.clock import Clock
from bridge.model import AuthorizationCode, Grant, PendingConsent, UpstreamFlow
from bridge.store.backend import Get, KeyValueBackend, Swap
from bridge.store.record_base import (
    _Sealed,
    code_key,
    digest,
    grant_id_for_code,
    grant_key,
    key,
)
from bridge.store.sealing import Sealer

if TYPE_CHECKING:  # built in Stores.build; they import this module's helpers
    from bridge.store.accounts import AccountStore
    from bridge.store.consents import ConsentStore
    from bridge.store.refresh_tokens import RefreshTokens
    from bridge.store.revoked_tokens import RevokedTokens

# A consumed code leaves this marker behind (unsealed: it says nothing) so that a
# replay can be told apart from an unknown code and the grant revoked (RFC 6749 §4.1.2).
_CONSUMED = b"\x00consumed"


class FlowStates(_Sealed):
    """Upstream round trips, keyed by the state sent upstream."""

    async def put(self, flow: UpstreamFlow) -> None:
        k = key("flow", flow.state)
        await self._backend.put(k, self._encode(k, flow), self._ttl(flow.expires_at))

    async def get(self, state: str) -> UpstreamFlow | None:
        k = key("flow", state)
        return self._decode(k, await self._backend.get(k), UpstreamFlow)

    async def take(self, state: str) -> UpstreamFlow | None:
        k = key("flow", state)
        return self._decode(k, await self._backend.take(k), UpstreamFlow)


class Interactions(_Sealed):
    async def put(self, pending: PendingConsent) -> None:
        k = key("consent", pending.interaction_id)
        await self._backend.put(k, self._encode(k, pending), self._ttl(pending.expires_at))

    async def get(self, interaction_id: str) -> PendingConsent | None:
        k = key("consent", interaction_id)
        return self._decode(k, await self._backend.get(k), PendingConsent)

    async def take(self, interaction_id: str) -> PendingConsent | None:
        k = key("consent", interaction_id)
        return self._decode(k, await self._backend.take(k), PendingConsent)


@dataclass(frozen=True, slots=True)
class ReplayedCode:
    grant_id: str


class Codes(_Sealed):
    async def put(self, code: str, record: AuthorizationCode) -> None:
        k = code_key(code)
        ttl = self._ttl(record.expires_at)
        stored = await self._backend.put_new(k, self._encode(k, record), ttl)
        if not stored:  # 256 random bits never collide; if they do, fail loudly
            raise RuntimeError("authorization code collision")

    async def redeem(
        self, code: str, *, remember_for: float
    ) -> AuthorizationCode | ReplayedCode | None:
        """Consume a code atomically. A second redemption returns `ReplayedCode`
        for as long as `remember_for` seconds (the life of the tokens it issued)."""
        k = code_key(code)
        return self._redeemed(code, k, await self._backend.swap(k, _CONSUMED, remember_for))

    async def redeem_with_grant(
        self, code: str, *, remember_for: float
    ) -> tuple[AuthorizationCode | ReplayedCode | None, Grant | None]:
        """`redeem`, and the grant the code names, in one round trip (the grant is named
        after the code, so both keys are known before either is read)."""
        k = code_key(code)
        gk = grant_key(grant_id_for_code(code))
        old, grant = await self._backend.batch([Swap(k, _CONSUMED, remember_for), Get(gk)])
        return self._redeemed(code, k, old), self._decode(gk, grant, Grant)

    def _redeemed(
        self, code: str, k: str, old: bytes | None
    ) -> AuthorizationCode | ReplayedCode | None:
        if old is None:
            return None
        if old == _CONSUMED:
            return ReplayedCode(grant_id_for_code(code))
        return self._decode(k, old, AuthorizationCode)


class Grants(_Sealed):
    async def put(self, grant: Grant) -> None:
        k = grant_key(grant.grant_id)
        await self._backend.put(k, self._encode(k, grant), self._ttl(grant.expires_at))

    async def get(self, grant_id: str) -> Grant | None:
        k = grant_key(grant_id)
        return self._decode(k, await self._backend.get(k), Grant)

    async def revoke(self, grant_id: str) -> None:
        await self._backend.delete(grant_key(grant_id))

    def from_stored(self, grant_id: str, blob: bytes | None) -> Grant | None:
        k = grant_key(grant_id)
        return self._decode(k, blob, Grant)


class AccessTokenStatus:
    """What every presented access token needs, in one round trip: the grant it names
    (gone when revoked as a whole) and whether the token itself was revoked (RFC 7009)."""

    def __init__(self, backend: KeyValueBackend, grants: Grants) -> None:
        self._backend = backend
        self._grants = grants

    async def grant_for_access_token(self, grant_id: str, jti: str) -> tuple[Grant | None, bool]:
        grant, revoked, _ = await self.grant_for_access_token_and(grant_id, jti, None)
        return grant, revoked

    async def grant_for_access_token_and(
        self, grant_id: str, jti: str, other: str | None
    ) -> tuple[Grant | None, bool, bytes | None]:
        """The same, and in the same round trip the raw value at the caller's own key
        `other` (a client's throttle marker, read before client authentication)."""
        from bridge.store.revoked_tokens import revoked_key

        ops = [Get(grant_key(grant_id)), Get(revoked_key(jti))]
        if other is not None:
            ops.append(Get(other))
        found = await self._backend.batch(ops)
        grant = self._grants.from_stored(grant_id, found[0])
        return grant, found[1] is not None, found[2] if other is not None else None


class ReplayCache:
    """Remembers one-time values (nonces, `jti`s) until they could no longer be valid."""

    def __init__(self, backend: KeyValueBackend) -> None:
        self._backend = backend

    async def first_use(self, namespace: str, value: str, ttl: float) -> bool:
        # A marker unique to this use: `put_new` counts a key already holding exactly
        # its value as stored (a re-sent command), which a constant would turn into
        # accepting every replay.
        marker = secrets.token_bytes(16)
        return await self._backend.put_new(key(f"seen:{namespace}", digest(value)), marker, ttl)


@dataclass(frozen=True, slots=True)
class Stores:
    """Every typed store, built once on one backend by the composition root, which hands
    each component only the stores it uses."""

    backend: KeyValueBackend
    flows: FlowStates
    interactions: Interactions
    codes: Codes
    grants: Grants
    replay: ReplayCache
    refresh_tokens: RefreshTokens
    revoked: RevokedTokens
    consents: ConsentStore
    accounts: AccountStore
    access_tokens: AccessTokenStatus

    @classmethod
    def build(cls, backend: KeyValueBackend, sealer: Sealer, clock: Clock) -> Stores:
        from bridge.store.accounts import AccountStore
        from bridge.store.consents import RememberedConsents
        from bridge.store.refresh_tokens import RefreshTokens
        from bridge.store.revoked_tokens import RevokedTokens

        grants = Grants(backend, sealer, clock)
        return cls(
            backend=backend,
            flows=FlowStates(backend, sealer, clock),
            interactions=Interactions(backend, sealer, clock),
            codes=Codes(backend, sealer, clock),
            grants=grants,
            replay=ReplayCache(backend),
            refresh_tokens=RefreshTokens(backend, sealer, clock),
            revoked=RevokedTokens(backend, clock),
            consents=RememberedConsents(backend, sealer, clock),
            accounts=AccountStore(backend, sealer, clock),
            access_tokens=AccessTokenStatus(backend, grants),
        )
