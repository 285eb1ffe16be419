from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres_server import INSTALL_HINT as POSTGRES_HINT
from tests.support.postgres_server import find_bindir, fresh_database, private_postgres
from tests.support.redis_server import INSTALL_HINT, find_redis_server, private_redis
from tests.support.redis_topologies import INSTALL_HINT as SENTINEL_HINT
from tests.support.redis_topologies import (
    ClusterTopology,
    SentinelTopology,
    cluster_topology,
    sentinel_topology,
)

# Compiled modules are kept (in __pycache__, ignored by git) even where the environment
# says PYTHONDONTWRITEBYTECODE: without them every test process rewrote the assertions of
# all its test modules (~3.5 s of CPU each) and every `python -m bridge` the tests start
# compiled the bridge again. Children inherit the environment without the variable.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# Fixtures shared by the token-exchange test modules (`xc`: one exchange chain per module).
pytest_plugins = ["tests.flows.exchange_support"]

# The fast core (`pytest -m "not slow"`) runs in one process on the memory store. What
# starts servers (uvicorn chains, a browser, Redis topologies, PostgreSQL, Node) is slow.
_SLOW_DIRECTORIES = (
    "flows",
    "browser",
    "ha",
    "rp_conformance",
    "mock_idps",
    "upstream",
    "hardening",
    "fuzz",
)
_SLOW_MODULES = (
    "signing/test_cli.py",  # the CLI as a subprocess
    "signing/test_lifecycle.py",  # hundreds of rotations with real keys
    "signing/test_keys_at_rest.py",  # scrypt-wrapped RSA keys
    "config/test_startup_validation.py",  # `bridge config check` as a subprocess
    "config/test_cli_output.py",  # the CLI as subprocesses
    "config/test_malformed_settings.py",
    "config/test_production_refusals.py",
    "config/test_metrics_listener.py",  # real listeners
    "audit/test_verify_usage.py",
    "bench/test_wrk_parser.py",  # wrk against a real server
)
_SLOW_BACKENDS = frozenset({"redis", "sentinel", "cluster", "postgres"})
_SLOW_FIXTURES = frozenset(
    {"redis_url", "sentinel_redis", "cluster_redis", "postgres_template", "database_url"}
)


def _slow_by_location(relative: str) -> bool:
    parts = relative.split(os.sep)
    return (
        parts[0] in _SLOW_DIRECTORIES
        or parts[-1].startswith("test_demo")
        or "/".join(parts) in _SLOW_MODULES
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`-m "not slow"` does not import what it would deselect whole (a third of the
    fast run's collection time)."""
    if config.getoption("markexpr", "") != "not slow":
        return None
    relative = os.path.relpath(str(collection_path), os.path.dirname(__file__))
    if relative.startswith(".."):
        return None
    return True if _slow_by_location(relative) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_dir = os.path.dirname(__file__)
    for item in items:
        in_process = not _slow_by_location(os.path.relpath(str(item.path), tests_dir))
        fixtures = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        params = {str(v) for v in callspec.params.values()} if callspec is not None else set()
        if not in_process or fixtures & _SLOW_FIXTURES or params & _SLOW_BACKENDS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a redis-server started for this test session (never a shared one)."""
    binary = find_redis_server(os.environ.get("REDIS_SERVER"))
    if binary is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    with private_redis(binary) as url:
        yield url


def _redis_server() -> str:
    binary = find_redis_server(os.environ.get("REDIS_SERVER"))
    if binary is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    return binary


@pytest.fixture(scope="session")
def sentinel_redis() -> Iterator[SentinelTopology]:
    """A primary, two replicas and three sentinels, started for this session."""
    sentinel = os.environ.get("REDIS_SENTINEL") or shutil.which("redis-sentinel")
    if sentinel is None:
        pytest.fail(SENTINEL_HINT, pytrace=False)
    with sentinel_topology(_redis_server(), sentinel) as topology:
        yield topology


@pytest.fixture(scope="session")
def cluster_redis() -> Iterator[ClusterTopology]:
    """A Cluster of three masters, each with a replica, started for this session."""
    cli = shutil.which("redis-cli")
    if cli is None:
        pytest.fail("redis-cli is needed to create a Cluster (Debian: redis-tools)")
    with cluster_topology(_redis_server(), cli) as topology:
        yield topology


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL cluster started for this session; the URL of its migrated template."""
    bindir = find_bindir()
    if bindir is None or not (bindir / "postgres").exists():
        pytest.fail(POSTGRES_HINT, pytrace=False)
    with private_postgres(bindir) as template:
        yield template


@pytest.fixture
def database_url(postgres_template: str) -> str:
    """A database of this test's own, at the current schema."""
    return fresh_database(postgres_template)
