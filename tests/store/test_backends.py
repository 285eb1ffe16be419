"""Backend-specific guarantees the conformance suite cannot express alike."""

from __future__ import annotations

import redis.asyncio as aioredis

from bridge.clock import ManualClock
from bridge.store.memory import MemoryBackend
from bridge.store.records import Stores
from bridge.store.redis import RedisBackend
from bridge.store.sealing import Sealer
from tests.store.test_conformance import a_code, a_flow


async def test_every_redis_key_written_has_a_ttl(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    clock = ManualClock(start=1_800_000_000.0)
    stores = Stores.build(RedisBackend(client), Sealer("k" * 40), clock)
    await stores.flows.put(a_flow())
    await stores.codes.put("c1", a_code())
    await stores.codes.redeem("c1", remember_for=600)
    await stores.replay.first_use("jti", "x", 30)
    keys = await client.keys("*")
    assert keys, "the operations above must have written keys"
    for k in keys:
        assert k.startswith(b"bridge:")
        assert await client.pttl(k) > 0, f"{k!r} has no TTL"
    await client.aclose()


async def test_redis_keys_hold_no_raw_code(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    stores = Stores.build(RedisBackend(client), Sealer("k" * 40), ManualClock(1_800_000_000.0))
    await stores.codes.put("visible-code-value", a_code())
    keys = await client.keys("*")
    assert all(b"visible-code-value" not in k for k in keys)
    await client.aclose()


async def test_memory_backend_drops_expired_entries_so_it_stays_bounded() -> None:
    clock = ManualClock(start=0.0)
    backend = MemoryBackend(clock, sweep_every=10)
    for i in range(100):
        await backend.put(f"k{i}", b"v", 5)
        clock.advance(1)
    # entries older than 5 s have been swept on the way; only the live ones remain
    assert len(backend) <= 15


async def test_capabilities_expire_like_everything_else_in_redis(redis_url: str) -> None:
    """Sets and counters carry TTLs too; adding to a set never shortens its life."""
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    backend = RedisBackend(client)
    await backend.set_add("bridge:set:s", [b"a"], 100)
    await backend.set_add("bridge:set:s", [b"b"], 5)
    assert 95_000 < await client.pttl("bridge:set:s") <= 100_000
    await backend.increment("bridge:count:c", 30)
    await backend.increment("bridge:count:c", 300)
    assert 25_000 < await client.pttl("bridge:count:c") <= 30_000, "the window is the first's"
    await backend.compare_and_set("bridge:cas:x", None, b"v", 20)
    assert 15_000 < await client.pttl("bridge:cas:x") <= 20_000
    await client.aclose()


async def test_memory_capabilities_expire_by_the_injected_clock() -> None:
    clock = ManualClock(start=0.0)
    backend = MemoryBackend(clock)
    await backend.set_add("s", [b"a"], 100)
    await backend.set_add("s", [b"b"], 5)
    await backend.increment("c", 30)
    clock.advance(31)
    assert await backend.increment("c", 30) == 1, "a new window after the first expired"
    assert await backend.set_members("s") == {b"a", b"b"}, "the longer TTL holds"
    clock.advance(70)
    assert await backend.set_members("s") == frozenset()
    lock = backend.lock("l", 10)
    assert await lock.acquire(wait=0)
    clock.advance(11)
    assert await backend.lock("l", 10).acquire(wait=0), "a dead holder's lock expires"
