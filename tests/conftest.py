from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.redis_server import INSTALL_HINT, find_redis_server, private_redis

# Fixtures shared by the token-exchange test modules (`xc`: one exchange chain per module).
pytest_plugins = ["tests.flows.exchange_support"]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a redis-server started for this test session (never a shared one)."""
    binary = find_redis_server(os.environ.get("REDIS_SERVER"))
    if binary is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    with private_redis(binary) as url:
        yield url
