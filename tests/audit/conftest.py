from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bridge.audit.log import AuditLog, ChainLog, MemoryAuditLog
from bridge.audit.records import STREAM_KEY
from bridge.durable.audit_log import PostgresAuditLog
from bridge.durable.database import Database
from bridge.store.redis import RedisBackend
from tests.store.conftest import topology_url

LogFactory = Callable[[], AuditLog]


@pytest.fixture(params=["memory", "redis", "sentinel", "cluster", "postgres"])
async def new_log(request: pytest.FixtureRequest) -> AsyncIterator[LogFactory]:
    """Makes handles on ONE audit log, as separate bridge instances would have: for
    Redis and PostgreSQL each handle has its own client (pool), all on the same log."""
    shared = MemoryAuditLog()
    if request.param == "postgres":
        url = request.getfixturevalue("database_url")
    elif request.param != "memory":
        url = topology_url(request, request.param)
    opened: list[RedisBackend | Database] = []

    def make() -> AuditLog:
        if request.param == "memory":
            return shared
        if request.param == "postgres":
            opened.append(Database(url))
            return PostgresAuditLog(opened[-1])
        backend = RedisBackend.from_url(url)
        opened.append(backend)
        return ChainLog(backend.append_log(STREAM_KEY))

    yield make
    for each in opened:
        await each.aclose()
