"""Remembered consents when several instances write at once: every write lands."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bridge.audit.trail import LogAuditTrail
from bridge.clock import ManualClock
from bridge.consent.memory import ConsentMemory
from bridge.durable.consents import PostgresRememberedConsents
from bridge.durable.database import Database
from bridge.model import Grant
from bridge.store.backend import KeyValueBackend
from bridge.store.memory import MemoryBackend
from bridge.store.records import Stores
from bridge.store.redis import RedisBackend
from bridge.store.sealing import Sealer

NOW = 1_800_000_000.0


@pytest.fixture(params=["memory", "redis", "postgres"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    """The stores, with remembered consents in memory, Redis or PostgreSQL (the grants
    they revoke stay in the key-value store, as in the bridge)."""
    clock = ManualClock(NOW)
    sealer = Sealer("consent-test-key-" + "x" * 32)
    backend: KeyValueBackend
    if request.param == "memory":
        backend = MemoryBackend(clock)
    else:
        # Asked for only here, so the memory variant runs without a server (fast core).
        client = aioredis.Redis.from_url(request.getfixturevalue("redis_url"))
        await client.flushdb()  # our private test server, never a shared one
        backend = RedisBackend(client)
    stores = Stores.build(backend, sealer, clock)
    database = None
    if request.param == "postgres":
        database = Database(request.getfixturevalue("database_url"))
        consents = PostgresRememberedConsents(database, sealer, clock)
        stores = dataclasses.replace(stores, consents=consents)
    yield stores
    await backend.aclose()
    if database is not None:
        await database.aclose()


def memory_of(stores: Stores) -> ConsentMemory:
    return ConsentMemory(
        consents=stores.consents,
        grants=stores.grants,
        clock=ManualClock(NOW),
        audit=LogAuditTrail(),
        pairwise_salt="salt",
        remember_for=90 * 86400,
    )


async def test_two_concurrent_remembers_keep_both_grant_ids(stores: Stores) -> None:
    """Two instances finishing sign-ins of one resident at the same moment: a
    read-modify-write of the ledger would lose one grant id, and a later withdrawal
    would leave that grant's tokens alive."""
    memories = [memory_of(stores), memory_of(stores)]
    for round_ in range(10):
        resident = f"resident-{round_}"
        await asyncio.gather(
            *(
                memory.remember(
                    resident,
                    client_id="c",
                    subject="s",
                    claims=["name"],
                    scopes=["openid", "profile"],
                    grant_id=f"grant-{round_}-{n}",
                    until=NOW + 3600,
                )
                for n, memory in enumerate(memories)
            )
        )
        (entry,) = await memories[0].remembered(resident)
        assert set(entry.grant_ids) == {f"grant-{round_}-0", f"grant-{round_}-1"}


async def test_grants_added_concurrently_are_all_revoked_on_withdrawal(stores: Stores) -> None:
    memory = memory_of(stores)
    await memory.remember(
        "r",
        client_id="c",
        subject="s",
        claims=["name"],
        scopes=["openid"],
        grant_id="g0",
        until=NOW + 3600,
    )
    grant_ids = [f"g{n}" for n in range(1, 8)]
    for grant_id in ["g0", *grant_ids]:
        await stores.grants.put(
            Grant(
                grant_id=grant_id,
                client_id="c",
                subject="s",
                scopes=("openid",),
                claims={},
                auth_time=int(NOW),
                expires_at=NOW + 600,
            )
        )
    await asyncio.gather(*(memory.add_grant("r", "c", g) for g in grant_ids))
    withdrawn = await memory.withdraw("r", "c")
    assert withdrawn is not None and set(withdrawn.grant_ids) == {"g0", *grant_ids}
    for grant_id in ["g0", *grant_ids]:
        assert await stores.grants.get(grant_id) is None, f"{grant_id} outlived the withdrawal"
    assert await memory.remembered("r") == []


async def test_a_remembered_consent_covers_only_its_claims_and_its_scopes(stores: Stores) -> None:
    memory = memory_of(stores)
    await memory.remember(
        "r",
        client_id="c",
        subject="s",
        claims=["name", "birthdate"],
        scopes=["openid", "profile"],
        grant_id="g",
        until=NOW + 3600,
    )
    assert await memory.covering("r", "c", ["name"], ["openid"]) is not None
    assert await memory.covering("r", "c", ["name", "birthdate"], ["openid", "profile"])
    assert await memory.covering("r", "c", ["phone_number"], ["openid"]) is None
    assert await memory.covering("r", "c", ["name"], ["openid", "offline_access"]) is None, (
        "offline_access asks again unless the remembered consent included it"
    )
    assert await memory.covering("r", "other-client", ["name"], ["openid"]) is None
