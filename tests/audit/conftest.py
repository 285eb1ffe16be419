from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bridge.audit.log import STREAM_KEY, AuditLog, ChainLog, MemoryAuditLog
from bridge.store.redis import RedisBackend
from tests.store.conftest import topology_url

LogFactory = Callable[[], AuditLog]


@pytest.fixture(params=["memory", "redis", "sentinel", "cluster"])
async def new_log(request: pytest.FixtureRequest) -> AsyncIterator[LogFactory]:
    """Makes handles on ONE audit log, as separate bridge instances would have: for
    Redis each handle has its own client, all on the same stream."""
    shared = MemoryAuditLog()
    url = "" if request.param == "memory" else topology_url(request, request.param)
    backends: list[RedisBackend] = []

    def make() -> AuditLog:
        if request.param == "memory":
            return shared
        backends.append(RedisBackend.from_url(url))
        return ChainLog(backends[-1].append_log(STREAM_KEY))

    yield make
    for backend in backends:
        await backend.aclose()
