from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.flows.conftest import Chain, running_chain


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Chain]:
    """One chain per module: these tests send hostile requests, not sign-ins that
    depend on each other's state."""
    with running_chain(tmp_path_factory.mktemp("chain"), redis_url) as running:
        yield running
