"""Fixtures of the Hong Kong e-service's tests against a fake OpenID Provider: one fake
provider per module, a fresh e-service per test (its caches, clock and sessions start
empty). Named `hk_*` / `fake_op*` so they never stand in for another mock's fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bridge.clock import ManualClock
from mock_idps.hk_eservice import create_app
from tests.mock_idps.hk_eservice_support import START, make_config
from tests.mock_idps.hk_fake_provider import FakeProvider
from tests.support.client_tls import TRUSTED
from tests.support.servers import RunningServer, bind_loopback, serving, url_of


@pytest.fixture(scope="module")
def fake_op_server() -> Iterator[tuple[FakeProvider, RunningServer]]:
    sock = bind_loopback()
    provider = FakeProvider(clock=ManualClock(START), issuer=url_of(sock))
    with serving(provider, sock) as running:
        yield provider, running


@pytest.fixture
def hk_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def fake_op(
    fake_op_server: tuple[FakeProvider, RunningServer], hk_clock: ManualClock
) -> FakeProvider:
    provider, running = fake_op_server
    provider.reset()
    provider.issuer = running.url
    provider.clock = hk_clock
    return provider


@pytest.fixture
def hk_service(fake_op: FakeProvider, hk_clock: ManualClock) -> Iterator[RunningServer]:
    sock = bind_loopback()
    app = create_app(make_config(url_of(sock), fake_op.issuer), clock=hk_clock.now)
    with serving(app, sock) as running:
        yield running


@pytest.fixture
async def hk_browser(hk_service: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=hk_service.url, follow_redirects=False, verify=TRUSTED
    ) as http:
        yield http


@pytest.fixture(scope="module")
def hk_shared_service(
    fake_op_server: tuple[FakeProvider, RunningServer],
) -> Iterator[RunningServer]:
    """One e-service for the tests that never reach the token endpoint (error pages)."""
    sock = bind_loopback()
    config = make_config(url_of(sock), fake_op_server[0].issuer)
    with serving(create_app(config, clock=ManualClock(START).now), sock) as running:
        yield running


@pytest.fixture
async def hk_error_browser(
    hk_shared_service: RunningServer, fake_op: FakeProvider
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=hk_shared_service.url, follow_redirects=False, verify=TRUSTED
    ) as http:
        yield http
