"""A Redis outage is a 503 with Retry-After (a page for the resident,
`temporarily_unavailable` JSON for a client), never a 500; and the first requests after
Redis is back are answered normally, although every pooled connection died with it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.flows.conftest import running_chain
from tests.flows.steps import at_iamsmart, choose, location_query
from tests.support.browser import Resident
from tests.support.ports import free_port
from tests.support.redis_server import find_redis_server
from tests.support.redis_topologies import Node, _server_argv
from tests.support.rp import RelyingParty


@pytest.fixture
def restartable_redis() -> Iterator[Node]:
    binary = find_redis_server(None) or "redis-server"
    workdir = Path(tempfile.mkdtemp(prefix="bridge-test-outage-"))
    port = free_port()
    node = Node(_server_argv(binary, port, workdir), port)
    node.start()
    yield node
    node.stop()


def signed_in_code(rp: RelyingParty, resident: Resident) -> tuple[str, str]:
    request = rp.authorization_request()
    page = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
    back = resident.submit(page, button=("decision", "allow"), stop_at=rp.redirect_uri)
    return location_query(back)["code"], request.verifier


def test_a_store_outage_is_503_with_retry_after_for_clients_and_residents(
    tmp_path: Path, restartable_redis: Node
) -> None:
    url = f"redis://127.0.0.1:{restartable_redis.port}/0"
    fast = {"redis_retries": 1, "redis_connect_timeout": 0.5, "redis_socket_timeout": 0.5}
    with running_chain(tmp_path, url, settings_overrides=fast) as chain:
        rp = RelyingParty(chain.bridge)
        restartable_redis.kill()
        token = rp.redeem("some-code", "some-verifier")
        assert token.status_code == 503
        assert token.json()["error"] == "temporarily_unavailable"
        assert int(token.headers["retry-after"]) > 0
        assert token.headers["cache-control"] == "no-store"
        page = httpx.get(rp.authorization_request().url, headers={"Accept-Language": "en"})
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert int(page.headers["retry-after"]) > 0
        restartable_redis.start()


def test_the_first_token_request_after_a_redis_restart_is_answered(
    tmp_path: Path, restartable_redis: Node
) -> None:
    """With the fewest retries the settings allow (1): the dead pooled connection is
    replaced once. (With no retry, the first redemption was a 503.)"""
    url = f"redis://127.0.0.1:{restartable_redis.port}/0"
    with running_chain(tmp_path, url, settings_overrides={"redis_retries": 1}) as chain:
        rp, resident = RelyingParty(chain.bridge), Resident()
        warm_code, warm_verifier = signed_in_code(rp, resident)
        assert rp.redeem(warm_code, warm_verifier).status_code == 200  # the pool is in use
        codes = [signed_in_code(rp, resident) for _ in range(3)]
        restartable_redis.client().save()  # the codes survive the restart in dump.rdb
        restartable_redis.kill()
        restartable_redis.start()
        answers = [rp.redeem(code, verifier) for code, verifier in codes]
        resident.close()
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
