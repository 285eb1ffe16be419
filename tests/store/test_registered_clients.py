"""Registered clients and initial access tokens on Redis and on memory: a client outlives
any TTL while it is in use, and an N-use token allows exactly N registrations even when
they arrive at once."""

from __future__ import annotations

import asyncio

from bridge.clock import ManualClock
from bridge.store.backend import KeyValueBackend
from bridge.store.registered_clients import (
    CLIENT_TTL,
    REFRESH_AFTER,
    KeyValueClientStore,
    KeyValueRegistrationTokens,
    RegisteredClient,
)
from bridge.store.sealing import Sealer

NOW = 1_800_000_000.0  # the `clock` fixture's start (tests/store/conftest.py)
SEALER = Sealer("registered-clients-test-key-" + "x" * 32)


def record(client_id: str) -> RegisteredClient:
    return RegisteredClient(
        client_id=client_id,
        metadata={"client_id": client_id},
        registration={"redirect_uris": ["https://a.test/cb"]},
        registration_token_sha256="0" * 64,
        issued_at=int(NOW),
        written_at=0,
        expires_at=0,
    )


async def test_create_get_list_replace_delete(backend: KeyValueBackend, clock: ManualClock) -> None:
    store = KeyValueClientStore(backend, SEALER, clock)
    assert await store.create(record("dcr-a"))
    assert not await store.create(record("dcr-a")), "a client_id is registered once"
    assert await store.create(record("dcr-b"))
    assert [c.client_id for c in await store.all()] == ["dcr-a", "dcr-b"]
    await store.replace(record("dcr-a").model_copy(update={"registration": {"scope": "openid"}}))
    found = await store.get("dcr-a")
    assert found is not None and found.registration == {"scope": "openid"}
    await store.delete("dcr-a")
    assert await store.get("dcr-a") is None
    assert [c.client_id for c in await store.all()] == ["dcr-b"]


async def test_a_client_in_use_is_written_again_long_before_its_ttl(
    backend: KeyValueBackend, clock: ManualClock
) -> None:
    store = KeyValueClientStore(backend, SEALER, clock)
    await store.create(record("dcr-a"))
    first = await store.get("dcr-a")
    assert first is not None and first.expires_at == NOW + CLIENT_TTL
    clock.advance(REFRESH_AFTER + 1)
    await store.all()  # the registry's refresh reads it
    again = await store.get("dcr-a")
    assert again is not None and again.expires_at == NOW + REFRESH_AFTER + 1 + CLIENT_TTL


async def test_an_n_use_token_allows_exactly_n_registrations_at_once(
    backend: KeyValueBackend, clock: ManualClock
) -> None:
    tokens = KeyValueRegistrationTokens(backend, SEALER, clock)
    await tokens.issue("t", uses=3, ttl=600)
    spent = await asyncio.gather(*(tokens.spend("t") for _ in range(8)))
    assert sum(spent) == 3
    assert not await tokens.spend("unknown")
    await tokens.issue("late", uses=1, ttl=600)
    clock.advance(601)
    assert not await tokens.spend("late"), "an expired token allows nothing"
