"""The refresh-token and revoked-token stores, against Redis and the memory store alike:
one use per refresh token even under concurrency, reuse told apart from unknown, expiry
by the injected clock, and digests only in the store."""

from __future__ import annotations

import asyncio

from bridge.clock import ManualClock
from bridge.store.backend import KeyValueBackend
from bridge.store.record_base import digest
from bridge.store.records import Stores
from bridge.store.refresh_tokens import RefreshToken, ReusedRefreshToken


async def issue(stores: Stores, clock: ManualClock, ttl: float = 100) -> str:
    token, _ = await stores.refresh_tokens.issue(
        grant_id="g1",
        client_id="c1",
        scopes=("openid",),
        family_expires_at=clock.now() + 1000,
        ttl=ttl,
    )
    return token


async def test_refresh_token_is_consumed_once_then_reported_as_reuse(
    stores: Stores, clock: ManualClock
) -> None:
    token = await issue(stores, clock)
    first = await stores.refresh_tokens.consume(token)
    assert isinstance(first, RefreshToken) and first.grant_id == "g1"
    again = await stores.refresh_tokens.consume(token)
    assert again == ReusedRefreshToken("g1", "c1")
    assert await stores.refresh_tokens.consume("never-issued") is None


async def test_two_concurrent_uses_of_a_refresh_token_exactly_one_wins(
    stores: Stores, clock: ManualClock
) -> None:
    token = await issue(stores, clock)
    results = await asyncio.gather(*(stores.refresh_tokens.consume(token) for _ in range(8)))
    assert sum(isinstance(r, RefreshToken) for r in results) == 1
    assert sum(isinstance(r, ReusedRefreshToken) for r in results) == 7


async def test_refresh_token_expires_by_the_clock_and_never_past_its_family(
    stores: Stores, clock: ManualClock
) -> None:
    token = await issue(stores, clock, ttl=5000)
    found = await stores.refresh_tokens.find(token)
    assert found is not None and found.expires_at == found.family_expires_at
    clock.advance(1001)
    assert await stores.refresh_tokens.consume(token) is None


async def test_refresh_tokens_are_stored_under_their_digest_only(
    stores: Stores, clock: ManualClock, backend: KeyValueBackend
) -> None:
    token = await issue(stores, clock)
    assert await backend.get(f"bridge:refresh:{token}") is None
    blob = await backend.get(f"bridge:refresh:{digest(token)}")
    assert blob is not None and token.encode() not in blob


async def test_revoked_jti_is_remembered_until_the_token_expires(
    stores: Stores, clock: ManualClock
) -> None:
    await stores.revoked.revoke("jti-1", clock.now() + 60)
    await stores.revoked.revoke("jti-expired", clock.now() - 1)
    assert await stores.revoked.is_revoked("jti-1")
    assert not await stores.revoked.is_revoked("jti-expired")
    assert not await stores.revoked.is_revoked("jti-2")
