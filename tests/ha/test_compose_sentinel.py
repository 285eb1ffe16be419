"""docker-compose.sentinel.yml has the shape the issue asks for, and what it tells Redis
is accepted by the real redis-server and redis-sentinel (no Docker engine here, so the
data nodes' arguments and the sentinels' configuration are run as plain processes)."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from bridge.settings import Settings
from bridge.store.redis_url import parse_redis_url
from tests.support.ports import free_port
from tests.support.redis_server import find_redis_server
from tests.support.redis_topologies import Node, wait_until

REPO = Path(__file__).resolve().parents[2]
DATA_NODES = ["redis-primary", "redis-replica-1", "redis-replica-2"]
SENTINELS = ["sentinel-1", "sentinel-2", "sentinel-3"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.sentinel.yml").read_text())
    return loaded


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def sentinel_conf(service: dict[str, Any]) -> list[str]:
    """The lines the sentinel's start-up script writes into its configuration."""
    script = service["command"][2]
    return [line for line in re.findall(r"'([^']*)'", script) if line != "%s\\n"]


def test_a_primary_two_replicas_three_sentinels_postgres_and_two_bridges(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(DATA_NODES + SENTINELS) <= set(services)
    for name in DATA_NODES[1:]:
        assert option(services[name]["command"], "--replicaof") == "redis-primary"
    bridge = services["bridge"]
    assert bridge["deploy"]["replicas"] >= 2
    target = parse_redis_url(bridge["environment"]["BRIDGE_REDIS_URL"])
    assert target.topology == "sentinel"
    assert {host for host, _ in target.nodes} == set(SENTINELS)
    monitor = next(line for line in sentinel_conf(services["sentinel-1"]) if "monitor" in line)
    assert monitor.split()[2:] == [target.service, "redis-primary", "6379", "2"], "quorum 2 of 3"
    assert bridge["environment"]["BRIDGE_DATABASE_URL"].startswith("postgresql://")
    assert "/readyz" in " ".join(bridge["healthcheck"]["test"]), "ready, not just alive"
    needs = bridge["depends_on"]
    assert all(needs[s]["condition"] == "service_healthy" for s in SENTINELS)
    assert needs["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["bridge", "db", "upgrade"]
    assert "bridge audit prune" in " ".join(services["audit-prune"]["command"])


def test_data_nodes_keep_an_append_only_file_and_refuse_writes_without_a_replica(
    compose: dict[str, Any],
) -> None:
    for name in DATA_NODES:
        service = compose["services"][name]
        argv = service["command"]
        assert option(argv, "--appendonly") == "yes"
        assert option(argv, "--appendfsync") == "everysec"
        assert option(argv, "--save") == "", "no RDB snapshots: AOF covers it"
        assert option(argv, "--min-replicas-to-write") == "1"
        assert any(v.endswith(":/data") for v in service["volumes"]), "the AOF has a volume"
    for name in SENTINELS:
        assert any(v.endswith(":/data") for v in compose["services"][name]["volumes"])


def test_failure_detection_fits_the_bridge_retry_budget(compose: dict[str, Any]) -> None:
    conf = sentinel_conf(compose["services"]["sentinel-1"])
    down_after = int(next(line for line in conf if "down-after" in line).split()[-1])
    env = compose["services"]["bridge"]["environment"]
    settings = Settings(
        redis_retries=int(env["BRIDGE_REDIS_RETRIES"]),
        redis_retry_backoff_cap=float(env["BRIDGE_REDIS_RETRY_BACKOFF_CAP"]),
    )
    options = settings.redis_options()
    budget = sum(
        min(options.backoff_cap, options.backoff_base * 2**n) for n in range(options.retries)
    )
    assert down_after / 1000 + 1.0 < budget, (down_after, budget)


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="bridge-test-compose-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_redis_runs_with_the_compose_arguments_and_configuration(
    compose: dict[str, Any], workdir: Path
) -> None:
    server = find_redis_server(None) or "redis-server"
    sentinel_binary = shutil.which("redis-sentinel")
    assert sentinel_binary, "redis-sentinel is needed (scripts/setup --test)"
    argv = compose["services"]["redis-primary"]["command"]
    args = argv[argv.index("--appendonly") :]  # the persistence and safety settings
    port = free_port()
    primary = Node(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), *args], port
    )
    primary.start()
    conf = sentinel_conf(compose["services"]["sentinel-1"])
    sentinel_port = free_port()
    lines = [
        line.replace("redis-primary 6379", f"127.0.0.1 {port}").replace(
            "port 26379", f"port {sentinel_port}"
        )
        for line in conf
    ]
    config = workdir / "sentinel.conf"
    config.write_text("\n".join([*lines, "bind 127.0.0.1", f"dir {workdir}"]) + "\n")
    watcher = Node([sentinel_binary, str(config)], sentinel_port)
    try:
        client = primary.client()
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("min-replicas-to-write") == {"min-replicas-to-write": "1"}
        try:
            client.set("k", "v")
            raise AssertionError("a primary without a replica accepted a write")
        except redis.ResponseError as refused:
            assert "NOREPLICAS" in str(refused)
        watcher.start()
        wait_until(
            lambda: watcher.client().execute_command("SENTINEL", "MASTER", "bridge") is not None,
            10,
            "the sentinel monitoring the primary",
        )
        master = watcher.client().sentinel_master("bridge")
        assert int(master["down-after-milliseconds"]) == 5000
        assert int(master["quorum"]) == 2
    finally:
        watcher.stop()
        primary.stop()
