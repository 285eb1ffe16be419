"""PostgreSQL going away under a serving bridge: `/readyz` says so and names it (no
URL, no credential), sign-ins answer 503 in their protocol's form instead of finishing
unrecorded, and when PostgreSQL is back the bridge serves again without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bridge.durable.migrations_runner import upgrade
from tests.flows.conftest import Chain, running_chain
from tests.support.failover import Tally, sign_in
from tests.support.postgres_server import (
    INSTALL_HINT,
    PostgresCluster,
    find_bindir,
    running_cluster,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    """A cluster of this test's own: it is stopped mid-test, so never the session's."""
    bindir = find_bindir()
    if bindir is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    with running_cluster(bindir) as cluster:
        yield cluster


@pytest.fixture
def pg_chain(tmp_path: Path, redis_url: str, own_postgres: PostgresCluster) -> Iterator[Chain]:
    url = own_postgres.create_database("bridge_outage")
    upgrade(url)
    with running_chain(tmp_path, redis_url, settings_overrides={"database_url": url}) as chain:
        yield chain


def test_readiness_names_a_stopped_database_and_recovers_when_it_is_back(
    pg_chain: Chain, own_postgres: PostgresCluster
) -> None:
    ready = httpx.get(f"{pg_chain.bridge}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "store": True, "keys": True, "database": True}
    before = Tally()
    assert sign_in(pg_chain.bridge, before) is not None, before.answers

    own_postgres.stop(fast=True)
    down = httpx.get(f"{pg_chain.bridge}/readyz", timeout=10)
    assert down.status_code == 503
    assert down.headers["retry-after"]
    assert down.json()["unavailable"] == ["database"], "the dependency is named"
    assert down.json()["store"] is True
    assert str(own_postgres.port) not in down.text, "no address or credential in the answer"
    during = Tally()
    assert sign_in(pg_chain.bridge, during) is None, "no sign-in finishes unrecorded"
    print(f"PostgreSQL down: /readyz in {down.elapsed.total_seconds():.2f} s; {during.summary()}")
    assert not during.broken, during.broken
    # the callback already reads remembered consents there: the resident gets the 503 page
    assert sum(n for k, n in during.answers.items() if k.endswith(":unavailable")) == 1

    own_postgres.start()
    # The pool reconnects with a backoff of its own: readiness returns within seconds.
    deadline = time.monotonic() + 15
    back = httpx.get(f"{pg_chain.bridge}/readyz", timeout=10)
    while back.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.25)
        back = httpx.get(f"{pg_chain.bridge}/readyz", timeout=10)
    assert back.status_code == 200, back.text
    after = Tally()
    for _ in range(3):  # the pool's stale connections are replaced, not lent out
        assert sign_in(pg_chain.bridge, after) is not None, after.answers
    assert after.answers["token:done"] == 3 and not after.broken, after.answers
