from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

from bridge.audit.log import AuditLog, MemoryAuditLog, RedisAuditLog

LogFactory = Callable[[], AuditLog]


@pytest.fixture(params=["memory", "redis"])
async def new_log(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[LogFactory]:
    """Makes handles on ONE audit log, as separate bridge instances would have: for
    Redis each handle has its own connection, all on the same stream."""
    key = f"test:audit:{uuid.uuid4().hex}"
    shared = MemoryAuditLog()
    clients: list[aioredis.Redis] = []

    def make() -> AuditLog:
        if request.param == "memory":
            return shared
        client = aioredis.Redis.from_url(redis_url)
        clients.append(client)
        return RedisAuditLog(client, key)

    yield make
    for client in clients:
        await client.delete(key)
        await client.aclose()
