"""A Redis restart (no persistence: everything in it is gone) in the middle of use
loses no audit record and no remembered consent when they live in PostgreSQL; what it
costs is the sign-ins in flight."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.audit.export import records_of
from bridge.audit.records import StoredRecord
from bridge.audit.verify import verify
from bridge.durable.audit_log import PostgresAuditLog
from bridge.durable.database import Database
from tests.flows.conftest import running_chain
from tests.flows.steps import at_iamsmart, choose, location_query
from tests.support.browser import Resident
from tests.support.redis_server import find_redis_server
from tests.support.redis_topologies import Node, _server_argv, free_port
from tests.support.rp import RelyingParty

pytestmark = pytest.mark.slow


@pytest.fixture
def restartable_redis() -> Iterator[Node]:
    binary = find_redis_server(None) or "redis-server"
    workdir = Path(tempfile.mkdtemp(prefix="bridge-test-restart-"))
    port = free_port()
    node = Node(_server_argv(binary, port, workdir), port)
    node.start()
    yield node
    node.stop()


def trail(database_url: str) -> list[StoredRecord]:
    async def read() -> list[StoredRecord]:
        database = Database(database_url)
        try:
            return [r async for r in records_of(PostgresAuditLog(database))]
        finally:
            await database.aclose()

    return asyncio.run(read())


def test_a_redis_restart_loses_no_audit_record_and_no_remembered_consent(
    tmp_path: Path, restartable_redis: Node, database_url: str
) -> None:
    url = f"redis://127.0.0.1:{restartable_redis.port}/0"
    with running_chain(tmp_path, url, settings_overrides={"database_url": database_url}) as chain:
        rp, resident = RelyingParty(chain.bridge), Resident()
        request = rp.authorization_request()
        page = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
        assert "/consent/" in page.url
        back = resident.submit(
            page, button=("decision", "allow"), fields={"remember": "yes"}, stop_at=rp.redirect_uri
        )
        code = location_query(back)["code"]
        tokens = rp.redeem(code, request.verifier).json()
        assert rp.userinfo(tokens["access_token"]).status_code == 200
        before = trail(database_url)
        assert {r.fields()["event"] for r in before} >= {"consent.decided", "attributes.released"}

        restartable_redis.kill()  # SIGKILL, no persistence: Redis comes back empty
        restartable_redis.start()

        again = rp.authorization_request()
        skipped = choose(
            resident, at_iamsmart(resident, again.url), "wong-wing-fung", stop_at=rp.redirect_uri
        )
        assert "code" in location_query(skipped), "the remembered consent survived"
        after = trail(database_url)
        resident.close()
    assert after[: len(before)] == before, "every record written before the restart is kept"
    report = verify(after)
    assert report.ok, report.findings
    assert [r.fields()["basis"] for r in after if r.fields()["event"] == "consent.decided"] == [
        "resident",
        "remembered",
    ]
