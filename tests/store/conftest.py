from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis

from bridge.clock import ManualClock
from bridge.store.backend import KeyValueBackend
from bridge.store.memory import MemoryBackend
from bridge.store.records import Stores
from bridge.store.redis import RedisBackend
from bridge.store.sealing import Sealer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


def topology_url(request: pytest.FixtureRequest, name: str) -> str:
    """The URL of one of the tests' own Redis topologies, emptied first (never a shared
    server: tests/conftest.py starts them)."""
    if name == "redis":
        url: str = request.getfixturevalue("redis_url")
        with redis.Redis.from_url(url) as client:
            client.flushdb()
        return url
    topology = request.getfixturevalue(f"{name}_redis")
    topology.flush()
    return str(topology.url)


@pytest.fixture(params=["memory", "redis", "sentinel", "cluster"])
async def backend(
    request: pytest.FixtureRequest, clock: ManualClock
) -> AsyncIterator[KeyValueBackend]:
    if request.param == "memory":
        yield MemoryBackend(clock)
        return
    store = RedisBackend.from_url(topology_url(request, request.param))
    yield store
    await store.aclose()


@pytest.fixture
def stores(backend: KeyValueBackend, clock: ManualClock) -> Stores:
    return Stores.build(backend, Sealer("test-store-key-" + "x" * 32), clock)
