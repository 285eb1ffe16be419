from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bridge.clock import ManualClock
from bridge.store.backend import KeyValueBackend
from bridge.store.memory import MemoryBackend
from bridge.store.records import Stores
from bridge.store.redis import RedisBackend
from bridge.store.sealing import Sealer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


@pytest.fixture(params=["memory", "redis"])
async def backend(
    request: pytest.FixtureRequest, redis_url: str, clock: ManualClock
) -> AsyncIterator[KeyValueBackend]:
    if request.param == "memory":
        yield MemoryBackend(clock)
        return
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()  # our private test server (tests/conftest.py), never a shared one
    store = RedisBackend(client)
    yield store
    await store.aclose()


@pytest.fixture
def stores(backend: KeyValueBackend, clock: ManualClock) -> Stores:
    return Stores.build(backend, Sealer("test-store-key-" + "x" * 32), clock)
