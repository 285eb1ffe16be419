"""Redis failing over in the middle of sign-ins (issue: a failover costs at most one
sign-in — never an accepted replay, never a 500, and the bridge recovers by itself).

Residents sign in through the real chain (mock Guangdong → bridge → mock iAM Smart) on
several threads while the Sentinel-managed primary fails over, is killed, or a Cluster
master is killed. Every answer must be a success or a clear protocol error; no code
yields tokens twice, also when every code is replayed after the failover; `/readyz`
says "not ready" while a killed primary is being replaced; sign-ins work again after.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.audit.records import STREAM_KEY
from tests.flows.conftest import Chain, running_chain
from tests.support.failover import assert_outage_cost_at_most_sign_ins, sign_ins_during
from tests.support.redis_topologies import ClusterTopology, SentinelTopology

pytestmark = pytest.mark.slow


@pytest.fixture
def sentinel_chain(tmp_path: Path, sentinel_redis: SentinelTopology) -> Iterator[Chain]:
    sentinel_redis.flush()
    with running_chain(tmp_path, sentinel_redis.url) as chain:
        yield chain
    sentinel_redis.restore()


@pytest.fixture
def cluster_chain(tmp_path: Path, cluster_redis: ClusterTopology) -> Iterator[Chain]:
    cluster_redis.flush()
    with running_chain(tmp_path, cluster_redis.url) as chain:
        yield chain
    cluster_redis.restore()


def test_a_sentinel_failover_mid_sign_in_is_ridden_out(
    sentinel_chain: Chain, sentinel_redis: SentinelTopology
) -> None:
    old = sentinel_redis.primary_port()

    def fail_over() -> None:
        sentinel_redis.failover()
        sentinel_redis.wait_for_primary_other_than(old)

    tally, codes, _ = sign_ins_during(sentinel_chain.bridge, fail_over)
    assert_outage_cost_at_most_sign_ins(tally, codes, sentinel_chain.bridge)


def test_a_killed_primary_is_replaced_and_readiness_shows_the_outage(
    sentinel_chain: Chain, sentinel_redis: SentinelTopology
) -> None:
    old = sentinel_redis.primary_port()

    def kill() -> None:
        sentinel_redis.kill_primary()
        sentinel_redis.wait_for_primary_other_than(old)

    tally, codes, ready = sign_ins_during(sentinel_chain.bridge, kill)
    assert_outage_cost_at_most_sign_ins(tally, codes, sentinel_chain.bridge)
    print(f"/readyz 503 for {ready.statuses.count(503) / 10:.1f} s")
    assert 503 in ready.statuses, "/readyz never said the store was down"
    assert ready.statuses[-1] == 200, "/readyz did not recover"


def test_a_killed_cluster_master_is_replaced_by_its_replica(
    cluster_chain: Chain, cluster_redis: ClusterTopology
) -> None:
    """The master holding the audit trail: every sign-in writes to it."""
    tally, codes, ready = sign_ins_during(
        cluster_chain.bridge, lambda: cluster_redis.kill_master_for(STREAM_KEY), after=4.0
    )
    assert_outage_cost_at_most_sign_ins(tally, codes, cluster_chain.bridge)
    assert ready.statuses[-1] == 200, "/readyz did not recover"
