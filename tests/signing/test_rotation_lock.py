"""One writer at a time, and a late writer changes nothing: two instances (or two
operators) rotating at once make exactly one rotation, on Redis and on the file lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import redis

from bridge.clock import ManualClock
from bridge.signing.ring import KeyRing, load_keys
from bridge.store.redis import RedisBackend
from tests.signing.support import START, instance_settings
from tests.support.dev_keys import development_keys

PREPUBLICATION = 310  # jwks_max_age 300 + keys_refresh_interval 10


@asynccontextmanager
async def two_instances(
    tmp_path: Path, redis_url: str | None
) -> AsyncIterator[tuple[KeyRing, KeyRing, ManualClock]]:
    """Two instances' key rings: one key directory, each its own Redis connection."""
    if redis_url is not None:
        redis.Redis.from_url(redis_url).flushdb()
    clock = ManualClock(START)
    settings = instance_settings(
        tmp_path / "keys", "https://bridge.test", redis_url, keys_rotation_period=3600
    )
    development_keys(settings.keys_dir, clock)
    backends = [RedisBackend.from_url(redis_url) if redis_url else None for _ in range(2)]
    rings = [
        KeyRing(load_keys(settings), clock=clock, backend=b, development=True) for b in backends
    ]
    try:
        yield rings[0], rings[1], clock
    finally:
        for backend in backends:
            if backend is not None:
                await backend.aclose()


@pytest.fixture(params=["redis", "file lock"])
def store(request: pytest.FixtureRequest, redis_url: str) -> str | None:
    return redis_url if request.param == "redis" else None


async def test_rotate_started_on_two_instances_at_once_rotates_exactly_once(
    tmp_path: Path, store: str | None
) -> None:
    async with two_instances(tmp_path, store) as (a, b, clock):
        assert await a.tick() is None  # the development key set comes with its next keys
        clock.advance(PREPUBLICATION)
        active = {e.alg: e.kid for e in a.index.actives}  # both lanes, ES256 and RS256
        outcomes = await asyncio.gather(
            a.manager.rotate(expected_active=active), b.manager.rotate(expected_active=active)
        )
        assert sorted(o.done for o in outcomes) == [(), ("rotated",)]
        assert "already rotated" in next(o.message for o in outcomes if not o.changed)
        await a.refresh()
        index = a.index
        assert index.version == 2  # made, then rotated once
        assert sorted(e.kid for e in index.retired) == sorted(active.values())
        assert all(index.next_for(alg) is not None for alg in active)


async def test_a_schedule_due_on_two_instances_at_once_rotates_exactly_once(
    tmp_path: Path, store: str | None
) -> None:
    async with two_instances(tmp_path, store) as (a, b, clock):
        clock.advance(3600)
        outcomes = await asyncio.gather(a.tick(), b.tick())
        rotated = [o for o in outcomes if o is not None and "rotated" in o.done]
        assert len(rotated) == 1
        await a.refresh()
        await b.refresh()
        kids = [{alg: k.kid for alg, k in r.current().signers.items()} for r in (a, b)]
        assert kids[0] == kids[1]
        assert len(a.index.retired) == 2, "one rotation, in each lane"


async def test_the_schedule_leaves_the_change_to_whoever_holds_the_lock(
    tmp_path: Path, redis_url: str
) -> None:
    async with two_instances(tmp_path, redis_url) as (a, b, clock):
        await a.tick()
        clock.advance(3600)
        async with a.manager._lock.hold(0):  # an operator's `bridge keys rotate` is running
            assert await b.tick() is None
        outcome = await b.tick()
        assert outcome is not None and outcome.done == ("rotated",)
