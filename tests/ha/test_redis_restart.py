"""A Redis restart (no persistence: everything in it is gone) in the middle of use
loses no audit record and no remembered consent when they live in PostgreSQL; what it
costs is the sign-ins in flight."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bridge.audit.export import records_of
from bridge.audit.records import StoredRecord
from bridge.audit.verify import verify
from bridge.durable.audit_log import PostgresAuditLog
from bridge.durable.database import Database
from tests.flows.conftest import running_chain
from tests.flows.steps import at_iamsmart, choose, location_query
from tests.support.browser import Resident
from tests.support.failover import Tally
from tests.support.ports import free_port
from tests.support.redis_server import find_redis_server
from tests.support.redis_topologies import Node, _server_argv
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


PERSONAS = ["wong-wing-fung", "chan-tai-man", "cheung-ka-yan"]


def remembering_sign_in(bridge: str, persona: str, tally: Tally) -> bool:
    """A resident signs in and asks the bridge to remember the consent (or it already
    does, and the consent page is skipped); the client redeems the code. True if tokens
    were issued."""
    rp, resident = RelyingParty(bridge), Resident()
    try:
        request = rp.authorization_request()
        qr = resident.open(request.url)
        if tally.note("authorize", qr.response) != "done" or "getQR" not in qr.url:
            return False
        page = choose(resident, qr, persona, stop_at=rp.redirect_uri)
        if tally.note("callback", page.response) != "done":
            return False
        if "/consent/" in page.url:
            page = resident.submit(
                page,
                button=("decision", "allow"),
                fields={"remember": "yes"},
                stop_at=rp.redirect_uri,
            )
            if tally.note("consent", page.response) != "done":
                return False
        code = location_query(page).get("code")
        if code is None:
            return False
        return tally.note("token", rp.redeem(code, request.verifier)) == "done"
    except httpx.HTTPError as exc:
        with tally.lock:
            tally.broken.append(f"no answer: {exc!r}")
        return False
    finally:
        resident.close()


def test_a_redis_restart_during_sign_ins_loses_no_audit_record_and_no_consent(
    tmp_path: Path, restartable_redis: Node, database_url: str
) -> None:
    """Residents of a demo-like run (bridge on Redis and PostgreSQL, both mocks) sign in
    on three threads while Redis is killed and comes back empty."""
    url = f"redis://127.0.0.1:{restartable_redis.port}/0"
    with running_chain(tmp_path, url, settings_overrides={"database_url": database_url}) as chain:
        tally, issued = Tally(), Counter[str]()
        for persona in PERSONAS:  # each has a remembered consent before the restart
            assert remembering_sign_in(chain.bridge, persona, tally), tally.answers
        before = trail(database_url)
        stop = threading.Event()

        def resident_loop(persona: str) -> None:
            while not stop.is_set():
                if remembering_sign_in(chain.bridge, persona, tally):
                    with tally.lock:
                        issued[persona] += 1

        with ThreadPoolExecutor(len(PERSONAS)) as pool:
            futures = [pool.submit(resident_loop, p) for p in PERSONAS]
            time.sleep(1.0)
            restartable_redis.kill()  # SIGKILL, no persistence: Redis comes back empty
            time.sleep(0.5)
            restartable_redis.start()
            time.sleep(3.0)
            stop.set()
            for future in futures:
                future.result()
        after = trail(database_url)
        print(tally.summary(), dict(issued))

    # A sign-in whose flow state was in the Redis that restarted ends on the bridge's
    # error page (400, "Sign-in could not continue"): at most one per resident in flight.
    lost = [b for b in tally.broken if b.startswith("callback: 400") and "could not continue" in b]
    assert [b for b in tally.broken if b not in lost] == [], tally.broken
    assert len(lost) <= len(PERSONAS), lost
    assert after[: len(before)] == before, "every record written before the restart is kept"
    report = verify(after)
    assert report.ok, report.findings
    decided = [r.fields() for r in after[len(before) :] if r.fields()["event"] == "consent.decided"]
    assert len(decided) >= sum(issued.values()), "every code issued has its consent recorded"
    assert all(d["basis"] == "remembered" for d in decided), "no remembered consent was lost"
    assert sum(issued.values()) > 0 and all(issued[p] > 0 for p in PERSONAS), issued
