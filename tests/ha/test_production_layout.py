"""The production layout (docker-compose.sentinel.yml) as plain processes: two `bridge
serve` instances behind a round-robin balancer, a Sentinel-managed Redis (primary, two
replicas, three sentinels), PostgreSQL, both mocks. Every browser step and every token
request opens a new connection, so consecutive steps of one sign-in are served by
different instances, while the primary fails over."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.audit.export import records_of
from bridge.audit.verify import verify
from bridge.durable.audit_log import PostgresAuditLog
from bridge.durable.database import Database
from tests.support.failover import (
    Tally,
    assert_outage_cost_at_most_sign_ins,
    sign_in,
    sign_ins_during,
)
from tests.support.layout import Layout, production_layout
from tests.support.redis_topologies import SentinelTopology

pytestmark = pytest.mark.slow


@pytest.fixture
def layout(tmp_path: Path, sentinel_redis: SentinelTopology, database_url: str) -> Iterator[Layout]:
    sentinel_redis.flush()
    with production_layout(tmp_path, sentinel_redis.url, database_url) as running:
        yield running
    sentinel_redis.restore()


def trail_of(database_url: str) -> tuple[bool, int]:
    async def read() -> tuple[bool, int]:
        database = Database(database_url)
        try:
            records = [r async for r in records_of(PostgresAuditLog(database))]
        finally:
            await database.aclose()
        events = [r.fields()["event"] for r in records]
        return verify(records).ok, events.count("consent.decided")

    return asyncio.run(read())


def test_two_instances_on_sentinel_and_postgres_ride_out_a_failover(
    layout: Layout, sentinel_redis: SentinelTopology, database_url: str
) -> None:
    warm = Tally()
    for _ in range(2):
        assert sign_in(layout.url, warm, keep_alive=False) is not None, warm.answers
    assert all(layout.front.connections[p] > 5 for p in layout.ports), "both instances serve"

    old = sentinel_redis.primary_port()

    def fail_over() -> None:
        sentinel_redis.failover()
        sentinel_redis.wait_for_primary_other_than(old)

    tally, codes, ready = sign_ins_during(layout.url, fail_over, keep_alive=False)
    assert_outage_cost_at_most_sign_ins(tally, codes, layout.url)
    assert layout.all_running(), "recovered without a restart"
    print(
        f"/readyz 503 for {ready.statuses.count(503) / 10:.1f} s of {len(ready.statuses) / 10:.1f}"
    )

    intact, decisions = trail_of(database_url)
    assert intact, "two instances kept one unbroken chain through the failover"
    completed = warm.completed + tally.completed + 3
    assert decisions >= completed, "every consent behind a code is in the trail"
    for log in layout.logs:
        text = log.read_text()
        assert "Traceback" not in text, text[-2000:]
        assert all(code not in text for code in codes), "no code in a log line"
